/**
 * Which leaves sops encrypts (`shouldBeEncrypted`, sops-format §4.2). `path`
 * is the list of mapping keys from the document root to the leaf, including
 * the leaf's own key; sequence indices are not part of it. Regexes are Go RE2,
 * unanchored, evaluated per path component. An unset (empty) selector means
 * "encrypt everything".
 */
import type { Selector } from "../types.js";
import { goSearch } from "./regex.js";

export function shouldBeEncrypted(
  path: readonly string[],
  selector: Selector | undefined,
  commentStack: readonly string[] = [],
): boolean {
  if (!selector || selector.value === "") return true;
  const v = selector.value;
  switch (selector.field) {
    case "unencrypted_suffix":
      return !path.some((k) => k.endsWith(v));
    case "encrypted_suffix":
      return path.some((k) => k.endsWith(v));
    case "unencrypted_regex":
      return !path.some((k) => goSearch(v, k));
    case "encrypted_regex":
      return path.some((k) => goSearch(v, k));
    case "unencrypted_comment_regex":
      return !commentStack.some((c) => goSearch(v, c));
    case "encrypted_comment_regex":
      return commentStack.some((c) => goSearch(v, c));
  }
}

/** sops' default selector, written into the file when a rule sets none. */
export const DEFAULT_SELECTOR: Selector = {
  field: "unencrypted_suffix",
  value: "_unencrypted",
  isDefault: true,
};
