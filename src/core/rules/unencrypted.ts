import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { describe } from "../describe.js";
import { otherwiseEncrypted, plaintextFinding, whereRequired } from "./plaintext.js";
import type { JudgeRule } from "./rule.js";

/** Plaintext values the selector picks, in a file with no encryption at all. */
export const unencrypted: JudgeRule = {
  id: "unencrypted",
  check(a: Analysis): Finding[] {
    if (otherwiseEncrypted(a)) return [];
    return a.docs.flatMap((d) =>
      plaintextFinding(
        a,
        d,
        "unencrypted",
        (plain) =>
          `${describe(d.info)}: ${plain.length} plaintext value${plain.length === 1 ? "" : "s"} that ${whereRequired(a)} requires encrypted`,
      ),
    );
  },
};
