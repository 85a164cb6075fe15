/**
 * Enforced end to end: `install` puts its block where git really runs it and
 * proves it (after a foreign `exit 0`, an `exec`, the pre-commit framework, an
 * inactive `.husky/`, husky 9), `uninstall` takes out exactly that; what the
 * commit hook can miss (`--no-verify`, merges, a teammate without hooks) is
 * stopped by pre-merge-commit, pre-push and the server's pre-receive. Real git,
 * real bare remotes, real pre-commit and husky; canaries never in any output.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it, type TestContext } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  FIXTURES,
  gitTry,
  plainSecret,
  ROOT,
  SEED_AGE,
  seedPolicy,
  sg,
  transcript,
} from "./helpers.js";

const CANARY = "canary-enforce-Vv93-password";
const CANARY_2 = "canary-enforce-Qm21-token";
const CANARIES = [CANARY, CANARY_2];
const SECRET_PATH = "flux/secrets/develop/app.yaml";
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
  "utf8",
);

afterAll(() => {
  assertNoCanary(CANARIES);
  cleanupAll();
});

const commits = (repo: TestRepo, rev = "HEAD") => Number(repo.git("rev-list", "--count", rev));

async function policyRepo(): Promise<TestRepo> {
  return makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
}

function setHook(repo: TestRepo, rel: string, text: string): void {
  repo.write(rel, text);
  chmodSync(path.join(repo.dir, rel), 0o755);
}

/** A plaintext commit is blocked (keys named, never the value) and nothing is committed. */
function plaintextBlocked(repo: TestRepo, env: NodeJS.ProcessEnv = {}): string {
  const before = commits(repo);
  repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
  repo.git("add", SECRET_PATH);
  const r = gitTry(repo, ["commit", "-m", "leak"], env);
  const out = r.stdout + r.stderr;
  expect(r.code, out).not.toBe(0);
  expect(out).toContain("unencrypted");
  expect(commits(repo)).toBe(before);
  assertNoCanary(CANARIES, out);
  repo.git("reset", "-q", "--hard");
  return out;
}

/** A bare repository as the remote `origin`, with main pushed. */
function withRemote(repo: TestRepo): string {
  const bare = path.join(makeTempDir("secret-guard-remote-"), "remote.git");
  repo.git("init", "-q", "--bare", "--initial-branch=main", bare);
  repo.git("remote", "add", "origin", bare);
  repo.git("push", "-q", "origin", "main");
  return bare;
}

const remoteHas = (repo: TestRepo, bare: string, rev: string) =>
  spawnSync("git", ["--git-dir", bare, "cat-file", "-e", `${rev}^{commit}`], { env: repo.env })
    .status === 0;

