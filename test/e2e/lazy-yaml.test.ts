/**
 * The every-commit path never loads the `yaml` package when the fast path
 * (src/sops/fastyaml.ts) reads every staged file: the bundle loads it on first use
 * (scripts/bundle.mjs) and `--debug` says whether it did. A file the fast path
 * declines (a tag here) loads it and is judged the same as ever; a plaintext
 * Secret read by the fast path is blocked through the real hook. Needs `npm run build`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURES, gitTry, plainSecret, seedPolicy, sg } from "./helpers.js";

const CANARY = "CANARY-lazy-yaml-Tq4";
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
  "utf8",
);
const SECRET = "flux/secrets/develop/app.yaml";

afterAll(() => {
  assertNoCanary([CANARY]);
  cleanupAll();
});

const yamlState = (stderr: string) => /debug: yaml package: (.*)/.exec(stderr)?.[1];

describe("the hook path without the yaml package", () => {
  it("an encrypted Secret and a Deployment: judged, committed, the yaml package never loaded", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
    expect(sg(repo, ["install"]).code).toBe(0);
    repo.write(SECRET, ENCRYPTED);
    repo.write(
      "apps/web/deploy.yaml",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n",
    );
    repo.git("add", "-A");
    // The first run parses .sops.yaml (then kept in the policy cache).
    expect(sg(repo, ["scan", "--hook"]).code).toBe(0);
    const r = sg(repo, ["scan", "--hook", "--no-cache", "--debug"]);
    expect(r.code, r.stderr).toBe(0);
    expect(yamlState(r.stderr)).toBe("not loaded");
    const c = gitTry(repo, ["commit", "-m", "secret and deployment"]);
    expect(c.code, c.stderr).toBe(0);
  });

  it("a plaintext Secret read by the fast path is blocked by the hook", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
    expect(sg(repo, ["install"]).code).toBe(0);
    repo.write(SECRET, plainSecret("app", { password: CANARY }));
    repo.git("add", "-A");
    expect(sg(repo, ["scan", "--hook"]).code).toBe(1);
    const r = sg(repo, ["scan", "--hook", "--no-cache", "--debug"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("unencrypted");
    expect(yamlState(r.stderr)).toBe("not loaded");
    const c = gitTry(repo, ["commit", "-m", "leak"]);
    expect(c.code).not.toBe(0);
    expect(c.stdout + c.stderr).toContain("unencrypted");
  });

  it("a file the fast path declines loads the yaml package and is judged as before", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
    repo.write(
      SECRET,
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n  password: !!str ${CANARY}\n`,
    );
    repo.git("add", "-A");
    expect(sg(repo, ["scan", "--hook"]).code).toBe(1);
    const r = sg(repo, ["scan", "--hook", "--no-cache", "--debug"]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("unencrypted");
    expect(yamlState(r.stderr)).toBe("loaded");
  });
});
