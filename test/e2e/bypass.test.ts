/**
 * Issue #12: no way past the guard. Every file of the bypass corpus
 * (test/bypass/) is staged in a real repository and committed through the
 * installed hook: each is blocked with its rule, and no value shows up in
 * any output. The same files, committed with --no-verify, are caught by
 * `scan --range` and (for the exposure rules) by `history`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BYPASS_CANARY, BYPASS_POLICY, bypassCases } from "../helpers/bypass.js";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, gitTry, sg, transcript } from "./helpers.js";

const cases = bypassCases();
const EXPOSURE = new Set([
  "unencrypted",
  "partially-encrypted",
  "secret-outside-policy",
  "encryption-removed",
]);

afterAll(() => {
  assertNoCanary([BYPASS_CANARY]);
  cleanupAll();
});

describe("bypass corpus through git commit", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({
      files: { ".sops.yaml": BYPASS_POLICY, "README.md": "x\n" },
      commit: "policy",
    });
    expect(sg(repo, ["install"]).code).toBe(0);
  });

  for (const c of cases) {
    it(`class ${c.class}: ${c.name} is blocked (${c.rule})`, () => {
      repo.write(c.path, c.bytes);
      repo.git("add", "--", c.path);
      const r = gitTry(repo, ["commit", "-q", "-m", `try ${c.name}`]);
      const out = r.stdout + r.stderr;
      expect(r.code, out).not.toBe(0);
      expect(out).toContain(c.rule);
      expect(out).toContain(c.path);
      expect(out).not.toContain(BYPASS_CANARY);
      expect(repo.git("rev-list", "--count", "HEAD")).toBe("1");
      repo.git("rm", "-q", "--cached", "--", c.path);
      repo.remove(c.path);
    });
  }
});

describe("bypass corpus through scan --range and history", () => {
  let repo: TestRepo;
  let base: string;
  beforeAll(async () => {
    repo = await makeRepo({
      files: { ".sops.yaml": BYPASS_POLICY, "README.md": "x\n" },
      commit: "policy",
    });
    base = repo.git("rev-parse", "HEAD");
    for (const c of cases) {
      repo.write(c.path, c.bytes);
      repo.git("add", "--", c.path);
      repo.git("commit", "-q", "--no-verify", "-m", `add ${c.name}`);
    }
  });

  it("scan --range finds every case with its rule", () => {
    const r = sg(repo, ["scan", "--range", `${base}..HEAD`, "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: Array<{ rule: string; path: string }> };
    const missed = cases.filter(
      (c) => !doc.findings.some((f) => f.path === c.path && f.rule === c.rule),
    );
    expect(missed.map((c) => c.name)).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(BYPASS_CANARY);
  });

  it("history reports every case that exposes a value", () => {
    const r = sg(repo, ["history", "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { exposures: Array<{ paths?: string[]; path?: string }> };
    const paths = new Set(
      doc.exposures.flatMap((e) => [...(e.paths ?? []), ...(e.path ? [e.path] : [])]),
    );
    const missed = cases.filter((c) => EXPOSURE.has(c.rule) && !paths.has(c.path));
    expect(missed.map((c) => c.name)).toEqual([]);
    expect(transcript.join("\n")).not.toContain(BYPASS_CANARY);
  });
});
