/**
 * Where the repository is, read from its files (src/git/repofiles.ts), against
 * `git rev-parse` (repoInfoFromGit) on every layout: the same answer, or a decline and
 * git answers. The hook's own environment (GIT_INDEX_FILE, GIT_DIR of a linked worktree)
 * is taken from a real `git commit`.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gitEnv } from "../../src/git/exec.js";
import { repoInfo, repoInfoFromGit } from "../../src/git/repo.js";
import { repoInfoFromFiles } from "../../src/git/repofiles.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";

afterAll(cleanupAll);

async function both(cwd: string, env: NodeJS.ProcessEnv) {
  const files = repoInfoFromFiles(cwd, gitEnv(env));
  const git = await repoInfoFromGit(cwd, { env });
  return { files, git };
}

async function expectSame(cwd: string, env: NodeJS.ProcessEnv) {
  const { files, git } = await both(cwd, env);
  expect(files, "the files should answer this layout").toBeDefined();
  expect(files).toEqual(git);
  expect(await repoInfo(cwd, { env })).toEqual(git);
}

async function expectDeclined(cwd: string, env: NodeJS.ProcessEnv) {
  expect(repoInfoFromFiles(cwd, gitEnv(env))).toBeUndefined();
  // repoInfo() still answers, as git does.
  let fromGit: unknown;
  try {
    fromGit = await repoInfoFromGit(cwd, { env });
  } catch (e) {
    fromGit = (e as Error).message;
  }
  let got: unknown;
  try {
    got = await repoInfo(cwd, { env });
  } catch (e) {
    got = (e as Error).message;
  }
  expect(got).toEqual(fromGit);
}

async function committed(): Promise<TestRepo> {
  return makeRepo({ files: { "a.yaml": "a: 1\n", "sub/b.yaml": "b: 1\n" }, commit: "base" });
}

/** The environment and working directory git gives a pre-commit hook, from a real commit. */
function hookEnv(
  repo: TestRepo,
  cwd: string,
  args: string[],
): { env: NodeJS.ProcessEnv; cwd: string } {
  const out = path.join(makeTempDir("hook-env-"), "env.json");
  const hooks = path.join(makeTempDir("hooks-"), "hooks");
  fs.mkdirSync(hooks);
  fs.writeFileSync(
    path.join(hooks, "pre-commit"),
    `#!/bin/sh\nexec "${process.execPath}" -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({ env: process.env, cwd: process.cwd() }))' "${out}"\n`,
    { mode: 0o755 },
  );
  const r = spawnSync(
    "git",
    ["-c", `core.hooksPath=${hooks}`, "commit", "-q", "-m", "x", ...args],
    {
      cwd,
      env: repo.env,
      encoding: "utf8",
    },
  );
  expect(r.status, r.stderr).toBe(0);
  const got = JSON.parse(fs.readFileSync(out, "utf8")) as { env: NodeJS.ProcessEnv; cwd: string };
  return got;
}

describe("the repository read from its files equals git rev-parse", () => {
  it("a plain repository at its top level, a branch as a loose ref", async () => {
    const repo = await committed();
    await expectSame(repo.dir, repo.env);
  });

  it("packed refs, a detached HEAD, and sha256", async () => {
    const repo = await committed();
    repo.git("pack-refs", "--all");
    expect(fs.existsSync(path.join(repo.dir, ".git", "refs", "heads", "main"))).toBe(false);
    await expectSame(repo.dir, repo.env);
    repo.git("checkout", "-q", "--detach");
    await expectSame(repo.dir, repo.env);
    const sha = await makeRepo({ objectFormat: "sha256", files: { "a.yaml": "a\n" }, commit: "c" });
    await expectSame(sha.dir, sha.env);
    expect(repoInfoFromFiles(sha.dir, gitEnv(sha.env))?.objectFormat).toBe("sha256");
  });

  it("GIT_INDEX_FILE, relative and absolute, as `git commit -a` and `git commit PATH` set it", async () => {
    const repo = await committed();
    await expectSame(repo.dir, { ...repo.env, GIT_INDEX_FILE: ".git/index.lock" });
    await expectSame(repo.dir, { ...repo.env, GIT_INDEX_FILE: "/tmp/elsewhere/next-index.lock" });
    repo.write("a.yaml", "a: 2\n");
    const hook = hookEnv(repo, repo.dir, ["-a"]);
    expect(hook.env.GIT_INDEX_FILE).toBeDefined();
    await expectSame(hook.cwd, hook.env);
  });

  it("a linked worktree, from its top level and from its hook (GIT_DIR set)", async () => {
    const repo = await committed();
    const wt = path.join(makeTempDir("wt-"), "linked");
    repo.git("worktree", "add", "-q", "-b", "side", wt);
    const wtEnv = repo.env;
    await expectSame(wt, wtEnv);
    fs.writeFileSync(path.join(wt, "c.yaml"), "c: 1\n");
    spawnSync("git", ["add", "c.yaml"], { cwd: wt, env: wtEnv });
    const hook = hookEnv(repo, wt, []);
    expect(hook.env.GIT_DIR).toBeDefined();
    await expectSame(hook.cwd, hook.env);
  });

  it("a separate git directory (`git init --separate-git-dir`), through a symlinked path", async () => {
    const root = makeTempDir("sep-");
    const env = (await committed()).env;
    const work = path.join(root, "work");
    const store = path.join(root, "store.git");
    spawnSync("git", ["init", "-q", "--separate-git-dir", store, work], { env });
    fs.writeFileSync(path.join(work, "a.yaml"), "a: 1\n");
    spawnSync("git", ["add", "-A"], { cwd: work, env });
    spawnSync("git", ["commit", "-q", "-m", "x"], { cwd: work, env });
    await expectSame(work, env);
    const link = path.join(root, "link");
    fs.symlinkSync(work, link);
    await expectSame(link, env);
  });
});

