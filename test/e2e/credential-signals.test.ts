/**
 * Literal credentials nothing encrypts, through the installed hook and a real `git commit`
 * (test/fixtures/credential-signals): a URL password in a Flux GitRepository, a Secret's
 * credential-named annotation, a kustomization's helmCharts valuesInline and a HelmRelease's
 * spec.values each commit with a `possible-credential` warning naming the key (never the
 * value); their look-alikes commit without one; an allow entry accepts one. Needs `npm run build`.
 */
import { createHash } from "node:crypto";
import { cpSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURES, gitTry, seedPolicy, sg } from "./helpers.js";

const DIR = path.join(FIXTURES, "credential-signals");
const CANARIES = [
  "CANARY-sig-url-Jx4",
  "CANARY-sig-ann-Jx5",
  "CANARY-sig-hc-Jx6",
  "CANARY-sig-hr-Jx7",
];

afterAll(() => {
  assertNoCanary(CANARIES);
  cleanupAll();
});

interface Report {
  findings: Array<{
    rule: string;
    severity: string;
    path: string;
    keys?: string[];
    message: string;
  }>;
  summary: { errors: number; warnings: number };
}

async function repoWith(tree: "warn" | "clean"): Promise<TestRepo> {
  const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
  expect(sg(repo, ["install", "--hooks", "pre-commit", "--no-probe"]).code).toBe(0);
  cpSync(path.join(DIR, tree), repo.dir, { recursive: true });
  repo.git("add", "-A");
  return repo;
}

const row = (f: Report["findings"][number]) => `${f.severity} ${f.rule} ${f.path} ${f.keys}`;

describe("literal credentials outside any Secret's data", () => {
  it("each signal: the commit succeeds with a warning naming the key, never the value", async () => {
    const repo = await repoWith("warn");
    const c = gitTry(repo, ["commit", "-m", "literals"]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.stdout + c.stderr).toMatch(/\bwarning\b.*possible-credential/);
    const r = sg(repo, ["scan", "--all", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.summary.errors).toBe(0);
    expect(report.findings.map(row).sort()).toEqual([
      "warning possible-credential apps/db/helmrelease.yaml spec.values.env.DB_PASSWORD",
      "warning possible-credential apps/redis/kustomization.yaml helmCharts.valuesInline.auth.password",
      "warning possible-credential apps/web/secret.yaml metadata.annotations.example.com/admin-token",
      "warning possible-credential clusters/develop/source.yaml spec.url",
    ]);
    const byPath = new Map(report.findings.map((f) => [f.path, f.message]));
    expect(byPath.get("clusters/develop/source.yaml")).toMatch(/a password in a URL/);
    expect(byPath.get("apps/web/secret.yaml")).toMatch(/Secret annotation named like a credential/);
    expect(byPath.get("apps/db/helmrelease.yaml")).toMatch(/Helm value named like a credential/);
    // SARIF and text carry the same, still without a value.
    expect(sg(repo, ["scan", "--all", "--format", "sarif"]).code).toBe(0);
    expect(sg(repo, ["scan", "--all"]).stdout).toContain("possible-credential");
  });

  it("an allow entry (path, key, SHA-256 of the value) accepts one of them", async () => {
    const repo = await repoWith("warn");
    const sha = (v: string) => createHash("sha256").update(v).digest("hex");
    const url = "https://deploy:CANARY-sig-url-Jx4@git.example.com/org/apps.git";
    repo.write(
      ".secret-guard.yaml",
      [
        "allow:",
        "  - path: clusters/develop/source.yaml",
        "    key: spec.url",
        `    sha256: ${sha(url)}`,
        // The right key with another value's hash accepts nothing.
        "  - path: apps/web/secret.yaml",
        "    key: metadata.annotations.example.com/admin-token",
        `    sha256: ${sha(url)}`,
        "",
      ].join("\n"),
    );
    repo.git("add", "-A");
    const r = sg(repo, ["scan", "--all", "--format", "json"]);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.map((f) => f.path).sort()).toEqual([
      "apps/db/helmrelease.yaml",
      "apps/redis/kustomization.yaml",
      "apps/web/secret.yaml",
    ]);
  });

  it("the look-alikes: substitutions, templates, references, ssh and git@ URLs, no password: no warning", async () => {
    const repo = await repoWith("clean");
    const c = gitTry(repo, ["commit", "-m", "look-alikes"]);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.stdout + c.stderr).not.toMatch(/\bwarning\b/);
    const r = sg(repo, ["scan", "--all", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Report).findings).toEqual([]);
  });
});
