/**
 * Parsed policies kept on disk between runs, keyed by the exact `.sops.yaml`
 * text (compared in full, not by a hash), its path, how it is shown, and the
 * build that parsed it: every commit would otherwise parse the same YAML and
 * check the same rules again. Parsing is pure (parse.ts), so the same key
 * always gives the same policy; only successful parses are kept.
 *
 * Off unless the command line turns it on (bin/secret-guard.js → cli/entry.ts):
 * the library never writes to the user's cache folder. A cache that cannot be
 * read or written is the same as no cache.
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Policy } from "../types.js";

let where: { dir: string; build: string } | undefined;

/** Keep parsed policies in `dir`, valid for the build named `build` (e.g. the bundle's SHA-256). */
export function enablePolicyCache(dir: string, build: string): void {
  where = { dir, build };
}

export function disablePolicyCache(): void {
  where = undefined;
}

/** FNV-1a (32 bits) of a string, for a file name; the entry itself is compared in full. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

interface Entry {
  v: 1;
  build: string;
  abs: string;
  shown: string;
  text: string;
  policy: Policy;
}

/** The policy of `text` at `abs`: from the cache when it holds this exact entry, else parse(). */
export function cachedPolicy(
  abs: string,
  shown: string,
  text: string,
  parse: () => Policy,
): Policy {
  const w = where;
  if (!w) return parse();
  const file = join(w.dir, `policy-${fnv1a(`${abs}\0${shown}`)}.json`);
  try {
    const e = JSON.parse(readFileSync(file, "utf8")) as Entry;
    if (e.v === 1 && e.build === w.build && e.abs === abs && e.shown === shown && e.text === text)
      return e.policy;
  } catch {
    // absent, unreadable or not ours: parse
  }
  const policy = parse();
  const entry: Entry = { v: 1, build: w.build, abs, shown, text, policy };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(w.dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
  }
  return policy;
}
