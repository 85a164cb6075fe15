/**
 * --range mode: every file version introduced by the commits of a range (history scan).
 */

import { GitError, UsageError } from "../errors.js";
import { BlobReader } from "../git/catfile.js";
import { git, NO_QUOTEPATH, stderrHead } from "../git/exec.js";
import { isNullOid, parseLogRawZ } from "../git/parse.js";
import { repoInfo } from "../git/repo.js";
import { absUnder, isRegularMode, skipReason } from "./internal.js";
import type { SkippedPath, SourceFile, SourceList, SourceOptions } from "./types.js";

const RANGE_HINT = "give a revision range such as `origin/main..HEAD` (see `git help revisions`)";

/**
 * Each (path, blob) added or changed by a commit of `range` (e.g. "A..B", or one revision
 * for its whole history), attributed to the oldest such commit. One git call:
 *
 *   git -c core.quotepath=false log --reverse --raw -z --no-abbrev --no-renames --cc --root
 *       --format=%H --no-show-signature --no-color --no-relative --diff-filter=ACMT
 *       --end-of-options <range> --
 *
 *   <commit>\0\n:000000 100644 <zeros> <blob> A\0<path>\0:100644 100644 <old> <new> M\0<path>\0
 *   <merge>\0\0::100644 100644 100644 <p1> <p2> <result> MM\0<path>\0
 *
 * --root: the first commit's files count. --cc: a merge lists only paths whose result
 * differs from every parent (conflict resolutions, "evil" merges); whatever it took
 * unchanged from a parent was introduced by that parent's own commits. --no-renames: a
 * renamed file is an addition at its new path. The explicit --no-* flags keep user config
 * (log.showSignature, diff.relative, color.ui) out of the output.
 */
export async function rangeFiles(
  cwd: string,
  range: string,
  opts: SourceOptions = {},
): Promise<SourceList> {
  if (range.trim() === "") throw new UsageError("empty revision range", RANGE_HINT);
  const info = await repoInfo(cwd, opts);
  const r = await git(
    [
      ...NO_QUOTEPATH,
      "log",
      "--reverse",
      "--raw",
      "-z",
      "--no-abbrev",
      "--no-renames",
      "--cc",
      "--root",
      "--format=%H",
      "--no-show-signature",
      "--no-color",
      "--no-relative",
      "--diff-filter=ACMT",
      "--end-of-options",
      range,
      "--",
    ],
    { cwd: info.topLevel, env: { ...opts.env, LC_ALL: "C" }, allowFail: true },
  );
  if (r.code !== 0) {
    const said = stderrHead(r.stderr, 2);
    if (
      /unknown revision|bad revision|ambiguous argument|invalid revision range|bad object/i.test(
        r.stderr,
      )
    ) {
      throw new UsageError(
        `invalid revision range "${range}"${said ? `: ${said}` : ""}`,
        RANGE_HINT,
      );
    }
    throw new GitError(`git log failed (exit code ${r.code})${said ? `:\n${said}` : ""}`);
  }
  const reader = new BlobReader(info.topLevel, { env: opts.env });
  const files: SourceFile[] = [];
  const skipped: SkippedPath[] = [];
  const seen = new Set<string>();
  const skippedPaths = new Set<string>();
  for (const { commit, entries } of parseLogRawZ(r.stdout)) {
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
