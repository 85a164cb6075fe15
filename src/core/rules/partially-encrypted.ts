import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { describe } from "../describe.js";
import { otherwiseEncrypted, plaintextFinding, whereRequired } from "./plaintext.js";
import type { JudgeRule } from "./rule.js";

/** Plaintext values the selector picks, in a file that is otherwise encrypted. */
export const partiallyEncrypted: JudgeRule = {
  id: "partially-encrypted",
  check(a: Analysis): Finding[] {
    if (!otherwiseEncrypted(a)) return [];
    return a.docs.flatMap((d) => {
      const enc = d.values.filter((m) => m.state === "encrypted").length;
      return plaintextFinding(
        a,
        d,
        "partially-encrypted",
        (plain) =>
          `${describe(d.info)}: ${plain.length} of ${plain.length + enc} values that ${whereRequired(a)} requires encrypted are plaintext in an otherwise encrypted file (sops and Flux will refuse it)`,
      );
    });
  },
};
