/**
 * The package as users get it: `npm pack`, installed from the tarball into a
 * fresh project, gives a working `secret-guard` binary, hook and library API.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir } from "../helpers/repo.js";
import { plainSecret, ROOT, seedPolicy } from "./helpers.js";

afterAll(() => cleanupAll());

describe("npm pack", () => {
  it("installs from the tarball and works: --version, scan, install + a blocked commit, the library", async () => {
    const out = makeTempDir();
    execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", out], {
      cwd: ROOT,
      stdio: "pipe",
    });
    const tgz = readdirSync(out).find((f) => f.endsWith(".tgz"))!;
    expect(tgz).toMatch(/^secret-guard-\d+\.\d+\.\d+\.tgz$/);
    const listing = execFileSync("tar", ["-tzf", path.join(out, tgz)], { encoding: "utf8" });
    expect(listing).toContain("package/dist/bundle/cli.js");
    expect(listing).toContain("package/dist/index.d.ts");
    expect(listing).toContain("package/hooks/pre-commit");
    expect(listing).not.toContain("package/test/");
    expect(listing).not.toContain("package/src/");

    const repo = await makeRepo({
      files: {
        ".sops.yaml": seedPolicy(),
        "package.json": '{"name":"consumer","private":true,"type":"module"}\n',
      },
      commit: "init",
    });
    const env = {
      ...repo.env,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
    execFileSync("npm", ["install", "--save-dev", "--prefer-offline", path.join(out, tgz)], {
      cwd: repo.dir,
      env,
      stdio: "pipe",
    });
    const bin = path.join(repo.dir, "node_modules", ".bin", "secret-guard");
    const version = execFileSync(bin, ["--version"], {
      cwd: repo.dir,
      env,
      encoding: "utf8",
    }).trim();
    expect(version).toBe(
      JSON.parse(execFileSync("npm", ["pkg", "get", "version"], { cwd: ROOT, encoding: "utf8" })),
    );
    repo.write("flux/secrets/develop/x.yaml", plainSecret("x", { pw: "plain-value-in-pack-test" }));
    repo.git("add", "flux/secrets/develop/x.yaml");
    const scan = spawnSync(bin, ["scan", "--format", "json"], {
      cwd: repo.dir,
      env,
      encoding: "utf8",
    });
    expect(scan.status).toBe(1);
    expect(JSON.parse(scan.stdout).findings[0].rule).toBe("unencrypted");
    expect(spawnSync(bin, ["install"], { cwd: repo.dir, env }).status).toBe(0);
    const commit = spawnSync("git", ["commit", "-m", "leak"], {
      cwd: repo.dir,
      env,
      encoding: "utf8",
    });
    expect(commit.status).not.toBe(0);
    expect(commit.stderr + commit.stdout).toContain("unencrypted");
    writeFileSync(
      path.join(repo.dir, "use.mjs"),
      `import { scan, loadPolicy, judge, VERSION } from "secret-guard";
const policy = loadPolicy({ cwd: process.cwd() });
const r = await scan({ cwd: process.cwd(), mode: "staged" });
const j = judge({ path: "a.yaml", bytes: Buffer.from("kind: Secret\\nstringData:\\n  a: b\\n") });
console.log(JSON.stringify({ rules: policy.rules.length, findings: r.findings.map((f) => f.rule), judged: j.findings.map((f) => f.rule), VERSION }));
`,
    );
    const lib = JSON.parse(
      execFileSync(process.execPath, ["use.mjs"], { cwd: repo.dir, env, encoding: "utf8" }),
    );
    expect(lib).toMatchObject({
      rules: 6,
      findings: ["unencrypted"],
      judged: ["secret-outside-policy"],
    });
  }, 240_000);
});
