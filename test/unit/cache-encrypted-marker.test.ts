/**
 * The verdict cache's encrypted-or-not byte (src/check/cache.ts looksEncrypted) skips the
 * marker regular expressions for content without the bytes "sops". Differential: over
 * generated contents built from marker fragments of every store, at every kind of path,
 * and over the test fixtures, it answers exactly as looksSopsEncrypted at the path's format.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { looksEncrypted } from "../../src/check/cache.js";
import { looksSopsEncrypted } from "../../src/sops/detect.js";
import { formatForPath } from "../../src/sops/formats.js";

const PATHS = ["a.yaml", "b.yml", "c.json", "d.env", "e.ini", "f.txt", "g", "h.sops.yaml"];
const PIECES = [
  "sops:",
  "sops:\n",
  "sops:\r\n",
  "  mac: x\n",
  "\n  lastmodified: y",
  '"sops": {',
  '"mac":',
  '"lastmodified" :',
  "sops_mac=",
  "sops_version=",
  "[sops]\n",
  "SOPS:",
  "sop",
  "s",
  "\n",
  " ",
  "\t",
  "kind: Secret\n",
  "é",
  "\u0000",
];

function bytesOf(parts: string[], latin1: boolean): Buffer {
  return Buffer.from(parts.join(""), latin1 ? "latin1" : "utf8");
}

describe("verdict cache: encrypted marker", () => {
  it("equals looksSopsEncrypted on generated contents", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 })), {
          maxLength: 24,
        }),
        fc.constantFrom(...PATHS),
        fc.boolean(),
        (parts, p, latin1) => {
          const b = bytesOf(parts, latin1);
          expect(looksEncrypted(b, p)).toBe(looksSopsEncrypted(b, formatForPath(p)));
          // A view into a larger buffer, and a plain Uint8Array, answer the same.
          const big = Buffer.concat([Buffer.from("sops"), b, Buffer.from("sops")]);
          const view = big.subarray(4, 4 + b.length);
          expect(looksEncrypted(view, p)).toBe(looksSopsEncrypted(b, formatForPath(p)));
          expect(looksEncrypted(new Uint8Array(view), p)).toBe(
            looksSopsEncrypted(b, formatForPath(p)),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("equals looksSopsEncrypted on the fixtures and the bypass corpus, and is not vacuous", () => {
    const root = path.join(import.meta.dirname, "..");
    let encrypted = 0;
    let files = 0;
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          const b = fs.readFileSync(p);
          for (const at of [e.name, ...PATHS]) {
            const want = looksSopsEncrypted(b, formatForPath(at));
            expect(looksEncrypted(b, at)).toBe(want);
            if (want) encrypted++;
          }
          files++;
        }
      }
    };
    walk(path.join(root, "fixtures"));
    walk(path.join(root, "bypass"));
    expect(files).toBeGreaterThan(20);
    expect(encrypted).toBeGreaterThan(5);
  });
});
