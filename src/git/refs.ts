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
 * Every commit reachable from a remote-tracking ref, with its parents (empty without remotes):
 * the same commits as remoteCommits, and the graph to tell which branch holds which.
 *
 *   git rev-list --parents --remotes     → <oid> <parent oid>... LF ...
 */
export async function remoteGraph(
  top: string,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, string[]>> {
  const r = await git(["rev-list", "--parents", "--remotes"], { cwd: top, env, allowFail: true });
  const graph = new Map<string, string[]>();
  if (r.code !== 0) return graph;
  for (const line of r.stdout.toString("latin1").split("\n")) {
    if (line === "") continue;
    const [id = "", ...parents] = line.split(" ");
    graph.set(id, parents);
  }
  return graph;
}

/** The names remoteBranchesContaining reports (symbolic remote HEADs and bare names left out). */
function isBranchName(s: string): boolean {
  return s !== "" && !s.endsWith("/HEAD") && !/^[^/]+$/.test(s);
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
  return r.stdout.toString("utf8").split("\n").filter(isBranchName);
}

/**
 * remoteBranchesContaining for many commits at once, answered from `graph` (remoteGraph) and
 * ONE listing of the remote-tracking refs, in for-each-ref's order:
 *
 *   git for-each-ref --format=%(objecttype)%00%(objectname)%00%(refname:short) refs/remotes
 *
 * A branch contains a commit when the commit is its tip or an ancestor of it. Undefined when
 * that cannot be told the same way (a ref that is not a commit, a tip outside the graph, a
 * failed listing): the caller then asks git per commit.
 */
export async function remoteBranchesContainingAll(
  top: string,
  commits: readonly string[],
  graph: Map<string, string[]>,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, string[]> | undefined> {
  const r = await git(
    ["for-each-ref", "--format=%(objecttype)%00%(objectname)%00%(refname:short)", "refs/remotes"],
    { cwd: top, env, allowFail: true },
  );
  if (r.code !== 0) return undefined;
  const tips: Array<{ name: string; commit: string }> = [];
  for (const line of r.stdout.toString("utf8").split("\n")) {
    if (line === "") continue;
    const [type, commit = "", name = "", ...rest] = line.split("\0");
    if (type !== "commit" || rest.length > 0 || !graph.has(commit)) return undefined;
    tips.push({ name, commit });
  }
  // Children of every commit, then per asked commit its descendants (itself included).
  const children = new Map<string, string[]>();
  for (const [id, parents] of graph) {
    for (const p of parents) {
      const list = children.get(p);
      if (list) list.push(id);
      else children.set(p, [id]);
    }
  }
  const out = new Map<string, string[]>();
  for (const commit of commits) {
    if (out.has(commit)) continue;
    const reached = new Set<string>();
    if (graph.has(commit)) {
      const stack = [commit];
      reached.add(commit);
      while (stack.length > 0) {
        for (const c of children.get(stack.pop()!) ?? []) {
          if (reached.has(c)) continue;
          reached.add(c);
          stack.push(c);
        }
      }
    }
    out.set(
      commit,
      tips.filter((t) => reached.has(t.commit) && isBranchName(t.name)).map((t) => t.name),
    );
  }
  return out;
}
