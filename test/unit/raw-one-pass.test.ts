/**
 * parseRawZ reads `diff-index -z --raw` in one pass; parseRawZFields is the field-by-field
 * reading it replaced. Differential: on generated listings (every status, scores, combined
 * merge headers, paths of any bytes, stray empty fields and newlines, truncations and
 * garbage) both give the same entries, or both throw a GitError.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GitError } from "../../src/errors.js";
import { parseRawZ, parseRawZFields, type RawEntry } from "../../src/git/parse.js";

const oid = fc.oneof(
  fc.constant("0".repeat(40)),
  fc.stringMatching(/^[0-9a-f]{40}$/),
  fc.stringMatching(/^[0-9a-f]{64}$/),
);
const mode = fc.constantFrom("000000", "100644", "100755", "120000", "160000", "040000");
const pathBytes = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((a) => Buffer.from(a.filter((b) => b !== 0))),
  fc
    .constantFrom("a.yaml", "dir/b c.yaml", "new\nline", "é/日本.yaml", ":x", "")
    .map((s) => Buffer.from(s)),
);
const simple = fc
  .tuple(
    mode,
    mode,
    oid,
    oid,
    fc.constantFrom("A", "C", "D", "M", "R", "T", "U", "X", "Q", ""),
    fc.option(fc.integer({ min: 0, max: 100 })),
  )
  .chain(([m1, m2, o1, o2, st, score]) => {
    const two = st === "R" || st === "C";
    return fc
      .array(pathBytes, { minLength: two ? 2 : 1, maxLength: two ? 2 : 1 })
      .map((ps) => [Buffer.from(`:${m1} ${m2} ${o1} ${o2} ${st}${score ?? ""}`), ...ps]);
  });
const combined = fc
  .tuple(mode, mode, mode, oid, oid, oid, fc.constantFrom("MM", "AA", "MA", "DD"), pathBytes)
  .map(([a, b, c, o1, o2, o3, st, p]) => [
    Buffer.from(`::${a} ${b} ${c} ${o1} ${o2} ${o3} ${st}`),
    p,
  ]);
// Headers of a small alphabet: colons, spaces, status letters, digits, non-ASCII.
const odd = fc
  .array(fc.constantFrom(":", " ", "M", "R", "C", "A", "Q", "1", "0", "a", "é", "\n"), {
    maxLength: 14,
  })
  .chain((cs) =>
    fc
      .array(pathBytes, { minLength: 0, maxLength: 2 })
      .map((ps) => [Buffer.from(`:${cs.join("")}`), ...ps]),
  );
const junk = fc.oneof(
  fc.constant([Buffer.alloc(0)]),
  fc.constant([Buffer.from("\n")]),
  fc.uint8Array({ maxLength: 8 }).map((a) => [Buffer.from(a)]),
);

function run(f: (b: Buffer) => RawEntry[], b: Buffer): unknown {
  try {
    return f(b).map((e) => ({ ...e, pathBytes: e.pathBytes.toString("hex") }));
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    return { error: e.message };
  }
}

describe("parseRawZ one pass = field by field", () => {
  it("agrees on generated listings", () => {
    let parsed = 0;
    let listed = 0;
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 6, arbitrary: simple }, combined, odd, junk), { maxLength: 8 }),
        fc.boolean(),
        fc.nat(),
        fc.boolean(),
        (entries, leadingNewlines, cut, truncate) => {
          const parts: Buffer[] = [];
          for (const fields of entries)
            fields.forEach((f, n) => {
              parts.push(
                leadingNewlines && n === 0 ? Buffer.concat([Buffer.from("\n"), f]) : f,
                Buffer.from([0]),
              );
            });
          let buf = Buffer.concat(parts);
          if (truncate && buf.length > 0) buf = buf.subarray(0, cut % buf.length);
          const got = run(parseRawZ, buf);
          expect(got).toEqual(run(parseRawZFields, buf));
          if (Array.isArray(got)) {
            parsed++;
            listed += got.length;
          }
        },
      ),
      { numRuns: 6000 },
    );
    // Not vacuous: many listings parse, with entries, as well as many that are refused.
    expect(parsed).toBeGreaterThan(400);
    expect(listed).toBeGreaterThan(400);
    expect(parsed).toBeLessThan(5400);
  });

  it("reads a well-formed listing (not vacuous)", () => {
    const a = "a".repeat(40);
    const buf = Buffer.from(
      `:000000 100644 ${"0".repeat(40)} ${a} A\0x.yaml\0:100644 100644 ${a} ${a} R090\0o\0n\0`,
    );
    expect(parseRawZ(buf).map((e) => [e.status, e.srcPath, e.path, e.score])).toEqual([
      ["A", "x.yaml", "x.yaml", undefined],
      ["R", "o", "n", 90],
    ]);
  });
});
