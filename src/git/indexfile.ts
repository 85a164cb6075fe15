/**
 * The index's entries, as `git ls-files -s -z` lists them, read from the index file
 * itself when it has the plain layout, else from git.
 *
 * Every `git commit` asks the index a few questions (which `.sops.yaml` files and
 * kustomizations it holds, where a symlink points); one `ls-files` process costs more
 * than the rest of a small scan. The file is read directly only when nothing in it
 * needs git's own logic to be listed:
 *
 *   - signature `DIRC`, version 2, 3 or 4, and exactly the announced number of entries;
 *   - no split index (`link` extension) and no sparse directory entries (`sdir`, or an
 *     entry of mode 040000), which `ls-files` expands from other files;
 *   - no unknown required extension (a signature starting with an upper-case letter is
 *     optional, as git defines it), extensions that fit the file exactly, and a
 *     trailing checksum of the object format's size.
 *
 * Anything else, and any read error, is answered by `git ls-files -s -z`. The
 * checksum is not recomputed: git replaces the index by renaming a complete file, so a
 * torn read does not happen, and a file that does not parse falls back to git anyway.
 * test/integration/index-file.test.ts proves the two equal on indexes of every version
 * and kind git writes.
 */
import { readFileSync, statSync } from "node:fs";
import { git, NO_QUOTEPATH, traceNote } from "./exec.js";
import { parseLsFilesStageZ, type StageEntry } from "./parse.js";

const HASH_BYTES: Readonly<Record<string, number>> = { sha1: 20, sha256: 32 };

/** The type bits of an entry's mode, as `ls-files` prints them. */
function modeString(mode: number): string | undefined {
  switch (mode >>> 12) {
    case 0o10:
      return `100${(mode & 0o777).toString(8).padStart(3, "0")}`;
    case 0o12:
      return "120000";
    case 0o16:
      return "160000";
    default:
      return undefined; // 040000 (sparse directory) or unknown: git must list it
  }
}

/**
 * The entries of the index file's bytes, in file order (which is `ls-files` order), or
 * undefined when only git can list them.
 */
export function parseIndexFile(buf: Buffer, objectFormat: string): StageEntry[] | undefined {
  const hashLen = HASH_BYTES[objectFormat];
  if (hashLen === undefined || buf.length < 12 + hashLen) return undefined;
  if (buf.toString("latin1", 0, 4) !== "DIRC") return undefined;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = buf.readUInt32BE(8);
  const end = buf.length - hashLen;
  const out: StageEntry[] = [];
  let at = 12;
  let previous: Buffer = Buffer.alloc(0);
  for (let n = 0; n < count; n++) {
    const fixed = 40 + hashLen + 2;
    if (at + fixed > end) return undefined;
    const at0 = at;
    const mode = modeString(buf.readUInt32BE(at + 24));
    if (mode === undefined) return undefined;
    const blob = buf.toString("hex", at + 40, at + 40 + hashLen);
    const flags = buf.readUInt16BE(at + 40 + hashLen);
    let nameAt = at + fixed;
    if (flags & 0x4000) {
      if (version < 3) return undefined;
      nameAt += 2;
    }
    const stage = (flags >>> 12) & 3;
    let pathBytes: Buffer;
    if (version === 4) {
      // Prefix compression: drop N bytes of the previous path, then a NUL-terminated suffix.
      let p = nameAt;
      if (p >= end) return undefined;
      let byte = buf[p++]!;
      let strip = byte & 0x7f;
      while (byte & 0x80) {
        if (p >= end || strip > 0xffffff) return undefined;
        byte = buf[p++]!;
        strip = ((strip + 1) << 7) | (byte & 0x7f);
      }
      const nul = buf.indexOf(0, p);
      if (nul === -1 || nul >= end || strip > previous.length) return undefined;
      pathBytes = Buffer.concat([
        previous.subarray(0, previous.length - strip),
        buf.subarray(p, nul),
      ]);
      at = nul + 1;
    } else {
      const nul = buf.indexOf(0, nameAt);
      if (nul === -1 || nul >= end) return undefined;
      pathBytes = buf.subarray(nameAt, nul);
      // 1-8 NULs pad the entry to a multiple of 8 bytes, counted from its start.
      const next = at + ((nul - at + 8) & ~7);
      if (next > end) return undefined;
      for (let i = nul; i < next; i++) if (buf[i] !== 0) return undefined;
      at = next;
    }
    if (pathBytes.length === 0) return undefined;
    const short = flags & 0xfff;
    if (short !== 0xfff && short !== pathBytes.length) return undefined;
    previous = pathBytes;
    out.push({
      mode,
      blob,
      stage,
      path: pathBytes.toString("utf8"),
      pathBytes,
      size: buf.readUInt32BE(at0 + 36),
    });
  }
  // Extensions: 4-byte signature, 4-byte size, then that many bytes; the checksum follows.
  while (at < end) {
    if (at + 8 > end) return undefined;
    const sig = buf.toString("latin1", at, at + 4);
    const size = buf.readUInt32BE(at + 4);
    if (sig === "link" || sig === "sdir") return undefined;
    const first = buf[at]!;
    if (first < 0x41 || first > 0x5a) return undefined; // a required extension git knows, we do not
    at += 8 + size;
  }
  return at === end ? out : undefined;
}

const memo = new Map<string, { stamp: string; entries: Promise<StageEntry[]> }>();

/**
 * Every entry of the index (all stages, `ls-files -s` order): from `indexFile` when it
 * parses, else `git -c core.quotepath=false ls-files -s -z` run at `top`. Read again only
 * when the file changed (size, mtime or inode), e.g. after `--fix` re-staged a file.
 */
export function indexEntries(opts: {
  top: string;
  indexFile: string;
  objectFormat: string;
  env?: NodeJS.ProcessEnv;
}): Promise<StageEntry[]> {
  const key = `${opts.top}\0${opts.indexFile}`;
  const stamp = stampOf(opts.indexFile);
  const known = memo.get(key);
  if (known && stamp !== undefined && known.stamp === stamp) return known.entries;
  const entries = readEntries(opts);
  if (stamp !== undefined) memo.set(key, { stamp, entries });
  else memo.delete(key);
  return entries;
}

function stampOf(file: string): string | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.size} ${st.mtimeNs} ${st.ctimeNs} ${st.ino}`;
  } catch {
    return undefined;
  }
}

async function readEntries(opts: {
  top: string;
  indexFile: string;
  objectFormat: string;
  env?: NodeJS.ProcessEnv;
}): Promise<StageEntry[]> {
  let buf: Buffer | undefined;
  try {
    buf = readFileSync(opts.indexFile);
  } catch {
    // no index yet, or unreadable: git says what it is
  }
  const parsed = buf && parseIndexFile(buf, opts.objectFormat);
  if (parsed) {
    traceNote(`index: ${parsed.length} entries read from the file ${opts.indexFile}`);
    return parsed;
  }
  const r = await git([...NO_QUOTEPATH, "ls-files", "-s", "-z"], { cwd: opts.top, env: opts.env });
  return parseLsFilesStageZ(r.stdout);
}
