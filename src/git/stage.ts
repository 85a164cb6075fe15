/**
 * Writing to the object database and the index (for auto-fix: re-stage an encrypted file).
 *
 * Both honour GIT_INDEX_FILE: inherited from process.env (set by git for hooks, e.g. the
 * temporary index of `git commit -a`) or given in `env`. Re-staging into that index is what
 * makes the fixed content the one that gets committed.
 */

import { GitError } from "../errors.js";
import { git } from "./exec.js";
import { isOid } from "./parse.js";

export interface IndexEntry {
  /** e.g. "100644" or "100755". */
  mode: string;
  blobId: string;
  /** Repository-relative, "/" separators (taken from the top level whatever the cwd). */
  path: string;
}

/**
 * Store `bytes` as a blob and return its id.
 *
 *   git hash-object -w --stdin --no-filters   <- bytes
 *   -> <oid>\n
 *
 * --no-filters: the bytes are stored as given (no clean filter, no eol conversion).
 */
export async function writeBlob(
  cwd: string,
  bytes: Buffer | string,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const r = await git(["hash-object", "-w", "--stdin", "--no-filters"], {
    cwd,
    input: bytes,
    env,
  });
  const oid = r.stdout.toString("utf8").trim();
  if (!isOid(oid)) throw new GitError(`unexpected git hash-object output "${oid.slice(0, 80)}"`);
  return oid;
}

/**
 * Point index entries at blobs (adding them if absent), in one call.
 *
 *   git update-index -z --add --index-info   <- <mode> SP <oid> TAB <path> NUL ...
 *
 * --index-info paths are relative to the top level even when cwd is a subdirectory.
 */
export async function updateIndexEntries(
  cwd: string,
  entries: readonly IndexEntry[],
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  if (entries.length === 0) return;
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (!/^[0-7]{6}$/.test(e.mode)) throw new GitError(`invalid index mode "${e.mode}"`);
    if (!isOid(e.blobId)) throw new GitError(`invalid blob id "${e.blobId.slice(0, 80)}"`);
    if (e.path === "" || e.path.includes("\0")) throw new GitError("invalid index path");
    parts.push(Buffer.from(`${e.mode} ${e.blobId}\t${e.path}\0`, "utf8"));
  }
  await git(["update-index", "-z", "--add", "--index-info"], {
    cwd,
    input: Buffer.concat(parts),
    env,
  });
}

/** Point one index entry at a blob (see updateIndexEntries). */
export function updateIndexEntry(
  cwd: string,
  entry: IndexEntry,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  return updateIndexEntries(cwd, [entry], env);
}
