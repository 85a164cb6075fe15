import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import {
  at,
  type DocInfo,
  describe,
  describeSelector,
  ruleLabel,
  unique,
  withInfo,
} from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const messages = {
  selectorLeaves: (info: DocInfo, rule: string, selector: string) =>
    `${describe(info)}: values the selector of ${rule} (${selector}) leaves in plaintext`,
  noRule: (info: DocInfo) =>
    `${describe(info)} with plaintext values in a file that no creation rule in .sops.yaml covers`,
  literals:
    "kustomize secretGenerator literals carry secret values in plaintext; move them into a sops-encrypted env file (secretGenerator.envs) that a creation rule covers",
};

/** Secret values the policy would leave in plaintext. */
export const secretOutsidePolicy: JudgeRule = {
  id: "secret-outside-policy",
  check(a: Analysis): Finding[] {
    const out: Finding[] = [];
    const rule = a.input.rule;
    for (const d of a.docs) {
      const docTag = a.multi ? { document: d.doc.index } : {};
      for (const s of d.secretsOutside) {
        const info = s.object.info;
        out.push(
          withInfo(
            {
              rule: "secret-outside-policy",
              severity: "error",
              path: a.path,
              ...at(s.first),
              ...docTag,
              keys: unique(s.keys),
              message: rule
                ? messages.selectorLeaves(info, ruleLabel(rule), describeSelector(a.selector))
                : messages.noRule(info),
              fixable: false,
            },
            info,
          ),
        );
      }
      const lit = d.literalsOutside;
      if (lit.keys.length > 0) {
        out.push({
          rule: "secret-outside-policy",
          severity: "error",
          path: a.path,
          ...at(lit.first),
          ...docTag,
          kind: "secretGenerator",
          keys: unique(lit.keys),
          message: messages.literals,
          fixable: false,
        });
      }
    }
    return out;
  },
};
