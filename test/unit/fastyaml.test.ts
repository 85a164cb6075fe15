/**
 * The YAML fast path (src/sops/fastyaml.ts) against the full reader (the `yaml`
 * package): on every YAML/JSON fixture, every spelling of the issue #12 generator and
 * thousands of seeded random and mutated manifests, the fast path either declines or
 * builds exactly the tree the full reader builds (kinds, keys, types, bytes, styles,
 * comments and their positions, key order), and it never accepts what the full reader
 * refuses. The comparison itself is shown to catch planted differences, and the fast
 * path is shown to take most real manifests (a path that declines everything would
 * pass the rest vacuously).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_LIMITS,
  decodeText,
  goYamlLines,
  parseYamlFast,
  parseYamlFull,
} from "../../src/sops/parse.js";
import type { TreeDoc } from "../../src/sops/tree.js";
import { renderSpelling, spellingParts } from "../helpers/spellings.js";

/** Seeds of the random test (FASTYAML_SEEDS=50000 for a long run). */
const SEEDS = Number(process.env.FASTYAML_SEEDS ?? 2500);
/** The long run takes minutes on a busy machine. */
const LONG_TIMEOUT = Math.max(30_000, SEEDS * 4);
const FIXTURES = path.resolve(import.meta.dirname, "..", "fixtures");
const BYPASS = path.resolve(import.meta.dirname, "..", "bypass");

