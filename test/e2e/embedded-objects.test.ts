/**
 * Secrets inside other objects (class 3 of the "no bypass" issue) are caught
 * after the fact too: `scan --range` (CI on a pull request) and `history`
 * judge each committed file version with the same core as the hook (the hook
 * itself is driven by test/e2e/redteam-corpus.test.ts). One commit, made with
 * --no-verify, carries every shape; a look-alike beside them stays clean.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir } from "../helpers/repo.js";
import { assertNoCanary, FIXTURES, sg } from "./helpers.js";

const CASES: Record<string, string> = {
  "patches-strategic-merge-inline": "apps/web/kustomization.yaml",
  "flux-kustomization-spec-patches": "clusters/develop/apps.yaml",
  "helmrelease-postrenderer-patch": "apps/web/helmrelease.yaml",
  "kyverno-generate-secret": "apps/policy/generate.yaml",
  "helmrelease-extradeploy-secret": "apps/extra/helmrelease.yaml",
  "capi-clusterresourceset-embedded-secret": "apps/capi/crs.yaml",
  "json6902-patch-secret": "apps/j6902/kustomization.yaml",
};
const SOURCE: Record<string, string> = {
  "helmrelease-extradeploy-secret": "apps/web/helmrelease.yaml",
  "json6902-patch-secret": "apps/web/kustomization.yaml",
};
const CANARIES = ["CANARY-RT-"];

afterAll(() => {
  assertNoCanary(CANARIES);
  cleanupAll();
});

describe("Secrets inside other objects, after the fact", () => {
  it("scan --range and history report each, at its file, never the value", async () => {
    const repo = await makeRepo();
    repo.write(
      ".sops.yaml",
      readFileSync(path.join(FIXTURES, "redteam", "kyverno-generate-secret", ".sops.yaml")),
    );
    repo.git("add", "-A");
    repo.git("commit", "-q", "-m", "base");
    const base = repo.git("rev-parse", "HEAD").trim();
    for (const [name, dest] of Object.entries(CASES)) {
      const src = path.join(FIXTURES, "redteam", name, SOURCE[name] ?? dest);
      repo.write(dest, readFileSync(src));
    }
    // look-alikes: a CRD schema naming Secret, a HelmRelease referencing one
    repo.write(
      "apps/infra/crd.yaml",
      readFileSync(
        path.join(FIXTURES, "redteam", "fa-crd-openapi-schema-broad", "kubernetes/infra/crd.yaml"),
      ),
    );
    repo.write(
      "apps/db/helmrelease.yaml",
      readFileSync(
        path.join(
          FIXTURES,
          "redteam",
          "fa-helmrelease-existingsecret",
          "kubernetes/apps/db/helmrelease.yaml",
        ),
      ),
    );
    repo.git("add", "-A");
    repo.git("commit", "-q", "--no-verify", "-m", "leak");

    const range = sg(repo, ["scan", "--range", `${base}..HEAD`, "--format", "json"]);
    expect(range.code, range.stderr).toBe(1);
    const findings = JSON.parse(range.stdout).findings as Array<{
      rule: string;
      path: string;
      keys?: string[];
      line?: number;
    }>;
    const blocked = findings.filter((f) => f.rule === "secret-outside-policy");
    expect([...new Set(blocked.map((f) => f.path))].sort()).toEqual(Object.values(CASES).sort());
    for (const f of blocked) {
      expect(f.keys).toEqual(["password"]);
      expect(f.line).toBeGreaterThan(0);
    }
    expect(
      findings.filter((f) => f.path.startsWith("apps/infra/") || f.path.startsWith("apps/db/")),
    ).toEqual([]);

    const h = sg(repo, ["history", "--format", "json"], {
      env: { XDG_CONFIG_HOME: makeTempDir() },
    });
    expect(h.code, h.stderr).toBe(1);
    const doc = JSON.parse(h.stdout) as { exposures: Array<{ path: string; key: string }> };
    expect([...new Set(doc.exposures.map((x) => x.path))].sort()).toEqual(
      Object.values(CASES).sort(),
    );
    expect(doc.exposures.every((x) => x.key.endsWith("password"))).toBe(true);
  });
});
