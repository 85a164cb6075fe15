/**
 * The commit hook hands git's staged listing to secret-guard (hooks/pre-commit and the block
 * `install` writes: git lists the changes while Node starts, src/commands/hookfile.ts). Real
 * commits through both hook scripts, with GIT_TRACE counting the git processes: the listing is
 * made once, by the script, and the verdicts are those of a guard that asks git itself. A
 * listing that is not git's complete output for this commit (no trailer, another commit, not a
 * pipe, another folder) is never taken: the guard asks git and still blocks.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LISTING_FUNCTION } from "../../src/commands/hookfile.js";
import { STAGED_LISTING_ARGS } from "../../src/sources/staged.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  BIN,
  binDir,
  FIXTURE_AGE,
  FIXTURES,
  gitTry,
  plainSecret,
  ROOT,
  type Run,
  sg,
  transcript,
} from "./helpers.js";

const CANARY = "listing-canary-Qm9vYmFy-7c1d";
const SECRET_PATH = "flux/secrets/develop/app.yaml";
const POLICY = `creation_rules:
  - path_regex: flux/secrets/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${FIXTURE_AGE}
`;
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
);
const HANDED = "staged listing: handed in by the hook script";

afterAll(() => {
  assertNoCanary([CANARY]);
  cleanupAll();
});

/** `git commit` with GIT_TRACE on: the run and how many `git diff-index` processes it started. */
function tracedCommit(repo: TestRepo, env: NodeJS.ProcessEnv, message: string) {
  const trace = path.join(makeTempDir(), "trace");
  const r = gitTry(repo, ["commit", "-m", message], { ...env, GIT_TRACE: trace });
  const lines = readFileSync(trace, "utf8").split("\n");
  const diffIndex = lines.filter((l) => /built-in: git .*diff-index /.test(l)).length;
  return { ...r, diffIndex };
}

const commits = (repo: TestRepo) => Number(repo.git("rev-list", "--count", "HEAD"));

/** A plaintext Secret is blocked and an encrypted one passes, each with one diff-index. */
function blockedThenPassed(repo: TestRepo, env: NodeJS.ProcessEnv): void {
  const before = commits(repo);
  repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
  repo.git("add", SECRET_PATH);
  const blocked = tracedCommit(repo, env, "leak");
  const out = blocked.stdout + blocked.stderr;
  expect(blocked.code, out).not.toBe(0);
  expect(out).toContain("unencrypted");
  expect(commits(repo)).toBe(before);
  assertNoCanary([CANARY], out);
  repo.write(SECRET_PATH, ENCRYPTED);
  repo.git("add", SECRET_PATH);
  const passed = tracedCommit(repo, env, "encrypted");
  expect(passed.code, passed.stdout + passed.stderr).toBe(0);
  expect(commits(repo)).toBe(before + 1);
  // The clean commit is answered from the script's listing: git listed once, not twice. (The
  // blocked one hands over to the full command line, which asks git again.)
  expect(passed.diffIndex).toBe(1);
}

describe("the hook scripts hand git's listing over", () => {
  it("hooks/pre-commit holds the listing function the install block writes", () => {
    expect(readFileSync(path.join(ROOT, "hooks", "pre-commit"), "utf8")).toContain(
      LISTING_FUNCTION,
    );
  });

  it("the hooks run exactly the git call the guard would run", () => {
    expect(LISTING_FUNCTION).toContain(
      `git ${STAGED_LISTING_ARGS.join(" ")} "$secret_guard_head" -- 2>/dev/null &&`,
    );
    // No argument needs quoting for the shell, so the joined text is the call.
    for (const a of STAGED_LISTING_ARGS) expect(a).toMatch(/^[\w.=-]+$/);
  });

  it("core.hooksPath with hooks/pre-commit: one listing per clean commit, same verdicts", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": POLICY }, commit: "init" });
    const hooks = makeTempDir("secret-guard-hooks-");
    copyFileSync(path.join(ROOT, "hooks", "pre-commit"), path.join(hooks, "pre-commit"));
    chmodSync(path.join(hooks, "pre-commit"), 0o755);
    repo.git("config", "core.hooksPath", hooks);
    blockedThenPassed(repo, { PATH: `${binDir()}:${process.env.PATH}` });
  });

  it("`secret-guard install`: the same, and a ConfigMap-only commit too", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": POLICY }, commit: "init" });
    const env = { PATH: `${binDir()}:${process.env.PATH}` };
    expect(sg(repo, ["install"], { env }).code).toBe(0);
    blockedThenPassed(repo, env);
    repo.write(
      "apps/cm.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
    );
    repo.git("add", "apps/cm.yaml");
    const r = tracedCommit(repo, env, "cm");
    expect(r.code, r.stderr).toBe(0);
    expect(r.diffIndex).toBe(1);
  });

  it("the first commit (no HEAD yet): the guard asks git and blocks", async () => {
    const repo = await makeRepo({ files: {} });
    const env = { PATH: `${binDir()}:${process.env.PATH}` };
    expect(sg(repo, ["install"], { env }).code).toBe(0);
    repo.write(".sops.yaml", POLICY);
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-m", "first"], env);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toContain("unencrypted");
    expect(repo.git("rev-list", "--all", "--count")).toBe("0");
  });
});