/** Every own key in order (undefined values included), Buffers by content. */
function canon(x: unknown): string {
  if (Buffer.isBuffer(x)) return `buf:${x.toString("hex")}`;
  if (Array.isArray(x)) return `[${x.map(canon).join(",")}]`;
  if (x && typeof x === "object") {
    const proto = Object.getPrototypeOf(x);
    const tag = proto === Object.prototype || proto === null ? "" : `${proto?.constructor?.name}`;
    return `${tag}{${Object.keys(x)
      .map((k) => `${JSON.stringify(k)}:${canon((x as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return x === undefined ? "undefined" : JSON.stringify(x);
}

type Outcome = { kind: "declined" } | { kind: "same" } | { kind: "differ"; why: string };

/** The fast path on text, against the full reader. */
function differential(text: string, plant?: (docs: TreeDoc[]) => void): Outcome {
  const fast = parseYamlFast(text, DEFAULT_LIMITS);
  if (!fast) return { kind: "declined" };
  if (plant) plant(fast);
  let full: TreeDoc[];
  try {
    full = parseYamlFull(text, DEFAULT_LIMITS);
  } catch (e) {
    return {
      kind: "differ",
      why: `full reader refuses it (${(e as Error).message}), fast accepts`,
    };
  }
  const a = canon(fast);
  const b = canon(full);
  if (a === b) return { kind: "same" };
  let at = 0;
  while (a[at] === b[at]) at++;
  return {
    kind: "differ",
    why: `fast …${a.slice(Math.max(0, at - 120), at + 80)}\nfull …${b.slice(Math.max(0, at - 120), at + 80)}`,
  };
}

/** As parseFile prepares YAML text; undefined when it is refused before parsing. */
function prepared(bytes: Uint8Array): string | undefined {
  try {
    return goYamlLines(decodeText(bytes));
  } catch {
    return undefined;
  }
}

function check(text: string, label: string, tally: Record<string, number>): void {
  const o = differential(text);
  tally[o.kind] = (tally[o.kind] ?? 0) + 1;
  if (o.kind === "differ") {
    throw new Error(`${label}: fast path and full reader differ\n${o.why}\n--- input:\n${text}`);
  }
}

/** Every one of cases is taken by the fast path, and the full reader builds the same tree. */
function expectTaken(cases: string[]): void {
  const tally: Record<string, number> = {};
  for (const c of cases) check(c, JSON.stringify(c), tally);
  expect(tally.same).toBe(cases.length);
}

/** The fast path declines every one of cases (the full reader decides; it refuses some). */
function expectDeclined(cases: string[]): void {
  for (const c of cases) expect(parseYamlFast(c), JSON.stringify(c)).toBeUndefined();
}

/** The fast path's value of the first key of text, when it is a scalar. */
function value(text: string) {
  const item = parseYamlFast(text)![0]!.root.items[0]!;
  return item.kind === "item" && item.value.kind === "leaf" ? item.value : undefined;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ya?ml|json)$/i.test(name)) out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------- generated manifests

/** mulberry32: a small seeded generator, so every failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [
  "apiVersion",
  "kind",
  "metadata",
  "name",
  "namespace",
  "labels",
  "data",
  "stringData",
  "spec",
  "type",
  "a",
  "b",
  "c",
  "app.kubernetes.io/name",
  "sops",
  "password",
  "key with space",
  "'quoted'",
  '"dq"',
  "'it''s'",
  '"e\\"s"',
  "true",
  "1",
  "null",
  "~",
  "<<",
  "-x",
  "a:b",
  "x#y",
  "2001-01-01",
  "0x1F",
  "é",
  "on",
  "yes",
  "'true'",
  "[a]",
  "a]",
  "k,v",
  "?q",
  "&a",
  "*b",
  "!t",
  "%p",
  "@r",
  "`b",
  "a #c",
  "x ",
  '"\\u0041"',
  "'multi",
  ".5",
];
const SCALARS = [
  "[]",
  "{}",
  "Secret",
  "v1",
  "app",
  "1",
  "017",
  "0o17",
  "0b101",
  "1_000",
  "3.14",
  ".5",
  "1e3",
  "-1",
  "+1",
  "0x1F",
  "true",
  "False",
  "TRUE",
  "yes",
  "no",
  "on",
  "null",
  "~",
  "Null",
  ".inf",
  "-.Inf",
  ".NaN",
  "2001-12-14",
  "2001-12-14t21:59:43.10-05:00",
  "2001-12-14 21:59:43.10",
  "12:30",
  "1:2:3",
  "'single'",
  "'it''s'",
  "''",
  '""',
  '"dq"',
  '"a\\"b"',
  '"a\\\\b"',
  '"x\\ny"',
  '"t\\tab"',
  '"\\/"',
  '"\\x41"',
  '"\\u00e9"',
  '"unterminated',
  "'open",
  "http://example.com/a?b=c#frag",
  "a#b",
  "a #comment",
  "a: b",
  "a:b",
  "trailing:",
  "- x",
  "-x",
  "--x",
  "[1, 2]",
  "{a: 1}",
  "a,b",
  "a]b",
  "&anc v",
  "*ali",
  "!!str 1",
  "!tag x",
  "|",
  "|-\n  block",
  ">\n  folded",
  "@no",
  "`no",
  "%no",
  "?no",
  ":no",
  "é ü 中文",
  "😀",
  "ENC[AES256_GCM,data:abc=,iv:def=,tag:ghi=,type:str]",
  "c2VjcmV0",
  "a  b",
  "x ",
  "CANARY-fast-1",
  "[ ]",
  "[]x",
  "{}}",
  "[] # c",
];
/** Anchor and alias names: a few, so aliases often find their anchor (and sometimes do not). */
const NAMES = ["a", "app", "port", "x.y", "a-b_1"];
const FLOW_ITEMS = [
  "a",
  "1",
  "true",
  "null",
  "~",
  '"ALL"',
  "'x y'",
  '""',
  "--flag",
  "-1",
  "0x1F",
  "a b",
  "é",
  '"a\\"b"',
  "a:b",
  "a: b",
  "*a",
  "&a x",
  "#",
  "a #b",
  "",
  "'it''s'",
];
const SEPS = [", ", ",", " , ", ",  "];

/** A one-line flow collection, mostly of plain and quoted scalars, sometimes nested or odd. */
function genFlow(r: () => number, depth = 0): string {
  const isMap = r() < 0.35;
  const n = Math.floor(r() * 4);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = depth < 2 && r() < 0.15 ? genFlow(r, depth + 1) : pickMostly(r, FLOW_ITEMS, 14);
    parts.push(isMap ? `${pickMostly(r, KEYS, 12)}${i}: ${v}` : v);
  }
  const pad = r() < 0.3 ? " " : "";
  let body = parts.join(pick(r, SEPS));
  if (r() < 0.04) body += ",";
  return isMap ? `{${pad}${body}${pad}}` : `[${pad}${body}${pad}]`;
}

/**
 * A quoted scalar over several lines, continued at `indent` (mostly), blank lines between:
 * single-quoted, or (one in two) double-quoted with escapes, some at a line's end.
 */
function genMultiQuoted(r: () => number, indent: number): string {
  const dq = r() < 0.5;
  const words = dq
    ? [
        "APIVersion defines",
        "the schema",
        'a \\"b\\" c',
        "a: b",
        "# not a comment",
        "- x",
        "",
        "  ",
        "tab\\there",
        "space at end\\ ",
        "line\\n",
        "back\\\\",
        "escaped break\\",
        "\\x41",
        "it's",
      ]
    : ["APIVersion defines", "the schema", "it''s", "a: b", "# not a comment", "- x", "", "  "];
  const n = 2 + Math.floor(r() * 3);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = pickMostly(r, words, dq ? 11 : 6);
    const at = i === 0 ? "" : " ".repeat(Math.max(0, indent + pickMostly(r, [2, 4, 0, 1, -2], 2)));
    out.push(`${at}${w}${r() < 0.2 ? " " : ""}`);
  }
  const q = dq ? '"' : "'";
  return `${q}${out.join("\n")}${q}`;
}

/** Words of multi-line plain scalars: mostly text, sometimes what the fast path declines. */
const PLAIN_WORDS = [
  "VolumeSnapshotClass should be deleted",
  "and another line",
  "x",
  "1",
  "true",
  "null",
  '"quoted" start',
  "{braces} [brackets], commas",
  "'single' start",
  "&amp *star !bang |pipe >gt %pct @at `tick",
  "a:b http://x/y?z=1#frag",
  "--flag -x",
  "",
  "trailing  ",
  "a: b",
  "trailing:",
  "x #comment",
  "# comment line",
  "- item",
  "? q",
  ": c",
  "---",
  "... dots",
  "  ",
];

/**
 * A plain scalar over several lines (continued at `indent` + 1 or more, mostly), blank lines
 * and trailing spaces between; its first line is plain text.
 */
function genMultiPlain(r: () => number, indent: number): string {
  const n = 2 + Math.floor(r() * 4);
  const out: string[] = [pickMostly(r, ["ab", "The schema", "1", "true", "x y"], 4)];
  for (let i = 1; i < n; i++) {
    const w = pickMostly(r, PLAIN_WORDS, 13);
    const at =
      w === "" ? "" : " ".repeat(Math.max(0, indent + pickMostly(r, [2, 4, 1, 3, 0, -2], 4)));
    out.push(`${at}${w}${r() < 0.15 ? "  " : ""}`);
  }
  // The last line has text (a blank one would be the next item's trivia).
  if (out[out.length - 1] === "") out.push(`${" ".repeat(indent + 2)}end`);
  return out.join("\n");
}

/** A value of the shapes real manifests add to the basics: anchors, aliases, flow, `--flags`. */
function genExtra(r: () => number, defined: string[], indent = 0): string {
  const x = r();
  const anchor = () => {
    const name = pick(r, NAMES);
    defined.push(name);
    return `&${name}`;
  };
  if (x > 0.9)
    return r() < 0.3 ? `${anchor()} ${genMultiQuoted(r, indent)}` : genMultiQuoted(r, indent);
  if (x < 0.25 || (x < 0.5 && defined.length === 0))
    return `${anchor()} ${pickMostly(r, SCALARS, 40)}`;
  // Mostly an anchor already defined (a collection's may still be open: then it is declined).
  if (x < 0.5) return `*${r() < 0.9 ? pick(r, defined) : pick(r, NAMES)}`;
  if (x < 0.85) return genFlow(r);
  if (x < 0.9) return `${anchor()} ${genFlow(r)}`;
  return pick(r, ["--flag", "--a=b", "-x", "--", "-- x", "-?", "-:x", "--config-file"]);
}

/** A value: mostly the everyday scalars, often one of genExtra's shapes. */
function genValue(r: () => number, extra: number, defined: string[], indent = 0): string {
  if (r() < 0.06) return genMultiPlain(r, indent);
  return r() < extra ? genExtra(r, defined, indent) : pickMostly(r, SCALARS, 40);
}

const COMMENTS = ["# c", "#", "#   spaced", "# - name: x", "#: colon", "#é", "# trailing  "];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** Mostly the everyday part of a pool (its first `common` entries), sometimes the odd rest. */
function pickMostly<T>(r: () => number, xs: readonly T[], common: number): T {
  return r() < 0.93 ? xs[Math.floor(r() * common)]! : pick(r, xs);
}

/** A random manifest-shaped document, k8s-style sequences and comments included. */
function genDoc(r: () => number, heavy: boolean, extra = 0.1): string {
  const lines: string[] = [];
  const defined: string[] = [];
  const k = heavy ? 4 : 1;
  const comment = (indent: number) => {
    for (let again = 0; again < (heavy ? 3 : 1); again++) {
      const n = r();
      if (n < 0.08 * k) lines.push(`${" ".repeat(indent)}${pick(r, COMMENTS)}`);
      else if (n < 0.11 * k)
        lines.push(
          `${" ".repeat(Math.max(0, indent + pick(r, [-4, -2, 2, 4])))}${pick(r, COMMENTS)}`,
        );
      else if (n < 0.14 * k) lines.push("");
    }
  };
  const node = (indent: number, depth: number, inSeq: boolean) => {
    const n = 1 + Math.floor(r() * 4);
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      let key = pickMostly(r, KEYS, 20);
      if (r() < 0.9 && used.has(key)) key = `${key}${i}`;
      used.add(key);
      comment(indent);
      const pad = " ".repeat(indent);
      const prefix = inSeq && i === 0 ? `${" ".repeat(Math.max(0, indent - 2))}- ` : pad;
      const inline = r() < 0.06 ? ` ${pick(r, COMMENTS)}` : "";
      const choice = r();
      let anchor = "";
      if (r() < extra / 2) {
        const name = pick(r, NAMES);
        defined.push(name);
        anchor = ` &${name}`;
      }
      if (depth < 4 && choice < 0.25) {
        lines.push(`${prefix}${key}:${anchor}${inline}`);
        node(indent + 2, depth + 1, false);
      } else if (depth < 4 && choice < 0.4) {
        lines.push(`${prefix}${key}:${anchor}${inline}`);
        const seqIndent = r() < 0.5 ? indent : indent + 2;
        const items = 1 + Math.floor(r() * 3);
        for (let k = 0; k < items; k++) {
          comment(seqIndent);
          if (r() < 0.4) {
            lines.push(
              `${" ".repeat(seqIndent)}- ${genValue(r, extra, defined, seqIndent)}${r() < 0.05 ? " # c" : ""}`,
            );
          } else {
            const before = lines.length;
            node(seqIndent + 2, depth + 1, true);
            if (lines.length === before) lines.push(`${" ".repeat(seqIndent)}- x`);
          }
        }
      } else if (choice < 0.45) {
        lines.push(`${prefix}${key}:${inline}`);
      } else if (choice < 0.55) {
        // a block scalar: mostly `|` / `|-`, sometimes what the fast path declines
        const header = pickMostly(r, ["|", "|-", "|+", ">", ">-", "|2", "| # c", "|  "], 2);
        lines.push(`${prefix}${key}: ${header}`);
        const inner = indent + pick(r, [2, 2, 2, 4, 1]);
        const n = 1 + Math.floor(r() * 4);
        for (let k = 0; k < n; k++) {
          const x = r();
          if (x < 0.1) lines.push("");
          else if (x < 0.2) lines.push(`${" ".repeat(inner)}# not a comment`);
          else if (x < 0.3) lines.push(`${" ".repeat(inner + 2)}deeper: ${k}`);
          else lines.push(`${" ".repeat(inner)}${pickMostly(r, SCALARS, 40)}`);
        }
        if (r() < 0.2) lines.push("");
      } else {
        lines.push(`${prefix}${key}: ${genValue(r, extra, defined, indent)}${inline}`);
      }
      if (inSeq && i === 0) inSeq = false;
    }
  };
  node(0, 0, false);
  return lines.join("\n");
}

