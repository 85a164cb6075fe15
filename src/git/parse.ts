/**
 * Pure parsers for git's NUL-terminated (-z) listings. No I/O.
 *
 * With -z git never quotes paths: every byte of a name (space, quote, tab, newline,
 * non-ASCII) is emitted as is, and NUL (which no path can contain) terminates it.
 * Paths are decoded as UTF-8; the exact bytes are kept in `pathBytes` for names that are
 * not valid UTF-8.
 */

import path from "node:path";
import { GitError } from "../errors.js";

/** Mode of a gitlink (submodule) entry. */
export const MODE_GITLINK = "160000";
/** Mode of a symbolic link entry. */
export const MODE_SYMLINK = "120000";

export type RawStatus = "A" | "C" | "D" | "M" | "R" | "T" | "U" | "X";

export interface RawEntry {
  status: RawStatus;
  /** Similarity score for C/R (0-100), e.g. 100 for `R100`. */
  score?: number;
  /** Mode before; "000000" for additions. For combined (merge) entries: the first parent's. */
  srcMode: string;
  /** Mode after; "000000" for deletions. */
  dstMode: string;
  /** Blob before; all zeros for additions. For combined entries: the first parent's. */
  srcBlob: string;
  /** Blob after; all zeros for deletions (and for unmerged/working-tree sides). */
  dstBlob: string;
  /** The path (for C/R: the source path). */
  srcPath: string;
  /** For C/R: the destination path. */
  dstPath?: string;
  /** The final path: dstPath for C/R, else srcPath. */
  path: string;
  /** Exact bytes of `path`. */
  pathBytes: Buffer;
  /** Combined (merge) entries only: per-parent modes, blobs and status letters. */
  parents?: { mode: string; blob: string; status: string }[];
}

export interface StageEntry {
  mode: string;
  blob: string;
  /** 0 for normal entries; 1 (base), 2 (ours), 3 (theirs) for unmerged paths. */
  stage: number;
  path: string;
  pathBytes: Buffer;
  /**
   * Read from the index file only: the size its stat data recorded (the work tree file's
   * size when it was staged, modulo 2^32). A hint for memory bounds, never for a verdict.
   */
  size?: number;
}

export interface TreeEntry {
  mode: string;
  /** "blob", "tree" or "commit" (submodule). */
  type: string;
  blob: string;
  path: string;
  pathBytes: Buffer;
}

const NUL = 0;

/** Split a -z buffer into its NUL-terminated fields (a trailing unterminated field is kept). */
function fields(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const end = buf.indexOf(NUL, start);
    if (end === -1) {
      if (start < buf.length) out.push(buf.subarray(start));
      return out;
    }
    out.push(buf.subarray(start, end));
    start = end + 1;
  }
}

function decode(b: Buffer): string {
  return b.toString("utf8");
}

function malformed(what: string, field: Buffer): GitError {
  const shown = decode(field.subarray(0, 120)).replace(/[^\x20-\x7e]/g, "?");
  return new GitError(`unexpected ${what} output from git: "${shown}"`);
}

const HEX_OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** True for a full hexadecimal object id (SHA-1 or SHA-256). */
export function isOid(s: string): boolean {
  return HEX_OID.test(s);
}

/** True for the all-zeros id git prints for "no object" (added/deleted sides). */
export function isNullOid(s: string): boolean {
  return /^0+$/.test(s);
}

/**
 * Parse one raw-diff header (the part between the leading colons and the NUL before the
 * path). Returns the entry without paths and how many path fields follow.
 *
 *   :<srcMode> <dstMode> <srcBlob> <dstBlob> <status>[<score>]            (1 or 2 paths)
 *   ::<mode1> <mode2> <modeR> <blob1> <blob2> <blobR> <status1><status2>   (combined: 1 path)
 */
