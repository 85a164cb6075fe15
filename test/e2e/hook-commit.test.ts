/**
 * The guard as users meet it: `secret-guard install` in a real repository,
 * then real `git commit`, `git commit -a` and `git commit PATH` through the
 * installed hook (plain git hooks and husky 9).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  FIXTURES,
  gitTry,
  plainSecret,
  ROOT,
  seedPolicy,
  sg,
  transcript,
} from "./helpers.js";

const CANARY_A = "canary-pg-Zx81-password";
const CANARY_B = "canary-api-Kq55-key";
const CANARIES = [CANARY_A, CANARY_B];
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
  "utf8",
);
const SECRET_PATH = "flux/secrets/develop/backend-secrets.yaml";

async function guardedRepo(): Promise<TestRepo> {
  const repo = await makeRepo({
    files: {
      ".sops.yaml": seedPolicy(),
      "flux/secrets/develop/kustomization.yaml": "resources:\n  - backend-secrets.yaml\n",
    },
    commit: "policy",
  });
  const r = sg(repo, ["install"]);
  expect(r.code, r.stderr).toBe(0);
  return repo;
}

const commits = (repo: TestRepo) => Number(repo.git("rev-list", "--count", "HEAD"));

afterAll(() => {
  assertNoCanary(CANARIES);
  cleanupAll();
});

describe("plain git hook", () => {
  let repo: TestRepo;
  beforeEach(async () => {
    repo = await guardedRepo();
  });

  it("blocks a plaintext Secret, naming keys but never values", () => {
    repo.write(
      SECRET_PATH,
      plainSecret("backend-secrets", { "database-url": CANARY_A, "api-key": CANARY_B }),
    );
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "leak"]);
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain("unencrypted");
    expect(out).toContain("database-url");
    expect(out).toContain("api-key");
    expect(out).toContain("develop/backend-secrets");
    expect(out).toContain(".git/objects");
    expect(out).toContain("secret-guard scan --fix");
    expect(commits(repo)).toBe(1);
    assertNoCanary(CANARIES, out);
  });

  it("lets an encrypted Secret through", () => {
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "encrypted"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(commits(repo)).toBe(2);
  });

  it("judges the index, not the working tree, both ways", () => {
    // staged plaintext, encrypted on disk: blocked
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { pw: CANARY_A }));
    repo.git("add", SECRET_PATH);
    repo.write(SECRET_PATH, ENCRYPTED);
    expect(gitTry(repo, ["commit", "-m", "x"]).code).not.toBe(0);
    // staged encrypted, plaintext on disk: passes
    repo.git("add", SECRET_PATH);
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { pw: CANARY_A }));
    expect(gitTry(repo, ["commit", "-m", "y"]).code).toBe(0);
    expect(commits(repo)).toBe(2);
  });

  it("git commit -a and git commit PATH are judged on what they will commit", () => {
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.commitAll("encrypted");
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { pw: CANARY_A }));
    const a = gitTry(repo, ["commit", "-a", "-m", "all"]);
    expect(a.code).not.toBe(0);
    expect(a.stdout + a.stderr).toMatch(/encryption-removed|unencrypted/);
    const p = gitTry(repo, ["commit", "-m", "only", "--", SECRET_PATH]);
    expect(p.code).not.toBe(0);
    expect(commits(repo)).toBe(2);
    // an unrelated staged file commits fine while the plaintext stays unstaged
    repo.write("README.md", "hello\n");
    repo.git("add", "README.md");
    expect(gitTry(repo, ["commit", "-m", "readme"]).code).toBe(0);
  });

  it("renames are judged by the new path; deletions pass", () => {
    repo.write("notes/backend.yaml", plainSecret("backend-secrets", { pw: "${DB_PASSWORD}" }));
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.commitAll("a template outside the policy and an encrypted secret");
    // an encrypted file renamed under another rule passes
    repo.git("mv", SECRET_PATH, "flux/secrets/staging-backend.yaml");
    expect(gitTry(repo, ["commit", "-m", "move"]).code).toBe(0);
    // renaming a plaintext file into a rule's path is judged by the new path
    repo.write(
      "notes/backend.yaml",
      plainSecret("backend-secrets", { pw: "plain-but-not-canary" }),
    );
    repo.git("add", "notes/backend.yaml");
    repo.git("commit", "-q", "--no-verify", "-m", "plaintext outside the policy (bypassed)");
    repo.write("flux/secrets/develop/.keep", "");
    repo.git("mv", "notes/backend.yaml", "flux/secrets/develop/moved.yaml");
    const moved = gitTry(repo, ["commit", "-m", "move into policy"]);
    expect(moved.code).not.toBe(0);
    expect(moved.stdout + moved.stderr).toContain("flux/secrets/develop/moved.yaml");
    repo.git("reset", "-q", "--hard");
    // deletions are skipped
    repo.git("rm", "-q", "notes/backend.yaml");
    expect(gitTry(repo, ["commit", "-m", "delete"]).code).toBe(0);
  });

  it("multi-document files: one plaintext document blocks", () => {
    repo.write(SECRET_PATH, `${ENCRYPTED}---\n${plainSecret("second", { pw: CANARY_B })}`);
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "multi"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("second");
  });

  it("a broken .sops.yaml blocks the commit and names the rule and field", () => {
    repo.write(".sops.yaml", "creation_rules:\n  - path_regex: flux/(?=secrets)/.*\n    age: x\n");
    repo.git("add", ".sops.yaml");
    const r = gitTry(repo, ["commit", "-m", "bad policy"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/creation_rules\[0\]\.(path_regex|age)/);
    const scan = sg(repo, ["scan"]);
    expect(scan.code).toBe(2);
  });

  it("garbage bytes under a rule path are unparseable and block", () => {
    repo.write(SECRET_PATH, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x0a, 0x41]));
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "garbage"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("unparseable");
  });

  it("RE2-only syntax in path_regex covers what sops would cover", () => {
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: (?i)^FLUX/secrets/(?P<env>[a-z]+)/.*\\.yaml\\z\n    encrypted_regex: ^(data|stringData)$\n    age: age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29\n`,
    );
    repo.commitAll("re2 policy");
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { pw: CANARY_A }));
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "leak"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("unencrypted");
  });

  it("install is idempotent and keeps a foreign hook", () => {
    expect(sg(repo, ["install"]).stdout).toContain("already installed");
    const hook = path.join(repo.dir, ".git/hooks/pre-commit");
    repo.write(".git/hooks/pre-commit", "#!/bin/sh\necho foreign-hook-ran\n");
    spawnSync("chmod", ["+x", hook]);
    expect(sg(repo, ["install"]).stdout).toContain("added to the existing hook");
    expect(sg(repo, ["install"]).stdout).toContain("already installed");
    const text = readFileSync(hook, "utf8");
    expect(text).toContain("foreign-hook-ran");
    expect(text.match(/>>> secret-guard >>>/g)).toHaveLength(1);
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { pw: CANARY_A }));
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "leak"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("foreign-hook-ran");
  });

  it("a hook that cannot find secret-guard blocks instead of passing", () => {
    // the hook's last resort is this machine's copy, kept in .git/config (not in the hook)
    expect(readFileSync(path.join(repo.dir, ".git/hooks/pre-commit"), "utf8")).not.toContain(ROOT);
    repo.git("config", "secret-guard.path", "/nonexistent/secret-guard.js");
    repo.write("README.md", "x\n");
    repo.git("add", "README.md");
    const r = gitTry(repo, ["commit", "-m", "no guard"], { PATH: "/usr/bin:/bin" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("secret-guard: not found");
  });
});

describe("scan from the command line", () => {
  it("odd paths survive, and --format json has the contract's shape", async () => {
    const repo = await guardedRepo();
    const odd = 'flux/secrets/develop/my "odd"\tfile é 日本.yaml';
    repo.write(odd, plainSecret("odd", { pw: CANARY_A }));
    repo.git("add", "--", odd);
    const r = sg(repo, ["scan", "--format", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(["tool", "version", "mode", "findings", "summary"]);
    expect(report).toMatchObject({
      tool: "secret-guard",
      mode: "staged",
      summary: { filesScanned: 1, errors: 1, warnings: 0 },
    });
    expect(report.findings[0]).toEqual({
      rule: "unencrypted",
      severity: "error",
      path: odd,
      line: 8,
      column: 7,
      kind: "Secret",
      name: "odd",
      namespace: "develop",
      keys: ["pw"],
      message: expect.any(String),
      fixable: true,
    });
    const blocked = gitTry(repo, ["commit", "-m", "odd"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("日本.yaml");
  });

  it("--all, --range and PATH modes; exit 2 outside a repository", async () => {
    const repo = await guardedRepo();
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { pw: CANARY_A }));
    repo.git("add", SECRET_PATH);
    repo.git("commit", "-q", "--no-verify", "-m", "bypassed");
    expect(sg(repo, ["scan"]).code).toBe(0);
    const all = sg(repo, ["scan", "--all"]);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain(SECRET_PATH);
    expect(sg(repo, ["scan", "--range", "HEAD~1..HEAD"]).code).toBe(1);
    expect(sg(repo, ["scan", "--range", "HEAD~1..HEAD~1"]).code).toBe(0);
    expect(sg(repo, ["scan", "flux/"]).code).toBe(1);
    expect(sg(repo, ["scan", "--range", "nope..HEAD"]).code).toBe(2);
    const outside = sg(repo, ["scan"], { cwd: repo.home });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain("not inside a git repository");
    expect(sg(repo, ["scan", "--bogus"]).code).toBe(2);
  });

  it(".secret-guard.yaml: ignore globs and severity; a bad field exits 2 naming it", async () => {
    const repo = await guardedRepo();
    repo.write("fixtures/secret.yaml", plainSecret("fixture", { pw: CANARY_B }));
    repo.git("add", "fixtures/secret.yaml");
    expect(sg(repo, ["scan"]).code).toBe(1);
    repo.write(".secret-guard.yaml", "ignore:\n  - fixtures/**\n");
    repo.git("add", ".secret-guard.yaml");
    expect(sg(repo, ["scan"]).code).toBe(0);
    repo.write(".secret-guard.yaml", "severity:\n  secret-outside-policy: warning\n");
    repo.git("add", ".secret-guard.yaml");
    const warn = sg(repo, ["scan", "--format", "json"]);
    expect(warn.code).toBe(0);
    expect(JSON.parse(warn.stdout).summary).toMatchObject({ errors: 0, warnings: 1 });
    repo.write(".secret-guard.yaml", "ignores:\n  - fixtures/**\n");
    repo.git("add", ".secret-guard.yaml");
    const bad = sg(repo, ["scan"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("ignores: unknown field");
  });
});

describe("allowlist", () => {
  it("holds after lines are inserted above it, and stops holding when the value changes", async () => {
    const repo = await guardedRepo();
    const { createHash } = await import("node:crypto");
    const value = "not-really-secret-demo";
    const file = "apps/demo/secret.yaml";
    repo.write(file, plainSecret("demo", { password: value }));
    repo.git("add", file);
    expect(sg(repo, ["scan"]).code).toBe(1);
    const sha = createHash("sha256").update(value).digest("hex");
    repo.write(
      ".secret-guard.yaml",
      `allow:\n  - path: ${file}\n    key: stringData.password\n    sha256: ${sha}\n    reason: demo value\n`,
    );
    repo.git("add", ".secret-guard.yaml");
    expect(sg(repo, ["scan"]).code).toBe(0);
    repo.write(
      file,
      `# a comment\n# and another\n${plainSecret("demo", { other: "", password: value })}`,
    );
    repo.git("add", file);
    expect(sg(repo, ["scan"]).code).toBe(0);
    repo.write(file, plainSecret("demo", { password: CANARY_A }));
    repo.git("add", file);
    const changed = sg(repo, ["scan"]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("password");
    repo.write(
      ".secret-guard.yaml",
      `allow:\n  - path: ${file}\n    key: stringData.password\n    sha256: nothex\n`,
    );
    const bad = sg(repo, ["scan"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("allow[0].sha256");
  });
});

describe("husky 9", () => {
  it("install adds the hook to .husky/pre-commit and git commit runs it", async () => {
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
    expect(repo.git("config", "core.hooksPath")).toBe(".husky/_");
    const first = sg(repo, ["install"]);
    expect(first.stdout).toContain("(husky)");
    expect(sg(repo, ["install"]).stdout).toContain("already installed");
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { pw: CANARY_A }));
    repo.git("add", SECRET_PATH);
    const r = gitTry(repo, ["commit", "-m", "leak"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("unencrypted");
    repo.write(SECRET_PATH, ENCRYPTED);
    repo.git("add", SECRET_PATH);
    const ok = gitTry(repo, ["commit", "-m", "ok"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(transcript.length).toBeGreaterThan(0);
  });
});
