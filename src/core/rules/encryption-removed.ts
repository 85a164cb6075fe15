import type { Finding } from "../../types.js";
import { type Analysis, secretKeysOf } from "../analyze.js";
import { at, docInfo, unique, withInfo } from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const MESSAGE =
  "the committed version of this file is sops-encrypted but the staged one is not: a decrypted copy is about to be committed";

export const movedMessage = (from: string) =>
  `this file comes from ${from} (renamed, copied, or deleted and added again under this name in this commit), which is sops-encrypted in the last commit, but it holds its values in plaintext: a decrypted copy is about to be committed`;

/** Committed encrypted, about to commit a decrypted copy. */
export const encryptionRemoved: JudgeRule = {
  id: "encryption-removed",
  check(a: Analysis): Finding[] {
    if (!a.parsed || !a.headEncrypted || a.meta) return [];
    const plain = a.mustEncrypt.filter((m) => m.state === "plaintext");
    const keys = plain.length > 0 ? plain.map((m) => m.path.join(".")) : secretKeysOf(a);
    const first = plain[0];
    const info = docInfo(a.docs[first?.document ?? 0]?.doc.root);
    return [
      withInfo(
        {
          rule: "encryption-removed",
          severity: "error",
          path: a.path,
          ...at(first),
          ...(a.multi && first ? { document: first.document } : {}),
          ...(keys.length ? { keys: unique(keys) } : {}),
          message:
            a.input.headPath && a.input.headPath !== a.path
              ? movedMessage(a.input.headPath)
              : MESSAGE,
          fixable: a.input.rule !== undefined,
        },
        info,
      ),
    ];
  },
};
