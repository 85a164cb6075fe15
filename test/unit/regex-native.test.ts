/**
 * The native RegExp fast path of src/sops/regex.ts against re2js (what sops'
 * Go RE2 semantics are checked with everywhere else): on generated patterns
 * of the subset and generated inputs, the native RegExp and re2js agree on
 * every match; every pattern the subset takes is one re2js accepts; and
 * random metacharacter soup is either outside the subset or agrees too.
 */
import fc from "fast-check";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { checkGoRegex, compileGoRegex, goSearch, nativeSource } from "../../src/sops/regex.js";

/** Characters where RE2 and JS disagree by default, and ordinary path characters. */
const TRICKY = [
  "\n",
  "\r",
  "\u2028",
  "\u2029",
  "\t",
  "\v",
  "\f",
  " ",
  "\u00a0",
  "\u3000",
  "é",
  "K",
];
const PLAIN = ["a", "b", "y", "m", "l", "A", "Z", "0", "9", "_", ".", "/", "-", "x", ":"];
const CHARS = [...PLAIN, ...TRICKY];

const literal = fc.constantFrom(...PLAIN.filter((c) => c !== "."), "é", " ", "#", ",");
const escaped = fc.constantFrom(
  "\\.",
  "\\/",
  "\\\\",
  "\\*",
  "\\(",
  "\\$",
  "\\d",
  "\\D",
  "\\w",
  "\\W",
  "\\s",
  "\\S",
);
const klass = fc.constantFrom(
  "[a-z]",
  "[^a]",
  "[-.]",
  "[0-9_]",
  "[^/]",
  "[A-Za-z0-9._-]",
  "[^\n]",
  "[\\.\\-\\/]",
  "[a^]",
  "[^\\]]",
  "[y\r]",
);
const single = fc.oneof(literal, escaped, klass, fc.constant("."));
const quant = fc.constantFrom("", "", "", "*", "+", "?", "*?", "+?", "??");

/** Patterns of the subset: pieces, anchors, groups and alternations of them. */
const { pattern } = fc.letrec((tie) => ({
  piece: fc.oneof(
    { weight: 5, arbitrary: fc.tuple(single, quant).map(([a, q]) => a + q) },
    { weight: 1, arbitrary: fc.constantFrom("^", "$") },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom("(", "(?:"),
          tie("alt") as fc.Arbitrary<string>,
          fc.constantFrom("", "?"),
        )
        .map(([o, inner, q]) => `${o}${inner})${q}`),
    },
  ),
  seq: fc.array(tie("piece") as fc.Arbitrary<string>, { maxLength: 5 }).map((xs) => xs.join("")),
  alt: fc
    .array(tie("seq") as fc.Arbitrary<string>, { minLength: 1, maxLength: 3 })
    .map((xs) => xs.join("|")),
  pattern: tie("alt") as fc.Arbitrary<string>,
}));

const input = fc.array(fc.constantFrom(...CHARS), { maxLength: 24 }).map((xs) => xs.join(""));

const re2 = (p: string, s: string) => RE2JS.compile(p, 0).test(s);

describe("native RegExp fast path", () => {
  it("agrees with re2js on generated subset patterns and inputs", () => {
    let native = 0;
    fc.assert(
      fc.property(pattern, fc.array(input, { minLength: 1, maxLength: 12 }), (p, inputs) => {
        const src = nativeSource(p);
        if (src === undefined) return;
        native++;
        expect(checkGoRegex(p)).toBeUndefined();
        const js = new RegExp(src, "u");
        // Inputs built from the pattern's own characters hit matches, not only misses.
        const own = p.replace(/[\\^$()|?*+[\]]/g, "");
        for (const s of [...inputs, own, `x${own}\n`, own.toUpperCase()]) {
          expect(js.test(s), `${JSON.stringify(p)} on ${JSON.stringify(s)}`).toBe(re2(p, s));
          expect(compileGoRegex(p).test(s)).toBe(re2(p, s));
        }
      }),
      { numRuns: 3000 },
    );
    expect(native).toBeGreaterThan(1000);
  });

  it("takes only patterns re2js accepts, and agrees on random metacharacter soup", () => {
    const soup = fc
      .array(fc.constantFrom(..."ab.*+?()[]{}|^$\\-/:dwsS\n", "(?:", "(?i)", "[^", "{2}"), {
        maxLength: 10,
      })
      .map((xs) => xs.join(""));
    fc.assert(
      fc.property(soup, fc.array(input, { maxLength: 6 }), (p, inputs) => {
        const src = nativeSource(p);
        let ok = true;
        try {
          RE2JS.compile(p, 0);
        } catch {
          ok = false;
        }
        if (src === undefined) return;
        expect(ok, `subset took ${JSON.stringify(p)}, which re2js rejects`).toBe(true);
        expect(() => new RegExp(src, "u")).not.toThrow();
        for (const s of inputs) expect(new RegExp(src, "u").test(s)).toBe(re2(p, s));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ["flux/secrets/cloudflare/.*\\.yaml", true],
    ["^(data|stringData)$", true],
    [".*\\.enc\\.ya?ml$", true],
    ["(?i)x", false], // flags
    ["a{2}", false], // counted repetition
    ["(a+)+b", false], // nested repetition
    ["(a|aa)*", false], // repeated alternation
    [".*a.*b.*c", false], // a third unbounded repetition
    ["[[:alpha:]]", false], // POSIX class
    ["\\pL", false], // Unicode class
    ["\\bword", false], // word boundary
    ["a**", false], // RE2 rejects it
    ["[]a]", false], // RE2 reads ] as a member, JS as an empty class
  ])("%j is native: %s", (p, expected) => {
    expect(nativeSource(p) !== undefined).toBe(expected);
  });

  it("long or astral inputs go to re2js, with the same answers", () => {
    const long = `${"a/".repeat(400)}flux/secrets/x.yaml`;
    expect(goSearch("flux/secrets/.*\\.yaml", long)).toBe(true);
    expect(goSearch("^a.b$", "a\u{1F600}b")).toBe(re2("^a.b$", "a\u{1F600}b"));
    expect(goSearch("^a..b$", "a\u{1F600}b")).toBe(re2("^a..b$", "a\u{1F600}b"));
    expect(goSearch("^a.b$", "a\ud800b")).toBe(re2("^a.b$", "a\ud800b"));
  });
});
