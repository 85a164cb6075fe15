/**
 * The guard where teams already run hooks, each tool for real against a real
 * repository: lint-staged 16, the pre-commit framework (Debian package) with
 * this repository's .pre-commit-hooks.yaml, and plain core.hooksPath with
 * hooks/pre-commit. Each sees a plaintext Secret blocked and an encrypted one
 * pass.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, BIN, FIXTURES, gitTry, plainSecret, ROOT, seedPolicy } from "./helpers.js";

const CANARY = "canary-integration-5Kp0";
const SECRET_PATH = "flux/secrets/develop/app.yaml";
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
);
const HAS_PRE_COMMIT = spawnSync("pre-commit", ["--version"]).status === 0;
if (!HAS_PRE_COMMIT && process.env.CI)
  throw new Error("pre-commit is required in CI (apt-get install -y pre-commit)");

/** A `secret-guard` on PATH that runs this checkout. */
function binDir(): string {
  const dir = makeTempDir();
  writeFileSync(
    path.join(dir, "secret-guard"),
    `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`,
  );
  chmodSync(path.join(dir, "secret-guard"), 0o755);
  return dir;
}

function blockedThenPassed(repo: TestRepo, env: NodeJS.ProcessEnv): void {
  repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
  repo.git("add", SECRET_PATH);
  const blocked = gitTry(repo, ["commit", "-m", "leak"], env);
  expect(blocked.code, blocked.stdout + blocked.stderr).not.toBe(0);
  expect(blocked.stdout + blocked.stderr).toContain("unencrypted");
  assertNoCanary([CANARY], blocked.stdout + blocked.stderr);
  repo.write(SECRET_PATH, ENCRYPTED);
  repo.git("add", SECRET_PATH);
  const passed = gitTry(repo, ["commit", "-m", "encrypted"], env);
  expect(passed.code, passed.stdout + passed.stderr).toBe(0);
}

afterAll(() => cleanupAll());

describe("integrations", () => {
  it("lint-staged 16 passes the staged names to secret-guard scan", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": seedPolicy(),
        "package.json": `${JSON.stringify({ name: "x", private: true, "lint-staged": { "*": "secret-guard scan" } })}\n`,
      },
      commit: "init",
    });
    const bin = binDir();
    const lintStaged = path.join(ROOT, "node_modules", "lint-staged", "bin", "lint-staged.js");
    repo.write(".git/hooks/pre-commit", `#!/bin/sh\nexec "${process.execPath}" "${lintStaged}"\n`);
    chmodSync(path.join(repo.dir, ".git/hooks/pre-commit"), 0o755);
    blockedThenPassed(repo, { PATH: `${bin}:${process.env.PATH}` });
  });

  it.skipIf(!HAS_PRE_COMMIT)(
    "the pre-commit framework runs the hook this repository defines",
    async () => {
      // the hook repository: a clone of this checkout with the current hook definition committed
      const hookRepo = await makeRepo({
        files: {
          ".pre-commit-hooks.yaml": readFileSync(path.join(ROOT, ".pre-commit-hooks.yaml")),
        },
        commit: "hooks",
      });
      const rev = hookRepo.git("rev-parse", "HEAD");
      const repo = await makeRepo({
        files: {
          ".sops.yaml": seedPolicy(),
          ".pre-commit-config.yaml": `repos:\n  - repo: ${hookRepo.dir}\n    rev: ${rev}\n    hooks:\n      - id: secret-guard\n`,
        },
        commit: "init",
      });
      const env = {
        PATH: `${binDir()}:${process.env.PATH}`,
        PRE_COMMIT_HOME: path.join(repo.home, "pre-commit"),
      };
      execFileSync("pre-commit", ["install"], {
        cwd: repo.dir,
        env: { ...repo.env, ...env },
        stdio: "pipe",
      });
      blockedThenPassed(repo, env);
    },
  );

  it("plain core.hooksPath with hooks/pre-commit and secret-guard on PATH", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "init" });
    mkdirSync(path.join(repo.dir, "githooks"));
    copyFileSync(
      path.join(ROOT, "hooks", "pre-commit"),
      path.join(repo.dir, "githooks", "pre-commit"),
    );
    chmodSync(path.join(repo.dir, "githooks", "pre-commit"), 0o755);
    repo.git("config", "core.hooksPath", "githooks");
    blockedThenPassed(repo, { PATH: `${binDir()}:${process.env.PATH}` });
  });
});
