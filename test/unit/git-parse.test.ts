import { describe, expect, it } from "vitest";
import { GitError } from "../../src/errors.js";
import { HistoryLogParser, parseHistoryLog } from "../../src/git/log.js";
import {
  isNullOid,
  isOid,
  parseLsFilesStageZ,
  parseLsTreeZ,
  parseRawZ,
} from "../../src/git/parse.js";

const Z = "0".repeat(40);
const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

/** Build a -z buffer from fields (each gets its NUL terminator). */
const z = (...fields: (string | Buffer)[]): Buffer =>
  Buffer.concat(
    fields.flatMap((f) => [Buffer.isBuffer(f) ? f : Buffer.from(f, "utf8"), Buffer.from([0])]),
  );

const TRICKY_PATHS = [
  "plain.yaml",
  "with space.yaml",
  `quo"te's.yaml`,
  "new\nline.yaml",
  "tab\there.yaml",
  "é/日本.yaml",
  "-starts-with-dash.yaml",
  ":colon-first.yaml",
  "trailing-space ",
  "\\back\\slash",
  A, // a path that looks like an object id
];

describe("parseRawZ (git diff --raw -z --no-abbrev)", () => {
  it.each([
    ["M", `:100644 100644 ${A} ${B} M`, ["x.yaml"], { status: "M", srcBlob: A, dstBlob: B }],
    ["A", `:000000 100644 ${Z} ${B} A`, ["x.yaml"], { status: "A", srcMode: "000000" }],
    ["D", `:100644 000000 ${A} ${Z} D`, ["x.yaml"], { status: "D", dstMode: "000000" }],
    ["T", `:120000 100644 ${A} ${B} T`, ["x.yaml"], { status: "T", srcMode: "120000" }],
    [
      "R",
      `:100644 100644 ${A} ${B} R087`,
      ["old.yaml", "x.yaml"],
      { status: "R", score: 87, srcPath: "old.yaml", dstPath: "x.yaml" },
    ],
    [
      "C",
      `:100755 100755 ${A} ${A} C100`,
      ["src.yaml", "x.yaml"],
      { status: "C", score: 100, srcPath: "src.yaml", dstMode: "100755" },
    ],
  ])("status %s", (_name, header, paths, expected) => {
    const [entry] = parseRawZ(z(header, ...paths));
    expect(entry).toMatchObject({ ...expected, path: "x.yaml" });
    expect(entry!.pathBytes.toString("utf8")).toBe("x.yaml");
  });

  it("parses a sequence of mixed entries", () => {
    const buf = z(
      `:000000 100644 ${Z} ${A} A`,
      "a",
      `:100644 100644 ${A} ${B} R100`,
      "b",
      "c",
      `:100644 100644 ${B} ${C} M`,
      "d",
    );
    expect(parseRawZ(buf).map((e) => [e.status, e.path])).toEqual([
      ["A", "a"],
      ["R", "c"],
      ["M", "d"],
    ]);
  });

  it.each(TRICKY_PATHS)("keeps path %j byte-exact", (p) => {
    const [entry] = parseRawZ(z(`:100644 100644 ${A} ${B} M`, p));
    expect(entry!.path).toBe(p);
    expect(entry!.pathBytes.equals(Buffer.from(p, "utf8"))).toBe(true);
  });

  it("keeps non-UTF-8 path bytes in pathBytes", () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x79, 0x61, 0x6d, 0x6c]); // "café.yaml" in Latin-1
    const [entry] = parseRawZ(z(`:000000 100644 ${Z} ${A} A`, latin1));
    expect(entry!.pathBytes.equals(latin1)).toBe(true);
    expect(entry!.path).toBe("caf\uFFFD.yaml");
  });

  it("parses combined (merge) entries", () => {
    const [entry] = parseRawZ(z(`::100644 100644 100644 ${A} ${B} ${C} MM`, "merged.yaml"));
    expect(entry).toMatchObject({
      status: "M",
      dstBlob: C,
      dstMode: "100644",
      path: "merged.yaml",
      parents: [
        { mode: "100644", blob: A, status: "M" },
        { mode: "100644", blob: B, status: "M" },
      ],
    });
  });

  it("accepts SHA-256 ids", () => {
    const long = "f".repeat(64);
    const [entry] = parseRawZ(z(`:000000 100644 ${"0".repeat(64)} ${long} A`, "x"));
    expect(entry!.dstBlob).toBe(long);
  });

  it("returns [] for empty output", () => {
    expect(parseRawZ(Buffer.alloc(0))).toEqual([]);
  });

  it.each([
    ["no colon", z(`100644 100644 ${A} ${B} M`, "x")],
    ["too few fields", z(`:100644 ${A} ${B} M`, "x")],
    ["unknown status", z(`:100644 100644 ${A} ${B} Q`, "x")],
    ["missing path", z(`:100644 100644 ${A} ${B} M`)],
    ["missing rename target", z(`:100644 100644 ${A} ${B} R100`, "old")],
  ])("throws GitError on malformed input: %s", (_name, buf) => {
    expect(() => parseRawZ(buf)).toThrow(GitError);
  });
});

