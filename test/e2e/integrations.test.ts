/**
 * The guard where teams already run hooks, each tool for real against a real
 * repository and a real `git commit`: lint-staged 16, the pre-commit framework
 * (Debian package `pre-commit`: a `repo: local` hook, and this repository's
 * `.pre-commit-hooks.yaml`), plain `core.hooksPath` with hooks/pre-commit, and
 * the GitHub Action's scan step. Each sees a plaintext Secret blocked and an
 * encrypted one pass; no canary value ever shows up in any output.
 *
 * A missing tool skips its test with the reason, except under CI, where it fails.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it, type TestContext } from "vitest";
import { parse as parseYaml } from "yaml";
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
  transcript,
} from "./helpers.js";

const CANARY = "canary-integration-5Kp0";
const CANARY_UNSTAGED = "canary-integration-unstaged-7Rt2";
const SECRET_PATH = "flux/secrets/develop/app.yaml";
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
);
const POLICY = `creation_rules:
  - path_regex: flux/secrets/develop/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${FIXTURE_AGE}
`;
const LINT_STAGED = path.join(ROOT, "node_modules", "lint-staged", "bin", "lint-staged.js");

function preCommitVersion(): string | undefined {
  const r = spawnSync("pre-commit", ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
const PRE_COMMIT = preCommitVersion();

/** Skip with the reason when a tool is missing; under CI a missing tool is a failure. */
function requireTool(ctx: TestContext, available: unknown, reason: string): void {
  if (available) return;
  if (process.env.CI) throw new Error(`${reason}; it is required in CI`);
  ctx.skip(reason);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8" });
  transcript.push(r.stdout ?? "", r.stderr ?? "");
  return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

const commits = (repo: TestRepo) => Number(repo.git("rev-list", "--count", "HEAD"));

/** A plaintext Secret commit is blocked (keys named, value never); the encrypted one passes. */
function blockedThenPassed(repo: TestRepo, env: NodeJS.ProcessEnv): void {
  const before = commits(repo);
  repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
  repo.git("add", SECRET_PATH);
  const blocked = gitTry(repo, ["commit", "-m", "leak"], env);
  const out = blocked.stdout + blocked.stderr;
  expect(blocked.code, out).not.toBe(0);
  expect(out).toContain("unencrypted");
  expect(out).toContain("pw");
  expect(commits(repo)).toBe(before);
  assertNoCanary([CANARY], out);
  repo.write(SECRET_PATH, ENCRYPTED);
  repo.git("add", SECRET_PATH);
  const passed = gitTry(repo, ["commit", "-m", "encrypted"], env);
  expect(passed.code, passed.stdout + passed.stderr).toBe(0);
  expect(commits(repo)).toBe(before + 1);
}

afterAll(() => {
  assertNoCanary([CANARY, CANARY_UNSTAGED]);
  cleanupAll();
});

describe("lint-staged 16", () => {
  it("runs `node bin/secret-guard.js scan` on the staged names, judged as staged", async (ctx) => {
    requireTool(ctx, existsSync(LINT_STAGED), `lint-staged is not installed (${LINT_STAGED})`);
    const repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        "package.json": `${JSON.stringify(
          {
            name: "x",
            private: true,
            "lint-staged": { "*": `${process.execPath} ${BIN} scan` },
          },
          null,
          2,
        )}\n`,
      },
      commit: "init",
    });
    repo.write(".git/hooks/pre-commit", `#!/bin/sh\nexec "${process.execPath}" "${LINT_STAGED}"\n`);
    chmodSync(path.join(repo.dir, ".git/hooks/pre-commit"), 0o755);
    blockedThenPassed(repo, {});

    // lint-staged hides unstaged changes, so `scan PATH` sees what is staged:
    // staged plaintext with an encrypted working copy is still blocked ...
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY_UNSTAGED }));
    repo.git("add", SECRET_PATH);
    repo.write(SECRET_PATH, ENCRYPTED);
    const blocked = gitTry(repo, ["commit", "-m", "staged plaintext"]);
    expect(blocked.code, blocked.stdout + blocked.stderr).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("unencrypted");
    repo.git("restore", "--staged", SECRET_PATH);
    // ... and a staged encrypted file with a plaintext working copy passes; the working
    // copy is given back as it was
    const other = "flux/secrets/develop/other.yaml";
    repo.write(other, ENCRYPTED);
    repo.git("add", other);
    repo.write(other, plainSecret("other", { pw: CANARY_UNSTAGED }));
    const passed = gitTry(repo, ["commit", "-m", "encrypted, plaintext left unstaged"]);
    expect(passed.code, passed.stdout + passed.stderr).toBe(0);
    expect(repo.git("show", `HEAD:${other}`)).toContain("ENC[AES256_GCM");
    expect(repo.read(other).toString()).toContain(CANARY_UNSTAGED);
    assertNoCanary(
      [CANARY_UNSTAGED],
      blocked.stdout + blocked.stderr + passed.stdout + passed.stderr,
    );
  });

  it("the README's form, `secret-guard scan` found on PATH, blocks too", async (ctx) => {
    requireTool(ctx, existsSync(LINT_STAGED), `lint-staged is not installed (${LINT_STAGED})`);
    const repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        "package.json": `${JSON.stringify({ name: "x", private: true, "lint-staged": { "*": "secret-guard scan" } })}\n`,
      },
      commit: "init",
    });
    repo.write(".git/hooks/pre-commit", `#!/bin/sh\nexec "${process.execPath}" "${LINT_STAGED}"\n`);
    chmodSync(path.join(repo.dir, ".git/hooks/pre-commit"), 0o755);
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "leak"], { PATH: `${binDir()}:${process.env.PATH}` });
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("unencrypted");
    expect(commits(repo)).toBe(1);
  });
});

