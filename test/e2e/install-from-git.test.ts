/**
 * Installing as the README says, before the package is on a registry: from
 * the git repository (`npm install --save-dev git+…#vX.Y.Z`). npm clones the
 * tag, installs the dev dependencies in the clone, runs `prepare` (which
 * builds dist/ and must not set husky up there), packs and installs the
 * result. Here the repository is a `file://` bare copy of this working tree
 * (tracked and new files, as they are now) with the version's tag, installed
 * into a fresh project: then `npx secret-guard` works, its hook blocks a
 * plaintext commit, the package carries its LICENSE and repository fields,
 * and the user's project has no husky set up by us.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, isolatedGitEnv, makeRepo, makeTempDir } from "../helpers/repo.js";
import { assertNoCanary, gitTry, plainSecret, ROOT, seedPolicy, transcript } from "./helpers.js";

const CANARY = "canary-gitinstall-Tq5-value";
const PKG = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
};

afterAll(() => {
  assertNoCanary([CANARY], transcript.join("\n"));
  cleanupAll();
});

/** A bare repository holding this working tree as one commit, tagged vVERSION. */
function snapshotRepo(): string {
  const home = makeTempDir();
  const env = isolatedGitEnv(home);
  const work = path.join(makeTempDir(), "secret-guard");
  mkdirSync(work);
  const files = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: ROOT, encoding: "utf8" },
  )
    .split("\0")
    .filter((f) => f && existsSync(path.join(ROOT, f)) && statSync(path.join(ROOT, f)).isFile());
  for (const f of files) {
    mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
    copyFileSync(path.join(ROOT, f), path.join(work, f));
  }
  const g = (...args: string[]) => execFileSync("git", args, { cwd: work, env, stdio: "pipe" });
  g("init", "-q", "--initial-branch=main");
  g("add", "-A");
  g("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "snapshot");
  g("tag", `v${PKG.version}`);
  const bare = path.join(makeTempDir(), "secret-guard.git");
  execFileSync("git", ["clone", "-q", "--bare", work, bare], { env, stdio: "pipe" });
  return bare;
}

describe("npm install from the git repository", () => {
  it("git+file://…#vX.Y.Z: prepare builds it; npx secret-guard and the hook work; no husky for the user", async () => {
    const bare = snapshotRepo();
    const repo = await makeRepo({
      files: {
        ".sops.yaml": seedPolicy(),
        "package.json": '{"name":"consumer","private":true}\n',
        ".gitignore": "node_modules/\n",
      },
      commit: "init",
    });
    const env: NodeJS.ProcessEnv = {
      ...repo.env,
      npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), ".npm"),
      npm_config_update_notifier: "false",
      NO_COLOR: "1",
    };
    delete env.CI; // prepare must decide by itself that this is not a development checkout
    const spec = `git+file://${bare}#v${PKG.version}`;
    const inst = spawnSync(
      "npm",
      [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--foreground-scripts",
        "--save-dev",
        spec,
      ],
      { cwd: repo.dir, env, encoding: "utf8" },
    );
    transcript.push(inst.stdout, inst.stderr);
    expect(inst.status, inst.stdout + inst.stderr).toBe(0);
    // prepare ran in npm's clone and set no hooks up there
    expect(inst.stdout + inst.stderr).toContain(
      "dev-hooks: this repository's own git hooks not set up",
    );

    const installed = path.join(repo.dir, "node_modules", "secret-guard");
    expect(existsSync(path.join(installed, "dist", "bundle", "cli.cjs"))).toBe(true);
    expect(readFileSync(path.join(installed, "LICENSE"), "utf8")).toContain("MIT License");
    const meta = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8"));
    expect(meta.repository.url).toContain("github.com/secret-guard/secret-guard");
    expect(meta.homepage).toContain("github.com/secret-guard/secret-guard");
    for (const d of ["src", "test", "scripts", ".husky"]) {
      expect(existsSync(path.join(installed, d)), d).toBe(false);
    }
    expect(JSON.parse(repo.read("package.json").toString()).devDependencies["secret-guard"]).toBe(
      spec,
    );

    const npx = (args: string[]) => {
      const r = spawnSync("npx", ["--no-install", "secret-guard", ...args], {
        cwd: repo.dir,
        env,
        encoding: "utf8",
      });
      transcript.push(r.stdout, r.stderr);
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const v = npx(["--version"]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(PKG.version);
    const hook = npx(["install"]);
    expect(hook.code, hook.stdout + hook.stderr).toBe(0);
    repo.write("flux/secrets/develop/x.yaml", plainSecret("x", { pw: CANARY }));
    repo.git("add", "-A");
    const blocked = gitTry(repo, ["commit", "-m", "leak"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("Commit blocked");
    expect(repo.git("rev-list", "--count", "HEAD")).toBe("1");

    // Nothing of husky in the user's project: no core.hooksPath, no .husky/.
    expect(gitTry(repo, ["config", "--get", "core.hooksPath"]).code).toBe(1);
    expect(existsSync(path.join(repo.dir, ".husky"))).toBe(false);
  }, 600_000);
});
