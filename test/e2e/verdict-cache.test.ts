/**
 * The verdict cache (src/check/cache.ts) through the built command line, on
 * real repositories: a warm re-run judges fewer files, but a finding is never
 * cached, a changed policy, settings file or HEAD version is judged afresh,
 * broken or foreign cache files are ignored, and the cache holds no value.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  FIXTURE_AGE,
  FIXTURES,
  plainSecret,
  SEED_AGE,
  seedPolicy,
  sg as sgBase,
} from "./helpers.js";

/** The guard with its cache in use however few files a scan judges (these repositories are small). */
const sg: typeof sgBase = (repo, args, opts = {}) =>
  sgBase(repo, args, { ...opts, env: { SECRET_GUARD_CACHE_MIN_FILES: "0", ...opts.env } });

const LEAK = "canary-cache-leak-C1";
const OTHER = "canary-cache-other-C2";
const KIND = "canary-cache-kind-C3";
const CANARIES = [LEAK, OTHER, KIND];
afterAll(() => {
  assertNoCanary(CANARIES);
  cleanupAll();
});

const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
);
const LEAK_PATH = "flux/secrets/develop/leak.yaml";
const ENC_PATH = "flux/secrets/develop/age.yaml";

interface Debug {
  hits: number;
  misses: number;
  stored: number;
  ignored: number;
  judged: string[];
  cached: string[];
}

/** What --debug said about the cache and which files it judged. */
function debugOf(stderr: string): Debug {
  const m =
    /debug: verdict cache: (\d+) hit\(s\), (\d+) miss\(es\), (\d+) stored(?:, (\d+) cache file\(s\) ignored)?/.exec(
      stderr,
    );
  const lines = stderr.split("\n");
  return {
    hits: m ? Number(m[1]) : -1,
    misses: m ? Number(m[2]) : -1,
    stored: m ? Number(m[3]) : -1,
    ignored: m?.[4] ? Number(m[4]) : 0,
    judged: lines.flatMap(
      (l) => /^debug: judged (.+?): (?:creation_rules|no rule)/.exec(l)?.[1] ?? [],
    ),
    cached: lines
      .filter((l) => l.startsWith("debug: cached clean: "))
      .map((l) => l.slice("debug: cached clean: ".length)),
  };
}

function cacheDir(repo: TestRepo): string {
  return path.join(repo.dir, ".git", "secret-guard", "verdicts");
}

/** Every record in the cache: bucket files are a 48-byte header and 33-byte records. */
function recordCount(repo: TestRepo): number {
  const dir = cacheDir(repo);
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((n, f) => n + (statSync(path.join(dir, f)).size - 48) / 33, 0);
}

