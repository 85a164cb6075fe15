/**
 * Staged mode: the index content of every file the commit would add or change.
 */

import { fstatSync, readFileSync, realpathSync } from "node:fs";
import { GitError } from "../errors.js";
import { BlobReader } from "../git/catfile.js";
import { gitSync, NO_QUOTEPATH, traceNote } from "../git/exec.js";
import { indexEntries } from "../git/indexfile.js";
import { looseStore } from "../git/loose.js";
import { MODE_SYMLINK, parseRawZ } from "../git/parse.js";
import { EMPTY_TREE, type RepoInfo, repoInfo } from "../git/repo.js";
import { absUnder, isRegularMode, skipReason } from "./internal.js";
import { indexLookup, resolveLinks } from "./links.js";
import type { SkippedPath, SourceFile, SourceList, SourceOptions } from "./types.js";

/**
 * Files staged for commit, read from the index (GIT_INDEX_FILE honoured), never from disk.
 *
 * Compared with HEAD, or with the empty tree before the first commit:
 *
 *   git -c core.quotepath=false diff-index --cached -z --raw --no-abbrev -M -C
 *       --diff-filter=ACDMRT <HEAD commit | empty tree> --
 *
 *   :100644 100644 <HEAD blob> <index blob> M\0<path>\0
 *   :000000 100644 <zeros> <index blob> A\0<path>\0
 *   :100644 100644 <HEAD blob> <index blob> R092\0<old path>\0<new path>\0
 *   :100644 100644 <HEAD blob> <index blob> C100\0<source path>\0<copy path>\0
 *
 * Plumbing (diff-index), not `git diff`, so user config such as diff.relative or
 * diff.renames cannot change the listing. Renames and copies are judged by their new
 * path; the source's HEAD blob becomes headBlobId. Deletions are not judged: they are
 * listed apart (`deleted`), for the decrypted copy added under another name that git
 * sees as delete + add; unmerged paths (U) are not listed, since git refuses to commit them.
 * Submodules (160000) are reported in `skipped`; a symlink (120000) is listed with the staged
 * content it resolves to in the index (src/sources/links.ts).
 */
/**
 * git's arguments for the staged listing, before the commit compared with and `--`. The
 * commit hooks run the same call (src/commands/hookfile.ts LISTING_FUNCTION; a test holds
 * the two together).
 */
export const STAGED_LISTING_ARGS: readonly string[] = [
  ...NO_QUOTEPATH,
  "diff-index",
  "--cached",
  "-z",
  "--raw",
  "--no-abbrev",
  "-M",
  "-C",
  "--diff-filter=ACDMRT",
];

/** The trailer the hook script writes after git's listing: the commit it compared with. */
const LISTING_END = "\0secret-guard-listing-end ";
let handed = false;

/**
 * The listing the commit hook (hooks/pre-commit, the block `install` writes) ran git for
 * while Node started, handed in on stdin with SECRET_GUARD_STAGED_FD=0: taken only when
 * it is git's complete output for exactly this call (the trailer comes only after git
 * exited 0; the commit it names is the one compared with here; git ran in this top
 * level), else undefined and git is asked here. Read once per process.
 */
function handedListing(
  info: RepoInfo,
  base: string,
  env: NodeJS.ProcessEnv | undefined,
): { stdout: Buffer } | undefined {
  if (handed || (env ?? process.env).SECRET_GUARD_STAGED_FD !== "0" || !info.hasHead)
    return undefined;
  handed = true;
  let raw: Buffer;
  try {
    // A pipe (a shell's is a FIFO, Node's and libuv's a socket pair), never a terminal or file.
    const st = fstatSync(0);
    if (!st.isFIFO() && !st.isSocket()) return undefined;
    if (realpathSync(process.cwd()) !== realpathSync(info.topLevel)) return undefined;
    raw = readFileSync(0);
  } catch {
    return undefined;
  }
  const trailer = Buffer.from(`${LISTING_END}${base}\0`, "latin1");
  if (raw.length < trailer.length || !raw.subarray(raw.length - trailer.length).equals(trailer))
    return undefined;
  traceNote("staged listing: handed in by the hook script (git ran while Node started)");
  return { stdout: raw.subarray(0, raw.length - trailer.length) };
}

/** Up to this many listed changes, blobs are read with short `git cat-file --batch` runs. */
const SYNC_READS_MAX = 32;

/** The number of entries of a `diff-index -z --raw` listing (each starts with ':'). */
function countEntries(raw: Buffer): number {
  let n = 0;
  for (let i = raw.indexOf(0x3a); i !== -1; i = raw.indexOf(0x3a, i + 1)) {
    if (i === 0 || raw[i - 1] === 0) n++;
    if (n > SYNC_READS_MAX) break;
  }
  return n;
}

