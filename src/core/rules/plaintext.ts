/**
 * Shared by `unencrypted` and `partially-encrypted`: the plaintext values a
 * selector picks, per document, and whether the file is otherwise encrypted.
 */
import type { Finding, RuleId } from "../../types.js";
import { type Analysis, type DocAnalysis, keyName, secretPrefix } from "../analyze.js";
import { at, ruleLabel, unique, withInfo } from "../describe.js";
import type { MustEncrypt } from "../types.js";

/** True when the file counts as encrypted: it has metadata or at least one ENC value. */
export function otherwiseEncrypted(a: Analysis): boolean {
  return a.meta !== undefined || a.encrypted > 0;
}

export function plaintextFinding(
  a: Analysis,
  d: DocAnalysis,
  rule: RuleId,
  message: (plain: MustEncrypt[]) => string,
): Finding[] {
  // encryption-removed reports these values.
  if (a.headEncrypted && !a.meta) return [];
  const plain = d.values.filter((m) => m.state === "plaintext");
  if (plain.length === 0) return [];
  const first = plain[0]!;
  const prefix = secretPrefix(d.doc.root, first.path);
  return [
    withInfo(
      {
        rule,
        severity: "error",
        path: a.path,
        ...at(first),
        ...(a.multi ? { document: d.doc.index } : {}),
        keys: unique(plain.map((m) => keyName(m.path, prefix))),
        message: message(plain),
        fixable: true,
      },
      d.info,
    ),
  ];
}

/** What requires the values encrypted: the covering rule, or the file's own metadata. */
export function whereRequired(a: Analysis): string {
  return a.input.rule ? ruleLabel(a.input.rule) : "the selector stored in its sops metadata";
}
