/**
 * The package as users get it: `npm pack`, the tarball installed into a fresh
 * project (runtime dependencies from the registry), then the installed
 * `secret-guard` binary (--version, scan), its hook (`secret-guard install`
 * and a real blocked `git commit`; `core.hooksPath node_modules/secret-guard/hooks`
 * as the README says), and the library API and its declaration files.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir } from "../helpers/repo.js";
import {
  assertNoCanary,
  FIXTURES,
  gitTry,
  plainSecret,
  ROOT,
  seedPolicy,
  transcript,
} from "./helpers.js";

const CANARY = "canary-pack-Vn4-value";
const SECRET_PATH = "flux/secrets/develop/x.yaml";
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
);
const PKG = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
};

afterAll(() => {
  assertNoCanary([CANARY], transcript.join("\n"));
  cleanupAll();
});

/** `npm run build` when dist/ is missing (a fresh clone that skipped `npm ci`). */
function ensureBuilt(): void {
  const built =
    existsSync(path.join(ROOT, "dist", "index.js")) &&
    existsSync(path.join(ROOT, "dist", "index.d.ts")) &&
    existsSync(path.join(ROOT, "dist", "bundle", "cli.cjs"));
  if (!built) execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "pipe" });
}

describe("npm pack", () => {
  it("the tarball installs and works: --version, scan, install + a blocked commit, the library", async () => {
    ensureBuilt();
    const out = makeTempDir();
    // --ignore-scripts: `prepare` would run husky against this checkout's git config
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", out], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    ) as Array<{ filename: string; files: Array<{ path: string; mode: number }> }>;
    const tgz = path.join(out, packed[0]!.filename);
    expect(path.basename(tgz)).toBe(`${PKG.name}-${PKG.version}.tgz`);
    const files = new Map(packed[0]!.files.map((f) => [f.path, f.mode]));
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      ".pre-commit-hooks.yaml",
      "bin/secret-guard.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/bundle/cli.cjs",
      "dist/bundle/hook.cjs",
      "hooks/pre-commit",
    ])
      expect(files.has(f), f).toBe(true);
    expect(files.get("hooks/pre-commit")! & 0o111).not.toBe(0); // usable as core.hooksPath
    for (const p of files.keys()) expect(p).not.toMatch(/^(test|src|scripts|\.ci|\.husky)\//);

    // the consumer: a fresh project that is also the git repository it guards
    const repo = await makeRepo({
      files: {
        ".sops.yaml": seedPolicy(),
        "package.json": '{"name":"consumer","private":true,"type":"module"}\n',
        ".gitignore": "node_modules/\n",
      },
      commit: "init",
    });
    const env: NodeJS.ProcessEnv = {
      ...repo.env,
      // the user's package cache (HOME is a temp dir): runtime dependencies come from the
      // registry once, then from the cache
      npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), ".npm"),
      npm_config_update_notifier: "false",
      NO_COLOR: "1",
    };
    const inst = spawnSync(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", "--save-dev", tgz],
      { cwd: repo.dir, env, encoding: "utf8" },
    );
    expect(inst.status, inst.stderr).toBe(0);

    const bin = path.join(repo.dir, "node_modules", ".bin", "secret-guard");
    const sg = (args: string[]) => {
      const r = spawnSync(bin, args, { cwd: repo.dir, env, encoding: "utf8" });
      transcript.push(r.stdout, r.stderr);
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const version = sg(["--version"]);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(PKG.version);

    repo.write(SECRET_PATH, plainSecret("x", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    const scan = sg(["scan", "--format", "json"]);
    expect(scan.code).toBe(1);
    expect(JSON.parse(scan.stdout).findings.map((f: { rule: string }) => f.rule)).toEqual([
      "unencrypted",
    ]);

    // the installed hook, through a real git commit
    const installed = sg(["install"]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(".git/hooks/pre-commit");
    const blocked = gitTry(repo, ["commit", "-m", "leak"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("unencrypted");
    expect(blocked.stdout + blocked.stderr).toContain("Commit blocked");
    expect(repo.git("rev-list", "--count", "HEAD")).toBe("1");

    // the README's hooks-folder form, with the hook shipped in the package
    repo.remove(".git/hooks/pre-commit");
    repo.git("config", "core.hooksPath", "node_modules/secret-guard/hooks");
    const viaHooksPath = gitTry(repo, ["commit", "-m", "leak again"]);
    expect(viaHooksPath.code).not.toBe(0);
    expect(viaHooksPath.stdout + viaHooksPath.stderr).toContain("unencrypted");
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.git("add", SECRET_PATH);
    const ok = gitTry(repo, ["commit", "-m", "encrypted"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);

    // the library API from plain ESM
    repo.write("flux/secrets/develop/y.yaml", plainSecret("y", { pw: CANARY }));
    repo.git("add", "flux/secrets/develop/y.yaml");
    writeFileSync(
      path.join(repo.dir, "use.mjs"),
      `import { scan, loadPolicy, judge, VERSION } from "secret-guard";
const policy = loadPolicy({ cwd: process.cwd() });
const r = await scan({ cwd: process.cwd(), mode: "staged" });
const j = judge({ path: "a.yaml", bytes: Buffer.from("kind: Secret\\nstringData:\\n  a: b\\n") });
console.log(JSON.stringify({ rules: policy.rules.length, findings: r.findings.map((f) => f.rule), judged: j.findings.map((f) => f.rule), VERSION }));
`,
    );
    const lib = spawnSync(process.execPath, ["use.mjs"], {
      cwd: repo.dir,
      env,
      encoding: "utf8",
    });
    transcript.push(lib.stdout, lib.stderr);
    expect(lib.status, lib.stderr).toBe(0);
    expect(JSON.parse(lib.stdout)).toEqual({
      rules: 6,
      findings: ["unencrypted"],
      judged: ["secret-outside-policy"],
      VERSION: PKG.version,
    });

    // ... and its declaration files, for TypeScript users
    writeFileSync(
      path.join(repo.dir, "use.mts"),
      `import { type Finding, judge, loadPolicy, type RuleId, scan } from "secret-guard";
const r = await scan({ cwd: ".", mode: "all" });
const first: Finding | undefined = r.findings[0];
const rule: RuleId | undefined = first?.rule;
const keys: string[] | undefined = first?.keys;
const policy = loadPolicy({ cwd: "." });
const n: number = judge({ path: "a.yaml", bytes: new Uint8Array() }).findings.length;
export { keys, n, policy, rule };
`,
    );
    const tsc = spawnSync(
      process.execPath,
      [
        path.join(ROOT, "node_modules", "typescript", "bin", "tsc"),
        "--noEmit",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--skipLibCheck",
        "--typeRoots",
        path.join(ROOT, "node_modules", "@types"),
        "--types",
        "node",
        "use.mts",
      ],
      { cwd: repo.dir, env, encoding: "utf8" },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  }, 180_000);
});
