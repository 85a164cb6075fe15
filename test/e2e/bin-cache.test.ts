/**
 * bin/secret-guard.js as installed: a copy of bin/ and dist/bundle/ in a temp
 * folder. The V8 code cache it keeps is an optimisation only: a scan writes it
 * (next to the bundle, or in $XDG_CACHE_HOME/secret-guard when dist/ is read-only),
 * later runs use it, and a corrupt, foreign or unwritable cache never changes the
 * outcome. A missing build or a crash exits 2 with one line (and the --debug
 * hint), never 1.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir } from "../helpers/repo.js";
import { ROOT, seedPolicy } from "./helpers.js";

afterAll(() => cleanupAll());

const ENCRYPTED = readFileSync(
  path.join(
    ROOT,
    "test/fixtures/sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
);

/** bin/ and dist/bundle/ copied into a fresh folder (no cache yet). */
function install(): { bin: string; bundleDir: string } {
  const dir = makeTempDir("secret-guard-bin-");
  cpSync(path.join(ROOT, "bin"), path.join(dir, "bin"), { recursive: true });
  const bundleDir = path.join(dir, "dist", "bundle");
  mkdirSync(bundleDir, { recursive: true });
  for (const f of readdirSync(path.join(ROOT, "dist", "bundle")))
    if (!f.endsWith(".cache") && !f.endsWith(".tmp"))
      cpSync(path.join(ROOT, "dist", "bundle", f), path.join(bundleDir, f));
  return { bin: path.join(dir, "bin", "secret-guard.js"), bundleDir };
}

async function stagedRepo() {
  const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "init" });
  repo.write("flux/secrets/develop/x.yaml", ENCRYPTED.toString("utf8"));
  repo.git("add", "flux/secrets/develop/x.yaml");
  return repo;
}

function run(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".cache"));

