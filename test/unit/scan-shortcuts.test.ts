/**
 * Two shortcuts of the judging's hot loops, each proven equal to what it skips:
 *
 * - PLAIN_TEXT (src/sops/fastyaml.ts): text of line feeds and printable ASCII skips three
 *   whole-text scans (the fast path's odd characters, decodeText's control characters,
 *   goYamlLines' line breaks). Checked on every UTF-16 code unit, which is enough: each of
 *   those patterns matches only where the text holds a character of its classes.
 * - selectorMatches (src/sops/select.ts): Go's verdict per pattern and key, remembered,
 *   equals goSearch on generated patterns and keys, also past its table limits.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastYamlDecline, PLAIN_TEXT } from "../../src/sops/fastyaml.js";
import { decodeText, goYamlLines } from "../../src/sops/parse.js";
import { goSearch } from "../../src/sops/regex.js";
import { selectorMatches, shouldBeEncrypted } from "../../src/sops/select.js";

describe("PLAIN_TEXT", () => {
  it("takes a code unit only where none of the skipped scans could match", () => {
    let plain = 0;
    for (let u = 0; u <= 0xffff; u++) {
      const c = String.fromCharCode(u);
      const inClass = u === 0x0a || (u >= 0x20 && u <= 0x7e);
      expect(PLAIN_TEXT.test(`ab${c}cd`)).toBe(inClass);
      if (!PLAIN_TEXT.test(c)) continue;
      plain++;
      // What the shortcut skips, run on a text around the character.
      const text = `a: b${c}c\n`;
      expect(fastYamlDecline(text, { maxDepth: 64, maxNodes: 1000 })?.reason ?? "").not.toMatch(
        /^odd-char/,
      );
      expect(() => decodeText(Buffer.from(text, "latin1"))).not.toThrow();
      expect(goYamlLines(text)).toBe(text);
    }
    expect(plain).toBe(96);
  });

  it("still finds what the skipped scans find when the text is not plain", () => {
    // A NUL, a CR, a NEL, an LS and a lone surrogate: each is refused or rewritten as before.
    expect(() => decodeText(Buffer.from("a: b\u0000\n", "latin1"))).toThrow(/control character/);
    expect(goYamlLines("a: b\r\nc: d\u0085e: f\u2028")).toBe("a: b\nc: d\ne: f\n");
    expect(fastYamlDecline("a: b\t\n", { maxDepth: 64, maxNodes: 1000 })?.reason).toBe(
      "odd-char:0009",
    );
    expect(fastYamlDecline("a: \ud800\n", { maxDepth: 64, maxNodes: 1000 })?.reason).toBe(
      "odd-char:d800",
    );
  });
});

describe("selectorMatches", () => {
  const patterns = ["^(data|stringData)$", "^data$", "pass", "^(?i)KEY", "(", "[a-", "x*y", ""];
  const keys = fc.oneof(
    fc.constantFrom("data", "stringData", "spec", "password", "KEY_1", "key", "", "xxy", "("),
    fc.string({ maxLength: 12 }),
  );

  it("gives goSearch's verdict for every pattern and key, asked in any order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...patterns), keys), { maxLength: 60 }),
        (asks) => {
          for (const [p, k] of asks) expect(selectorMatches(p, k)).toBe(goSearch(p, k));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stays right past its table limits (more keys and patterns than it keeps)", () => {
    for (let i = 0; i < 10_000; i++) {
      const k = `k${i}${i % 7 === 0 ? "data" : ""}`;
      expect(selectorMatches("data$", k)).toBe(i % 7 === 0);
    }
    for (let i = 0; i < 200; i++) {
      const p = `^p${i}$`;
      expect(selectorMatches(p, `p${i}`)).toBe(true);
      expect(selectorMatches(p, `p${i + 1}`)).toBe(false);
    }
    expect(selectorMatches("data$", "k7data")).toBe(true);
    // Long strings are answered too (asked afresh each time).
    const long = `${"x".repeat(300)}data`;
    expect(selectorMatches("data$", long)).toBe(true);
    expect(selectorMatches("data$", `${long}x`)).toBe(false);
    expect(selectorMatches("^x+$", "x".repeat(1000))).toBe(goSearch("^x+$", "x".repeat(1000)));
  });

  it("leaves shouldBeEncrypted as sops decides it", () => {
    const sel = { field: "encrypted_regex", value: "^(data|stringData)$" } as const;
    expect(shouldBeEncrypted(["data", "x"], sel)).toBe(true);
    expect(shouldBeEncrypted(["spec", "values", "password"], sel)).toBe(false);
    const un = { field: "unencrypted_regex", value: "^(kind|apiVersion)$" } as const;
    expect(shouldBeEncrypted(["kind"], un)).toBe(false);
    expect(shouldBeEncrypted(["data", "kind"], un)).toBe(false);
    expect(shouldBeEncrypted(["data", "a"], un)).toBe(true);
    const com = { field: "encrypted_comment_regex", value: "sops:enc" } as const;
    expect(shouldBeEncrypted(["a"], com, ["# sops:enc"])).toBe(true);
    expect(shouldBeEncrypted(["a"], com, ["# plain"])).toBe(false);
  });
});
