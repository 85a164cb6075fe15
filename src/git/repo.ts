/**
 * Where the repository is, in one git call.
 */

import path from "node:path";
import { GitError, NotARepoError } from "../errors.js";
import { git, gitEnv, gitSync, stderrHead, traceNote } from "./exec.js";
import { type RepoInfo, repoInfoFromFiles } from "./repofiles.js";

export type { RepoInfo } from "./repofiles.js";

/** The empty tree, per object format: what a diff "against nothing" compares with. */
export const EMPTY_TREE: Readonly<Record<string, string>> = {
  sha1: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
  sha256: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
};

const NOT_A_REPO_HINT = "run secret-guard inside a git work tree, or create one with `git init`";

/**
 * Where the repository around `cwd` is: from its files in the plain layout at the top level
 * (src/git/repofiles.ts), else from git (repoInfoFromGit).
 */
export async function repoInfo(
  cwd: string,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<RepoInfo> {
  const files = repoInfoFromFiles(cwd, gitEnv(opts.env));
  if (files) {
    traceNote(`repository: read from its files (${files.gitDir})`);
    return files;
  }
  return repoInfoFromGit(cwd, opts);
}

/**
 * repoInfo() as git answers it, whatever the layout, in one call:
 *
 *   git rev-parse --show-toplevel --absolute-git-dir --git-path index --show-object-format
 *                 --verify -q HEAD
 *
 * prints, one per line:
 *
 *   /abs/top-level
 *   /abs/.git
 *   .git/index          (relative to cwd unless absolute; honours GIT_INDEX_FILE exactly
 *                        as git does, i.e. a relative GIT_INDEX_FILE is taken from the top level)
 *   sha1
 *   <HEAD commit id>    (only when HEAD resolves)
 *
 * and exits 0, or exits 1 with no 5th line and no stderr when HEAD is unborn (no commit
 * yet). Outside a repository it exits 128 ("not a git repository"); in a bare repository
 * or inside .git, --show-toplevel fails ("must be run in a work tree").
 * LC_ALL=C keeps those messages recognisable.
 */
export async function repoInfoFromGit(
  cwd: string,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<RepoInfo> {
  // Run to completion (spawnSync): nothing else waits meanwhile, and it costs less than
  // a process with piped streams.
  const r = gitSync(
    [
      "-c",
      "core.quotepath=false",
      "rev-parse",
      "--show-toplevel",
      "--absolute-git-dir",
      "--git-path",
      "index",
      "--show-object-format",
      "--git-common-dir",
      "--verify",
      "-q",
      "HEAD",
    ],
    { cwd, env: { ...opts.env, LC_ALL: "C" }, allowFail: true },
  );
  if (r.code !== 0 && r.code !== 1) {
    if (/not a git repository/i.test(r.stderr)) {
      throw new NotARepoError(`not inside a git repository (${cwd})`, NOT_A_REPO_HINT);
    }
    if (/must be run in a work tree/i.test(r.stderr)) {
      throw new NotARepoError(
        `not inside a git work tree (${cwd} is a bare repository or a .git directory)`,
        NOT_A_REPO_HINT,
      );
    }
    throw new GitError(
      `git rev-parse failed (exit code ${r.code})${r.stderr ? `:\n${stderrHead(r.stderr)}` : ""}`,
    );
  }
  // Paths may contain anything but "\n" here (rev-parse does not quote); a top level with a
  // newline in its name is not supported.
  const lines = r.stdout.toString("utf8").split("\n");
  const [topLevel, gitDir, index, objectFormat, common, head] = lines;
  if (!topLevel || !gitDir || !index || !objectFormat || !common || (r.code === 0 && !head)) {
    throw new GitError(
      `unexpected git rev-parse output (exit code ${r.code})${r.stderr ? `:\n${stderrHead(r.stderr)}` : ""}`,
    );
  }
  const info: RepoInfo = {
    topLevel,
    gitDir,
    hasHead: r.code === 0,
    indexFile: path.resolve(cwd, index),
    objectFormat,
    commonDir: path.resolve(cwd, common),
  };
  if (r.code === 0) info.head = head;
  return info;
}

/**
 * The git directory of a bare repository (where a server's pre-receive hook runs), or
 * undefined when `cwd` is not inside one:
 *
 *   git rev-parse --is-bare-repository --absolute-git-dir
 *
 *   true
 *   /srv/git/repo.git
 */
export async function bareGitDir(
  cwd: string,
  opts: { env?: NodeJS.ProcessEnv } = {},
): Promise<string | undefined> {
  const r = await git(["rev-parse", "--is-bare-repository", "--absolute-git-dir"], {
    cwd,
    env: { ...opts.env, LC_ALL: "C" },
    allowFail: true,
  });
  if (r.code !== 0) return undefined;
  const [bare, dir] = r.stdout.toString("utf8").split("\n");
  return bare === "true" && dir ? dir : undefined;
}

/**
 * `core.hooksPath` as configured ("" when unset).
 *
 *   git config --get core.hooksPath    → <value> LF, or exit 1 when unset
 */
export async function hooksPathConfig(top: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await git(["config", "--get", "core.hooksPath"], { cwd: top, env, allowFail: true });
  return r.code === 0 ? r.stdout.toString().trim() : "";
}

/**
 * The folder git runs hooks from, absolute (honours core.hooksPath and worktrees).
 *
 *   git rev-parse --git-path hooks     → <path relative to cwd or absolute> LF
 */
export async function hooksDir(top: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await git(["rev-parse", "--git-path", "hooks"], { cwd: top, env });
  return path.resolve(top, r.stdout.toString().trim());
}

/**
 * The top level of the work tree around `cwd`, or undefined outside one (synchronous).
 *
 *   git rev-parse --show-toplevel      → /abs/top LF
 */
export function topLevelSync(cwd: string, env?: NodeJS.ProcessEnv): string | undefined {
  const r = gitSync(["rev-parse", "--show-toplevel"], { cwd, env, allowFail: true });
  return r.code === 0 ? r.stdout.toString().trim() : undefined;
}

/**
 * The git directory, absolute (a linked worktree's private one).
 *
 *   git rev-parse --absolute-git-dir   → /abs/.git LF
 */
export async function absoluteGitDir(top: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await git(["rev-parse", "--absolute-git-dir"], { cwd: top, env });
  return r.stdout.toString().trim();
}

/**
 * The repository's common git directory, absolute: the main `.git` of a linked worktree
 * (shared by all its worktrees), else the git directory itself.
 *
 *   git rev-parse --git-common-dir     → <path relative to cwd or absolute> LF
 */
export async function commonGitDir(top: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const r = await git(["rev-parse", "--git-common-dir"], { cwd: top, env });
  return path.resolve(top, r.stdout.toString("utf8").replace(/\n$/, ""));
}
