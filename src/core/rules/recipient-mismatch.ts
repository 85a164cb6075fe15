import type { CreationRule, Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { at, ruleLabel, short } from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const messages = {
  none: (fileAge: string[], rule: CreationRule) =>
    `encrypted for ${fileAge.length ? fileAge.map(short).join(", ") : "no age recipient"}, but ${ruleLabel(rule)} requires ${rule.age.map(short).join(", ")}: a cluster holding the rule's key cannot decrypt it`,
  some: (missing: string[], rule: CreationRule) =>
    `not encrypted for ${missing.map(short).join(", ")}, which ${ruleLabel(rule)} lists`,
};

/** The file's age recipients against the covering rule's. */
export const recipientMismatch: JudgeRule = {
  id: "recipient-mismatch",
  check(a: Analysis): Finding[] {
    const rule = a.input.rule;
    if (!rule || !a.meta || rule.age.length === 0) return [];
    const fileAge = new Set(a.meta.ageRecipients);
    const shared = rule.age.filter((r) => fileAge.has(r));
    const missing = rule.age.filter((r) => !fileAge.has(r));
    if (shared.length > 0 && missing.length === 0) return [];
    return [
      {
        rule: "recipient-mismatch",
        severity: shared.length === 0 ? "error" : "warning",
        path: a.path,
        ...at(a.metaDoc?.metadataPos),
        message:
          shared.length === 0
            ? messages.none(a.meta.ageRecipients, rule)
            : messages.some(missing, rule),
        fixable: false,
      },
    ];
  },
};
