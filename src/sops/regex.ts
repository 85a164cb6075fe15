/**
 * Go RE2 (`regexp` package) semantics via re2js (sops-format §2). sops and
 * Flux evaluate `path_regex` and the selector regexes with Go's
 * `regexp.MatchString`: an UNANCHORED search. So we only ever use `.test()`
 * (never `.matches()`, which is anchored at both ends), and never pass the
 * re2js-only LOOKBEHINDS flag, which Go does not have.
 *
 * Fast path: the patterns real `.sops.yaml` files hold (`flux/secrets/.*\.yaml`,
 * `^(data|stringData)$`) are also run as a native RegExp when they fall in a
 * small subset on which a JS `u`-mode RegExp provably matches the same strings
 * as RE2 (see nativeSource; test/unit/regex-native.test.ts checks it against
 * re2js on generated patterns and inputs). re2js (and its Unicode tables) is
 * then not even loaded. Everything else, and any input the subset's proof does
 * not cover, goes through re2js.
 */
import { createRequire } from "node:module";
import type * as Re2 from "re2js";

type Re2Module = typeof Re2;
let re2: Re2Module | undefined;
/** re2js, loaded on first use (the bundle turns `require` into its own lazy loader). */
function loadRe2(): Re2Module {
  re2 ??= (
    typeof require === "function" ? require("re2js") : createRequire(import.meta.url)("re2js")
  ) as Re2Module;
  return re2;
}

/** What callers use: `.test(s)` = Go's `regexp.MatchString(pattern, s)`. */
export interface GoRegex {
  test(s: string): boolean;
}

const MAX_CACHE = 512;
/** pattern -> compiled regex, or the error text when RE2 rejects it. */
const cache = new Map<string, GoRegex | { error: string }>();

/**
 * Inputs the native path takes: short (the subset allows at most two unbounded
 * repetitions of a single character, so a backtracking match is at worst cubic in
 * this length) and free of UTF-16 surrogates (no astral characters, no lone halves).
 */
const NATIVE_MAX_INPUT = 512;
const SURROGATE = /[\ud800-\udfff]/;

class NativeRegex implements GoRegex {
  #slow: GoRegex | undefined;
  constructor(
    readonly pattern: string,
    readonly native: RegExp,
  ) {}
  test(s: string): boolean {
    if (s.length <= NATIVE_MAX_INPUT && !SURROGATE.test(s)) return this.native.test(s);
    this.#slow ??= loadRe2().RE2JS.compile(this.pattern, 0);
    return this.#slow.test(s);
  }
}

function lookup(pattern: string): GoRegex | { error: string } {
  let hit = cache.get(pattern);
  if (hit === undefined) {
    const src = nativeSource(pattern);
    if (src !== undefined) hit = new NativeRegex(pattern, new RegExp(src, "u"));
    else {
      try {
        // Flags 0 = Go's regexp.Compile (Perl syntax, UTF-8, `$` = end of text).
        hit = loadRe2().RE2JS.compile(pattern, 0);
      } catch (e) {
        hit = { error: describe(e) };
      }
    }
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(pattern, hit);
  }
  return hit;
}

function describe(e: unknown): string {
  if (e instanceof loadRe2().RE2JSSyntaxException) {
    const s = e as InstanceType<Re2Module["RE2JSSyntaxException"]>;
    return s.input ? `${s.error}: \`${s.input}\`` : s.error;
  }
  if (e instanceof Error) return e.message.replace(/^error parsing regexp: /, "");
  return String(e);
}

/**
 * Compile `pattern` as Go's `regexp.Compile` would (cached). Throws a
 * SyntaxError naming the RE2 error when Go would reject the pattern.
 */
export function compileGoRegex(pattern: string): GoRegex {
  const hit = lookup(pattern);
  if (!("error" in hit)) return hit;
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
  return "error" in hit ? false : hit.test(s);
}

/** Undefined when Go RE2 accepts `pattern`, else the reason it is rejected. */
export function checkGoRegex(pattern: string): string | undefined {
  const hit = lookup(pattern);
  return "error" in hit ? hit.error : undefined;
}

// ---- the native subset
//
//   alt   := seq ('|' seq)*
//   seq   := piece*
//   piece := '^' | '$' | atom quant?
//   quant := ('*' | '+' | '?') '?'?
//   atom  := char | '.' | '\' punct | '\d' '\D' '\w' '\W' '\s' '\S' | class | '(' ('?:')? alt ')'
//   class := '[' '^'? item+ ']'     item := cchar | cchar '-' cchar | '\' cpunct
//
// Every string of this grammar is a valid RE2 pattern and a valid JS `u`-mode pattern,
// and both accept the same strings (for the inputs NativeRegex hands over):
// - `.`: RE2 (no `s` flag) matches any character but "\n"; JS `.` also refuses "\r",
//   U+2028 and U+2029, so it is written `[^\n]`.
// - `\s`/`\S`: RE2's are [\t\n\f\r ]; JS's include \v and Unicode spaces, so they are
//   written out. `\d`, `\w` (and negations) are ASCII in both (`u` without `i`).
// - `^`, `$`: start and end of the text in both (no `m` flag); never repeated.
// - classes: no POSIX `[:…:]` (RE2) and no empty `[]` (JS), so no unescaped `[` or a
//   leading `]`; ranges only between ASCII letters or digits of one kind, in order.
// - leftmost-first vs backtracking does not matter: only whether a match exists is used.
// - no counted repetition, no flags, no Unicode classes, no escapes beyond the above.
// Linear-ish time: at most two unbounded repetitions (`*`, `+`), each of a single
// character, class or escape (a repeated group holds no repetition or alternation), so a
// backtracking search stays polynomial and tiny on the input lengths NativeRegex takes.