describe("parseHistoryLog (the one log walk of history and --range)", () => {
  const head = (id: string, parents: string[]) =>
    `\x01${id} ${parents.join(" ")}\x00${1_700_000_000}\x002023-11-14T22:13:20+00:00\x00Dev\x00`;
  it("parses commits, parents, entries (tricky paths) and empty commits as git prints them", () => {
    const c1 = "1".repeat(40);
    const c2 = "2".repeat(40);
    const e = "4".repeat(40);
    const buf = Buffer.concat([
      Buffer.from(
        `${head(c1, [])}\n:000000 100644 ${Z} ${A} A\0a\0:000000 100644 ${Z} ${B} A\0b c\0`,
      ),
      Buffer.from(`${head(c2, [c1])}\n:100644 100644 ${A} ${C} M\0new\nline\0`),
      Buffer.from(head(e, [c2])),
    ]);
    const commits = parseHistoryLog(buf);
    expect(
      commits.map((c) => [c.id, c.parents, c.entries.map((x) => [x.status, x.path, x.dstBlob])]),
    ).toEqual([
      [
        c1,
        [],
        [
          ["A", "a", A],
          ["A", "b c", B],
        ],
      ],
      [c2, [c1], [["M", "new\nline", C]]],
      [e, [c2], []],
    ]);
  });

  it("does not mistake a path that looks like a commit id for a commit", () => {
    const c1 = "1".repeat(40);
    const commits = parseHistoryLog(
      Buffer.from(`${head(c1, [])}\n:000000 100644 ${Z} ${A} A\0${B}\0`),
    );
    expect(commits).toHaveLength(1);
    expect(commits[0]!.entries[0]!.path).toBe(B);
  });

  it("parses the same whatever the chunks the output arrives in (walkLog streams it)", () => {
    const c1 = "1".repeat(40);
    const c2 = "2".repeat(40);
    const bufs = [
      Buffer.from(
        `${head(c1, [])}\n:000000 100644 ${Z} ${A} A\0a\0:000000 100644 ${Z} ${B} R100\0old\0new\0${head(c2, [c1])}\n:100644 100644 ${A} ${C} M\0\0`,
      ),
      // cut short: a header without its date and author, a rename without its new name
      Buffer.from(`${head(c1, [])}:000000 100644 ${Z} ${A} C100\0only`),
      Buffer.from(`\x01${c1}\x001700000000`),
    ];
    for (const buf of bufs) {
      const whole = parseHistoryLog(buf);
      for (const size of [1, 2, 3, 7, 64]) {
        const parser = new HistoryLogParser();
        for (let i = 0; i < buf.length; i += size) parser.feed(buf.subarray(i, i + size));
        expect(parser.end()).toEqual(whole);
      }
    }
    const bad = Buffer.from(`${head(c1, [])}:000000 100644 ${Z} ${A} A\0`);
    expect(() => parseHistoryLog(bad)).toThrow(GitError);
    const parser = new HistoryLogParser();
    for (let i = 0; i < bad.length; i++) parser.feed(bad.subarray(i, i + 1));
    expect(() => parser.end()).toThrow(GitError);
  });

  it("throws GitError on garbage, never quoting more than a short excerpt", () => {
    expect(() => parseHistoryLog(Buffer.from("not a commit\0"))).toThrow(GitError);
    expect(() => parseHistoryLog(Buffer.from(`:000000 100644 ${Z} ${A} A\0a\0`))).toThrow(GitError);
  });
});

describe("parseLsFilesStageZ (git ls-files -s -z)", () => {
  it("parses mode, blob, stage and tricky paths", () => {
    const buf = z(
      ...TRICKY_PATHS.map((p, i) => `100644 ${A} 0\t${p}`.replace(" 0\t", ` ${i % 4}\t`)),
    );
    const entries = parseLsFilesStageZ(buf);
    expect(entries.map((e) => e.path)).toEqual(TRICKY_PATHS);
    expect(entries.map((e) => e.stage)).toEqual(TRICKY_PATHS.map((_, i) => i % 4));
    expect(entries[0]).toMatchObject({ mode: "100644", blob: A });
  });

  it("splits at the first tab only (tabs in paths)", () => {
    const [e] = parseLsFilesStageZ(z(`120000 ${B} 0\ta\tb`));
    expect(e).toMatchObject({ mode: "120000", blob: B, stage: 0, path: "a\tb" });
  });

  it("throws GitError on malformed input", () => {
    expect(() => parseLsFilesStageZ(z("100644 abc no-tab"))).toThrow(GitError);
  });
});

describe("parseLsTreeZ (git ls-tree -r -z --full-tree)", () => {
  it("parses entries, including submodules and tricky paths", () => {
    const buf = z(
      `100644 blob ${A}\tdir/with space.yaml`,
      `160000 commit ${B}\tvendor/sub`,
      `120000 blob ${C}\tnew\nline`,
      `100755 blob ${A}     1234\tsized`, // --long
    );
    expect(parseLsTreeZ(buf).map((e) => [e.mode, e.type, e.blob, e.path])).toEqual([
      ["100644", "blob", A, "dir/with space.yaml"],
      ["160000", "commit", B, "vendor/sub"],
      ["120000", "blob", C, "new\nline"],
      ["100755", "blob", A, "sized"],
    ]);
  });
});

describe("oid helpers", () => {
  it("recognises full ids only", () => {
    expect(isOid(A)).toBe(true);
    expect(isOid("f".repeat(64))).toBe(true);
    expect(isOid("abc")).toBe(false);
    expect(isOid(`${A}\n`)).toBe(false);
    expect(isOid("A".repeat(40))).toBe(false);
    expect(isNullOid(Z)).toBe(true);
    expect(isNullOid(A)).toBe(false);
  });
});
