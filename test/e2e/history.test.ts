/**
 * `secret-guard history` on real repositories with built histories: a
 * reverted plaintext commit, rotated vs re-encrypted values, a policy that
 * changed over time, merges and branches, pushed vs local-only commits,
 * renames. Every output is collected and swept for the canary values and for
 * their hashes.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import AjvModule from "ajv-draft-04";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  BIN,
  FIXTURES,
  plainSecret,
  seedPolicy,
  sg,
  transcript,
} from "./helpers.js";

const C = {
  reverted: "canary-hist-reverted-Q1",
  same: "canary-hist-same-value-Q2",
  before: "canary-hist-before-rotation-Q3",
  after: "canary-hist-after-rotation-Q4",
  dropped: "canary-hist-dropped-Q5",
  policyOld: "canary-hist-policy-old-Q6",
  policyNone: "canary-hist-policy-none-Q7",
  branch: "canary-hist-branch-Q8",
  wip: "canary-hist-wip-Q9",
  evil: "canary-hist-evil-merge-QA",
  pushed: "canary-hist-pushed-QB",
  local: "canary-hist-local-QC",
  renamed: "canary-hist-renamed-QD",
  head: "canary-hist-still-in-head-QE",
  decrypted: "canary-hist-decrypted-QF",
  list0: "canary-hist-list-first-QG",
  list1: "canary-hist-list-second-QH",
  samebytes: "canary-hist-same-bytes-QI",
};
const CANARIES = Object.values(C);

let identity: string;
let recipient: string;
let keyFile: string;
/** An XDG_CONFIG_HOME without keys.txt: no identity at all. */
let noKeys: string;

beforeAll(async () => {
  identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  const dir = makeTempDir();
  keyFile = path.join(dir, "keys.txt");
  writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
  noKeys = makeTempDir();
});
afterAll(() => {
  assertNoCanary(CANARIES);
  // Not even a value's hash may be printed (short secrets can be brute-forced from it).
  const all = transcript.join("\n");
  for (const v of CANARIES) {
    expect(all).not.toContain(createHash("sha256").update(v).digest("hex"));
  }
  cleanupAll();
});

let clock = 1_700_000_000;
/** `git add -A` + commit with a strictly increasing date; returns the commit id. */
function commit(repo: TestRepo, message: string): string {
  clock += 60;
  const date = `@${clock} +0000`;
  repo.git("add", "-A");
  repo.gitRaw(["commit", "-q", "--allow-empty", "-m", message], {
    env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
  });
  return repo.git("rev-parse", "HEAD");
}

interface JsonExposure {
  path: string;
  paths: string[];
  key: string;
  name?: string;
  namespace?: string;
  rule: string;
  rules: string[];
  firstCommit: { id: string; date: string; author: string };
  lastCommit: { id: string; date: string; author: string };
  inHead: boolean;
  pushed: boolean;
  pushedTo?: string[];
  rotation: string;
}

function history(
  repo: TestRepo,
  args: string[] = [],
  env: NodeJS.ProcessEnv = { XDG_CONFIG_HOME: noKeys },
): { code: number; exposures: JsonExposure[]; summary: Record<string, number> } {
  const r = sg(repo, ["history", "--format", "json", ...args], { env });
  expect([0, 1], r.stderr).toContain(r.code);
  const doc = JSON.parse(r.stdout);
  expect(doc.tool).toBe("secret-guard");
  expect(doc.mode).toBe("history");
  return { code: r.code, exposures: doc.exposures, summary: doc.summary };
}

function find(list: JsonExposure[], key: string): JsonExposure {
  const e = list.find((x) => x.key === key);
  expect(e, `exposure of ${key}`).toBeDefined();
  return e!;
}

async function seedRepo(): Promise<TestRepo> {
  const repo = await makeRepo();
  repo.write(".sops.yaml", seedPolicy(recipient));
  repo.write("README.md", "x\n");
  commit(repo, "policy");
  return repo;
}

