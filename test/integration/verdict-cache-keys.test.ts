/**
 * The verdict cache through the library, on real repositories: the guard's
 * identity is part of every key (a new version judges afresh), a file with a
 * finding has no entry, PATH files never use the cache, and --range and
 * history reuse what scan stored for the same inputs.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditHistory } from "../../src/audit/audit.js";
import { openVerdictCache } from "../../src/check/cache.js";
import { prepareSettings } from "../../src/check/file.js";
import { type ScanOptions, scanRepo } from "../../src/check/pipeline.js";
import { EMPTY_CONFIG } from "../../src/check/settings.js";
import { loadPolicy, ruleFor } from "../../src/policy/index.js";
import {
  cleanupAll,
  isolateProcessEnv,
  makeRepo,
  makeTempDir,
  type TestRepo,
} from "../helpers/repo.js";

let restoreEnv: () => void;
beforeAll(() => {
  restoreEnv = isolateProcessEnv(makeTempDir("secret-guard-home-"));
});
afterAll(() => {
  restoreEnv();
  cleanupAll();
});

const POLICY =
  "creation_rules:\n  - path_regex: secrets/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29\n";
const LEAK = "secrets/leak.yaml";
const CLEAN = "apps/cm.yaml";

async function repoWithLeak(): Promise<TestRepo> {
  const repo = await makeRepo();
  repo.write(".sops.yaml", POLICY);
  repo.write(
    LEAK,
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\nstringData:\n  password: "canary-keys-K1"\n',
  );
  repo.write(CLEAN, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n");
  repo.commitAll("base");
  return repo;
}

async function run(repo: TestRepo, opts: Partial<ScanOptions>) {
  const lines: string[] = [];
  const result = await scanRepo({
    cwd: repo.dir,
    mode: "all",
    env: { ...repo.env, SECRET_GUARD_CACHE_MIN_FILES: "0" },
    debug: (l) => lines.push(l),
    ...opts,
  });
  return {
    result,
    judged: lines.filter((l) => l.startsWith("judged ")),
    cached: lines.filter((l) => l.startsWith("cached clean: ")),
    summary: lines.find((l) => l.startsWith("verdict cache:")),
  };
}

describe("verdict cache keys", () => {
  it("a new guard version judges everything afresh", async () => {
    const repo = await repoWithLeak();
    const v1 = await run(repo, { cache: { engine: "1.0.0" } });
    expect(v1.judged).toHaveLength(3);
    const again = await run(repo, { cache: { engine: "1.0.0" } });
    expect(again.judged).toHaveLength(1);
    expect(again.cached).toHaveLength(2);
    const v2 = await run(repo, { cache: { engine: "1.0.1" } });
    expect(v2.cached).toHaveLength(0);
    expect(v2.judged).toHaveLength(3);
    expect(v2.result.findings.map((f) => f.rule)).toEqual(["unencrypted"]);
    // the library uses no cache unless asked
    const none = await run(repo, {});
    expect(none.summary).toBeUndefined();
    expect(none.judged).toHaveLength(3);
    repo.cleanup();
  });

  it("the file with a finding has no entry; the clean one has", async () => {
    const repo = await repoWithLeak();
    for (let i = 0; i < 2; i++) {
      const r = await run(repo, { cache: { engine: "t" } });
      expect(r.result.findings.filter((f) => f.severity === "error")).toHaveLength(1);
    }
    const policy = loadPolicy({ cwd: repo.dir, env: repo.env })!;
    const settings = await prepareSettings(EMPTY_CONFIG);
    const cache = (await openVerdictCache(repo.dir, repo.env, { engine: "t" }))!;
    const input = (p: string) => ({
      blob: repo.blob("HEAD", p),
      path: p,
      rule: ruleFor(policy, path.join(repo.dir, p)),
      settings,
    });
    expect(input(LEAK).rule).toBeDefined();
    expect(cache.lookup(input(LEAK))).toBeUndefined();
    expect(cache.lookup(input(CLEAN))).toBe("clean");
    // any other path, rule, settings or HEAD blob is another key
    expect(cache.lookup({ ...input(CLEAN), path: "apps/other.yaml" })).toBeUndefined();
    expect(cache.lookup({ ...input(CLEAN), rule: input(LEAK).rule })).toBeUndefined();
    expect(
      cache.lookup({ ...input(CLEAN), settings: { ...settings, secretKinds: ["X"] } }),
    ).toBeUndefined();
    expect(cache.lookup({ ...input(CLEAN), headBlob: repo.blob("HEAD", LEAK) })).toBeUndefined();
    repo.cleanup();
  });

  it("PATH files (read from disk) never use the cache", async () => {
    const repo = await repoWithLeak();
    await run(repo, { cache: { engine: "t" } });
    const r = await run(repo, { mode: "paths", paths: [CLEAN, LEAK], cache: { engine: "t" } });
    expect(r.summary).toBeUndefined();
    expect(r.cached).toHaveLength(0);
    expect(r.judged).toHaveLength(2);
    repo.cleanup();
  });

  it("--range and history reuse the verdicts scan stored for the same inputs", async () => {
    const repo = await repoWithLeak();
    repo.write("apps/more.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: more\n");
    repo.commitAll("more");
    await run(repo, { cache: { engine: "t" } });
    const base = repo.git("rev-list", "--max-parents=0", "HEAD");
    const range = await run(repo, {
      mode: "range",
      range: `${base}..HEAD`,
      cache: { engine: "t" },
    });
    expect(range.cached).toEqual([expect.stringMatching(/^cached clean: apps\/more\.yaml@/)]);

    const lines: string[] = [];
    const audit = await auditHistory({
      cwd: repo.dir,
      revs: [],
      allRefs: false,
      env: repo.env,
      cache: { engine: "t" },
      debug: (l) => lines.push(l),
    });
    expect(audit.exposures).toHaveLength(1);
    // four file versions: .sops.yaml, the leak, cm.yaml, more.yaml; only the leak is judged
    expect(lines).toContainEqual(expect.stringMatching(/^verdict cache: 3 hit\(s\), 1 miss\(es\)/));
    repo.cleanup();
  });
});
