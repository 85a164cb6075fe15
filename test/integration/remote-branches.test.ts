/**
 * `history`'s pushedTo: the branches answered from the remote graph in memory are the
 * ones `git for-each-ref --contains` names, commit by commit, in the same order.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  remoteBranchesContaining,
  remoteBranchesContainingAll,
  remoteGraph,
} from "../../src/git/refs.js";
import { cleanupAll, makeRepo } from "../helpers/repo.js";

afterAll(cleanupAll);

describe("remoteBranchesContainingAll", () => {
  it("names the same remote branches as for-each-ref --contains", async () => {
    const repo = await makeRepo();
    const ids: string[] = [];
    repo.write("a", "1");
    ids.push(repo.commitAll("one"));
    repo.write("a", "2");
    ids.push(repo.commitAll("two"));
    repo.git("checkout", "-q", "-b", "side", ids[0]!);
    repo.write("b", "1");
    ids.push(repo.commitAll("side"));
    repo.git("checkout", "-q", "main");
    repo.git("merge", "-q", "--no-ff", "-m", "merge", "side");
    ids.push(repo.git("rev-parse", "HEAD"));
    repo.write("a", "3");
    ids.push(repo.commitAll("local only"));
    // Remote-tracking refs as a fetch leaves them: branches, a symbolic HEAD, a bare name.
    repo.git("update-ref", "refs/remotes/origin/main", ids[3]!);
    repo.git("update-ref", "refs/remotes/origin/side", ids[2]!);
    repo.git("update-ref", "refs/remotes/up/old", ids[0]!);
    repo.git("update-ref", "refs/remotes/lonely", ids[1]!);
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main");
    const env = repo.env;
    const graph = await remoteGraph(repo.dir, env);
    expect(graph.has(ids[4]!)).toBe(false);
    const all = await remoteBranchesContainingAll(repo.dir, ids, graph, env);
    expect(all).toBeDefined();
    for (const id of ids)
      expect(all!.get(id)).toEqual(await remoteBranchesContaining(repo.dir, id, env));
    expect(all!.get(ids[0]!)).toEqual(["origin/main", "origin/side", "up/old"]);

    // A remote ref that is no commit: told per commit by git instead.
    const tree = repo.git("rev-parse", "HEAD^{tree}");
    repo.git("update-ref", "refs/remotes/origin/tree", tree);
    expect(await remoteBranchesContainingAll(repo.dir, ids, graph, env)).toBeUndefined();
  });
});
