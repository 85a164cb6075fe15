import type { Finding } from "../../types.js";
import type { Analysis, Credential } from "../analyze.js";
import { at, type DocInfo, describe, ruleLabel, unique, withInfo } from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const message = (what: string, labels: string[], rule: string, whole: boolean) =>
  `${what}: ${whole ? "the content" : "a value"} looks like a credential (${labels.join(", ")}); ${rule} is broad, so this file need not be encrypted: move the value into an encrypted Secret, or list the file in .secret-guard.yaml mustEncrypt`;

/** Per signal: why nothing protects the value, and how to give it safely (never the value). */
const ADVICE: Record<NonNullable<Credential["signal"]>, { why: string; fix: string }> = {
  "url-password": {
    why: "a URL is applied and logged in the clear",
    fix: "drop it from the URL and pass the credential from a sops-encrypted Secret (a Flux source's spec.secretRef, a ${VAR} substituted from an encrypted Secret)",
  },
  annotation: {
    why: "sops leaves metadata in the clear, and anyone who can list Secrets reads their annotations",
    fix: "move it into the Secret's data, encrypted",
  },
  "helm-values": {
    why: "the chart renders its values into the cluster",
    fix: "give it to the chart from a sops-encrypted Secret (the chart's existingSecret, a HelmRelease's valuesFrom, postBuild.substituteFrom)",
  },
};

export const literalMessage = (what: string, found: Credential[]) => {
  const signals = unique(found.map((c) => c.signal!));
  const labels = unique(found.map((c) => c.label));
  return `${what}: ${labels.join(" and ")} ${labels.length > 1 ? "hold literal values" : "holds a literal value"} that no rule encrypts (${signals.map((s) => ADVICE[s as keyof typeof ADVICE].why).join("; ")}): ${signals.map((s) => ADVICE[s as keyof typeof ADVICE].fix).join("; ")}; rotate it if it was pushed, or accept it with an allow entry in .secret-guard.yaml`;
};

/**
 * Under a broad rule, a file that need not be encrypted (a ConfigMap, a
 * HelmRelease, a script) is judged for Secret content only; a value its
 * selector picks that looks like a credential is a warning, never an error.
 * Whatever the rule, a literal credential nothing encrypts (a URL password, a
 * Secret's credential-named annotation, a credential-named Helm value kept in
 * the manifest: core/signals.ts) is a warning too.
 */
export const possibleCredential: JudgeRule = {
  id: "possible-credential",
  check(a: Analysis): Finding[] {
    const rule = a.input.rule;
    const warn = (info: DocInfo | undefined, doc: number | undefined, f: Partial<Finding>) =>
      withInfo(
        {
          rule: "possible-credential",
          severity: "warning",
          path: a.path,
          ...f,
          ...(doc !== undefined ? { document: doc } : {}),
          message: "",
          fixable: false,
        },
        info,
      );
    const out: Finding[] = [];
    for (const d of a.docs) {
      if (d.literals.length === 0) continue;
      const doc = a.multi ? d.doc.index : undefined;
      const f = warn(d.info, doc, {
        ...at(d.literals[0]),
        keys: unique(d.literals.map((c) => c.key)),
      });
      f.message = literalMessage(describe(d.info, doc), d.literals);
      out.push(f);
    }
    if (!rule) return out;
    if (a.rawCredential) {
      const f = warn(undefined, undefined, {});
      f.message = message(describe(undefined), [a.rawCredential], ruleLabel(rule), true);
      out.push(f);
    }
    for (const d of a.docs) {
      if (d.credentials.length === 0) continue;
      const doc = a.multi ? d.doc.index : undefined;
      const f = warn(d.info, doc, {
        ...at(d.credentials[0]),
        keys: unique(d.credentials.map((c) => c.key)),
      });
      f.message = message(
        describe(d.info, doc),
        unique(d.credentials.map((c) => c.label)),
        ruleLabel(rule),
        false,
      );
      out.push(f);
    }
    return out;
  },
};
