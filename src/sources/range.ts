/**
 * --range mode: every file version introduced by the commits of a range.
 */

import { UsageError } from "../errors.js";
import { BlobReader } from "../git/catfile.js";
import { walkLog } from "../git/log.js";
import { isNullOid } from "../git/parse.js";
import { repoInfo } from "../git/repo.js";
import { absUnder, isRegularMode, skipReason } from "./internal.js";
import type { SkippedPath, SourceFile, SourceList, SourceOptions } from "./types.js";

const RANGE_HINT = "give a revision range such as `origin/main..HEAD` (see `git help revisions`)";

/**
 * Each (path, blob) added or changed by a commit of `range` (e.g. "A..B", or one revision
 * for its whole history), attributed to the oldest such commit: the same one log walk as
 * `history` (src/git/log.ts: parents before children, every commit diffed against its first
 * parent, merges included, so a conflict resolution's content counts; renames are an
 * addition at the new path). Deletions and non-regular files (symlinks, submodules) are
 * not judged; the latter are listed as skipped.
 */
export async function rangeFiles(
  cwd: string,
  range: string,
  opts: SourceOptions = {},
): Promise<SourceList> {
  if (range.trim() === "") throw new UsageError("empty revision range", RANGE_HINT);
  return revFiles(cwd, [range], opts);
}

/** The same for a list of revision arguments as git log takes them (`<sha> --not --all`). */
export async function revFiles(
  cwd: string,
  revs: string[],
  opts: SourceOptions = {},
): Promise<SourceList> {
  const info = await repoInfo(cwd, opts);
  const commits = await walkLog(info.topLevel, revs, { env: opts.env });
  const reader = new BlobReader(info.topLevel, { env: opts.env });
  const files: SourceFile[] = [];
  const skipped: SkippedPath[] = [];
  const seen = new Set<string>();
  const skippedPaths = new Set<string>();
  for (const { id: commit, entries } of commits) {
    for (const e of entries) {
      if (e.status === "D" || isNullOid(e.dstBlob)) continue;
      const key = `${e.dstBlob}\0${e.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!isRegularMode(e.dstMode)) {
        const reason = skipReason(e.dstMode);
        if (reason && !skippedPaths.has(e.path)) skipped.push({ path: e.path, reason });
        skippedPaths.add(e.path);
        continue;
      }
      const blobId = e.dstBlob;
      files.push({
        path: e.path,
        absPath: absUnder(info.topLevel, e.path),
        blobId,
        mode: e.dstMode,
        commit,
        read: () => reader.read(blobId),
      });
    }
  }
  return { files, skipped, topLevel: info.topLevel, close: () => reader.close(), reader };
}
