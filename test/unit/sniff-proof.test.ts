/**
 * provablyNotYamlObject (src/core/analyze.ts): a sniffed file of another name is skipped
 * without a parse only when the YAML reader would refuse it anyway. Over seeded random
 * texts of script, prose and YAML lines (and their mutations), whenever the proof holds the
 * reader kustomize's view uses (parseFile with non-string keys and sequence documents
 * allowed) throws; and the proof does hold for the files it is for (not vacuous).
 */
import { describe, expect, it } from "vitest";
import { provablyNotYamlObject } from "../../src/core/analyze.js";
import { parseFile } from "../../src/sops/parse.js";

const SEEDS = Number(process.env.FASTYAML_SEEDS ?? 2500);

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

const LINES = [
  "FROM node:20 AS build",
  "RUN npm ci",
  "set -euo pipefail",
  'echo "kind: Secret"',
  "<!DOCTYPE html>",
  "<html>",
  "$ kubectl get secret",
  "(a) b",
  "/usr/bin/env",
  "kind: Secret",
  "apiVersion: v1",
  "metadata:",
  "  name: x",
  "stringData:",
  "  password: CANARY-sniff-1",
  "- a",
  "- kind: Secret",
  "---",
  "...",
  "%YAML 1.2",
  "? a",
  ": b",
  "a [x]: b",
  "a {x: b}",
  "a:b",
  "a :b",
  "key",
  "1",
  "<<",
  "  indented",
  "\tx",
  "x\ty: z",
  "é: x",
  "a: é",
  "",
  "   ",
  "# comment",
  "  # indented comment",
  "#!/bin/sh",
  "# é",
  "a:",
  "a:   ",
  "a #: b",
  "[a, b]",
  "{a: 1}",
  "'q': x",
  '"q"',
  "&a x",
  "*a",
  "!tag x",
  "|",
  "data: |",
  "  line",
];
const BREAKS = ["\n", "\n", "\n", "\r\n", "\r", "\u0085", "\u2028"];

function genText(r: () => number): string {
  const n = 1 + Math.floor(r() * 6);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(LINES[Math.floor(r() * LINES.length)]!);
    out.push(r() < 0.9 ? "\n" : BREAKS[Math.floor(r() * BREAKS.length)]!);
  }
  let t = out.join("");
  if (r() < 0.1) t = `\ufeff${t}`;
  if (r() < 0.1) t = t.slice(0, -1);
  return t;
}

function refused(bytes: Uint8Array): boolean {
  try {
    parseFile(bytes, "yaml", undefined, { keepNonStringKeys: true, sequenceRoots: true });
    return false;
  } catch {
    return true;
  }
}

describe("provablyNotYamlObject: only what the YAML reader refuses", () => {
  it("seeded random texts: proven means refused", () => {
    let proven = 0;
    let parsedOk = 0;
    for (let seed = 1; seed <= SEEDS * 2; seed++) {
      const text = genText(rng(seed));
      const bytes = Buffer.from(text, "utf8");
      const isRefused = refused(bytes);
      if (!isRefused) parsedOk++;
      if (provablyNotYamlObject(bytes)) {
        proven++;
        if (!isRefused) throw new Error(`proven but parsed: ${JSON.stringify(text)}`);
      }
    }
    // Not vacuous either way.
    expect(proven).toBeGreaterThan(SEEDS / 4);
    expect(parsedOk).toBeGreaterThan(SEEDS / 10);
  });

  it("holds for scripts, Dockerfiles and HTML; not for YAML, JSON or odd bytes", () => {
    for (const t of [
      "FROM node:20\nRUN echo kind: Secret\n",
      "#!/bin/sh\nset -e\nkubectl create secret generic x\n",
      "<!DOCTYPE html>\n<html><body>kind: Secret</body></html>\n",
      "\n\n# c\n  # d\nkey\n",
      "a:b\r\nkind: Secret\r\n",
    ])
      expect(provablyNotYamlObject(Buffer.from(t)), t).toBe(true);
    for (const t of [
      "kind: Secret\n",
      "a:\n  kind: Secret\n",
      "a:  \n",
      "- kind: Secret\n",
      "---\nkind: Secret\n",
      '{"kind": "Secret"}\n',
      "  key\n",
      "\ufeffkey\n",
      "# \u0085\nkey\n",
      "key\tx\n",
      "key\rkind: Secret\n",
      "é\n",
      "",
      "# only\n",
    ])
      expect(provablyNotYamlObject(Buffer.from(t)), JSON.stringify(t)).toBe(false);
  });
});
