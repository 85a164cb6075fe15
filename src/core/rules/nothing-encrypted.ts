import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { at, describeSelector } from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const message = (selector: string) =>
  `the file carries sops metadata but not one ENC[...] value: its selector (${selector}) matched nothing, so whatever it holds is in the clear`;

/** sops metadata, but not one encrypted value and nothing plaintext picked either. */
export const nothingEncrypted: JudgeRule = {
  id: "nothing-encrypted",
  check(a: Analysis): Finding[] {
    if (!a.meta || a.encrypted > 0 || a.plaintext > 0 || a.malformed > 0) return [];
    if (a.input.rule === undefined && a.format === "binary") return [];
    return [
      {
        rule: "nothing-encrypted",
        severity: "warning",
        path: a.path,
        ...at(a.metaDoc?.metadataPos),
        message: message(describeSelector(a.selector)),
      },
    ];
  },
};
