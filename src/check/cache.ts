/**
 * The verdict cache: re-runs (`scan --all` on a warm CI runner, `history` the
 * next day) skip the files whose exact inputs were already judged clean.
 *
 * What it can hold: only "this input had no finding at all". A file with any
 * finding (error or warning) is judged afresh every time and never stored, so
 * the cache can make a run faster but never turn a finding into a pass. A key
 * is a SHA-256 over everything the judgement depends on:
 *
 *   schema | guard identity (version + build) | blob id | covering creation rule (its
 *   content, index included) | settings (.secret-guard.yaml content) | path | HEAD blob
 *   compared for encryption-removed ("-" when none) | the kustomization link (generator
 *   source or resource; "-" when none)
 *
 * The rule and the settings enter as hashes of the very objects the judgement
 * receives (not of the files they were read from), so a `.sops.yaml` edit that
 * changes the covering rule, or any `.secret-guard.yaml` edit, makes new keys.
 * Keys are content-addressed (blob ids), so only git content is cached: files
 * read from disk (PATH mode) never are. Nothing but keys and a one-byte verdict
 * is written: no path, no content, no value.
 *
 * Where: `<common git dir>/secret-guard/verdicts/0` … `f`, one bucket per first hex
 * digit of the key (16 files: a cold run of thousands of files creates 16, not 256;
 * schema 2 had one per first byte, `00` … `ff`, left unread). A bucket: "SGVERDCT",
 * u32 schema, u32 count, SHA-256 of the records, then count × (32-byte key, 1 verdict
 * byte). At most MAX_PER_BUCKET records (the oldest dropped first): 8.6 MB in all. A bucket that is unreadable, corrupt,
 * truncated, oversized, a symlink, not ours or of another schema is ignored (its
 * files are judged afresh) and replaced on the next write; writes go to a temp
 * file renamed over the bucket. A cache problem never fails a run.
 */