describe("install puts the block where git runs it, and proves it", () => {
  it("a foreign hook ending in `exit 0`: block at the top, verified, the commit blocked", async () => {
    const repo = await policyRepo();
    setHook(repo, ".git/hooks/pre-commit", "#!/bin/sh\n# lint\necho foreign-ran\nexit 0\n");
    const r = sg(repo, ["install"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("at its top, before its exit/exec");
    expect(r.stdout).toMatch(/verified: git runs it \(answered: pre-commit \d/);
    const text = readFileSync(path.join(repo.dir, ".git/hooks/pre-commit"), "utf8");
    expect(text.indexOf(">>> secret-guard >>>")).toBeLessThan(text.indexOf("exit 0"));
    expect(text).not.toContain(ROOT); // no machine path in a hook file
    plaintextBlocked(repo);
    // the foreign hook still runs for a clean commit
    repo.write("README.md", "x\n");
    repo.git("add", "README.md");
    const ok = gitTry(repo, ["commit", "-m", "readme"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).toContain("foreign-ran");
    // idempotent
    expect(sg(repo, ["install"]).stdout).toContain("already installed");
  });

  it("a foreign hook ending in `exec …` (as lefthook/pre-commit style hooks do)", async () => {
    const repo = await policyRepo();
    setHook(repo, ".git/hooks/pre-commit", "#!/usr/bin/env bash\nexec true\n");
    const r = sg(repo, ["install", "--hooks", "pre-commit"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("verified");
    expect(r.stdout).not.toContain("pre-push");
    plaintextBlocked(repo);
  });

  it("an older install that appended the block after `exit 0` is moved to the top", async () => {
    const repo = await policyRepo();
    setHook(repo, ".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n");
    sg(repo, ["install", "--hooks", "pre-commit"]);
    const ours = readFileSync(path.join(repo.dir, ".git/hooks/pre-commit"), "utf8");
    const block = ours.slice(ours.indexOf("# >>>"), ours.indexOf("<<<") + 20);
    setHook(repo, ".git/hooks/pre-commit", `#!/bin/sh\nexit 0\n\n${block}`);
    const r = sg(repo, ["install", "--hooks", "pre-commit"]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain("updated");
    plaintextBlocked(repo);
  });

  it("a hook git does not run is reported as not working, exit 1", async () => {
    // husky 9 configured (core.hooksPath .husky/_) but its wrapper folder never created (a
    // fresh clone before `npm install`): git runs nothing, and install says so
    const repo = await policyRepo();
    repo.git("config", "core.hooksPath", ".husky/_");
    const r = sg(repo, ["install", "--hooks", "pre-commit"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("not working: git finds no runnable hook");
    expect(r.stdout).not.toContain("verified");
  });

  it("a foreign hook in another language is chained: ours runs first, then it", async () => {
    const repo = await policyRepo();
    const python = spawnSync("python3", ["--version"]).status === 0;
    const interp = python ? "/usr/bin/env python3" : "/usr/bin/env node";
    const body = python ? "print('foreign-python-ran')\n" : "console.log('foreign-python-ran')\n";
    setHook(repo, ".git/hooks/pre-commit", `#!${interp}\n${body}`);
    const r = sg(repo, ["install", "--hooks", "pre-commit"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("moved aside");
    plaintextBlocked(repo);
    repo.write("README.md", "x\n");
    repo.git("add", "README.md");
    const ok = gitTry(repo, ["commit", "-m", "readme"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).toContain("foreign-python-ran");
    // uninstall puts it back byte for byte
    const u = sg(repo, ["uninstall"]);
    expect(u.code).toBe(0);
    expect(readFileSync(path.join(repo.dir, ".git/hooks/pre-commit"), "utf8")).toBe(
      `#!${interp}\n${body}`,
    );
  });

  it("the pre-commit framework's hook: install refuses, prints the config entry; --hooks pre-push works beside it", async (ctx: TestContext) => {
    if (spawnSync("pre-commit", ["--version"]).status !== 0) {
      if (process.env.CI) throw new Error("pre-commit is required in CI");
      ctx.skip("pre-commit is not installed");
    }
    const repo = await makeRepo({
      files: {
        ".sops.yaml": seedPolicy(),
        ".pre-commit-config.yaml":
          "repos:\n  - repo: local\n    hooks:\n      - id: noop\n        name: noop\n        entry: 'true'\n        language: system\n",
      },
      commit: "init",
    });
    const env = { ...repo.env, PRE_COMMIT_HOME: path.join(repo.home, "pc") };
    const inst = spawnSync("pre-commit", ["install"], { cwd: repo.dir, env, encoding: "utf8" });
    expect(inst.status, inst.stderr).toBe(0);
    const hookFile = path.join(repo.dir, ".git/hooks/pre-commit");
    const before = readFileSync(hookFile, "utf8");
    const r = sg(repo, ["install"], { env: { PRE_COMMIT_HOME: env.PRE_COMMIT_HOME } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pre-commit framework");
    expect(r.stderr).toContain("- id: secret-guard");
    expect(r.stderr).toContain("secret-guard install --hooks pre-merge-commit,pre-push");
    expect(readFileSync(hookFile, "utf8")).toBe(before);
    const push = sg(repo, ["install", "--hooks", "pre-push"]);
    expect(push.code, push.stdout + push.stderr).toBe(0);
    expect(push.stdout).toContain("verified");
  });

  it("an inactive .husky/ (core.hooksPath unset): said so, installed where git runs hooks", async () => {
    const repo = await makeRepo({
      files: { ".sops.yaml": seedPolicy(), ".husky/pre-commit": "npm test\n" },
      commit: "init",
    });
    const r = sg(repo, ["install"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("git does not run it");
    expect(r.stdout).toMatch(/pre-commit hook installed: \.git\/hooks\/pre-commit\n {2}✔ verified/);
    const husky = repo.read(".husky/pre-commit").toString();
    expect(husky.startsWith("npm test\n")).toBe(true);
    expect(husky).toContain(">>> secret-guard >>>");
    expect(husky).not.toContain(ROOT);
    plaintextBlocked(repo);
  });

  it("husky 9 active: the block in .husky/, no machine path, verified through husky's wrapper", async () => {
    const repo = await makeRepo({
      files: { "package.json": '{"name":"x","private":true}\n', ".sops.yaml": seedPolicy() },
      commit: "init",
    });
    const husky = spawnSync(process.execPath, [path.join(ROOT, "node_modules/husky/bin.js")], {
      cwd: repo.dir,
      env: repo.env,
      encoding: "utf8",
    });
    expect(husky.status, husky.stderr).toBe(0);
    const r = sg(repo, ["install"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.match(/✔ verified/g)).toHaveLength(3);
    for (const h of ["pre-commit", "pre-merge-commit", "pre-push"])
      expect(repo.read(`.husky/${h}`).toString()).not.toContain(ROOT);
    expect(existsSync(path.join(repo.dir, ".git/hooks/pre-commit"))).toBe(false);
    plaintextBlocked(repo);
    const u = sg(repo, ["uninstall"]);
    expect(u.code).toBe(0);
    expect(existsSync(path.join(repo.dir, ".husky/pre-commit"))).toBe(false);
    expect(repo.git("config", "--get-all", "core.hooksPath")).toBe(".husky/_");
  });

  it("uninstall removes exactly what install added", async () => {
    const repo = await policyRepo();
    const foreign = "#!/bin/sh\n# mine\necho mine\nexit 0\n";
    setHook(repo, ".git/hooks/pre-commit", foreign);
    expect(sg(repo, ["install"]).code).toBe(0);
    expect(repo.git("config", "secret-guard.path")).toContain("secret-guard.js");
    const u = sg(repo, ["uninstall"]);
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(path.join(repo.dir, ".git/hooks/pre-commit"), "utf8")).toBe(foreign);
    expect(existsSync(path.join(repo.dir, ".git/hooks/pre-push"))).toBe(false);
    expect(existsSync(path.join(repo.dir, ".git/hooks/pre-merge-commit"))).toBe(false);
    expect(gitTry(repo, ["config", "secret-guard.path"]).code).not.toBe(0);
    expect(sg(repo, ["uninstall"]).stdout).toContain("nothing changed");
  });
});

describe("what the commit hook can miss", () => {
  it("pre-merge-commit stops a merge that brings a plaintext Secret", async () => {
    const repo = await policyRepo();
    repo.git("checkout", "-q", "-b", "feature");
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    repo.git("commit", "-q", "--no-verify", "-m", "leak (hook skipped)");
    repo.git("checkout", "-q", "main");
    repo.write("README.md", "main moves on\n");
    repo.commitAll("main");
    expect(sg(repo, ["install"]).code).toBe(0);
    const m = gitTry(repo, ["merge", "--no-edit", "feature"]);
    expect(m.code).not.toBe(0);
    expect(m.stdout + m.stderr).toContain("unencrypted");
    expect(commits(repo)).toBe(2);
    assertNoCanary(CANARIES, m.stdout + m.stderr);
  });

  it("pre-push stops a --no-verify commit; the remote never receives it; a new branch too", async () => {
    const repo = await policyRepo();
    const bare = withRemote(repo);
    expect(sg(repo, ["install"]).code).toBe(0);
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    repo.git("commit", "-q", "--no-verify", "-m", "leak (hook skipped)");
    const leak = repo.git("rev-parse", "HEAD");
    repo.write("README.md", "later\n");
    repo.git("commit", "-q", "-am", "later", "--allow-empty");
    repo.commitAll("later");
    const p = gitTry(repo, ["push", "origin", "main"]);
    expect(p.code).not.toBe(0);
    const out = p.stdout + p.stderr;
    expect(out).toContain("Push blocked");
    expect(out).toContain(leak.slice(0, 12));
    expect(remoteHas(repo, bare, leak)).toBe(false);
    // the same commits on a new branch
    repo.git("checkout", "-q", "-b", "topic");
    const nb = gitTry(repo, ["push", "origin", "topic"]);
    expect(nb.code).not.toBe(0);
    expect(remoteHas(repo, bare, leak)).toBe(false);
    // a clean new branch from main's pushed tip passes, and only its own commits are judged
    repo.git("checkout", "-q", "-b", "clean", "origin/main");
    repo.write("docs.md", "ok\n");
    repo.commitAll("docs");
    const ok = gitTry(repo, ["push", "origin", "clean"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    // deleting a branch is never judged
    expect(gitTry(repo, ["push", "origin", "--delete", "clean"]).code).toBe(0);
    assertNoCanary(CANARIES, out + nb.stdout + nb.stderr);
  });

  it("install --server: a plaintext push from a client without hooks is rejected, a clean one accepted", async () => {
    const seed = await policyRepo();
    const bare = withRemote(seed);
    // outside a bare repository --server refuses
    expect(sg(seed, ["install", "--server"]).code).toBe(2);
    const srv = sg(seed, ["install", "--server"], { cwd: bare });
    expect(srv.code, srv.stdout + srv.stderr).toBe(0);
    expect(srv.stdout).toContain("pre-receive hook installed");
    expect(srv.stdout).toContain("verified");
    // a teammate: a fresh clone, no hooks at all
    const mate = await makeRepo();
    mate.git("remote", "add", "origin", bare);
    mate.git("fetch", "-q", "origin");
    mate.git("checkout", "-q", "-B", "main", "origin/main");
    mate.write(SECRET_PATH, plainSecret("app", { pw: CANARY, token: CANARY_2 }));
    const leak = mate.commitAll("leak");
    const rejected = gitTry(mate, ["push", "origin", "main"]);
    expect(rejected.code).not.toBe(0);
    const out = rejected.stdout + rejected.stderr;
    expect(out).toContain("pre-receive hook declined");
    expect(out).toContain(SECRET_PATH);
    expect(out).toContain("pw");
    expect(out).toContain("Push rejected");
    expect(remoteHas(mate, bare, leak)).toBe(false);
    // the same leak on a new branch
    const nb = gitTry(mate, ["push", "origin", "main:refs/heads/topic"]);
    expect(nb.code).not.toBe(0);
    expect(remoteHas(mate, bare, leak)).toBe(false);
    // rewritten and force-pushed over: accepted; the leak never reaches the server
    mate.git("reset", "-q", "--hard", "origin/main");
    mate.write(SECRET_PATH, ENCRYPTED);
    const clean = mate.commitAll("encrypted");
    const ok = gitTry(mate, ["push", "origin", "main"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(remoteHas(mate, bare, clean)).toBe(true);
    // a force-push that rewrites main to carry a plaintext commit is judged too
    mate.git("reset", "-q", "--hard", "HEAD~1");
    mate.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    const forced = mate.commitAll("force leak");
    const f = gitTry(mate, ["push", "--force", "origin", "main"]);
    expect(f.code).not.toBe(0);
    expect(remoteHas(mate, bare, forced)).toBe(false);
    // a new branch of already-known commits is not judged again: accepted
    expect(gitTry(mate, ["push", "origin", `${clean}:refs/heads/copy`]).code).toBe(0);
    assertNoCanary(CANARIES, out + f.stdout + f.stderr);
  });

  it("each pushed commit is judged with its own .sops.yaml", async () => {
    const seed = await makeRepo({ files: { "README.md": "x\n" }, commit: "no policy yet" });
    const bare = withRemote(seed);
    expect(sg(seed, ["install", "--server"], { cwd: bare }).code).toBe(0);
    // a commit adds a plaintext file under a rule's path together with the rule itself
    seed.write(".sops.yaml", seedPolicy());
    seed.write(
      "flux/secrets/develop/config.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: y\n",
    );
    seed.commitAll("policy and a file it covers");
    const r = gitTry(seed, ["push", "origin", "main"]);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("flux/secrets/develop/config.yaml");
  });
});

describe("the hints and the policy", () => {
  it("after a blocked `git commit -a` the printed fix really fixes what is committed", async () => {
    const repo = await policyRepo();
    expect(sg(repo, ["install", "--hooks", "pre-commit"]).code).toBe(0);
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.commitAll("encrypted");
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    const a = gitTry(repo, ["commit", "-a", "-m", "edit"]);
    expect(a.code).not.toBe(0);
    const out = a.stdout + a.stderr;
    const fix = /fix: (git add -- \S+ && npx secret-guard scan --fix)/.exec(out);
    expect(fix, out).not.toBeNull();
    expect(out).not.toMatch(/^fix: npx secret-guard scan --fix$/m);
    // run the printed command as written (npx secret-guard → this checkout)
    const [add, scanFix] = fix![1]!.split(" && ");
    repo.gitRaw(add!.split(" ").slice(1));
    expect(scanFix).toBe("npx secret-guard scan --fix");
    const f = sg(repo, ["scan", "--fix"]);
    expect(f.code, f.stdout + f.stderr).toBe(0);
    expect(f.stdout + f.stderr).toContain("fixed:");
    const c = gitTry(repo, ["commit", "-m", "edit"]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(repo.git("show", `HEAD:${SECRET_PATH}`)).toContain("ENC[AES256_GCM");

    // git commit PATH: the same
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY_2 }));
    const p = gitTry(repo, ["commit", "-m", "only", "--", SECRET_PATH]);
    expect(p.code).not.toBe(0);
    expect(p.stdout + p.stderr).toContain(
      `git add -- ${SECRET_PATH} && npx secret-guard scan --fix`,
    );
    assertNoCanary(CANARIES, out + p.stdout + p.stderr);
  });

  it("staging a .sops.yaml that names other recipients re-judges the covered files", async () => {
    const repo = await policyRepo();
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.commitAll("encrypted");
    expect(sg(repo, ["scan", "--all"]).code).toBe(0);
    repo.write(".sops.yaml", seedPolicy(SEED_AGE));
    repo.git("add", ".sops.yaml");
    const r = sg(repo, ["scan", "--debug"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain("recipient-mismatch");
    expect(r.stdout).toContain(`npx secret-guard updatekeys ${SECRET_PATH}`);
    // --debug names the config files used
    expect(r.stderr).toMatch(/debug: policy: .*\.sops\.yaml; settings: none/);
    expect(sg(repo, ["scan", "--all"]).code).toBe(1);
  });

  it("--debug and explain name the .secret-guard.yaml used", async () => {
    const repo = await policyRepo();
    repo.write(".secret-guard.yaml", "ignore:\n  - fixtures/**\n");
    repo.write("README.md", "x\n");
    repo.git("add", "README.md", ".secret-guard.yaml");
    const r = sg(repo, ["scan", "--debug"]);
    expect(r.stderr).toMatch(/debug: policy: .*\.sops\.yaml; settings: .*\.secret-guard\.yaml/);
    repo.write(SECRET_PATH, plainSecret("app", { pw: "${PW}" }));
    const e = sg(repo, ["explain", SECRET_PATH]);
    expect(e.stdout).toContain(".secret-guard.yaml");
    expect(transcript.length).toBeGreaterThan(0);
  });
});