describe("pre-commit framework", () => {
  /** pre-commit keeps its cache and logs under HOME / PRE_COMMIT_HOME: both in the temp dir. */
  const preCommitEnv = (repo: TestRepo, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...repo.env,
    PRE_COMMIT_HOME: path.join(repo.home, "pre-commit-cache"),
    ...extra,
  });

  it("a `repo: local` hook with `node bin/secret-guard.js scan`, language system", async (ctx) => {
    requireTool(ctx, PRE_COMMIT, "pre-commit is not installed (apt-get install -y pre-commit)");
    const repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        ".pre-commit-config.yaml": `repos:
  - repo: local
    hooks:
      - id: secret-guard
        name: secret-guard
        entry: ${process.execPath} ${BIN} scan
        language: system
        require_serial: true
`,
      },
      commit: "init",
    });
    const env = preCommitEnv(repo);
    const valid = run("pre-commit", ["validate-config", ".pre-commit-config.yaml"], repo.dir, env);
    expect(valid.code, valid.out).toBe(0);
    const inst = run("pre-commit", ["install"], repo.dir, env);
    expect(inst.code, inst.out).toBe(0);
    blockedThenPassed(repo, { PRE_COMMIT_HOME: env.PRE_COMMIT_HOME });
  });

  it("this repository's .pre-commit-hooks.yaml, used as a hook repository", async (ctx) => {
    requireTool(ctx, PRE_COMMIT, "pre-commit is not installed (apt-get install -y pre-commit)");
    // The shipped definition: one hook, `secret-guard scan` on PATH, language system (so
    // pre-commit installs nothing and needs no network; `language: node` would npm-install
    // the hook repository from git).
    const manifestFile = path.join(ROOT, ".pre-commit-hooks.yaml");
    const manifest = parseYaml(readFileSync(manifestFile, "utf8")) as Array<
      Record<string, unknown>
    >;
    // the system hook, and the node one the framework installs by itself from the pinned rev
    expect(manifest.map((h) => h.id)).toEqual(["secret-guard", "secret-guard-node"]);
    expect(manifest[0]).toMatchObject({
      id: "secret-guard",
      entry: "secret-guard scan",
      language: "system",
    });
    expect(manifest[1]).toMatchObject({ entry: "secret-guard scan", language: "node" });
    for (const h of manifest) expect(h.pass_filenames).not.toBe(false);
    const hookRepo = await makeRepo({
      files: { ".pre-commit-hooks.yaml": readFileSync(manifestFile) },
      commit: "hooks",
    });
    const vm = run(
      "pre-commit",
      ["validate-manifest", ".pre-commit-hooks.yaml"],
      hookRepo.dir,
      hookRepo.env,
    );
    expect(vm.code, vm.out).toBe(0);
    // pre-commit clones the hook repository at `rev` (a local path works offline)
    const repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        ".pre-commit-config.yaml": `repos:\n  - repo: ${hookRepo.dir}\n    rev: ${hookRepo.git("rev-parse", "HEAD")}\n    hooks:\n      - id: secret-guard\n`,
      },
      commit: "init",
    });
    const env = preCommitEnv(repo, { PATH: `${binDir()}:${process.env.PATH}` });
    const inst = run("pre-commit", ["install"], repo.dir, env);
    expect(inst.code, inst.out).toBe(0);
    blockedThenPassed(repo, { PRE_COMMIT_HOME: env.PRE_COMMIT_HOME, PATH: env.PATH });
    // without secret-guard on PATH the hook fails instead of passing
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    const missing = gitTry(repo, ["commit", "-m", "no guard"], {
      PRE_COMMIT_HOME: env.PRE_COMMIT_HOME,
      PATH: "/usr/bin:/bin",
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stdout + missing.stderr).toMatch(/secret-guard.{0,3} not found/);
  });
});