import { createHash, hash, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { GeneratorSource } from "../core/types.js";
import { commonGitDir } from "../git/repo.js";
import { looksSopsEncrypted } from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import type { CreationRule } from "../types.js";
import { VERSION } from "../version.js";
import type { GuardConfig } from "./settings.js";

/** Bumped whenever the key material or the bucket layout changes. */
export const CACHE_SCHEMA = 3;
export const BUCKETS = 16;
export const MAX_PER_BUCKET = 16384;
const MAGIC = Buffer.from("SGVERDCT", "latin1");
const HEADER = MAGIC.length + 4 + 4 + 32;
const KEY_BYTES = 32;
const RECORD = KEY_BYTES + 1;
const MAX_BUCKET_BYTES = HEADER + MAX_PER_BUCKET * RECORD;
/** Verdict bytes: clean, and clean while sops-encrypted (history needs to know which blobs were). */
const CLEAN = 0x63;
const CLEAN_ENCRYPTED = 0x65;

export type CleanVerdict = "clean" | "clean-encrypted";

export interface CacheOptions {
  /** Replaces the guard's identity (version and build) in every key. A seam for tests. */
  engine?: string;
  /** Where to log hits, misses and ignored files (never a value). */
  debug?: (line: string) => void;
  /** The common git directory when the caller knows it already (saves a git process). */
  commonDir?: string;
}

/** What a verdict depends on, besides the guard itself. */
export interface VerdictInput {
  /** The content's blob id. */
  blob: string;
  /** Repository-relative path the content is judged at. */
  path: string;
  /** The creation rule the judgement received (undefined: none). */
  rule?: CreationRule;
  settings: GuardConfig;
  /** HEAD's blob the content may be compared with (staged: encryption-removed). */
  headBlob?: string;
  /** The kustomization that names the file (a generator source, a resource), if any. */
  link?: GeneratorSource;
}

/**
 * Below this many files to judge a scan does not use the cache: judging a few files costs
 * less than loading node:crypto to key them and writing their buckets (a commit of one file
 * would pay for the cache and never profit). SECRET_GUARD_CACHE_MIN_FILES sets another count.
 */
export const CACHE_MIN_FILES = 64;

export function cacheMinFiles(env: NodeJS.ProcessEnv): number {
  const v = env.SECRET_GUARD_CACHE_MIN_FILES;
  const n = v === undefined || v === "" ? Number.NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : CACHE_MIN_FILES;
}

/** False when SECRET_GUARD_NO_CACHE asks for no cache (any value but "" and "0"). */
export function cacheAllowed(env: NodeJS.ProcessEnv): boolean {
  const v = env.SECRET_GUARD_NO_CACHE;
  return v === undefined || v === "" || v === "0";
}

/**
 * The cache of the repository at `topLevel`, or undefined when it cannot be used
 * (disabled, no git directory, the folder is a symlink). Never throws.
 */
export async function openVerdictCache(
  topLevel: string,
  env: NodeJS.ProcessEnv,
  opts: CacheOptions = {},
): Promise<VerdictCache | undefined> {
  const debug = opts.debug ?? (() => {});
  if (!cacheAllowed(env)) {
    debug("verdict cache: off (SECRET_GUARD_NO_CACHE)");
    return undefined;
  }
  try {
    const common = opts.commonDir ?? (await commonGitDir(topLevel, env));
    const dir = path.join(common, "secret-guard", "verdicts");
    for (const d of [path.dirname(dir), dir]) {
      const st = lstatOrUndefined(d);
      if (st && !st.isDirectory()) {
        debug(`verdict cache: off (${d} is not a directory)`);
        return undefined;
      }
    }
    return new VerdictCache(dir, opts.engine ?? `${VERSION}+${buildFingerprint()}`, debug);
  } catch {
    debug("verdict cache: off (no git directory found)");
    return undefined;
  }
}

export class VerdictCache {
  hits = 0;
  misses = 0;
  stored = 0;
  /** Bucket files found unusable (corrupt, foreign, unreadable) or not written. */
  ignored = 0;
  readonly dir: string;
  readonly #debug: (line: string) => void;
  readonly #buckets = new Map<number, Map<string, number>>();
  /** Per bucket, the keys remembered in this run, in order (their verdicts are in #buckets). */
  readonly #added = new Map<number, string[]>();
  readonly #ids = new WeakMap<object, string>();
  /** The names in the cache folder when first looked at (null: it could not be listed). */
  #listed: Set<string> | null | undefined;
  /** The key material every key starts with (schema and guard identity). */
  readonly #prefix: string;

  constructor(dir: string, engine: string, debug: (line: string) => void) {
    this.dir = dir;
    this.#debug = debug;
    this.#prefix = ["secret-guard verdict", String(CACHE_SCHEMA), engine].join("\0");
  }

  /**
   * The key of a verdict: a SHA-256 over everything it depends on (kept per input object), as
   * a 32-character latin1 string (one character per byte: no hex conversion on the hot path;
   * the bytes on disk are the same).
   */
  key(v: VerdictInput): string {
    const memo = (v as Keyed)[KEY];
    // Kept on the input itself (a WeakMap of 50,000 inputs costs every garbage collection).
    if (memo !== undefined && memo.cache === this) return memo.key;
    // crypto.hash: one call per key, noticeably cheaper than createHash on 20,000 files.
    const k = hash(
      "sha256",
      [
        this.#prefix,
        v.blob,
        v.rule ? this.#id(v.rule, () => v.rule) : "-",
        // Where the settings file lies does not change a verdict: its content does.
        this.#id(v.settings, () => ({ ...v.settings, path: undefined })),
        v.path,
        v.headBlob ?? "-",
        v.link ? JSON.stringify(v.link) : "-",
      ].join("\0"),
      // "binary" is latin1: one character per byte.
      "binary",
    );
    (v as Keyed)[KEY] = { cache: this, key: k };
    return k;
  }

  /** The cached verdict, when these exact inputs were judged clean before. */
  lookup(v: VerdictInput): CleanVerdict | undefined {
    const k = this.key(v);
    const b = this.#bucket(bucketOf(k)).get(k);
    if (b === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return b === CLEAN_ENCRYPTED ? "clean-encrypted" : "clean";
  }

  /**
   * Remember a clean verdict. Call it only for a judgement with no finding at all
   * (`findings` is checked here too: anything else is never stored).
   */
  rememberClean(v: VerdictInput, bytes: Uint8Array, findings: readonly unknown[]): void {
    if (findings.length > 0) return;
    const k = this.key(v);
    const verdict = looksEncrypted(bytes, v.path) ? CLEAN_ENCRYPTED : CLEAN;
    const i = bucketOf(k);
    const bucket = this.#bucket(i);
    if (bucket.get(k) === verdict) return;
    bucket.set(k, verdict);
    let added = this.#added.get(i);
    if (!added) {
      added = [];
      this.#added.set(i, added);
    }
    // A key remembered twice (its verdict changed) is listed twice: save() keeps the last.
    added.push(k);
    this.stored++;
  }

  /** Write the buckets that got new verdicts (temp file + rename each). Never throws. */
  save(): void {
    if (this.#added.size === 0) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch {
      this.ignored += this.#added.size;
      this.#debug(`verdict cache: cannot create ${this.dir}; nothing stored`);
      return;
    }
    // One listing instead of a failed open per bucket that is not there (a first run: all).
    const present = listNames(this.dir);
    // Schema 2's buckets (`00` … `ff`) are never read again: drop them, best effort.
    for (const name of present ?? []) {
      if (!/^[0-9a-f]{2}$/.test(name)) continue;
      try {
        rmSync(path.join(this.dir, name), { force: true });
      } catch {
        // not a file of ours (a folder, no permission): leave it
      }
    }
    const tmpTag = `${process.pid}.${randomBytes(6).toString("hex")}`;
    for (const [i, keys] of this.#added) {
      // What is on disk now (another run may have written since), then ours, newest last.
      const mine = this.#buckets.get(i)!;
      const added = new Map<string, number>();
      for (const k of keys) {
        added.delete(k);
        added.set(k, mine.get(k)!);
      }
      const merged = new Map<string, number>();
      const onDisk = present?.has(bucketName(i)) === false ? undefined : readBucket(this.#file(i));
      for (const [k, v] of onDisk ?? []) if (!added.has(k)) merged.set(k, v);
      for (const [k, v] of added) merged.set(k, v);
      const records = [...merged].slice(-MAX_PER_BUCKET);
      const body = Buffer.alloc(records.length * RECORD);
      records.forEach(([k, v], n) => {
        body.write(k, n * RECORD, KEY_BYTES, "latin1");
        body[n * RECORD + KEY_BYTES] = v;
      });
      const head = Buffer.alloc(HEADER);
      MAGIC.copy(head, 0);
      head.writeUInt32BE(CACHE_SCHEMA, MAGIC.length);
      head.writeUInt32BE(records.length, MAGIC.length + 4);
      createHash("sha256")
        .update(body)
        .digest()
        .copy(head, MAGIC.length + 8);
      const file = this.#file(i);
      const tmp = `${file}.${tmpTag}.tmp`;
      try {
        writeFileSync(tmp, Buffer.concat([head, body]), { flag: "wx", mode: 0o600 });
        renameSync(tmp, file);
      } catch {
        rmSync(tmp, { force: true });
        this.ignored++;
      }
    }
    this.#added.clear();
  }

  summary(): string {
    return `verdict cache: ${this.hits} hit(s), ${this.misses} miss(es), ${this.stored} stored${this.ignored ? `, ${this.ignored} cache file(s) ignored` : ""} (${this.dir})`;
  }

  #file(i: number): string {
    return path.join(this.dir, bucketName(i));
  }

  #bucket(i: number): Map<string, number> {
    let b = this.#buckets.get(i);
    if (!b) {
      if (this.#listed === undefined) this.#listed = listNames(this.dir);
      const read =
        this.#listed?.has(bucketName(i)) === false ? undefined : readBucket(this.#file(i));
      if (read === null) this.ignored++;
      b = read ?? new Map();
      this.#buckets.set(i, b);
    }
    return b;
  }

  /** A hash of the data the judgement receives (its functions, e.g. isIgnored, left out). */
  #id(o: object, material: () => unknown): string {
    let id = this.#ids.get(o);
    if (id === undefined) {
      id = createHash("sha256").update(JSON.stringify(material())).digest("hex");
      this.#ids.set(o, id);
    }
    return id;
  }
}

function bucketName(i: number): string {
  return i.toString(16);
}

/** The bucket of a key: its first hex digit (the high half of its first byte). */
function bucketOf(k: string): number {
  return k.charCodeAt(0) >> 4;
}

/** The names in a folder (empty when it is not there), or null when it cannot be listed. */
function listNames(dir: string): Set<string> | null {
  try {
    return new Set(readdirSync(dir));
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? new Set() : null;
  }
}

const KEY = Symbol("verdict key");
type Keyed = VerdictInput & { [KEY]?: { cache: VerdictCache; key: string } };

const SOPS = Buffer.from("sops", "latin1");

/**
 * looksSopsEncrypted() of the content at its path's format. Every store's marker test needs
 * the text "sops" (latin1 maps bytes one to one), so content without those bytes is answered
 * without the regular expressions (and without a string copy of the whole content).
 */
export function looksEncrypted(bytes: Uint8Array, p: string): boolean {
  const b = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b.indexOf(SOPS) === -1) return false;
  return looksSopsEncrypted(bytes, formatForPath(p));
}