describe("a foreign bash hook with `set -euo pipefail` above the block", () => {
  it("the first commit (git has no listing to give) passes when clean, blocks a leak", async () => {
    const repo = await makeRepo({ files: {} });
    const env = { PATH: `${binDir()}:${process.env.PATH}` };
    const hook = path.join(repo.dir, ".git", "hooks", "pre-commit");
    writeFileSync(hook, "#!/usr/bin/env bash\nset -euo pipefail\necho foreign-ran\n", {
      mode: 0o755,
    });
    expect(sg(repo, ["install"], { env }).code).toBe(0);
    expect(readFileSync(hook, "utf8")).toMatch(/set -euo pipefail[\s\S]*secret_guard_listing \|/);
    repo.write(".sops.yaml", POLICY);
    repo.write("README.md", "x\n");
    repo.git("add", "-A");
    const first = gitTry(repo, ["commit", "-m", "first"], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout + first.stderr).toContain("foreign-ran");
    // A later commit: the listing is handed over under pipefail too.
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    const leak = tracedCommit(repo, env, "leak");
    expect(leak.code).not.toBe(0);
    expect(leak.stderr).toContain("unencrypted");
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.git("add", SECRET_PATH);
    const clean = tracedCommit(repo, env, "encrypted");
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.diffIndex).toBe(1);
  });
});

describe("a listing that is not git's for this commit is never taken", () => {
  /** A repository with a staged plaintext Secret and git's own listing of it. */
  async function staged() {
    const repo = await makeRepo({ files: { ".sops.yaml": POLICY }, commit: "init" });
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.write("docs/readme.md", "x\n");
    repo.git("add", "-A");
    const head = repo.git("rev-parse", "HEAD");
    const listing = repo.gitRaw([...STAGED_LISTING_ARGS, head, "--"]);
    return { repo, head, listing };
  }
  const trailer = (commit: string) => Buffer.from(`\0secret-guard-listing-end ${commit}\0`);
  /** `scan --debug` with `input` on stdin (a pipe) and SECRET_GUARD_STAGED_FD=0. */
  const handedScan = (repo: TestRepo, input: Buffer, cwd?: string): Run => {
    const r = spawnSync(process.execPath, [BIN, "scan", "--debug"], {
      cwd: cwd ?? repo.dir,
      env: { ...repo.env, NO_COLOR: "1", SECRET_GUARD_STAGED_FD: "0" },
      input,
      encoding: "utf8",
    });
    const out = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    transcript.push(out.stdout, out.stderr);
    return out;
  };

  it("git's listing with the trailer naming HEAD is taken, and judged as git's", async () => {
    const { repo, head, listing } = await staged();
    const r = handedScan(repo, Buffer.concat([listing, trailer(head)]));
    expect(r.stderr).toContain(HANDED);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(SECRET_PATH);
    expect(r.stdout).toContain("2 files scanned");
  });

  it("without the trailer, with another commit's, or cut short: git is asked, the leak blocked", async () => {
    const { repo, head, listing } = await staged();
    const other = "0123456789abcdef0123456789abcdef01234567";
    // An empty listing (nothing staged) under each unsuitable trailer: taken, it would pass.
    for (const input of [
      Buffer.alloc(0),
      trailer(other),
      trailer(head.slice(0, 39)),
      Buffer.concat([trailer(head), Buffer.from("x")]),
      Buffer.from(`\0secret-guard-listing-end ${head}`),
      Buffer.concat([listing.subarray(0, listing.length - 5)]),
    ]) {
      const r = handedScan(repo, input);
      expect(r.stderr).not.toContain(HANDED);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain(SECRET_PATH);
    }
  });

  it("in a subfolder, or from a file instead of a pipe: git is asked", async () => {
    const { repo, head } = await staged();
    const sub = handedScan(repo, trailer(head), path.join(repo.dir, "docs"));
    expect(sub.stderr).not.toContain(HANDED);
    expect(sub.code).toBe(1);
    const file = path.join(makeTempDir(), "listing");
    writeFileSync(file, trailer(head));
    const r = spawnSync("sh", ["-c", `"${process.execPath}" "${BIN}" scan --debug < "${file}"`], {
      cwd: repo.dir,
      env: { ...repo.env, NO_COLOR: "1", SECRET_GUARD_STAGED_FD: "0" },
      encoding: "utf8",
    });
    transcript.push(r.stdout, r.stderr);
    expect(r.stderr).not.toContain(HANDED);
    expect(r.status).toBe(1);
  });

  it("without SECRET_GUARD_STAGED_FD=0 stdin is not read", async () => {
    const { repo, head } = await staged();
    const r = sg(repo, ["scan", "--debug"], { input: trailer(head).toString("latin1") });
    expect(r.stderr).not.toContain(HANDED);
    expect(r.code).toBe(1);
  });
});