describe("plain git hooks", () => {
  it("core.hooksPath → a folder holding a copy of hooks/pre-commit, secret-guard on PATH", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": POLICY }, commit: "init" });
    const hooks = makeTempDir("secret-guard-hooks-");
    copyFileSync(path.join(ROOT, "hooks", "pre-commit"), path.join(hooks, "pre-commit"));
    chmodSync(path.join(hooks, "pre-commit"), 0o755);
    repo.git("config", "core.hooksPath", hooks);
    const env = { PATH: `${binDir()}:${process.env.PATH}` };
    blockedThenPassed(repo, env);
    // not on PATH (and no node_modules/.bin): blocked with a message, never a silent pass
    repo.write("README.md", "x\n");
    repo.git("add", "README.md");
    const r = gitTry(repo, ["commit", "-m", "no guard"], { PATH: "/usr/bin:/bin" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("secret-guard: not found");
  });
});

describe("GitHub Action (action.yml)", () => {
  const action = parseYaml(readFileSync(path.join(ROOT, "action.yml"), "utf8")) as {
    inputs: Record<string, { default?: string }>;
    runs: {
      using: string;
      steps: Array<{
        id?: string;
        uses?: string;
        run?: string;
        env?: Record<string, string>;
        "working-directory"?: string;
      }>;
    };
  };
  const SCRIPT = path.join(ROOT, "scripts", "ci-scan.sh");
  const ZERO = "0".repeat(40);

  it("runs its own revision (built from action_path), pinned actions, event data only through env", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(["mode", "range", "sarif-file", "upload-sarif"]),
    );
    const text = readFileSync(path.join(ROOT, "action.yml"), "utf8");
    expect(text).not.toMatch(/npx|secret-guard@/);
    const build = action.runs.steps[0]!;
    expect(build["working-directory"]).toBe("${{ github.action_path }}");
    expect(build.run).toContain("npm ci");
    expect(build.run).toContain("npm run build");
    const scan = action.runs.steps.find((s) => s.id === "scan")!;
    expect(scan.run).toContain("scripts/ci-scan.sh");
    for (const s of action.runs.steps) {
      if (s.run) expect(s.run).not.toContain("${{");
      if (s.uses) expect(s.uses).toMatch(/^[\w./-]+@[0-9a-f]{40}$/);
    }
    expect(
      action.runs.steps.some((s) => s.uses?.startsWith("github/codeql-action/upload-sarif")),
    ).toBe(true);
  });

  /** An origin with main, and the commits a push or pull request adds: the leak in the middle. */
  async function origin() {
    const repo = await makeRepo({ files: { ".sops.yaml": POLICY }, commit: "base" });
    for (let i = 0; i < 5; i++) {
      repo.write(`docs/${i}.md`, `${i}\n`);
      repo.commitAll(`history ${i}`);
    }
    const base = repo.git("rev-parse", "HEAD");
    repo.git("checkout", "-q", "-b", "feature");
    repo.write("notes.md", "one\n");
    repo.commitAll("one");
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    const leak = repo.commitAll("leak (the hook skipped)");
    repo.write(SECRET_PATH, ENCRYPTED);
    const head = repo.commitAll("encrypted over it: the tip is clean");
    return { repo, base, leak, head };
  }

  /** `git clone --depth 1 file://…` as actions/checkout does, then the script with GitHub's env. */
  function ciRun(
    o: { repo: TestRepo },
    branch: string,
    event: string,
    payload: unknown,
    extra: NodeJS.ProcessEnv = {},
  ) {
    const ws = makeTempDir("secret-guard-ci-");
    const dir = path.join(ws, "checkout");
    const c = run(
      "git",
      ["clone", "-q", "--depth", "1", "--branch", branch, `file://${o.repo.dir}`, dir],
      ws,
      o.repo.env,
    );
    expect(c.code, c.out).toBe(0);
    expect(readFileSync(path.join(dir, ".git", "shallow"), "utf8").trim()).not.toBe("");
    const eventFile = path.join(ws, "event.json");
    writeFileSync(eventFile, JSON.stringify(payload));
    const output = path.join(ws, "github-output");
    writeFileSync(output, "");
    const r = run("bash", [SCRIPT], dir, {
      ...o.repo.env,
      GITHUB_EVENT_NAME: event,
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_OUTPUT: output,
      SG_SARIF: path.join(ws, "secret-guard.sarif"),
      ...extra,
    });
    const sarifFile = path.join(ws, "secret-guard.sarif");
    return {
      ...r,
      output: readFileSync(output, "utf8"),
      sarif: existsSync(sarifFile) ? readFileSync(sarifFile, "utf8") : "",
    };
  }

  it("pull_request on a shallow clone: the leak inside base..head is found though the tip is clean", async () => {
    const o = await origin();
    const r = ciRun(
      o,
      "feature",
      "pull_request",
      {
        pull_request: { base: { sha: o.base }, head: { sha: o.head } },
        repository: { default_branch: "main" },
      },
      { GITHUB_SHA: o.head, GITHUB_BASE_REF: "main" },
    );
    expect(r.code, r.out).toBe(0); // the step records the status; the action's last step fails
    expect(r.output).toContain(`range=--range ${o.base}..${o.head}`);
    expect(r.output).toContain("status=1");
    expect(r.out).toContain("unencrypted");
    expect(r.out).toContain(SECRET_PATH);
    expect(r.out).toContain("shallow checkout");
    const sarif = JSON.parse(r.sarif);
    expect(sarif.runs[0].results.map((x: { ruleId: string }) => x.ruleId)).toContain("unencrypted");
    assertNoCanary([CANARY], r.out + r.sarif);
  });

  it("push: before..after on a shallow clone; a new branch: the commits not on the default branch", async () => {
    const o = await origin();
    // fast-forward main to the feature: a push of three commits
    o.repo.git("checkout", "-q", "main");
    o.repo.git("merge", "-q", "--ff-only", "feature");
    const push = ciRun(
      o,
      "main",
      "push",
      { before: o.base, after: o.head, repository: { default_branch: "main" } },
      { GITHUB_SHA: o.head },
    );
    expect(push.output).toContain(`range=--range ${o.base}..${o.head}`);
    expect(push.output).toContain("status=1");
    expect(push.out).toContain(SECRET_PATH);
    o.repo.git("reset", "-q", "--hard", o.base);
    // a new branch: before is all zeros
    const nb = ciRun(
      o,
      "feature",
      "push",
      { before: ZERO, after: o.head, repository: { default_branch: "main" } },
      { GITHUB_SHA: o.head },
    );
    expect(nb.output).toContain(`range=--range ${o.base}..${o.head}`);
    expect(nb.output).toContain("status=1");
    // a clean push passes
    o.repo.git("checkout", "-q", "feature");
    o.repo.write("more.md", "x\n");
    const clean = o.repo.commitAll("clean");
    const ok = ciRun(
      o,
      "feature",
      "push",
      { before: o.head, after: clean, repository: { default_branch: "main" } },
      { GITHUB_SHA: clean },
    );
    expect(ok.output).toContain(`range=--range ${o.head}..${clean}`);
    expect(ok.output).toContain("status=0");
    // bad input exits 2
    const bogus = ciRun(o, "feature", "workflow_dispatch", {}, { SG_MODE: "range" });
    expect(bogus.code).toBe(2);
    expect(bogus.out).toContain("needs the range input");
    assertNoCanary([CANARY], push.out + nb.out + ok.out);
  });
});