function configMap(name: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  greeting: hello-${name}\n`;
}

async function smallRepo(): Promise<TestRepo> {
  const repo = await makeRepo();
  repo.write(".sops.yaml", seedPolicy());
  repo.write(ENC_PATH, ENCRYPTED);
  repo.write(LEAK_PATH, plainSecret("leak", { password: LEAK }));
  repo.write("apps/a.yaml", configMap("a"));
  repo.write("apps/b.yaml", configMap("b"));
  repo.git("add", "-A");
  return repo;
}

describe("verdict cache", () => {
  it("a scan of fewer than 64 files does not use it (judging costs less); 64 or more do", async () => {
    const repo = await smallRepo();
    const few = sgBase(repo, ["scan", "--debug"]);
    expect(few.code).toBe(1);
    expect(few.stderr).toContain("verdict cache: not used for 5 file(s) (< 64)");
    expect(existsSync(cacheDir(repo))).toBe(false);
    for (let i = 0; i < 60; i++) repo.write(`apps/many/cm-${i}.yaml`, configMap(`cm-${i}`));
    repo.git("add", "-A");
    const many = sgBase(repo, ["scan", "--debug"]);
    expect(many.code).toBe(1);
    expect(debugOf(many.stderr).stored).toBe(64);
    expect(debugOf(sgBase(repo, ["scan", "--debug"]).stderr).hits).toBe(64);
    repo.cleanup();
  });

  it("a warm `scan --all` of ~2,000 files judges only what has findings; the report is the same", async () => {
    const repo = await makeRepo();
    repo.write(".sops.yaml", seedPolicy());
    for (let i = 0; i < 1990; i++)
      repo.write(`apps/app-${i % 40}/cm-${i}.yaml`, configMap(`cm-${i}`));
    for (let i = 0; i < 8; i++)
      repo.write(
        `flux/secrets/develop/s-${i}.yaml`,
        ENCRYPTED.toString("utf8").replace("  name: age", `  name: s-${i}`),
      );
    repo.write(LEAK_PATH, plainSecret("leak", { password: LEAK, other: OTHER }));
    repo.git("add", "-A");
    const total = 1 + 1990 + 8 + 1;
    // an older guard's buckets (schema 2: `00` … `ff`) are removed on save; a folder is left
    mkdirSync(path.join(cacheDir(repo), "cd"), { recursive: true });
    writeFileSync(path.join(cacheDir(repo), "ab"), "SGVERDCT old");

    const cold = sg(repo, ["scan", "--all", "--debug", "--format", "json"]);
    expect(existsSync(path.join(cacheDir(repo), "ab"))).toBe(false);
    rmSync(path.join(cacheDir(repo), "cd"), { recursive: true });
    expect(cold.code).toBe(1);
    const c = debugOf(cold.stderr);
    expect(c.hits).toBe(0);
    expect(c.judged).toHaveLength(total);
    expect(c.stored).toBe(total - 1);

    const warm = sg(repo, ["scan", "--all", "--debug", "--format", "json"]);
    expect(warm.code).toBe(1);
    const w = debugOf(warm.stderr);
    expect(w.hits).toBe(total - 1);
    expect(w.misses).toBe(1);
    expect(w.judged).toEqual([LEAK_PATH]);
    expect(w.cached).toHaveLength(total - 1);
    expect(JSON.parse(warm.stdout)).toEqual(JSON.parse(cold.stdout));

    // --no-cache and SECRET_GUARD_NO_CACHE=1 judge everything again
    const off = sg(repo, ["scan", "--all", "--debug", "--no-cache"]);
    expect(off.code).toBe(1);
    expect(debugOf(off.stderr).judged).toHaveLength(total);
    expect(off.stderr).not.toContain("verdict cache:");
    const envOff = sg(repo, ["scan", "--all", "--debug"], { env: { SECRET_GUARD_NO_CACHE: "1" } });
    expect(envOff.code).toBe(1);
    expect(debugOf(envOff.stderr).judged).toHaveLength(total);
    expect(envOff.stderr).toContain("verdict cache: off (SECRET_GUARD_NO_CACHE)");

    // bounded: one bucket file per first hex digit of the key, names and sizes as the layout says
    for (const f of readdirSync(cacheDir(repo))) {
      expect(f).toMatch(/^[0-9a-f]$/);
      expect((statSync(path.join(cacheDir(repo), f)).size - 48) % 33).toBe(0);
    }
    expect(recordCount(repo)).toBe(total - 1);
    repo.cleanup();
  });

  it("a plaintext Secret is never cached: both runs exit 1 and the cache holds only the clean files", async () => {
    const repo = await smallRepo();
    for (let run = 0; run < 2; run++) {
      const r = sg(repo, ["scan", "--all", "--debug"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("unencrypted");
      const d = debugOf(r.stderr);
      expect(d.judged).toContain(LEAK_PATH);
      expect(d.cached).not.toContain(LEAK_PATH);
    }
    // .sops.yaml, the encrypted Secret and two ConfigMaps: four clean verdicts, nothing else
    expect(recordCount(repo)).toBe(4);
    // the staged hook path too
    const staged = sg(repo, ["scan", "--debug"]);
    expect(staged.code).toBe(1);
    expect(debugOf(staged.stderr).judged).toContain(LEAK_PATH);
    expect(recordCount(repo)).toBe(4);
    repo.cleanup();
  });

  it("a changed covering rule (new age recipient in .sops.yaml) is judged afresh: recipient-mismatch", async () => {
    const repo = await smallRepo();
    repo.remove(LEAK_PATH);
    repo.git("add", "-A");
    expect(sg(repo, ["scan", "--all"]).code).toBe(0);
    const warm = sg(repo, ["scan", "--all", "--debug"]);
    expect(warm.code).toBe(0);
    expect(debugOf(warm.stderr).cached).toContain(ENC_PATH);

    // the policy on disk now wants another key: the encrypted file no longer passes
    repo.write(".sops.yaml", seedPolicy(SEED_AGE));
    const after = sg(repo, ["scan", "--all", "--debug"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("recipient-mismatch");
    expect(debugOf(after.stderr).judged).toContain(ENC_PATH);
    // a rule identical to before (back to the first recipient) finds its verdict again
    repo.write(".sops.yaml", seedPolicy(FIXTURE_AGE));
    const back = sg(repo, ["scan", "--all", "--debug"]);
    expect(back.code).toBe(0);
    expect(debugOf(back.stderr).cached).toContain(ENC_PATH);
    repo.cleanup();
  });

  it("a .secret-guard.yaml edit that changes the judgement is judged afresh", async () => {
    const repo = await makeRepo();
    repo.write(".sops.yaml", seedPolicy());
    const custom = `apiVersion: example.com/v1\nkind: VaultCredential\nmetadata:\n  name: c\nstringData:\n  token: "${KIND}"\n`;
    repo.write("apps/credential.yaml", custom);
    repo.git("add", "-A");
    expect(sg(repo, ["scan", "--all"]).code).toBe(0);
    const warm = sg(repo, ["scan", "--all", "--debug"]);
    expect(debugOf(warm.stderr).cached).toContain("apps/credential.yaml");

    // the settings now judge that kind like a Secret: a plaintext value outside any rule
    repo.write(".secret-guard.yaml", "secretKinds: [VaultCredential]\n");
    const after = sg(repo, ["scan", "--all", "--debug"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("apps/credential.yaml");
    expect(debugOf(after.stderr).judged).toContain("apps/credential.yaml");
    // the settings file itself is judged (for Secret content) and may be cached; the
    // credential, with findings, never is
    const again = sg(repo, ["scan", "--all", "--debug"]);
    expect(again.code).toBe(1);
    expect(debugOf(again.stderr).judged).toContain("apps/credential.yaml");
    repo.cleanup();
  });

  it("staged: the same blob after HEAD became encrypted is judged afresh (encryption-removed)", async () => {
    const repo = await makeRepo();
    const p = "apps/age.yaml";
    const reference = (v: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: age\nstringData:\n  key: \${${v}}\n`;
    repo.write(p, reference("FIRST"));
    repo.commitAll("a Secret made of references");
    repo.write(p, reference("SECOND"));
    repo.git("add", "-A");
    const first = sg(repo, ["scan", "--debug"]);
    expect(first.code).toBe(0);
    expect(debugOf(first.stderr).stored).toBe(1);

    // HEAD now holds an encrypted version; staging the same content again decrypts it
    repo.write(p, ENCRYPTED);
    repo.commitAll("encrypted");
    repo.write(p, reference("SECOND"));
    repo.git("add", "-A");
    const second = sg(repo, ["scan", "--debug"]);
    expect(second.code).toBe(1);
    expect(second.stdout).toContain("encryption-removed");
    expect(debugOf(second.stderr).judged).toEqual([p]);
    repo.cleanup();
  });

  it("corrupt, truncated, foreign or unwritable cache files are ignored: same verdicts, never a crash", async () => {
    const repo = await smallRepo();
    const cold = sg(repo, ["scan", "--all", "--format", "json"]);
    expect(cold.code).toBe(1);
    const dir = cacheDir(repo);
    const buckets = readdirSync(dir);
    expect(buckets.length).toBeGreaterThan(0);

    const breakings: Array<[string, (f: string) => void]> = [
      ["random bytes", (f) => writeFileSync(f, randomBytes(statSync(f).size))],
      ["truncated", (f) => truncateSync(f, statSync(f).size - 5)],
      ["header only", (f) => truncateSync(f, 48)],
      ["empty", (f) => writeFileSync(f, "")],
      [
        "one flipped bit in a record",
        (f) => {
          const b = readFileSync(f);
          b[60] = b[60]! ^ 1;
          writeFileSync(f, b);
        },
      ],
      [
        "a symlink",
        (f) => {
          const target = path.join(repo.home, "elsewhere");
          writeFileSync(target, readFileSync(f));
          rmSync(f);
          symlinkSync(target, f);
        },
      ],
      [
        "a directory",
        (f) => {
          rmSync(f);
          mkdirSync(f);
        },
      ],
    ];
    for (const [what, breakIt] of breakings) {
      for (const b of readdirSync(dir)) {
        const f = path.join(dir, b);
        if (statSync(f).isFile()) breakIt(f);
      }
      const r = sg(repo, ["scan", "--all", "--format", "json", "--debug"]);
      expect(r.code, what).toBe(1);
      expect(JSON.parse(r.stdout), what).toEqual(JSON.parse(cold.stdout));
      const d = debugOf(r.stderr);
      expect(d.hits, what).toBe(0);
      expect(d.ignored, what).toBeGreaterThan(0);
      expect(r.stderr, what).not.toContain("internal error");
      // clear leftovers so the next breaking starts from fresh, valid buckets
      rmSync(dir, { recursive: true, force: true });
      expect(sg(repo, ["scan", "--all"]).code).toBe(1);
      expect(readdirSync(dir).sort()).toEqual(buckets.sort());
    }

    // the cache folder cannot be made: no cache, the same verdicts
    rmSync(path.dirname(dir), { recursive: true, force: true });
    writeFileSync(path.dirname(dir), "not a folder\n");
    const blocked = sg(repo, ["scan", "--all", "--format", "json", "--debug"]);
    expect(blocked.code).toBe(1);
    expect(JSON.parse(blocked.stdout)).toEqual(JSON.parse(cold.stdout));
    expect(blocked.stderr).toContain("verdict cache: off");
    repo.cleanup();
  });

  it("history: a warm run skips the clean versions and reports the same exposures, encryption-removed included", async () => {
    const repo = await makeRepo();
    repo.write(".sops.yaml", seedPolicy());
    repo.write("apps/a.yaml", configMap("a"));
    repo.write(ENC_PATH, ENCRYPTED);
    repo.commitAll("encrypted Secret");
    // someone commits the decrypted copy (no hook here), then encrypts it again
    repo.write(ENC_PATH, plainSecret("age", { key: LEAK }));
    repo.commitAll("decrypted by mistake");
    repo.write(ENC_PATH, ENCRYPTED);
    repo.write("apps/b.yaml", configMap("b"));
    repo.commitAll("encrypted again");

    const cold = sg(repo, ["history", "--format", "json", "--debug"]);
    expect(cold.code).toBe(1);
    const c = debugOf(cold.stderr);
    expect(c.hits).toBe(0);
    const exposures = JSON.parse(cold.stdout);
    expect(JSON.stringify(exposures)).toContain("encryption-removed");

    const warm = sg(repo, ["history", "--format", "json", "--debug"]);
    expect(warm.code).toBe(1);
    const w = debugOf(warm.stderr);
    expect(w.hits).toBe(c.stored);
    expect(w.hits).toBeGreaterThan(0);
    expect(w.misses).toBe(1); // the plaintext version, judged every time
    expect(JSON.parse(warm.stdout)).toEqual(exposures);

    const off = sg(repo, ["history", "--format", "json", "--debug", "--no-cache"]);
    expect(off.code).toBe(1);
    expect(off.stderr).not.toContain("verdict cache:");
    expect(JSON.parse(off.stdout)).toEqual(exposures);
    repo.cleanup();
  });

  it("the cache holds no value, path or name: no canary in any cache file", async () => {
    const repo = await smallRepo();
    repo.write(".secret-guard.yaml", `secretKinds: [VaultCredential]\n# ${OTHER}\n`);
    repo.write(
      "apps/credential.yaml",
      `apiVersion: example.com/v1\nkind: ConfigMap\nmetadata:\n  name: ${KIND}\n`,
    );
    repo.git("add", "-A");
    expect(sg(repo, ["scan", "--all"]).code).toBe(1);
    expect(sg(repo, ["scan"]).code).toBe(1);
    repo.commitAll("with a leak");
    expect(sg(repo, ["history"]).code).toBe(1);
    const dir = path.join(repo.dir, ".git", "secret-guard");
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) =>
      e.isFile(),
    );
    expect(files.length).toBeGreaterThan(0);
    const needles = [...CANARIES, "leak", "password", "flux/secrets", "credential", "ConfigMap"];
    for (const e of files) {
      const bytes = readFileSync(path.join(e.parentPath, e.name));
      for (const n of needles) {
        expect(bytes.includes(Buffer.from(n)), `${n} in ${e.name}`).toBe(false);
        expect(bytes.includes(Buffer.from(n, "utf16le")), `${n} in ${e.name}`).toBe(false);
      }
    }
    repo.cleanup();
  });
});