function genFile(r: () => number, heavy = false, extra = 0.1): string {
  const docs: string[] = [];
  const n = r() < 0.7 ? 1 : 2 + Math.floor(r() * 2);
  for (let i = 0; i < n; i++) docs.push(genDoc(r, heavy, extra));
  let text = (r() < 0.3 ? "---\n" : "") + docs.join(r() < 0.8 ? "\n---\n" : "\n---\n# between\n");
  if (r() < 0.2) text = `${pick(r, COMMENTS)}\n${r() < 0.5 ? "\n" : ""}${text}`;
  if (r() < 0.1) text += "\n---";
  if (r() < 0.8) text += "\n";
  if (r() < 0.05) text += pick(r, COMMENTS);
  return text;
}

const NOISE = [
  " ",
  "  ",
  "\n",
  "-",
  "- ",
  ":",
  ": ",
  "#",
  " #",
  "'",
  '"',
  "\\",
  "\t",
  "\r\n",
  "---\n",
  "\n  ",
  "&",
  "*",
  "!",
  "|",
  "[",
  "{",
  ",",
  "?",
  "\u00a0",
  "\ufeff",
  "...\n",
  "%",
  "é",
];

function mutate(r: () => number, text: string): string {
  let t = text;
  const edits = 1 + Math.floor(r() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(r() * (t.length + 1));
    const op = r();
    if (op < 0.5) t = t.slice(0, at) + pick(r, NOISE) + t.slice(at);
    else if (op < 0.8) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 3));
    else {
      // swap two lines: indentation and order errors
      const ls = t.split("\n");
      const i = Math.floor(r() * ls.length);
      const j = Math.floor(r() * ls.length);
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      t = ls.join("\n");
    }
  }
  return t;
}

// ---------------------------------------------------------------- tests