describe("layouts only git can read are left to git", () => {
  it("a folder below the top level, inside .git, a bare repository, no repository", async () => {
    const repo = await committed();
    await expectDeclined(path.join(repo.dir, "sub"), repo.env);
    await expectDeclined(path.join(repo.dir, ".git"), repo.env);
    const bare = path.join(makeTempDir("bare-"), "b.git");
    spawnSync("git", ["init", "-q", "--bare", bare], { env: repo.env });
    await expectDeclined(bare, repo.env);
    await expectDeclined(makeTempDir("none-"), repo.env);
  });

  it("an unborn branch, a symbolic ref that is no branch, reftable-style HEAD", async () => {
    const repo = await makeRepo();
    await expectDeclined(repo.dir, repo.env);
    const c = await committed();
    fs.writeFileSync(path.join(c.dir, ".git", "HEAD"), "ref: refs/remotes/origin/main\n");
    await expectDeclined(c.dir, c.env);
    fs.writeFileSync(path.join(c.dir, ".git", "HEAD"), "ref: refs/heads/.invalid\n");
    await expectDeclined(c.dir, c.env);
  });

  it("settings that move the work tree or the config: core.worktree, core.bare, includes, worktree config", async () => {
    for (const [key, value] of [
      ["core.worktree", "/tmp"],
      ["core.bare", "true"],
      ["include.path", "other.cfg"],
      ["extensions.worktreeConfig", "true"],
    ] as const) {
      const repo = await committed();
      repo.git("config", key, value);
      await expectDeclined(repo.dir, repo.env);
    }
    const inc = await committed();
    inc.git("config", "includeIf.gitdir:/nowhere/.path", "x.cfg");
    await expectDeclined(inc.dir, inc.env);
  });

  it("the environment: GIT_WORK_TREE, GIT_COMMON_DIR, a relative GIT_DIR, -c core.* and GIT_CONFIG_COUNT", async () => {
    const repo = await committed();
    await expectDeclined(repo.dir, { ...repo.env, GIT_WORK_TREE: repo.dir });
    await expectDeclined(repo.dir, { ...repo.env, GIT_COMMON_DIR: path.join(repo.dir, ".git") });
    await expectDeclined(repo.dir, { ...repo.env, GIT_DIR: ".git" });
    await expectDeclined(repo.dir, {
      ...repo.env,
      GIT_CONFIG_PARAMETERS: "'core.worktree'='/tmp'",
    });
    await expectDeclined(repo.dir, {
      ...repo.env,
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "core.bare",
      GIT_CONFIG_VALUE_0: "true",
    });
    await expectDeclined(repo.dir, { ...repo.env, GIT_CONFIG_PARAMETERS: "'core.bare=true'" });
    // Harmless ones (`git -c user.name=… commit`, `-c core.hooksPath=…`) are fine.
    await expectSame(repo.dir, {
      ...repo.env,
      GIT_CONFIG_PARAMETERS: "'user.name'='a' 'core.hookspath'='/x'",
    });
    await expectSame(repo.dir, {
      ...repo.env,
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "core.hooksPath",
      GIT_CONFIG_VALUE_0: "/x",
    });
  });

  it("a .git file that does not point at a git directory", async () => {
    const dir = makeTempDir("odd-");
    fs.writeFileSync(path.join(dir, ".git"), "not a gitdir line\n");
    await expectDeclined(dir, (await committed()).env);
  });
});