/**
 * One bucket's records (keys as latin1 strings), undefined when there is none, null when the file is
 * there but unusable (it is then treated as empty).
 */
function readBucket(file: string): Map<string, number> | undefined | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? undefined : null;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || st.size < HEADER || st.size > MAX_BUCKET_BYTES) return null;
    if (uid !== undefined && st.uid !== uid) return null;
    const data = Buffer.alloc(st.size);
    let off = 0;
    while (off < data.length) {
      const n = readSync(fd, data, off, data.length - off, off);
      if (n <= 0) return null;
      off += n;
    }
    if (!data.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    if (data.readUInt32BE(MAGIC.length) !== CACHE_SCHEMA) return null;
    const count = data.readUInt32BE(MAGIC.length + 4);
    if (data.length !== HEADER + count * RECORD) return null;
    const body = data.subarray(HEADER);
    const sum = createHash("sha256").update(body).digest();
    if (!sum.equals(data.subarray(MAGIC.length + 8, HEADER))) return null;
    const out = new Map<string, number>();
    for (let n = 0; n < count; n++) {
      const v = body[n * RECORD + KEY_BYTES]!;
      if (v !== CLEAN && v !== CLEAN_ENCRYPTED) return null;
      out.set(body.toString("latin1", n * RECORD, n * RECORD + KEY_BYTES), v);
    }
    return out;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function lstatOrUndefined(p: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

let fingerprint: string | undefined;

/**
 * The build's identity, from the command line's loader (bin/secret-guard.js: the one-file
 * bundle's SHA-256 as its first line names it, with the file's size and mtime, so an edited
 * bundle is a new build too): used instead of walking the build folder.
 */
export function useBuildIdentity(id: string): void {
  if (/^[0-9a-f]{16,} \d+ [\d.]+$/.test(id)) fingerprint = `bundle ${id}`;
}

/**
 * The running build, so that a rebuilt guard with an unchanged version number (a
 * development build, a patched install) never reuses the verdicts of another build:
 * names, sizes and modification times of the code files next to this module (the
 * bundle's folder, or the tree of src/ or dist/).
 */
function buildFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const h = createHash("sha256");
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const root = path.basename(here) === "bundle" ? here : path.dirname(here);
    const walk = (dir: string, depth: number) => {
      for (const name of readdirSync(dir).sort()) {
        const p = path.join(dir, name);
        const st = statSync(p);
        if (st.isDirectory()) {
          if (depth < 3 && name !== "node_modules" && (root === here || name !== "bundle"))
            walk(p, depth + 1);
        } else if (/\.([cm]?js|ts)$/.test(name)) {
          h.update(`${path.relative(root, p)}\0${st.size}\0${st.mtimeMs}\n`);
        }
      }
    };
    walk(root, 0);
  } catch {
    // An unreadable build folder: a fresh identity, so nothing is reused.
    h.update(randomBytes(16));
  }
  fingerprint = h.digest("hex").slice(0, 16);
  return fingerprint;
}