function parseRawHeader(field: Buffer): {
  entry: Omit<RawEntry, "srcPath" | "path" | "pathBytes">;
  paths: number;
} {
  const text = decode(field);
  let colons = 0;
  while (text.charCodeAt(colons) === 0x3a /* : */) colons++;
  if (colons === 0) throw malformed("raw diff", field);
  const parts = text.slice(colons).split(" ");
  if (colons === 1) {
    if (parts.length !== 5) throw malformed("raw diff", field);
    const [srcMode, dstMode, srcBlob, dstBlob, st] = parts as [
      string,
      string,
      string,
      string,
      string,
    ];
    const letter = st.charAt(0);
    if (letter === "" || !"ACDMRTUX".includes(letter)) throw malformed("raw diff", field);
    const entry: Omit<RawEntry, "srcPath" | "path" | "pathBytes"> = {
      status: letter as RawStatus,
      srcMode,
      dstMode,
      srcBlob,
      dstBlob,
    };
    if (st.length > 1) entry.score = Number.parseInt(st.slice(1), 10);
    return { entry, paths: letter === "R" || letter === "C" ? 2 : 1 };
  }
  // Combined format (merge commits with -c/--cc): one colon per parent.
  const n = colons;
  if (parts.length !== 2 * (n + 1) + 1) throw malformed("combined raw diff", field);
  const modes = parts.slice(0, n + 1);
  const blobs = parts.slice(n + 1, 2 * (n + 1));
  const statuses = parts[2 * (n + 1)]!;
  const parents = [];
  for (let i = 0; i < n; i++) {
    parents.push({ mode: modes[i]!, blob: blobs[i]!, status: statuses.charAt(i) });
  }
  const dstBlob = blobs[n]!;
  const dstMode = modes[n]!;
  let status: RawStatus;
  if (isNullOid(dstBlob) && dstMode === "000000") status = "D";
  else if (parents.every((p) => p.status === "A")) status = "A";
  else status = "M";
  return {
    entry: { status, srcMode: modes[0]!, dstMode, srcBlob: blobs[0]!, dstBlob, parents },
    paths: 1,
  };
}

/** Strip the single "\n" git puts between a commit header and its raw diff in `git log -z`. */
function stripLeadingNewline(b: Buffer): Buffer {
  return b.length > 0 && b[0] === 0x0a ? b.subarray(1) : b;
}

/** Consume one raw entry starting at fields[i]; returns the entry and the next index. */
function takeRaw(fs: Buffer[], i: number): { entry: RawEntry; next: number } {
  const { entry, paths } = parseRawHeader(stripLeadingNewline(fs[i]!));
  if (i + paths >= fs.length) throw malformed("raw diff (missing path)", fs[i]!);
  const src = fs[i + 1]!;
  const srcPath = decode(src);
  if (paths === 2) {
    const dst = fs[i + 2]!;
    const dstPath = decode(dst);
    return {
      entry: { ...entry, srcPath, dstPath, path: dstPath, pathBytes: Buffer.from(dst) },
      next: i + 3,
    };
  }
  return { entry: { ...entry, srcPath, path: srcPath, pathBytes: Buffer.from(src) }, next: i + 2 };
}

/**
 * Parse `git diff --raw -z --no-abbrev` (also diff-index / diff-files / diff-tree):
 *
 *   :100644 100644 <old> <new> M\0<path>\0
 *   :000000 100644 <zeros> <new> A\0<path>\0
 *   :100644 100644 <old> <new> R087\0<old path>\0<new path>\0
 */
export function parseRawZ(buf: Buffer): RawEntry[] {
  const out: RawEntry[] = [];
  // One pass over the listing (5,000 staged files: 15,000 fields): no array of fields, paths
  // decoded in place, pathBytes a view of the listing.
  let at = 0;
  while (at < buf.length) {
    let end = buf.indexOf(NUL, at);
    if (end === -1) end = buf.length;
    if (end === at) {
      at++;
      continue;
    }
    const h = buf[at] === 0x0a ? at + 1 : at;
    const { entry, paths } = rawHeaderAt(buf, h, end) ?? parseRawHeader(buf.subarray(h, end));
    const p: Array<[number, number]> = [];
    let next = end + 1;
    for (let n = 0; n < paths; n++) {
      if (next >= buf.length) throw malformed("raw diff (missing path)", buf.subarray(at, end));
      let e = buf.indexOf(NUL, next);
      if (e === -1) e = buf.length;
      p.push([next, e]);
      next = e + 1;
    }
    const [s0, e0] = p[0]!;
    const srcPath = buf.toString("utf8", s0, e0);
    if (paths === 2) {
      const [s1, e1] = p[1]!;
      const dstPath = buf.toString("utf8", s1, e1);
      out.push({ ...entry, srcPath, dstPath, path: dstPath, pathBytes: buf.subarray(s1, e1) });
    } else {
      out.push({ ...entry, srcPath, path: srcPath, pathBytes: buf.subarray(s0, e0) });
    }
    at = next;
  }
  return out;
}

/**
 * The common header, `:<mode> <mode> <blob> <blob> <status>` (one colon, four spaces, a known
 * status letter), read from the listing's bytes: the same entry parseRawHeader makes of it.
 * Anything else (merge headers, malformed ones) is left to parseRawHeader: undefined.
 */
