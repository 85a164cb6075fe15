import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { at } from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const message = (format: string, reason: string) =>
  `cannot be parsed as ${format.toUpperCase()} (${reason}); a file the guard must check is blocked until it parses`;

/** A file the guard must check that cannot be parsed fails closed. */
export const unparseable: JudgeRule = {
  id: "unparseable",
  check(a: Analysis): Finding[] {
    const pe = a.parseError;
    if (!pe) return [];
    return [
      {
        rule: "unparseable",
        severity: "error",
        path: a.path,
        ...at(pe),
        message: message(a.format, pe.message),
      },
    ];
  },
};
