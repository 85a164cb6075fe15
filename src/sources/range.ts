/**
 * --range mode: every file version introduced by the commits of a range.
 */

import { NotARepoError, UsageError } from "../errors.js";
import { BlobReader } from "../git/catfile.js";
import { walkLog } from "../git/log.js";
import { isNullOid, isOid, MODE_SYMLINK } from "../git/parse.js";
import { bareGitDir, repoInfo } from "../git/repo.js";
import { absUnder, isRegularMode, skipReason } from "./internal.js";
import { commitLookup, resolveLinks } from "./links.js";
import type { SkippedPath, SourceFile, SourceList, SourceOptions } from "./types.js";

const RANGE_HINT = "give a revision range such as `origin/main..HEAD` (see `git help revisions`)";

/**
 * Each (path, blob) added or changed by a commit of `range` (e.g. "A..B", or one revision
 * for its whole history), attributed to the oldest such commit: the same one log walk as
 * `history` (src/git/log.ts: parents before children, every commit diffed against its first
 * parent, merges included, so a conflict resolution's content counts; renames are an
 * addition at the new path). Deletions and submodules are not judged (submodules are listed
 * as skipped); a symlink is listed with what it resolves to in its commit's tree.
 */
export async function rangeFiles(
  cwd: string,
  range: string,
  opts: SourceOptions = {},
): Promise<SourceList> {
  if (range.trim() === "") throw new UsageError("empty revision range", RANGE_HINT);
  const top = await topOf(cwd, opts);
  return listCommits(top, await walkLog(top, [range], { env: opts.env }), opts);
}

/**
 * What revFiles accepts: full object ids (optionally `^id` or `a..b`) and the
 * pseudo-options the push hooks use (`--not`, `--all`, `--remotes=<name>`, `--branches`).
 */
const INTERNAL_REV =
  /^(\^?[0-9a-f]{40}([0-9a-f]{24})?|[0-9a-f]{40,64}\.\.[0-9a-f]{40,64}|--not|--all|--branches|--tags|--remotes(=[^\s=][^\s]*)?)$/;

/**
 * The same for the push hooks' own revision lists (`<sha>... --not --all`): object ids
 * from git's stdin and fixed pseudo-options only, checked here, so they can be given to git
 * log as options. Works in a bare repository (a server's pre-receive): paths are then
 * relative to the git directory. A list with nothing to walk (a push that only deletes)
 * starts no git process.
 */
export async function revFiles(
  cwd: string,
  revs: readonly string[],
  opts: SourceOptions = {},
): Promise<SourceList> {
  for (const rev of revs) {
    if (!INTERNAL_REV.test(rev))
      throw new UsageError(`not a revision the guard walks: "${rev.slice(0, 80)}"`);
  }
  const top = await topOf(cwd, opts);
  const walk = revs.some((r) => isOid(r) || /\.\./.test(r));
  const commits = walk ? await walkLog(top, [...revs], { env: opts.env, options: true }) : [];
  return listCommits(top, commits, opts);
}

/** The work tree's top level; in a bare repository (a server's pre-receive) the git directory. */
async function topOf(cwd: string, opts: SourceOptions): Promise<string> {
  try {
    return (await repoInfo(cwd, opts)).topLevel;
  } catch (e) {
    if (!(e instanceof NotARepoError)) throw e;
    const bare = await bareGitDir(cwd, opts);
    if (!bare) throw e;
    return bare;
  }
}

async function listCommits(
  top: string,
  commits: Awaited<ReturnType<typeof walkLog>>,
  opts: SourceOptions,
): Promise<SourceList> {
  const info = { topLevel: top };
  const reader = new BlobReader(info.topLevel, { env: opts.env });
  const files: SourceFile[] = [];
  const skipped: SkippedPath[] = [];
  const seen = new Set<string>();
  const skippedPaths = new Set<string>();
  for (const { id: commit, entries } of commits) {
    const links = new Map<string, string>();
    for (const e of entries) {
      if (e.status === "D" || isNullOid(e.dstBlob)) continue;
      const key = `${e.dstBlob}\0${e.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (e.dstMode === MODE_SYMLINK) {
        links.set(e.path, e.dstBlob);
        continue;
      }
      if (!isRegularMode(e.dstMode)) {
        const reason = skipReason(e.dstMode);
        if (reason && !skippedPaths.has(e.path)) skipped.push({ path: e.path, reason });
        skippedPaths.add(e.path);
        continue;
      }
      const blobId = e.dstBlob;
      const file: SourceFile = {
        path: e.path,
        absPath: absUnder(info.topLevel, e.path),
        blobId,
        mode: e.dstMode,
        commit,
        read: () => reader.read(blobId),
      };
      // The version before this commit (its first parent's), for encryption-removed.
      if (e.status === "M" && !isNullOid(e.srcBlob)) {
        const before = e.srcBlob;
        file.headBlobId = before;
        file.readHead = () => reader.read(before);
      }
      files.push(file);
    }
    if (links.size > 0)
      files.push(
        ...(await resolveLinks(top, links, reader, commitLookup(top, commit, opts.env), commit)),
      );
  }
  return { files, skipped, topLevel: info.topLevel, close: () => reader.close(), reader };
}
