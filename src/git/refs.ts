/** Remote-tracking refs: what has left the machine. */
import { git } from "./exec.js";

/**
 * Every commit reachable from a remote-tracking ref (empty without remotes).
 *
 *   git rev-list --remotes     → <oid> LF ...
 */
export async function remoteCommits(top: string, env: NodeJS.ProcessEnv): Promise<Set<string>> {
  const r = await git(["rev-list", "--remotes"], { cwd: top, env, allowFail: true });
  if (r.code !== 0) return new Set();
  return new Set(r.stdout.toString("latin1").split("\n").filter(Boolean));
}

/**
 * Remote-tracking branches that contain `commit` (symbolic remote HEADs left out).
 *
 *   git for-each-ref --contains <commit> --format=%(refname:short) refs/remotes
 *     → origin/main LF origin/feature LF ...
 */
export async function remoteBranchesContaining(
  top: string,
  commit: string,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const r = await git(
    ["for-each-ref", "--contains", commit, "--format=%(refname:short)", "refs/remotes"],
    { cwd: top, env, allowFail: true },
  );
  if (r.code !== 0) return [];
  return r.stdout
    .toString("utf8")
    .split("\n")
    .filter((s) => s !== "" && !s.endsWith("/HEAD") && !/^[^/]+$/.test(s));
}
