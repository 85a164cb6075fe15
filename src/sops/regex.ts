/**
 * Go RE2 (`regexp` package) semantics via re2js (sops-format §2). sops and
 * Flux evaluate `path_regex` and the selector regexes with Go's
 * `regexp.MatchString`: an UNANCHORED search. So we only ever use `.test()`
 * (never `.matches()`, which is anchored at both ends), and never pass the
 * re2js-only LOOKBEHINDS flag, which Go does not have.
 */
import { RE2JS, RE2JSSyntaxException } from "re2js";

const MAX_CACHE = 512;
/** pattern -> compiled regex, or the error text when RE2 rejects it. */
const cache = new Map<string, RE2JS | { error: string }>();

function lookup(pattern: string): RE2JS | { error: string } {
  let hit = cache.get(pattern);
  if (hit === undefined) {
    try {
      // Flags 0 = Go's regexp.Compile (Perl syntax, UTF-8, `$` = end of text).
      hit = RE2JS.compile(pattern, 0);
    } catch (e) {
      hit = { error: describe(e) };
    }
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(pattern, hit);
  }
  return hit;
}

function describe(e: unknown): string {
  if (e instanceof RE2JSSyntaxException) {
    return e.input ? `${e.error}: \`${e.input}\`` : e.error;
  }
  if (e instanceof Error) return e.message.replace(/^error parsing regexp: /, "");
  return String(e);
}

/**
 * Compile `pattern` as Go's `regexp.Compile` would (cached). Throws a
 * SyntaxError naming the RE2 error when Go would reject the pattern.
 */
export function compileGoRegex(pattern: string): RE2JS {
  const hit = lookup(pattern);
  if (hit instanceof RE2JS) return hit;
  throw new SyntaxError(`not a valid RE2 regular expression (${hit.error})`);
}

/**
 * Go `regexp.MatchString(pattern, s)`: true when the pattern matches anywhere
 * in `s`. A pattern RE2 rejects gives false — exactly what sops does for the
 * selector regexes (it discards the compile error, S:sops.go:456-507).
 * Validate patterns with `checkGoRegex` where an invalid one must be an error.
 */
export function goSearch(pattern: string, s: string): boolean {
  const hit = lookup(pattern);
  return hit instanceof RE2JS ? hit.test(s) : false;
}

/** Undefined when Go RE2 accepts `pattern`, else the reason it is rejected. */
export function checkGoRegex(pattern: string): string | undefined {
  const hit = lookup(pattern);
  return hit instanceof RE2JS ? undefined : hit.error;
}
