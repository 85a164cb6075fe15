/**
 * Which leaves sops encrypts (`shouldBeEncrypted`, sops-format §4.2). `path`
 * is the list of mapping keys from the document root to the leaf, including
 * the leaf's own key; sequence indices are not part of it. Regexes are Go RE2,
 * unanchored, evaluated per path component. An unset (empty) selector means
 * "encrypt everything".
 */
import type { Selector } from "../types.js";
import { goSearch } from "./regex.js";

/**
 * Go's verdict per pattern and key, remembered: a file's leaves repeat a few keys (`spec`,
 * `values`, `data`) hundreds of thousands of times over a history audit, and goSearch is a
 * pure function of the two strings. Bounded: past the limits a table starts afresh, and a
 * long string (a comment line, an odd key) is asked afresh, never kept.
 */
const verdicts = new Map<string, Map<string, boolean>>();
const MAX_PATTERNS = 64;
const MAX_KEYS = 4096;
const MAX_KEPT_LENGTH = 256;
let lastPattern: string | undefined;
let lastVerdicts: Map<string, boolean> | undefined;
export function selectorMatches(pattern: string, s: string): boolean {
  if (s.length > MAX_KEPT_LENGTH) return goSearch(pattern, s);
  let byKey = pattern === lastPattern ? lastVerdicts : verdicts.get(pattern);
  if (byKey === undefined) {
    if (verdicts.size >= MAX_PATTERNS) verdicts.clear();
    byKey = new Map();
    verdicts.set(pattern, byKey);
  }
  lastPattern = pattern;
  lastVerdicts = byKey;
  let hit = byKey.get(s);
  if (hit === undefined) {
    hit = goSearch(pattern, s);
    if (byKey.size >= MAX_KEYS) byKey.clear();
    byKey.set(s, hit);
  }
  return hit;
}

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
      return !path.some((k) => selectorMatches(v, k));
    case "encrypted_regex":
      return path.some((k) => selectorMatches(v, k));
    case "unencrypted_comment_regex":
      return !commentStack.some((c) => selectorMatches(v, c));
    case "encrypted_comment_regex":
      return commentStack.some((c) => selectorMatches(v, c));
  }
}

/** sops' default selector, written into the file when a rule sets none. */
export const DEFAULT_SELECTOR: Selector = {
  field: "unencrypted_suffix",
  value: "_unencrypted",
  isDefault: true,
};
