import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { at, type DocInfo, describe, ruleLabel, unique, withInfo } from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const message = (what: string, labels: string[], rule: string, whole: boolean) =>
  `${what}: ${whole ? "the content" : "a value"} looks like a credential (${labels.join(", ")}); ${rule} is broad, so this file need not be encrypted: move the value into an encrypted Secret, or list the file in .secret-guard.yaml mustEncrypt`;

/**
 * Under a broad rule, a file that need not be encrypted (a ConfigMap, a
 * HelmRelease, a script) is judged for Secret content only; a value its
 * selector picks that looks like a credential is a warning, never an error.
 */
export const possibleCredential: JudgeRule = {
  id: "possible-credential",
  check(a: Analysis): Finding[] {
    const rule = a.input.rule;
    if (!rule) return [];
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