describe("YAML fast path: the full reader's tree, or it declines", () => {
  it("every YAML and JSON fixture (all corpora, the bypass corpus too)", () => {
    const files = [...walk(FIXTURES), ...walk(BYPASS)];
    expect(files.length).toBeGreaterThan(300);
    const tally: Record<string, number> = {};
    for (const f of files) {
      const text = prepared(readFileSync(f));
      if (text === undefined) continue;
      check(text, path.relative(FIXTURES, f), tally);
      // The shapes scripts/fastyaml-declines.mjs found most declined in real histories
      // (anchors and aliases, one-line flow collections, `--flags`): taken, not declined.
      if (f.includes(`${path.sep}fastyaml${path.sep}`))
        expect(differential(text).kind, path.relative(FIXTURES, f)).toBe("same");
    }
    // Not vacuous: the fast path takes most of them.
    console.log("fixtures", tally);
    expect(tally.same ?? 0).toBeGreaterThan(150);
  });

  it("hand-picked comment, block scalar and document layouts", () => {
    const cases = [
      "a:\n  b: 1\n    # deeper after nested\nc: 2",
      "a:\n- x\n  # c\nb: 1",
      "a:\n  - x\n# c\n  - y",
      "l:\n- a: 1\n# c\n- b: 2",
      "a: 1\n\n\n# c\n\n\nb: 2",
      "# c\n---\na: 1",
      "---\n\n# c\n\na: 1\n---\n# d\nb: 1",
      "a: |\n  x\n\n  y\n\n\nb: 1",
      "a:\n  # c\n  - x",
      "a: # c\n  b: 1",
      "k:\n  a: 1\n  # t1\n # t2\nz: 1",
      "l:\n  - a: 1\n    # in\n  # out\n  - b\n",
      "a:\n  b:\n    c: 1\n  # mid\n    # deep\nd: 1\n",
      "x: 1\n#\n#\ny: 2\n",
      "a: 'x' # c\n    # deep\nb: 1",
      "a: |-\n  x\n  # y\nb: 1",
      "a: []\nb: {}\n",
      "a: &x v\nb: *x\nl:\n- &y [a, 'b', 1]\n# c\n- *y\n- {c: x}\n",
      "a: &x\n  b: &y\n    c: 1\n  d: *y\ne: *x\n",
      "l:\n# c\n- {a: 1}\n- --flag\n- -x: 1\n",
      "\u00e9: \u00fc\n",
      "a: \ud83d\ude00 x\n",
    ];
    expectTaken(cases);
    // What the full reader refuses, the fast path declines.
    for (const c of [
      "- a\n",
      "a: b\n- c\n",
      "a: 1\na: 2\n",
      "a: b: c\n",
      "1: x\n",
      "a: *x\n",
      "a: &x\n  b: *x\n",
      "c: [a, -]\n",
      "c: {a: -}\n",
    ]) {
      expect(parseYamlFast(c)).toBeUndefined();
      expect(() => parseYamlFull(c)).toThrow();
    }
    // What it does not handle, it declines (the full reader decides).
    for (const c of [
      "a:\tb\n",
      "a: [b,\n  c]\n",
      "a: [b, c,]\n",
      "a: [b: c]\n",
      "a: {b}\n",
      "a: &x\nb: *x\n",
      "a: !!str 1\n",
      "a: |+\n  f\n",
      "a: {b: 1,\n  c: 2}\n",
      "<<: {}\n",
      '"a\\x41": 1\n',
      "%YAML 1.2\n---\na: 1\n",
      "? a\n: b\n",
    ]) {
      expect(parseYamlFast(c), c).toBeUndefined();
      parseYamlFull(c);
    }
  });

  it("every spelling of the issue #12 generator", () => {
    const tally: Record<string, number> = {};
    fc.assert(
      fc.property(spellingParts, fc.boolean(), (parts, anchors) => {
        const text = prepared(renderSpelling(parts, anchors));
        if (text !== undefined) check(text, JSON.stringify(parts), tally);
      }),
      { numRuns: 600, seed: 12 },
    );
    expect(tally.same ?? 0).toBeGreaterThan(20);
    expect(tally.declined ?? 0).toBeGreaterThan(20);
  });

  it(
    "seeded random manifests and their mutations",
    () => {
      const tally: Record<string, number> = {};
      const heavy: Record<string, number> = {};
      const extended: Record<string, number> = {};
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = rng(seed);
        // Every fourth file is comment-heavy: comment placement is the subtle part; every
        // third is rich in anchors, aliases and flow collections.
        const text = genFile(r, seed % 4 === 0, seed % 3 === 0 ? 0.45 : 0.05);
        const t = seed % 4 === 0 ? heavy : tally;
        const before = t.same ?? 0;
        check(text, `generated seed ${seed}`, t);
        // Taken with an alias, an anchor or a non-empty flow collection in it.
        if ((t.same ?? 0) > before && /: \*|- \*|&\w|[[{] ?[^\]} ]/.test(text))
          extended.same = (extended.same ?? 0) + 1;
        if ((t.same ?? 0) > before && /: '[^'\n]*\n/.test(text))
          extended.multiline = (extended.multiline ?? 0) + 1;
        if ((t.same ?? 0) > before && /: "[^"\n]*\n/.test(text))
          extended.multidq = (extended.multidq ?? 0) + 1;
        if (
          (t.same ?? 0) > before &&
          /(: |- )(ab|The schema|1|true|x y)\n( *\n)* +[^ #-]/.test(text)
        )
          extended.multiplain = (extended.multiplain ?? 0) + 1;
        for (let m = 0; m < 2; m++) check(mutate(r, text), `mutated seed ${seed}.${m}`, tally);
      }
      console.log("generated", tally, "comment-heavy", heavy, "anchors, aliases, flow", extended);
      expect(heavy.same ?? 0).toBeGreaterThan(SEEDS / 20);
      expect(extended.same ?? 0).toBeGreaterThan(SEEDS / 20);
      expect(extended.multiline ?? 0).toBeGreaterThan(SEEDS / 500);
      expect(extended.multidq ?? 0).toBeGreaterThan(SEEDS / 1000);
      expect(extended.multiplain ?? 0).toBeGreaterThan(SEEDS / 50);
      expect(tally.same ?? 0).toBeGreaterThan(SEEDS * 0.4);
      expect(tally.declined ?? 0).toBeGreaterThan(SEEDS / 5);
    },
    LONG_TIMEOUT,
  );

  it("hand-picked plain scalars over several lines", () => {
    const cases = [
      "a: b\n  c\n",
      // blank lines between: n blank lines are n line breaks
      "a: b\n\n  c\n\n\n  d\ne: 1\n",
      // trailing spaces, on every line and the last
      "a: b  \n  c  \n  d \ne: 1\n",
      // comments after it, at or under the collection's indentation
      "a: b\n  c\n# x\nd: 1\n",
      "a: b\n\n  c\n\n# x\n\nd: 1\n",
      "m:\n  a: b\n    c\n  # x\n  d: 1\n",
      // deeper and uneven continuation lines
      "a:\n  b: x\n      y\n   z\n  c: 1\n",
      "a: b\n c\n",
      // sequences of multi-line items, indentless and indented, and mappings in them
      "l:\n- a\n  b\n- c\n\n  d\n  e\n- f\n",
      "l:\n- a\n b\n",
      "l:\n  - a\n   b\n  - k: v\n     w\n    j: x\n      y\n",
      "x:\n- k: v\n   c\n",
      // nested mappings after it, the value then a dedented key
      "a: b\n  c\nd:\n  e: f\n    g\n  h:\n    i: 1\n",
      "a:\n  b: x\n    y\nc: 1",
      "a:\n  b:\n    c: x\n      y\nd: 1\n",
      // the last line of the file without a line break
      "a: b\n  c",
      "a: b\n  c  ",
      "a: b\n  c\n\n",
      // typing of the folded text, as the full reader types it
      "a: 1\n  2\n",
      "a: true\n  x\n",
      "a: null\n  x\n",
      "a: 1\n\n  2\n",
      "a: 2001-12-14\n  21:59:43.10\n",
      "a: ~\n  ~\n",
      // indicators after the first line are text in block context
      "a: b\n  \"c\" {d} [e], 'f' &g *h !i |j >k %l @m `n\n",
      // a document marker is one only at the start of a line: indented, it is text
      "a: b\n  --- c\n  ... d\n  ---\n  ...\n",
      "m:\n  a: b\n      --- c\n",
      "a: b\n  c:d http://x/y#z --flag -x\n",
      // anchored, and aliased
      "a: &x b\n  c\nd: *x\n",
      "l:\n- &y a\n  b\n- *y\n",
      // beside the other shapes
      "a: b\n  c\nd: |\n  e\n  f\ng: 'h\n  i'\nj: [k]\n---\nm: n\n  o\n",
    ];
    expectTaken(cases);
    // The folding, spelled out (the full reader agrees, above).
    expect(value("a: b  \n\n\n  c \n  d\n")?.str).toBe("b\n\nc d");
    expect(value("a: 1\n  2\n")?.type).toBe("str");
    expect(value("a: true\n  x\n")?.type).toBe("str");
    expect(value("a: x\n\n  y\n")?.pos).toEqual({ line: 1, column: 4 });
    // Declined (the full reader decides; it refuses some of them).
    expectDeclined([
      "a: b\n  c: d\n",
      "a: b\n  c:\n",
      "a: b\n  c # x\nd: 1\n",
      "a: b\n  c\n  # x\nd: 1\n",
      "a: b\n  # x\n  c\n",
      "a: b # x\n  c\n",
      "a: b\n  - c\n",
      "a: b\n  -\n",
      "a: b\n  ? c\n",
      "a: b\n  : c\n",
      "a: b\n   \n  c\n",
      "a:\n  b\n  c\n",
      "a: 'b'\n  c\n",
      'a: "b"\n  c\n',
      "a: b\n\tc\n",
      "a: b\r\n  c\r\n",
      "a\n  b: c\n",
      "a: [b]\n  c\n",
      "a: *x\n  c\n",
      "l:\n  - a\n  b\n",
      "x:\n  - k: v\n    c\n",
    ]);
  });

  it("hand-picked folded block scalars", () => {
    const cases = [
      "a: >\n  f\n",
      "a: >-\n  f\n",
      // lines fold to spaces; n blank lines are n line breaks; trailing spaces are text
      "a: >\n  x\n  y\n\n  z\n\n\n  w  \n  v\nb: 1\n",
      "a: >-\n  x\n  y\n\nb: 1\n",
      // the chomping: trailing blank lines, then the end of the file or a comment
      "a: >\n  x\n\n\n",
      "a: >-\n  x\n\n# c\nb: 1\n",
      "a: >\n  x\n# c\n",
      // what is text inside it
      "a: >\n  # not a comment\n  - x: y\n  'q' \"r\" [s] {t} &u *v !w |x >y %z @ `\n",
      // deeper, its indentation found from its first line
      "m:\n  a: >\n      x\n      y\n  b: >-\n    z\nc: 1\n",
      "l:\n- k: >\n    x\n    y\n  j: 1\n",
      // beside the other shapes, in several documents
      "a: |\n  x\n   y\nb: >\n  z\n  w\n---\nc: >-\n  v\n",
      // as sequence items, indentless and indented, beside other items
      "l:\n- >\n  x\n- |-\n  y\n   z\n- >-\n    w\n    v\n- b\n",
      "l:\n  - |\n    x\n  - c: >\n      d\n",
      "l:\n- |\n x\n",
      // more-indented lines keep their line breaks, and the one before blank lines before them
      "a: >\n  x\n    y\n  z\n",
      "a: >\n  x\n\n    y\n\n  z\n\n\n    w\n     v\n  u\n",
      "a: >-\n  x\n    y\n",
      // a comment more indented after it
      "a: >\n  x\n    # c\nb: 1\n",
    ];
    expectTaken(cases);
    expect(value("a: >\n  x\n  y\n\n  z\n\n\n  w  \n  v\nb: 1\n")?.str).toBe("x y\nz\n\nw   v\n");
    expect(value("a: >-\n  x\n  y\n\nb: 1\n")?.str).toBe("x y");
    expect(value("a: >\n  x\n\n    y\n  z\n")?.str).toBe("x\n\n  y\nz\n");
    // Declined (the full reader decides).
    expectDeclined([
      // a blank line of spaces
      "a: >\n  x\n   \n  y\n",
      // leading blank lines, keep chomping, indentation digits, a comment on the header
      "a: >\n\n  x\n",
      "a: >+\n  x\n",
      "a: >2\n  x\n",
      "a: >-2\n  x\n",
      "a: > # c\n  x\n",
      "a: >\n  x",
      // empty, or not more indented than its sequence
      "a: >\nb: 1\n",
      "l:\n  - |\n  x\n",
    ]);
  });

  it("generated folded and literal block scalars in generated manifests (fast-check)", () => {
    const line = fc.oneof(
      {
        arbitrary: fc.constantFrom(
          "text",
          "two words",
          "# c",
          "- x",
          "a: b",
          "'q' \"r\"",
          "trail  ",
          "x #y",
          "---",
          "...",
        ),
        weight: 20,
      },
      { arbitrary: fc.constantFrom("", "", " more", "   deeper", "  "), weight: 6 },
    );
    const block = fc.record({
      header: fc.constantFrom(">", ">", ">-", ">-", "|", "|-", ">+", "> "),
      first: fc.constantFrom(2, 2, 2, 4, 1),
      lines: fc.array(line, { minLength: 1, maxLength: 6 }),
      trailBlanks: fc.constantFrom(0, 0, 0, 1, 2),
    });
    const doc = fc.record({
      where: fc.constantFrom("root", "nested", "seqmap", "seq0", "seq2"),
      blocks: fc.array(block, { minLength: 1, maxLength: 3 }),
      after: fc.constantFrom("", "key", "comment", "deepcomment", "doc", "nestedkey"),
    });
    type Doc = typeof doc extends fc.Arbitrary<infer T> ? T : never;
    const render = (d: Doc): string => {
      const out = ["apiVersion: v1", "kind: Secret"];
      const [head, lead, indent] = {
        root: [[], (i: number) => `k${i}: `, 0],
        nested: [["stringData:"], (i: number) => `  k${i}: `, 2],
        seqmap: [["items:"], (i: number) => (i === 0 ? "- k0: " : `  k${i}: `), 2],
        seq0: [["items:"], () => "- ", 0],
        seq2: [["items:"], () => "  - ", 2],
      }[d.where] as [string[], (i: number) => string, number];
      out.push(...head);
      d.blocks.forEach((b, i) => {
        out.push(`${lead(i)}${b.header}`);
        const at = " ".repeat(indent + b.first);
        // The first line has text (else the block's indentation is another question).
        out.push(`${at}first`);
        for (const l of b.lines) out.push(l === "" ? "" : `${at}${l}`);
        for (let k = 0; k < b.trailBlanks; k++) out.push("");
      });
      const after: Record<string, string[]> = {
        "": [],
        key: ["z: 1"],
        comment: ["# after", "z: 1"],
        deepcomment: [`${" ".repeat(indent + 2)}# after`, "z: 1"],
        doc: ["---", "z: 1"],
        nestedkey: [`${" ".repeat(indent)}z: 1`],
      };
      out.push(...after[d.after]!);
      return `${out.join("\n")}\n`;
    };
    const tally: Record<string, number> = {};
    fc.assert(
      fc.property(doc, (d) => {
        check(render(d), "generated block scalars", tally);
      }),
      { numRuns: 3000, seed: 1202 },
    );
    console.log("block scalars", tally);
    expect(tally.same ?? 0).toBeGreaterThan(600);
    expect(tally.declined ?? 0).toBeGreaterThan(300);
  });

  it("hand-picked double-quoted scalars over several lines", () => {
    const cases = [
      'a: "b\n  c"\n',
      // blank lines between (spaces-only ones too): n blank lines are n line breaks
      'a: "b\n\n  c\n\n\n  d"\ne: 1\n',
      'a: "b\n   \n  c"\n',
      // spaces around the breaks are dropped; before the closing quote they are kept
      'a: "b  \n   c  \n  d "\ne: 1\n',
      'a: "  b\n  c"\n',
      'a: "b\n  "\n',
      'a: "b\n\n  "\n',
      // escapes, and a space or tab an escape writes before a break is kept
      'a: "x\\"y\\" \\\\ \\/\n  \\n\\t\\r z"\n',
      'a: "b\\ \n  c"\n',
      'a: "b\\t  \n  c"\n',
      'a: "b \\ \n  c"\n',
      // what is text inside the quotes: comments, indicators, quotes of the other kind
      "a: \"b\n  # c\n  - d: e\n  'f' [g] {h} &i *j !k |l >m %n @o `p\"\n",
      // after it: a comment, a key, a nested mapping, another document
      'a: "b\n  c" # x\nd: 1\n',
      'm:\n  a: "b\n    c"\n  d:\n    e: "f\n\n      g"\nh: 1\n---\ni: "j\n  k"\n',
      // deeper and uneven continuation lines, in sequences and mappings in them
      'a:\n  b: "x\n      y\n   z"\n  c: 1\n',
      'l:\n- "a\n  b"\n- c\n',
      'l:\n  - "a\n   b"\n  - k: "v\n     w"\n',
      // anchored, and aliased
      'a: &x "b\n  c"\nd: *x\n',
      // typing: never a number or a boolean
      'a: "1\n  2"\nb: "true\n  x"\n',
      // the last line of the file without a line break
      'a: "b\n  c"',
    ];
    expectTaken(cases);
    // The folding, spelled out (the full reader agrees, above).
    expect(value('a: "b  \n\n\n  c \n  d\\t \n  e "\n')?.str).toBe("b\n\nc d\t e ");
    expect(value('a: "1\n  2"\n')?.type).toBe("str");
    expect(value('a: "x\n\n  y"\n')?.pos).toEqual({ line: 1, column: 4 });
    // Declined (the full reader decides; it refuses some of them).
    expectDeclined([
      // an escaped line break, an escape it does not know
      'a: "b\\\n  c"\n',
      'a: "b\n  \\x41"\n',
      'a: "b\n  \\u0041"\n',
      // a continuation line not more indented than the collection
      'a: "b\nc"\n',
      'm:\n  a: "b\n  c"\n',
      'l:\n- "a\nb"\n',
      'a: "b\n---\n  c"\n',
      // unterminated, or text after it
      'a: "b\n  c\n',
      'a: "b\n  c" d\n',
      'a: "b\n  c"x\n',
      // a key over several lines
      '"a\n  b": c\n',
      // in a flow collection
      'a: ["b\n  c"]\n',
      // tabs and carriage returns
      'a: "b\n\t c"\n',
      'a: "b\r\n  c"\r\n',
    ]);
  });

  it("generated double-quoted scalars over several lines in generated manifests (fast-check)", () => {
    // Mostly text and escapes the fast path takes, sometimes what it declines.
    const word = fc.oneof(
      {
        arbitrary: fc.constantFrom(
          "text",
          "1 2",
          "a: b",
          "# c",
          "- d",
          "it's",
          '\\"q\\"',
          "\\\\",
          "\\/",
          "x\\ny",
          "\\t",
          "\\ ",
          "",
        ),
        weight: 40,
      },
      { arbitrary: fc.constantFrom("\\x41", "\\", "\\u00e9", "\\e", '"', "\\"), weight: 1 },
    );
    const more = fc.record({
      blanks: fc.constantFrom(0, 0, 0, 1, 2),
      blankSpaces: fc.constantFrom("", "", " ", "   "),
      shift: fc.constantFrom(1, 2, 2, 2, 2, 2, 4, 4, 6, 0),
      words: fc.array(word, { minLength: 1, maxLength: 3 }),
      lead: fc.constantFrom("", "", " "),
      trail: fc.constantFrom("", "", " ", "  "),
    });
    const quoted = fc.record({
      first: fc.array(word, { minLength: 0, maxLength: 3 }),
      firstTrail: fc.constantFrom("", "", "  "),
      lines: fc.array(more, { minLength: 1, maxLength: 5 }),
      anchor: fc.boolean(),
      rest: fc.constantFrom("", "", "", "", "", " # c", "  ", "", "", " x"),
    });
    const doc = fc.record({
      where: fc.constantFrom("root", "nested", "seq0", "seq2", "seqmap"),
      scalars: fc.array(quoted, { minLength: 1, maxLength: 3 }),
      after: fc.constantFrom("", "key", "nestedkey", "comment", "deepcomment", "blank", "doc"),
      finalBreak: fc.boolean(),
    });
    type Doc = typeof doc extends fc.Arbitrary<infer T> ? T : never;
    const render = (d: Doc): string => {
      const out = ["apiVersion: v1", "kind: Secret"];
      const [head, lead, indent] = {
        root: [[], (i: number) => `k${i}: `, 0],
        nested: [["stringData:"], (i: number) => `  k${i}: `, 2],
        seq0: [["items:"], () => "- ", 0],
        seq2: [["items:"], () => "  - ", 2],
        seqmap: [["items:"], (i: number) => (i === 0 ? "- k0: " : `  k${i}: `), 2],
      }[d.where] as [string[], (i: number) => string, number];
      out.push(...head);
      d.scalars.forEach((sc, i) => {
        const lines = [
          `${lead(i)}${sc.anchor ? `&a${i} ` : ""}"${sc.first.join(" ")}${sc.firstTrail}`,
        ];
        for (const l of sc.lines) {
          for (let b = 0; b < l.blanks; b++) lines.push(l.blankSpaces);
          lines.push(
            `${" ".repeat(Math.max(0, indent + l.shift))}${l.lead}${l.words.join(" ")}${l.trail}`,
          );
        }
        lines[lines.length - 1] += `"${sc.rest}`;
        out.push(...lines);
      });
      const after: Record<string, string[]> = {
        "": [],
        key: ["z: 1"],
        nestedkey: [`${" ".repeat(indent)}z: 1`],
        comment: ["# after", "z: 1"],
        deepcomment: [`${" ".repeat(indent + 2)}# after`, "z: 1"],
        blank: ["", "z: 1"],
        doc: ["---", "z: 1"],
      };
      out.push(...after[d.after]!);
      return out.join("\n") + (d.finalBreak ? "\n" : "");
    };
    const tally: Record<string, number> = {};
    fc.assert(
      fc.property(doc, (d) => {
        check(render(d), "generated multi-line double-quoted", tally);
      }),
      { numRuns: 3000, seed: 1227 },
    );
    console.log("multi-line double-quoted", tally);
    expect(tally.same ?? 0).toBeGreaterThan(600);
    expect(tally.declined ?? 0).toBeGreaterThan(300);
  });

  it("generated plain scalars over several lines in generated manifests (fast-check)", () => {
    // Mostly text the fast path takes (the first 13 words), sometimes what it declines.
    const word = fc.oneof(
      {
        arbitrary: fc.constantFrom(
          ...PLAIN_WORDS.slice(0, 12),
          "text",
          "1 2",
          "--- dashes first",
          "... dots first",
        ),
        weight: 12,
      },
      { arbitrary: fc.constantFrom(...PLAIN_WORDS), weight: 1 },
    );
    // One continuation line: its extra indentation (relative to the collection), text, spaces.
    const more = fc.record({
      blanks: fc.constantFrom(0, 0, 0, 1, 2),
      shift: fc.constantFrom(1, 2, 2, 2, 2, 2, 4, 4, 6, 0),
      text: word,
      trail: fc.constantFrom("", "", " ", "  "),
    });
    const plain = fc.record({
      first: fc.constantFrom("ab", "The schema", "1", "true", "null", "x y", "-x", "a#b"),
      firstTrail: fc.constantFrom("", "", "  "),
      lines: fc.array(more, { minLength: 1, maxLength: 5 }),
      anchor: fc.boolean(),
    });
    // Where it is: a value of a root key, of a nested key, an item of an indentless or an
    // indented sequence, a value in a mapping in a sequence item; what follows it.
    const doc = fc.record({
      where: fc.constantFrom("root", "nested", "seq0", "seq2", "seqmap", "seqmap2"),
      scalars: fc.array(plain, { minLength: 1, maxLength: 3 }),
      after: fc.constantFrom(
        "",
        "key",
        "nestedkey",
        "comment",
        "deepcomment",
        "blank",
        "doc",
        "seq",
      ),
      finalBreak: fc.boolean(),
    });
    const render = (d: {
      where: string;
      scalars: Array<{
        first: string;
        firstTrail: string;
        lines: Array<{ blanks: number; shift: number; text: string; trail: string }>;
        anchor: boolean;
      }>;
      after: string;
      finalBreak: boolean;
    }): string => {
      const out = ["apiVersion: v1", "kind: ConfigMap"];
      const [head, lead, indent] = {
        root: [[], (i: number) => `k${i}: `, 0],
        nested: [["data:"], (i: number) => `  k${i}: `, 2],
        seq0: [["items:"], () => "- ", 0],
        seq2: [["items:"], () => "  - ", 2],
        seqmap: [["items:"], (i: number) => (i === 0 ? "- k0: " : `  k${i}: `), 2],
        seqmap2: [
          ["spec:", "  items:"],
          (i: number) => (i === 0 ? "    - k0: " : `      k${i}: `),
          6,
        ],
      }[d.where] as [string[], (i: number) => string, number];
      out.push(...head);
      d.scalars.forEach((sc, i) => {
        out.push(`${lead(i)}${sc.anchor ? `&a${i} ` : ""}${sc.first}${sc.firstTrail}`);
        for (const l of sc.lines) {
          for (let b = 0; b < l.blanks; b++) out.push("");
          out.push(`${" ".repeat(Math.max(0, indent + l.shift))}${l.text}${l.trail}`);
        }
      });
      const after: Record<string, string[]> = {
        "": [],
        key: ["z: 1"],
        nestedkey: [`${" ".repeat(indent)}z: 1`],
        comment: ["# after", "z: 1"],
        deepcomment: [`${" ".repeat(indent + 2)}# after`, "z: 1"],
        blank: ["", "z: 1"],
        doc: ["---", "z: 1"],
        seq: ["s:", "- a", "  b"],
      };
      out.push(...after[d.after]!);
      return out.join("\n") + (d.finalBreak ? "\n" : "");
    };
    const tally: Record<string, number> = {};
    fc.assert(
      fc.property(doc, (d) => {
        const text = render(d);
        check(text, "generated multi-line plain", tally);
      }),
      { numRuns: 3000, seed: 715 },
    );
    console.log("multi-line plain", tally);
    expect(tally.same ?? 0).toBeGreaterThan(600);
    expect(tally.declined ?? 0).toBeGreaterThan(300);
  });

  it("the comparison catches a planted difference of every kind", () => {
    const text = [
      "# top",
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  # the name",
      "  name: app",
      "stringData:",
      "  password: 'CANARY-fast-2'",
      "  port: 8080",
      "list:",
      "- a",
      "",
    ].join("\n");
    expect(differential(text).kind).toBe("same");
    const plants: Array<(d: TreeDoc[]) => void> = [
      (d) => {
        const k = d[0]!.root.items[1]!;
        if (k.kind === "item" && k.keyPos) k.keyPos.column += 1;
      },
      (d) => {
        const c = d[0]!.root.items[0]!;
        if (c.kind === "comment") c.text += " ";
      },
      (d) => d[0]!.root.items.reverse(),
      (d) => {
        const s = d[0]!.root.items.find((i) => i.kind === "item" && i.key === "stringData");
        if (s?.kind === "item" && s.value.kind === "map") {
          const p = s.value.items.find((i) => i.kind === "item" && i.key === "port");
          if (p?.kind === "item" && p.value.kind === "leaf") p.value.type = "str";
        }
      },
      (d) => {
        const s = d[0]!.root.items.find((i) => i.kind === "item" && i.key === "stringData");
        if (s?.kind === "item" && s.value.kind === "map") {
          const p = s.value.items.find((i) => i.kind === "item" && i.key === "password");
          if (p?.kind === "item" && p.value.kind === "leaf") p.value.plainStyle = true;
        }
      },
      (d) => {
        const l = d[0]!.root.items.find((i) => i.kind === "item" && i.key === "list");
        if (l?.kind === "item" && l.value.kind === "seq") {
          const a = l.value.items[0];
          if (a?.kind === "leaf") a.plain = Buffer.from("b");
        }
      },
      (d) => {
        const m = d[0]!.root.items.find((i) => i.kind === "item" && i.key === "metadata");
        if (m?.kind === "item" && m.value.kind === "map") m.value.items.shift();
      },
      (d) => {
        (d[0]!.root as { pos?: unknown }).pos = undefined;
      },
    ];
    for (const plant of plants) expect(differential(text, plant).kind).toBe("differ");
    // A tree the full reader refuses is a difference too, not a decline.
    expect(() => check("a: 1\na: 2\n", "dup", {})).not.toThrow();
  });
});

describe("duplicate keys, in mappings of few keys and of many", () => {
  it("declines every duplicate, wherever it is, and reads the same mappings without one", () => {
    const tally: Record<string, number> = {};
    for (let n = 1; n <= 20; n++) {
      const keys = Array.from({ length: n }, (_, k) => `k${k}`);
      for (const nested of [false, true]) {
        const lines = (ks: string[]) =>
          ks.map((k, x) => `${x % 3 === 1 ? "# note\n" : ""}${nested ? "  " : ""}${k}: v${x}`);
        const wrap = (body: string[]) => `${nested ? "top:\n" : ""}${body.join("\n")}\n`;
        check(wrap(lines(keys)), `no dup, ${n} keys`, tally);
        for (let j = 0; j < n; j++) {
          for (const at of [j + 1, n]) {
            const ks = [...keys];
            ks.splice(at, 0, keys[j]!);
            const text = wrap(lines(ks));
            expect(parseYamlFast(text, DEFAULT_LIMITS), `${n} keys, k${j} again at ${at}`).toBe(
              undefined,
            );
          }
        }
      }
    }
    expect(tally.same).toBe(40);
  });
});
