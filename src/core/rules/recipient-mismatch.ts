import type { CreationRule, Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { at, ruleLabel, short } from "../describe.js";
import type { JudgeRule } from "./rule.js";

/** A recipient as named in a message: age recipients shortened, PGP fingerprints as `pgp <fp>`. */
const name = (r: string) => (r.startsWith("pgp:") ? `pgp ${r.slice(4)}` : short(r));

export const messages = {
  none: (file: string[], rule: CreationRule, required: string[]) =>
    `encrypted for ${file.length ? file.map(name).join(", ") : "no age or PGP recipient"}, but ${ruleLabel(rule)} requires ${required.map(name).join(", ")}: a cluster holding the rule's key cannot decrypt it`,
  some: (missing: string[], rule: CreationRule, fix: string) =>
    `not encrypted for ${missing.map(name).join(", ")}, which ${ruleLabel(rule)} lists (${fix})`,
};

/**
 * The file's recipients against the covering rule's, as sops sees them: age
 * recipients and PGP fingerprints together (key groups mixing both). Sharing
 * none: error (nobody the rule names can decrypt); some missing: warning.
 */
export const recipientMismatch: JudgeRule = {
  id: "recipient-mismatch",
  check(a: Analysis): Finding[] {
    const rule = a.input.rule;
    const rulePgp = (rule?.pgp ?? []).map((f) => `pgp:${f}`);
    if (!rule || !a.meta || rule.age.length + rulePgp.length === 0) return [];
    const file = [...a.meta.ageRecipients, ...a.meta.pgpFingerprints.map((f) => `pgp:${f}`)];
    const have = new Set(file);
    const required = [...rule.age, ...rulePgp];
    const shared = required.filter((r) => have.has(r));
    const missing = required.filter((r) => !have.has(r));
    if (shared.length > 0 && missing.length === 0) return [];
    // The native updatekeys opens the data key with a local age identity and wraps for age only.
    const fix =
      rulePgp.length > 0 || a.meta.ageRecipients.length === 0
        ? `re-wrap with \`sops updatekeys ${a.path}\`, which needs a key that opens it`
        : `re-wrap with \`npx secret-guard updatekeys ${a.path}\``;
    return [
      {
        rule: "recipient-mismatch",
        severity: shared.length === 0 ? "error" : "warning",
        path: a.path,
        ...at(a.metaDoc?.metadataPos),
        message:
          shared.length === 0
            ? messages.none(file, rule, required)
            : messages.some(missing, rule, fix),
        fixable: false,
      },
    ];
  },
};