function rawHeaderAt(
  buf: Buffer,
  start: number,
  end: number,
): ReturnType<typeof parseRawHeader> | undefined {
  if (buf[start] !== 0x3a || buf[start + 1] === 0x3a) return undefined;
  const sp: number[] = [];
  for (let i = start + 1; i < end; i++) {
    if (buf[i] === 0x20) {
      if (sp.length === 4) return undefined;
      sp.push(i);
    }
  }
  if (sp.length !== 4) return undefined;
  const [a, b, c, d] = sp as [number, number, number, number];
  const letter = d + 1 < end ? String.fromCharCode(buf[d + 1]!) : "";
  if (letter === "" || !"ACDMRTUX".includes(letter)) return undefined;
  const entry: ReturnType<typeof parseRawHeader>["entry"] = {
    status: letter as RawStatus,
    srcMode: buf.toString("utf8", start + 1, a),
    dstMode: buf.toString("utf8", a + 1, b),
    srcBlob: buf.toString("utf8", b + 1, c),
    dstBlob: buf.toString("utf8", c + 1, d),
  };
  if (end - d > 2) entry.score = Number.parseInt(buf.toString("utf8", d + 2, end), 10);
  return { entry, paths: letter === "R" || letter === "C" ? 2 : 1 };
}

/**
 * parseRawZ field by field (the reading the one-pass parser replaced): the reference
 * test/unit/git-parse.test.ts holds it equal to.
 */
export function parseRawZFields(buf: Buffer): RawEntry[] {
  const fs = fields(buf);
  const out: RawEntry[] = [];
  let i = 0;
  while (i < fs.length) {
    if (fs[i]!.length === 0) {
      i++;
      continue;
    }
    const { entry, next } = takeRaw(fs, i);
    out.push(entry);
    i = next;
  }
  return out;
}

/** Parse `git ls-files -s -z`: `<mode> <blob> <stage>\t<path>\0`. */
export function parseLsFilesStageZ(buf: Buffer): StageEntry[] {
  const out: StageEntry[] = [];
  // One pass over the listing (50,000 entries for a large repository): fields are decoded
  // in place, and pathBytes is a view of the listing, not a copy.
  for (let start = 0; start < buf.length; ) {
    let end = buf.indexOf(NUL, start);
    if (end === -1) end = buf.length;
    if (end > start) {
      const tab = buf.indexOf(0x09, start);
      if (tab === -1 || tab >= end) throw malformed("ls-files -s", buf.subarray(start, end));
      const meta = buf.toString("utf8", start, tab).split(" ");
      if (meta.length !== 3) throw malformed("ls-files -s", buf.subarray(start, end));
      const [mode, blob, stage] = meta as [string, string, string];
      out.push({
        mode,
        blob,
        stage: Number.parseInt(stage, 10),
        path: buf.toString("utf8", tab + 1, end),
        pathBytes: buf.subarray(tab + 1, end),
      });
    }
    start = end + 1;
  }
  return out;
}

/** Parse `git ls-tree -r -z --full-tree <tree-ish>`: `<mode> <type> <blob>\t<path>\0`. */
export function parseLsTreeZ(buf: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const f of fields(buf)) {
    if (f.length === 0) continue;
    const tab = f.indexOf(0x09);
    if (tab === -1) throw malformed("ls-tree", f);
    const meta = decode(f.subarray(0, tab)).split(/ +/);
    // `--long` adds a size column; accept and ignore it.
    if (meta.length !== 3 && meta.length !== 4) throw malformed("ls-tree", f);
    const [mode, type, blob] = meta as [string, string, string];
    const pathBytes = Buffer.from(f.subarray(tab + 1));
    out.push({ mode, type, blob, path: decode(pathBytes), pathBytes });
  }
  return out;
}

/** Absolute path of repo-relative `rel` ("/" separators) under `topLevel`. */
export function absUnder(topLevel: string, rel: string): string {
  // What path.join would return, without normalising a path git never writes denormalised
  // (an absolute, normalised top level and a relative path of plain segments).
  if (path.sep === "/" && isPlainTop(topLevel) && rel !== "" && !DENORMAL.test(rel))
    return `${topLevel}/${rel}`;
  return path.join(topLevel, ...rel.split("/"));
}

/** An empty, `.` or `..` segment, or a leading or trailing `/`. */
const DENORMAL = /(^|\/)\.{0,2}(\/|$)/;
let plainTop: string | undefined;
function isPlainTop(top: string): boolean {
  if (top === plainTop) return true;
  if (top.length > 1 && path.isAbsolute(top) && path.normalize(top) === top && !top.endsWith("/")) {
    plainTop = top;
    return true;
  }
  return false;
}

/** Regular files only: 100644, 100755 (and the legacy 100664). */
export function isRegularMode(mode: string): boolean {
  return mode.startsWith("100");
}
