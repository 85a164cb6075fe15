/**
 * "Encrypted?" against real sops output (test/fixtures/sops-upstream): every
 * real encrypted file passes under a rule with its own selector, and every
 * mutation of it is caught as an error: a value replaced by plaintext, text
 * padded after or around a marker, the sops block stripped, the block forged
 * (mac, version or wrapped key removed), the stored selector narrowed over a
 * plaintext value. no_mac.yaml is sops' own "no MAC" test file, which sops
 * refuses to decrypt without --ignore-mac: it is a forged block here too.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { judge } from "../../src/core/judge.js";
import { metaView } from "../../src/sops/detect.js";
import { formatForPath } from "../../src/sops/formats.js";
import { parseFile } from "../../src/sops/parse.js";
import type { CreationRule } from "../../src/types.js";
import { FIXTURES } from "../e2e/helpers.js";

const UP = path.join(FIXTURES, "sops-upstream");
const expected = JSON.parse(readFileSync(path.join(UP, "expected.json"), "utf8")) as Record<
  string,
  { decryptable: boolean }
>;
const PLAIN = "canary-diff-Hm3";
const ENC_RE = /ENC\[AES256_GCM,data:[^\],]+,iv:[^\],]+,tag:[^\],]+,type:str\]/;

function ruleFor(bytes: Buffer, file: string): CreationRule {
  const meta = parseFile(bytes, formatForPath(file)).docs.find((d) => d.metadata)?.metadata;
  return {
    index: 0,
    age: [],
    otherKeyTypes: [],
    keyGroupCount: 0,
    selector: metaView(meta).selector,
    macOnlyEncrypted: false,
  };
}

const errors = (file: string, text: string | Buffer, rule: CreationRule) => {
  const j = judge({ path: file, bytes: Buffer.from(text), rule });
  expect(JSON.stringify(j)).not.toContain(PLAIN);
  return j.findings.filter((f) => f.severity === "error").map((f) => f.rule);
};

/** The first ENC value of a data leaf (not the mac line). */
function firstValue(text: string): { start: number; end: number } | undefined {
  const re = new RegExp(ENC_RE.source, "g");
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const lineStart = text.lastIndexOf("\n", m.index) + 1;
    const line = text.slice(lineStart, m.index);
    if (/mac|sops_mac/.test(line)) continue;
    return { start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

const files = Object.entries(expected)
  // inside/secret.yaml carries its sops file inside a data value (no block of its own).
  .filter(([f, e]) => e.decryptable && /\.(ya?ml|json|env)$/.test(f) && !f.includes("/inside/"))
  .map(([f]) => f);

describe("differential: real sops files and their mutations", () => {
  for (const f of files) {
    const bytes = readFileSync(path.join(UP, f));
    const text = bytes.toString("utf8");
    const rule = ruleFor(bytes, f);
    const noMac = f.endsWith("no_mac.yaml");
    it(`${f} ${noMac ? "is refused (no mac)" : "passes"}`, () => {
      if (noMac) expect(errors(f, text, rule)).toContain("missing-sops-metadata");
      else expect(errors(f, text, rule)).toEqual([]);
    });
    if (noMac) continue;
    const v = firstValue(text);
    const at = (s: string) => (v ? text.slice(0, v.start) + s + text.slice(v.end) : text);
    const enc = v ? text.slice(v.start, v.end) : "";
    const mutations: Record<string, string> = {
      "value replaced": at(PLAIN),
      "padded after the marker": at(`${enc}${PLAIN}`),
      "plaintext around the marker": at(`${PLAIN}-${enc}`),
      "block stripped (values left encrypted)": f.endsWith(".json")
        ? JSON.stringify({ ...JSON.parse(text), sops: undefined })
        : f.endsWith(".env")
          ? text.replace(/^sops_.*$/gm, "")
          : text.replace(/^sops:[\s\S]*?(?=^---|(?![\s\S]))/gm, ""),
      "block forged: mac removed": text.replace(/^(\s*"?(sops_)?mac"?\s*[:=]).*$/m, '$1 ""'),
      "block forged: version removed": text.replace(
        /^(\s*"?(sops_)?version"?\s*[:=]).*$/gm,
        f.endsWith(".env") ? "$1" : '$1 ""',
      ),
      "selector narrowed over a plaintext value": at(PLAIN).replace(
        /((?:encrypted_regex|unencrypted_suffix)"?\s*[:=]\s*"?)[^"\n]+/,
        "$1^nothing-matches$",
      ),
    };
    for (const [name, mutated] of Object.entries(mutations)) {
      it(`${f}: ${name} is caught`, () => {
        expect(v, "a value to mutate").toBeDefined();
        expect(mutated).not.toBe(text);
        expect(errors(f, mutated, rule).length).toBeGreaterThan(0);
      });
    }
  }
});