describe("bin/secret-guard.js and its code cache", () => {
  it("a scan writes the cache next to the bundle; later runs use it; garbage in it changes nothing", async () => {
    const { bin, bundleDir } = install();
    const repo = await stagedRepo();
    const first = run(bin, ["scan", "--hook"], repo.dir, repo.env);
    expect(first.code, first.stderr).toBe(0);
    // `scan --hook` runs the hook's own bundle (src/cli/entry-hook.ts) and caches its code
    expect(cacheFiles(bundleDir)).toEqual(["hook.cjs.cache"]);
    const cache = path.join(bundleDir, "hook.cjs.cache");
    expect(readFileSync(cache, "latin1").startsWith("secret-guard-v8-cache 1\n")).toBe(true);

    const again = run(bin, ["scan", "--hook", "--format", "json"], repo.dir, repo.env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).summary.filesScanned).toBe(1);

    // the right header, then garbage: V8 rejects the data, the run goes on, the cache is rebuilt
    const head = readFileSync(cache, "latin1").split("\n").slice(0, 2).join("\n");
    writeFileSync(
      cache,
      Buffer.concat([Buffer.from(`${head}\n`, "latin1"), Buffer.alloc(4096, 7)]),
    );
    const garbage = run(bin, ["scan", "--hook"], repo.dir, repo.env);
    expect(garbage.code, garbage.stderr).toBe(0);
    expect(readFileSync(cache).length).toBeGreaterThan(4096 + head.length + 1);

    // another bundle's (or Node's) cache is stale: ignored and replaced
    writeFileSync(cache, "secret-guard-v8-cache 1\n0000 v0.0.0 x64\nnot code");
    const stale = run(bin, ["scan", "--hook"], repo.dir, repo.env);
    expect(stale.code, stale.stderr).toBe(0);
    expect(readFileSync(cache, "latin1")).not.toContain("not code");

    // the verdict does not depend on the cache: a plaintext Secret is blocked with it too
    repo.write(
      "flux/secrets/develop/y.yaml",
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: y\nstringData:\n  password: bin-cache-canary\n",
    );
    repo.git("add", "flux/secrets/develop/y.yaml");
    const blocked = run(bin, ["scan", "--hook"], repo.dir, repo.env);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout + blocked.stderr).toContain("unencrypted");
    expect(blocked.stdout + blocked.stderr).not.toContain("bin-cache-canary");
  });

  it("a cache holding the yaml package's code is written again once without it, and kept where commits need it", async () => {
    const { bin, bundleDir } = install();
    const repo = await stagedRepo();
    const cache = path.join(bundleDir, "hook.cjs.cache");
    const mark = () => readFileSync(cache, "latin1").split("\n")[1]!.split(" ").slice(3).join(" ");
    const outputs: string[] = [];
    const scan = () => {
      const r = run(bin, ["scan", "--hook"], repo.dir, repo.env);
      expect(r.code, r.stderr).toBe(0);
      outputs.push(r.stdout + r.stderr);
    };
    // the first run parses .sops.yaml with the yaml package (no policy cache yet)
    scan();
    expect(mark()).toBe("yaml1");
    const withYaml = readFileSync(cache).length;
    // the next one reads the policy from its cache, compiles afresh and leaves the package out
    scan();
    expect(mark()).toBe("");
    expect(readFileSync(cache).length).toBeLessThan(withYaml);
    const clean = readFileSync(cache);
    scan();
    expect(readFileSync(cache).equals(clean)).toBe(true);

    // a staged file only the full YAML reader takes (a flow mapping over lines): every run needs it
    repo.write("apps/flow.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {\n  name: flow\n}\n");
    repo.git("add", "apps/flow.yaml");
    rmSync(cache);
    scan();
    expect(mark()).toBe("yaml1");
    scan();
    expect(mark()).toBe("yaml2");
    const kept = readFileSync(cache);
    scan();
    expect(readFileSync(cache).equals(kept)).toBe(true);
    expect(new Set(outputs.slice(0, 3)).size).toBe(1);
    expect(new Set(outputs.slice(3)).size).toBe(1);
  });

  it("the cache's training judges its made-up manifests clean, without the yaml package", () => {
    const { bundleDir } = install();
    const probe = [
      `const m = require(${JSON.stringify(path.join(bundleDir, "hook.cjs"))});`,
      "m.train();",
      'process.stdout.write(String(globalThis[Symbol.for("secret-guard.yaml-used")] === true));',
    ].join("\n");
    const r = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("false");
  });

  it("a read-only dist/ puts the cache under $XDG_CACHE_HOME/secret-guard; an unwritable one is no error", async () => {
    const { bin, bundleDir } = install();
    const repo = await stagedRepo();
    const xdg = path.join(makeTempDir(), "cache");
    // dist/ read-only (root writes through modes, so also a folder where the cache file goes)
    mkdirSync(path.join(bundleDir, "hook.cjs.cache"));
    chmodSync(bundleDir, 0o555);
    try {
      const r = run(bin, ["scan", "--hook"], repo.dir, { ...repo.env, XDG_CACHE_HOME: xdg });
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(path.join(xdg, "secret-guard")).some((f) => f.endsWith(".cache"))).toBe(
        true,
      );
      const r2 = run(bin, ["scan", "--hook"], repo.dir, { ...repo.env, XDG_CACHE_HOME: xdg });
      expect(r2.code, r2.stderr).toBe(0);
      // nowhere to write at all
      const nowhere = path.join(makeTempDir(), "file");
      writeFileSync(nowhere, "");
      const r3 = run(bin, ["scan", "--hook"], repo.dir, {
        ...repo.env,
        XDG_CACHE_HOME: nowhere,
        HOME: nowhere,
      });
      expect(r3.code, r3.stderr).toBe(0);
      expect(r3.stderr).toBe("");
    } finally {
      chmodSync(bundleDir, 0o755);
    }
  });

  it("a missing build or a crash exits 2 with one line and the --debug hint", async () => {
    const { bin, bundleDir } = install();
    const repo = await stagedRepo();
    rmSync(bundleDir, { recursive: true });
    const missing = run(bin, ["scan", "--hook"], repo.dir, repo.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(2); // the message and the --debug hint
    expect(missing.stderr).toContain("npm run build");

    mkdirSync(bundleDir, { recursive: true });
    writeFileSync(path.join(bundleDir, "cli.cjs"), 'throw new Error("broken build");\n');
    const broken = run(bin, ["scan", "--hook"], repo.dir, repo.env);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim().split("\n")).toHaveLength(2);
    expect(broken.stderr).not.toContain("at ");

    writeFileSync(
      path.join(bundleDir, "cli.cjs"),
      "exports.main = async () => { setTimeout(() => { throw new TypeError('late'); }, 1); };\n",
    );
    const late = run(bin, ["scan", "--hook"], repo.dir, repo.env);
    expect(late.code).toBe(2);
    expect(late.stderr.trim().split("\n")).toHaveLength(2);
    const debug = run(bin, ["scan", "--hook", "--debug"], repo.dir, repo.env);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toContain("TypeError");
    expect(existsSync(path.join(bundleDir, "cli.cjs.cache"))).toBe(false);
  });

  it("a rebuilt bundle (same version number) never reuses the verdicts of the build before", async () => {
    const { bin, bundleDir } = install();
    const repo = await stagedRepo();
    const env = { ...repo.env, SECRET_GUARD_NO_CACHE: "", SECRET_GUARD_CACHE_MIN_FILES: "0" };
    expect(run(bin, ["scan", "--all"], repo.dir, env).code).toBe(0);
    const warm = run(bin, ["scan", "--all", "--debug"], repo.dir, env);
    expect(warm.stderr).toContain("cached clean: flux/secrets/develop/x.yaml");
    // A new build: the judgement may differ, so nothing judged by the old one counts.
    const cli = path.join(bundleDir, "cli.cjs");
    writeFileSync(cli, `${readFileSync(cli, "utf8")}\n// rebuilt\n`);
    const rebuilt = run(bin, ["scan", "--all", "--debug"], repo.dir, env);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).not.toContain("cached clean");
    expect(rebuilt.stderr).toContain("judged flux/secrets/develop/x.yaml");
  });
});