describe("history", () => {
  it("a clean history exits 0", async () => {
    const repo = await seedRepo();
    const r = sg(repo, ["history"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("no plaintext secret value");
  });

  it("bounds its heap (history only), and finds the same with the collector's defaults", async () => {
    const repo = await seedRepo();
    repo.write(
      "flux/secrets/develop/bounded-secrets.yaml",
      plainSecret("bounded-secrets", { "api-key": C.reverted }),
    );
    commit(repo, "add bounded secrets");
    const bounded = "debug: collector: heap growth capped";
    const h = sg(repo, ["history", "--format", "json", "--no-cache", "--debug"]);
    expect(h.code, h.stderr).toBe(1);
    expect(h.stderr).toContain(bounded);
    expect(sg(repo, ["scan", "--all", "--debug"]).stderr).not.toContain(bounded);
    // The settings change memory only: a Node started with V8's defaults reports the same.
    const defaults = spawnSync(
      process.execPath,
      [
        "-e",
        `require("v8").setFlagsFromString = () => { throw new Error("refused"); };
        process.argv.splice(1, 0, ${JSON.stringify(BIN)});
        require(${JSON.stringify(BIN)});`,
        "history",
        "--format",
        "json",
        "--no-cache",
        "--debug",
      ],
      { cwd: repo.dir, env: { ...repo.env, NO_COLOR: "1" }, encoding: "utf8" },
    );
    transcript.push(defaults.stdout, defaults.stderr);
    expect(defaults.status, defaults.stderr).toBe(1);
    expect(defaults.stderr).not.toContain(bounded);
    expect(defaults.stdout).toBe(h.stdout);
    expect(JSON.parse(h.stdout).exposures).toHaveLength(1);
  });

  it("a plaintext Secret committed then reverted is reported; HEAD is clean", async () => {
    const repo = await seedRepo();
    repo.write(
      "flux/secrets/develop/backend-secrets.yaml",
      plainSecret("backend-secrets", { "api-key": C.reverted }),
    );
    const leak = commit(repo, "add backend secrets");
    repo.git("revert", "--no-edit", "HEAD");
    commit(repo, "noop");
    expect(sg(repo, ["scan", "--all"]).code).toBe(0);
    const h = history(repo);
    expect(h.code).toBe(1);
    expect(h.exposures).toHaveLength(1);
    const e = find(h.exposures, "api-key");
    expect(e).toMatchObject({
      path: "flux/secrets/develop/backend-secrets.yaml",
      name: "backend-secrets",
      namespace: "develop",
      rule: "unencrypted",
      inHead: false,
      pushed: false,
      // the Secret is gone from HEAD: nothing to decrypt, the key is removed
      rotation: "removed",
    });
    expect(e.firstCommit.id).toBe(leak);
    expect(e.lastCommit.id).toBe(leak);
    expect(e.firstCommit.author).toBe("Test Author");
    // text: the exposure, then the runbook
    const t = sg(repo, ["history"], { env: { XDG_CONFIG_HOME: noKeys } });
    expect(t.code).toBe(1);
    expect(t.stdout).toContain("Secret develop/backend-secrets  key: api-key");
    expect(t.stdout).toContain(leak.slice(0, 12));
    expect(t.stdout).toContain("Rotate at the provider");
    expect(t.stdout).toContain("flux reconcile kustomization");
    expect(t.stdout).toContain("git filter-repo");
    expect(t.stdout).toContain("NOT remediation");
    expect(t.stdout).toContain("may still be valid at the provider");
  });

  it("rotation: the same value re-encrypted is NOT ROTATED, a new value is rotated, a dropped key removed", async () => {
    const repo = await seedRepo();
    // plaintext, outside the policy (apps/), then moved under flux/secrets encrypted
    repo.write(
      "apps/backend/secret.yaml",
      plainSecret("backend-secrets", {
        "api-key": C.same,
        "db-password": C.before,
        "old-token": C.dropped,
      }),
    );
    const leak = commit(repo, "plaintext secret in the app folder");
    repo.remove("apps/backend/secret.yaml");
    repo.write(
      "flux/secrets/develop/backend-secrets.yaml",
      plainSecret("backend-secrets", { "api-key": C.same, "db-password": C.after }),
    );
    const enc = sg(repo, ["encrypt", "flux/secrets/develop/backend-secrets.yaml"]);
    expect(enc.code, enc.stdout + enc.stderr).toBe(0);
    expect(repo.read("flux/secrets/develop/backend-secrets.yaml").toString()).toContain("ENC[");
    commit(repo, "move to an encrypted Secret");

    const h = history(repo, [], { SOPS_AGE_KEY_FILE: keyFile, XDG_CONFIG_HOME: noKeys });
    expect(h.code).toBe(1);
    expect(h.exposures).toHaveLength(3);
    for (const e of h.exposures) {
      expect(e.rule).toBe("secret-outside-policy");
      expect(e.path).toBe("apps/backend/secret.yaml");
      expect(e.firstCommit.id).toBe(leak);
      expect(e.inHead).toBe(false);
    }
    expect(find(h.exposures, "api-key").rotation).toBe("NOT ROTATED");
    expect(find(h.exposures, "db-password").rotation).toBe("rotated");
    expect(find(h.exposures, "old-token").rotation).toBe("removed");
    expect(h.summary).toMatchObject({ exposures: 3, notRotated: 1, rotated: 1, removed: 1 });

    // without an identity the encrypted Secret cannot be compared
    const none = history(repo);
    expect(find(none.exposures, "api-key").rotation).toBe("unknown");
    expect(find(none.exposures, "db-password").rotation).toBe("unknown");

    // a wrong identity: cannot decrypt → unknown
    const other = path.join(makeTempDir(), "other.txt");
    writeFileSync(other, `${await generateIdentity()}\n`);
    const wrong = history(repo, [], { SOPS_AGE_KEY_FILE: other, XDG_CONFIG_HOME: noKeys });
    expect(find(wrong.exposures, "api-key").rotation).toBe("unknown");

    const t = sg(repo, ["history"], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(t.stdout).toContain("NOT ROTATED");
    expect(t.stdout).toMatch(/db-password {2}rotated/);
  });

  it("a value still in HEAD is NOT ROTATED and inHead", async () => {
    const repo = await seedRepo();
    repo.write("flux/secrets/staging/x.yaml", plainSecret("x", { token: C.head }, "staging"));
    commit(repo, "oops");
    const h = history(repo);
    const e = find(h.exposures, "token");
    expect(e.inHead).toBe(true);
    expect(e.rotation).toBe("NOT ROTATED");
    const t = sg(repo, ["history"]);
    expect(t.stdout).toContain("still holds it in plaintext");
    expect(t.stdout).toContain("npx secret-guard new staging x");
  });

  it("a decrypted copy committed over an encrypted file is encryption-removed", async () => {
    const repo = await seedRepo();
    const rel = "flux/secrets/production/db.yaml";
    repo.write(rel, plainSecret("db", { password: C.decrypted }, "production"));
    expect(sg(repo, ["encrypt", rel]).code).toBe(0);
    commit(repo, "encrypted");
    repo.write(rel, plainSecret("db", { password: C.decrypted }, "production"));
    const leak = commit(repo, "decrypted by mistake");
    const h = history(repo, [], { SOPS_AGE_KEY_FILE: keyFile, XDG_CONFIG_HOME: noKeys });
    const e = find(h.exposures, "password");
    expect(e.rules).toEqual(["encryption-removed"]);
    expect(e.firstCommit.id).toBe(leak);
    expect(e.inHead).toBe(true);
    expect(e.rotation).toBe("NOT ROTATED");
  });

  it("each commit is judged with the .sops.yaml of that commit", async () => {
    const repo = await makeRepo();
    const v1 = `creation_rules:\n  - path_regex: config/.*\\.env$\n    age: ${recipient}\n`;
    const v2 = `creation_rules:\n  - path_regex: flux/secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`;
    // 1. before any policy: a plaintext .env is not an exposure (nothing required encrypting it)
    repo.write("settings/app.env", `TOKEN=${C.policyNone}\n`);
    commit(repo, "settings");
    // 2. v1 covers config/*.env: committing one in plaintext is an exposure
    repo.write(".sops.yaml", v1);
    repo.write("config/app.env", `TOKEN=${C.policyOld}\n`);
    const leak = commit(repo, "config");
    // 3. v2 no longer covers config/: HEAD's policy would miss it
    repo.write(".sops.yaml", v2);
    commit(repo, "narrow the policy");
    // 4. later, v3 covers settings/ too: the old plaintext commit was judged by its own policy
    repo.write(".sops.yaml", `${v2}  - path_regex: settings/.*\\.env$\n    age: ${recipient}\n`);
    repo.remove("settings/app.env");
    commit(repo, "cover settings");
    const h = history(repo);
    expect(h.exposures).toHaveLength(1);
    const e = find(h.exposures, "TOKEN");
    expect(e.path).toBe("config/app.env");
    expect(e.firstCommit.id).toBe(leak);
    expect(e.rule).toBe("unencrypted");
    expect(e.inHead).toBe(true);
  });

  it("merges and branches: branch leaks, an evil merge, an unmerged branch only with --all-refs", async () => {
    const repo = await seedRepo();
    repo.git("checkout", "-q", "-b", "feature");
    repo.write("flux/secrets/develop/feat.yaml", plainSecret("feat", { key: C.branch }));
    const branchLeak = commit(repo, "feature: plaintext");
    repo.remove("flux/secrets/develop/feat.yaml");
    commit(repo, "feature: remove it");
    repo.git("checkout", "-q", "main");
    repo.write("docs.md", "docs\n");
    commit(repo, "main moves on");
    repo.git("merge", "-q", "--no-ff", "--no-commit", "feature");
    repo.write(
      "flux/secrets/production/evil.yaml",
      plainSecret("evil", { pw: C.evil }, "production"),
    );
    const merge = commit(repo, "merge feature (with an extra file)");
    expect(repo.git("rev-list", "--parents", "-n", "1", "HEAD").split(" ")).toHaveLength(3);
    repo.git("checkout", "-q", "-b", "wip", "HEAD~1");
    repo.write("flux/secrets/auth/wip.yaml", plainSecret("wip", { s: C.wip }, "auth"));
    commit(repo, "wip");
    repo.git("checkout", "-q", "main");

    const h = history(repo);
    expect(h.exposures.map((e) => e.key).sort()).toEqual(["key", "pw"]);
    expect(find(h.exposures, "key").firstCommit.id).toBe(branchLeak);
    expect(find(h.exposures, "key").inHead).toBe(false);
    expect(find(h.exposures, "pw").firstCommit.id).toBe(merge);
    expect(find(h.exposures, "pw").inHead).toBe(true);

    const all = history(repo, ["--all-refs"]);
    expect(all.exposures.map((e) => e.key).sort()).toEqual(["key", "pw", "s"]);
    expect(find(all.exposures, "s").inHead).toBe(false);

    // a range: only what main..wip adds
    const range = history(repo, ["main..wip"]);
    expect(range.exposures.map((e) => e.key)).toEqual(["s"]);
    expect(sg(repo, ["history", "--all-refs", "HEAD"]).code).toBe(2);
    expect(sg(repo, ["history", "no-such-ref"]).code).toBe(2);
  });

  it("pushed vs local-only: reachable from remote-tracking refs means compromised", async () => {
    const repo = await seedRepo();
    const bare = path.join(makeTempDir(), "origin.git");
    repo.gitRaw(["init", "-q", "--bare", bare]);
    repo.git("remote", "add", "origin", bare);
    repo.write("flux/secrets/develop/a.yaml", plainSecret("a", { pushed: C.pushed }));
    commit(repo, "pushed leak");
    repo.git("push", "-q", "origin", "main");
    repo.write("flux/secrets/develop/b.yaml", plainSecret("b", { local: C.local }));
    commit(repo, "local leak");
    repo.git("fetch", "-q", "origin");
    const h = history(repo);
    expect(find(h.exposures, "pushed")).toMatchObject({ pushed: true, pushedTo: ["origin/main"] });
    expect(find(h.exposures, "local").pushed).toBe(false);
    expect(h.summary.pushed).toBe(1);
    const t = sg(repo, ["history"], { env: { XDG_CONFIG_HOME: noKeys } });
    expect(t.stdout).toContain("yes (origin/main): treat it as compromised");
    expect(t.stdout).toContain("no: local only");
  });

  it("the same bytes at another path are judged again: a name that marks a secret makes them an exposure", async () => {
    const repo = await makeRepo();
    // A broad rule: a file is required encrypted only when something marks it (here, its name).
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: .*\\.yaml$\n    age: ${recipient}\n`,
    );
    const body = `db:\n  user: app\n  password: ${C.samebytes}\n`;
    repo.write("app/config.yaml", body);
    commit(repo, "a config file: need not be encrypted under a broad rule");
    repo.write("app/secret.yaml", body);
    const leak = commit(repo, "the same bytes under a marked name");
    const h = history(repo);
    const e = find(h.exposures, "db.password");
    expect(e.paths).toEqual(["app/secret.yaml"]);
    expect(e.firstCommit.id).toBe(leak);
  });

  it("a renamed file is one exposure with both paths", async () => {
    const repo = await seedRepo();
    repo.write("flux/secrets/develop/r.yaml", plainSecret("r", { k: C.renamed }));
    const leak = commit(repo, "add");
    mkdirSync(path.join(repo.dir, "flux/secrets/staging"), { recursive: true });
    repo.git("mv", "flux/secrets/develop/r.yaml", "flux/secrets/staging/r.yaml");
    const moved = commit(repo, "rename");
    repo.remove("flux/secrets/staging/r.yaml");
    commit(repo, "delete");
    const h = history(repo);
    expect(h.exposures).toHaveLength(1);
    const e = h.exposures[0]!;
    expect(e.paths).toEqual(["flux/secrets/develop/r.yaml", "flux/secrets/staging/r.yaml"]);
    expect(e.firstCommit.id).toBe(leak);
    expect(e.lastCommit.id).toBe(moved);
    expect(e.inHead).toBe(false);
  });

  it("SARIF validates against the 2.1.0 schema; --output writes the report, without values", async () => {
    const repo = await seedRepo();
    repo.write("flux/secrets/develop/s.yaml", plainSecret("s", { a: C.reverted, b: C.same }));
    commit(repo, "leak");
    const r = sg(repo, ["history", "--format", "sarif"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
      AjvModule) as unknown as new (
      opts: object,
    ) => import("ajv").default;
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:\S*$/i);
    ajv.addFormat("uri-reference", /^\S*$/);
    ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    const validate = ajv.compile(
      JSON.parse(readFileSync(path.join(FIXTURES, "sarif", "sarif-schema-2.1.0.json"), "utf8")),
    );
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(doc.runs[0].results).toHaveLength(2);
    expect(doc.runs[0].results[0].ruleId).toBe("unencrypted");
    const out = path.join(makeTempDir(), "h.json");
    expect(sg(repo, ["history", "--format", "json", "--output", out]).code).toBe(1);
    const written = readFileSync(out, "utf8");
    transcript.push(written);
    expect(JSON.parse(written).exposures).toHaveLength(2);
  });

  it("a list value is one exposure per element, named with its index; a values file is worded as a file", async () => {
    const repo = await makeRepo();
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: .*values\\.yaml$\n    age: ${recipient}\n`,
    );
    commit(repo, "policy");
    repo.write(
      "apps/auth/values.yaml",
      `auth:\n  users:\n    - ${C.list0}\n    # a comment between\n    - ${C.list1}\n`,
    );
    commit(repo, "values in the clear");
    const h = history(repo);
    expect(h.code).toBe(1);
    expect(h.exposures.map((e) => e.key).sort()).toEqual(["auth.users[0]", "auth.users[1]"]);
    const t = sg(repo, ["history"], { env: { XDG_CONFIG_HOME: noKeys } });
    expect(t.stdout).toMatch(/^file {2}key: auth\.users\[1\]/m);
    expect(t.stdout).not.toMatch(/^Secret/m);
    // The runbook speaks of the file, not of an encrypted Secret to edit.
    expect(t.stdout).toContain("secret-guard encrypt PATH");
    expect(t.stdout).not.toContain("Put the new value in the encrypted Secret");
  });
});