const META = new Set([..."\\.+*?()|[]{}^$"]);
const PUNCT = new Set([..."\\.+*?()|[]{}^$/"]);
const CLASS_PUNCT = new Set([..."\\.-/[]^"]);
const ESCAPES: Record<string, string> = {
  d: "\\d",
  D: "\\D",
  w: "\\w",
  W: "\\W",
  s: "[\\t\\n\\f\\r ]",
  S: "[^\\t\\n\\f\\r ]",
};

/** The JS `u`-mode source matching what RE2 matches, or undefined outside the subset. */
export function nativeSource(pattern: string): string | undefined {
  if (SURROGATE.test(pattern)) return undefined;
  let i = 0;
  let unbounded = 0;
  const peek = () => pattern[i];
  type Piece = { src: string; single: boolean; hasRepeat: boolean; hasAlt: boolean };

  const parseAlt = (): Piece | undefined => {
    const seqs: Piece[] = [];
    for (;;) {
      const s = parseSeq();
      if (!s) return undefined;
      seqs.push(s);
      if (peek() !== "|") break;
      i++;
    }
    return {
      src: seqs.map((s) => s.src).join("|"),
      single: false,
      hasRepeat: seqs.some((s) => s.hasRepeat),
      hasAlt: seqs.length > 1 || seqs.some((s) => s.hasAlt),
    };
  };

  const parseSeq = (): Piece | undefined => {
    let src = "";
    let hasRepeat = false;
    let hasAlt = false;
    while (i < pattern.length && peek() !== "|" && peek() !== ")") {
      const c = peek()!;
      if (c === "^" || c === "$") {
        i++;
        if (isQuant(peek())) return undefined;
        src += c;
        continue;
      }
      const atom = parseAtom();
      if (!atom) return undefined;
      let q = "";
      const qc = peek();
      if (isQuant(qc)) {
        i++;
        q = qc!;
        if (peek() === "?") {
          i++;
          q += "?";
        }
        if (isQuant(peek())) return undefined; // a** etc.: RE2 rejects, keep it to re2js
        if (!atom.single && (atom.hasRepeat || atom.hasAlt)) return undefined;
        if (qc !== "?") {
          if (!atom.single) return undefined; // unbounded repetition only of one character
          unbounded++;
          if (unbounded > 2) return undefined;
        }
        hasRepeat = true;
      }
      hasRepeat ||= atom.hasRepeat;
      hasAlt ||= atom.hasAlt;
      src += atom.src + q;
    }
    return { src, single: false, hasRepeat, hasAlt };
  };

  const parseAtom = (): Piece | undefined => {
    const c = peek()!;
    if (c === "(") {
      i++;
      let open = "(";
      if (peek() === "?") {
        if (pattern[i + 1] !== ":") return undefined;
        i += 2;
        open = "(?:";
      }
      const inner = parseAlt();
      if (!inner || peek() !== ")") return undefined;
      i++;
      return { ...inner, src: `${open}${inner.src})`, single: false };
    }
    if (c === ".") {
      i++;
      return { src: "[^\\n]", single: true, hasRepeat: false, hasAlt: false };
    }
    if (c === "\\") {
      const e = pattern[i + 1];
      if (e === undefined) return undefined;
      i += 2;
      if (PUNCT.has(e)) return { src: `\\${e}`, single: true, hasRepeat: false, hasAlt: false };
      const x = ESCAPES[e];
      return x === undefined
        ? undefined
        : { src: x, single: true, hasRepeat: false, hasAlt: false };
    }
    if (c === "[") return parseClass();
    if (META.has(c)) return undefined;
    i++;
    return { src: c, single: true, hasRepeat: false, hasAlt: false };
  };

  const kind = (ch: string) =>
    /[a-z]/.test(ch) ? "lower" : /[A-Z]/.test(ch) ? "upper" : /[0-9]/.test(ch) ? "digit" : "";

  const parseClass = (): Piece | undefined => {
    i++; // [
    let src = "[";
    if (peek() === "^") {
      i++;
      src += "^";
    }
    let items = 0;
    while (i < pattern.length && peek() !== "]") {
      const c = peek()!;
      if (c === "\\") {
        const e = pattern[i + 1];
        if (e === undefined || !CLASS_PUNCT.has(e)) return undefined;
        src += `\\${e}`;
        i += 2;
        items++;
        continue;
      }
      if (c === "[" || (c === "-" && items > 0 && pattern[i + 1] !== "]")) return undefined;
      if (pattern[i + 1] === "-" && pattern[i + 2] !== undefined && pattern[i + 2] !== "]") {
        const hi = pattern[i + 2]!;
        if (!kind(c) || kind(c) !== kind(hi) || c > hi) return undefined;
        src += `${c}-${hi}`;
        i += 3;
        items++;
        continue;
      }
      src += c === "-" ? "\\-" : c;
      i++;
      items++;
    }
    if (peek() !== "]" || items === 0) return undefined;
    i++;
    return { src: `${src}]`, single: true, hasRepeat: false, hasAlt: false };
  };

  const all = parseAlt();
  if (!all || i !== pattern.length) return undefined;
  return all.src;
}

function isQuant(c: string | undefined): boolean {
  return c === "*" || c === "+" || c === "?";
}
