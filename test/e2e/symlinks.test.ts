/**
 * Symlinks (bypass class 10): git stores a link's target path; Flux clones the repository and
 * kustomize follows links inside it, so a link under a creation rule delivers its target's
 * content there. A staged symlink is judged by what it resolves to in the index, at its own
 * path; one that resolves to nothing there is blocked where a rule covers it. Never
 * "0 files scanned".
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURES, gitTry, plainSecret, seedPolicy, sg } from "./helpers.js";

const CANARY = "canary-link-Vq70-password";
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
  "utf8",
);
const AT = "flux/secrets/develop/db.yaml";

async function hooked(files: Record<string, string> = {}): Promise<TestRepo> {
  const repo = await makeRepo({
    files: { ".sops.yaml": seedPolicy(), "README.md": "x\n", ...files },
    commit: "base",
  });
  expect(sg(repo, ["install", "--hooks", "pre-commit", "--no-probe"]).code).toBe(0);
  return repo;
}

afterAll(() => {
  assertNoCanary([CANARY]);
  cleanupAll();
});

describe("a staged symlink under a creation rule", () => {
  it("pointing at a plaintext values file outside the rules: blocked, judged at the link's path", async () => {
    // The target is not a Secret (no kind), so only the link's rule makes it must-encrypt.
    const repo = await hooked();
    repo.write("apps/db/values.yaml", `data:\n  password: ${CANARY}\n`);
    repo.symlink("../../../apps/db/values.yaml", AT);
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-q", "-m", "link"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(AT);
    expect(r.stdout + r.stderr).toMatch(/unencrypted/);
    const json = sg(repo, ["scan", "--format", "json"]);
    const report = JSON.parse(json.stdout);
    expect(report.summary.filesScanned).toBeGreaterThan(0);
    expect(report.findings.some((f: { path: string }) => f.path === AT)).toBe(true);
  });

  it("pointing at an encrypted file: commits", async () => {
    const repo = await hooked({ "flux/secrets/develop/real.yaml": ENCRYPTED });
    repo.symlink("real.yaml", AT);
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-q", "-m", "link"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("through a linked folder: judged by the file it reaches", async () => {
    const repo = await hooked();
    repo.write("apps/db/values.yaml", `data:\n  password: ${CANARY}\n`);
    repo.symlink("apps/db", "shared");
    repo.symlink("../../../shared/values.yaml", AT);
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-q", "-m", "link"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/unencrypted/);
  });

  it("through a chain of links to a plaintext Secret: blocked", async () => {
    const repo = await hooked();
    repo.write("apps/db/secret.yaml", plainSecret("db", { password: CANARY }));
    repo.symlink("apps/db/secret.yaml", "hop.yaml");
    repo.symlink("../../../hop.yaml", AT);
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-q", "-m", "link"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(AT);
  });

  for (const [what, target] of [
    ["outside the repository", "/etc/hostname"],
    ["above the top level", "../../../../elsewhere/secret.yaml"],
    ["at nothing", "missing.yaml"],
    ["at itself (a loop)", "db.yaml"],
    ["at a folder", "../develop"],
  ] as const) {
    it(`pointing ${what}: blocked with a clear message that does not print the link`, async () => {
      const repo = await hooked();
      repo.symlink(target, AT);
      repo.git("add", "-A");
      const r = gitTry(repo, ["commit", "-q", "-m", "link"]);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      expect(out).toMatch(/unparseable/);
      expect(out).toMatch(/symlink that/);
      if (!AT.includes(target)) expect(out).not.toContain(target);
    });
  }

  it("a link whose target text is a pasted value is never printed", async () => {
    const repo = await hooked();
    repo.symlink(CANARY, AT);
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-q", "-m", "link"]);
    expect(r.code).toBe(1);
    for (const args of [["scan"], ["scan", "--format", "json"], ["scan", "--debug"]])
      sg(repo, args);
  });
});

describe("symlinks outside the rules", () => {
  it("a link to a plaintext Secret elsewhere is judged (the Secret is caught at the link too)", async () => {
    const repo = await hooked({ "apps/db/secret.yaml": plainSecret("db", { password: CANARY }) });
    // The target was committed before the guard (history); the new link delivers it again.
    repo.symlink("../db/secret.yaml", "apps/web/secret.yaml");
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-q", "-m", "link"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("apps/web/secret.yaml");
  });

  it("a dangling link no rule covers commits, listed as a skipped symlink", async () => {
    const repo = await hooked();
    repo.symlink("/usr/share/doc", "docs/link");
    repo.git("add", "-A");
    expect(gitTry(repo, ["commit", "-q", "-m", "link"]).code).toBe(0);
    const r = sg(repo, ["scan", "--all", "--format", "json"]);
    expect(JSON.parse(r.stdout).summary.skipped, r.stdout).toEqual({ symlink: 1 });
  });
});

describe("the same judgement in --all and --range", () => {
  it("scan --all and scan --range catch a committed link to plaintext under a rule", async () => {
    const repo = await hooked();
    repo.write("apps/db/values.yaml", `data:\n  password: ${CANARY}\n`);
    repo.symlink("../../../apps/db/values.yaml", AT);
    repo.git("add", "-A");
    repo.git("commit", "-q", "--no-verify", "-m", "sneaked");
    for (const args of [
      ["scan", "--all"],
      ["scan", "--range", "HEAD~1..HEAD"],
    ]) {
      const r = sg(repo, args);
      expect(r.code, `${args.join(" ")}\n${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stdout).toContain(AT);
    }
  });
});