export async function stagedFiles(cwd: string, opts: SourceOptions = {}): Promise<SourceList> {
  const info = await repoInfo(cwd, opts);
  let base = info.head;
  if (!info.hasHead) {
    base = EMPTY_TREE[info.objectFormat];
    if (!base) throw new GitError(`unsupported object format "${info.objectFormat}"`);
  }
  const r =
    handedListing(info, base!, opts.env) ??
    gitSync([...STAGED_LISTING_ARGS, base!, "--"], { cwd: info.topLevel, env: opts.env });
  // A commit of a few files (the hook's usual case) reads them with short cat-file runs.
  const sync = countEntries(r.stdout) <= SYNC_READS_MAX;
  const reader = new BlobReader(info.topLevel, {
    env: opts.env,
    sync,
    // what `git add` just wrote is loose: read without a cat-file process (src/git/loose.ts)
    ...(sync
      ? { loose: looseStore(info.commonDir, info.objectFormat, [process.env, opts.env]) }
      : {}),
  });
  reader.useIndex(indexFiles(info, opts.env));
  const files: SourceFile[] = [];
  const skipped: SkippedPath[] = [];
  const links = new Map<string, string>();
  const deleted: Array<{ path: string; blobId: string }> = [];
  for (const e of parseRawZ(r.stdout)) {
    if (e.status === "D") {
      if (isRegularMode(e.srcMode)) deleted.push({ path: e.path, blobId: e.srcBlob });
      continue;
    }
    if (e.dstMode === MODE_SYMLINK) {
      links.set(e.path, e.dstBlob);
      continue;
    }
    if (!isRegularMode(e.dstMode)) {
      const reason = skipReason(e.dstMode);
      if (reason) skipped.push({ path: e.path, reason });
      continue;
    }
    const blobId = e.dstBlob;
    const file: SourceFile = {
      path: e.path,
      absPath: absUnder(info.topLevel, e.path),
      blobId,
      mode: e.dstMode,
      read: () => reader.read(blobId),
    };
    if (e.status !== "A" && isRegularMode(e.srcMode)) {
      const headBlobId = e.srcBlob;
      file.headBlobId = headBlobId;
      file.readHead = () => reader.read(headBlobId);
    }
    if ((e.status === "R" || e.status === "C") && e.dstPath !== undefined) file.oldPath = e.srcPath;
    files.push(file);
  }
  if (!sync) await addSizeHints(info, opts.env, files);
  if (links.size > 0)
    files.push(...(await resolveLinks(info.topLevel, links, reader, indexLookup(info, opts.env))));
  return {
    files,
    skipped,
    deleted,
    topLevel: info.topLevel,
    commonDir: info.commonDir,
    repo: info,
    close: () => reader.close(),
    reader,
    indexConfigs: () => indexConfigs(info, opts),
  };
}

/**
 * The sizes the index recorded for the files (only where its entry holds the same blob): a
 * read-ahead bound for a scan of many files, never part of a verdict.
 */
async function addSizeHints(
  info: RepoInfo,
  env: NodeJS.ProcessEnv | undefined,
  files: SourceFile[],
): Promise<void> {
  const sizes = new Map<string, { blob: string; size: number }>();
  for (const e of await indexEntries({ top: info.topLevel, ...info, env }))
    if (e.stage === 0 && e.size !== undefined) sizes.set(e.path, { blob: e.blob, size: e.size });
  if (sizes.size === 0) return;
  for (const f of files) {
    const s = sizes.get(f.path);
    if (s && s.blob === f.blobId) f.sizeHint = s.size;
  }
}

/** The index's stage-0 files and symlinks (path → blob id), read once when first asked. */
export function indexFiles(
  info: RepoInfo,
  env: NodeJS.ProcessEnv | undefined,
): () => Promise<Map<string, string>> {
  let p: Promise<Map<string, string>> | undefined;
  return () => {
    p ??= indexEntries({ top: info.topLevel, ...info, env }).then((entries) => {
      const out = new Map<string, string>();
      for (const e of entries)
        if (e.stage === 0 && (isRegularMode(e.mode) || e.mode === MODE_SYMLINK))
          out.set(e.path, e.blob);
      return out;
    });
    return p;
  };
}

/**
 * Every `.sops.yaml` / `.sops.yml` in the index, at any depth (repository path → blob id),
 * from the index's entries (src/git/indexfile.ts).
 */
export async function indexConfigs(
  info: RepoInfo,
  opts: SourceOptions = {},
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await indexEntries({ top: info.topLevel, ...info, env: opts.env })) {
    const base = e.path.slice(e.path.lastIndexOf("/") + 1);
    if ((base === ".sops.yaml" || base === ".sops.yml") && e.stage === 0 && isRegularMode(e.mode))
      out.set(e.path, e.blob);
  }
  return out;
}
