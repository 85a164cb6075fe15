/**
 * Blobs read straight from git's loose object files (`<objects>/<2 hex>/<38 hex>`, zlib),
 * for a commit of a few files: `git add` writes what it stages as loose objects, so the
 * hook can read them without starting `git cat-file` (a process costs more than node:zlib).
 *
 * Only what can be proven is answered; everything else is undefined and goes to cat-file:
 * a SHA-1 repository only, no replace refs and no GIT_* variables that move or rename
 * objects, a regular file (not a symlink), a complete zlib stream (its checksum holds), a header `blob <size>\0` with that exact size, and content whose SHA-1 (computed here,
 * without loading node:crypto) is the requested id. Any doubt: undefined, never a guess.
 */

import { existsSync, lstatSync, readFileSync } from "node:fs";
import path from "node:path";
import { inflateSync } from "node:zlib";

/** Largest blob read this way; larger ones are cat-file's (hashing in JavaScript is slower). */
export const LOOSE_MAX_BYTES = 256 * 1024;

export interface LooseStore {
  /** The repository's objects folder (`<common dir>/objects`). */
  dir: string;
}

/**
 * Where loose blobs can be read for the repository whose common git folder is `commonDir`,
 * or undefined when this reader cannot promise cat-file's answer.
 */
export function looseStore(
  commonDir: string,
  objectFormat: string,
  envs: ReadonlyArray<NodeJS.ProcessEnv | undefined>,
): LooseStore | undefined {
  if (objectFormat !== "sha1") return undefined;
  // Replacement objects change what cat-file returns for an id; so may these variables.
  for (const k of [
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_REPLACE_REF_BASE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_NAMESPACE",
  ])
    for (const env of envs) if (env?.[k] !== undefined) return undefined;
  try {
    if (existsSync(path.join(commonDir, "refs", "replace"))) return undefined;
    const packed = path.join(commonDir, "packed-refs");
    if (existsSync(packed) && readFileSync(packed, "latin1").includes("refs/replace/"))
      return undefined;
  } catch {
    return undefined;
  }
  return { dir: path.join(commonDir, "objects") };
}

/** The content of blob `oid` from its loose object file, or undefined (see the top). */
export function readLoose(store: LooseStore, oid: string): Buffer | undefined {
  if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
  try {
    const file = path.join(store.dir, oid.slice(0, 2), oid.slice(2));
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!st?.isFile() || st.size > LOOSE_MAX_BYTES + 64) return undefined;
    // A stream cut short throws (the default Z_FINISH); a longer result than the limit too.
    const raw = inflateSync(readFileSync(file), { maxOutputLength: LOOSE_MAX_BYTES + 32 });
    const nul = raw.indexOf(0, 0);
    if (nul < 6 || nul > 5 + 20) return undefined;
    if (raw.toString("latin1", 0, 5) !== "blob ") return undefined;
    const digits = raw.toString("latin1", 5, nul);
    if (!/^(0|[1-9][0-9]*)$/.test(digits)) return undefined;
    const size = Number(digits);
    if (size > LOOSE_MAX_BYTES || size !== raw.length - nul - 1) return undefined;
    if (sha1Hex(raw) !== oid) return undefined;
    return raw.subarray(nul + 1);
  } catch {
    return undefined;
  }
}

/** SHA-1 of `data` as lowercase hex (FIPS 180-4), in plain JavaScript. */
export function sha1Hex(data: Uint8Array): string {
  const len = data.length;
  // message + 0x80 + zeros + 64-bit big-endian bit length, a multiple of 64 bytes
  const blocks = Math.ceil((len + 9) / 64);
  const buf = new Uint8Array(blocks * 64);
  buf.set(data);
  buf[len] = 0x80;
  const bits = len * 8;
  const view = new DataView(buf.buffer);
  view.setUint32(buf.length - 8, Math.floor(bits / 0x100000000));
  view.setUint32(buf.length - 4, bits >>> 0);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Int32Array(80);
  for (let off = 0; off < buf.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  let out = "";
  for (const h of [h0, h1, h2, h3, h4]) out += (h >>> 0).toString(16).padStart(8, "0");
  return out;
}
