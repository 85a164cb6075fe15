/**
 * Will Flux apply it? An encrypted Secret under a folder whose
 * kustomization.yaml does not list it in `resources` is never applied, and
 * nothing else says so. In real repositories: the warning after `scan
 * --fix` (and after the hook's fix during `git commit`), `--fix` registering
 * it in the working copy (never staging it), `scan` on what is staged and
 * `scan PATH` on disk, entries that do cover it (`./x.yaml`, a folder, a
 * parent kustomization), the warning printed on stderr before the report,
 * and `new` warning when a kustomization above leaves its Secret out.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  BIN,
  FIXTURE_AGE,
  FIXTURES,
  gitTry,
  plainSecret,
  seedPolicy,
  sg,
  transcript,
} from "./helpers.js";

const CANARY = "canary-coverage-Qw7-value";
const SECRET = "flux/secrets/develop/backend-secrets.yaml";
const KZ = "flux/secrets/develop/kustomization.yaml";
const KZ_TEXT =
  "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - app.yaml\n";
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
);
const APP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n";

let recipient: string;
beforeAll(async () => {
  recipient = await identityToRecipient(await generateIdentity());
});
afterAll(() => {
  assertNoCanary([CANARY]);
  cleanupAll();
});

async function repoWith(
  files: Record<string, string | Buffer>,
  policy?: string,
): Promise<TestRepo> {
  const repo = await makeRepo({
    files: { ".sops.yaml": policy ?? seedPolicy(recipient), ...files },
    commit: "layout",
  });
  expect(sg(repo, ["install"]).code).toBe(0);
  return repo;
}

/** Run with stdout and stderr on one pipe, to see what comes first. */
function merged(repo: TestRepo, args: string[]): { code: number; out: string } {
  const r = spawnSync("sh", ["-c", '"$@" 2>&1', "sh", process.execPath, BIN, ...args], {
    cwd: repo.dir,
    env: { ...repo.env, NO_COLOR: "1" },
    encoding: "utf8",
  });
  transcript.push(r.stdout);
  return { code: r.status ?? -1, out: r.stdout };
}

const warning = (file: string, kz: string) => `warning: ${file} is not in the resources of ${kz}`;

describe("kustomization coverage", () => {
  it("scan --fix: the warning, the entry added to the working copy only, then a clean scan", async () => {
    const repo = await repoWith({ [KZ]: KZ_TEXT, "flux/secrets/develop/app.yaml": APP });
    repo.write(SECRET, plainSecret("backend-secrets", { url: CANARY }));
    repo.git("add", SECRET);
    const r = sg(repo, ["scan", "--fix"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`fixed: ${SECRET}`);
    expect(r.stderr).toContain(`${warning(SECRET, KZ)} (staged): Flux never applies it`);
    expect(r.stderr).toContain(`fix: git add ${KZ} (the working copy lists it)`);
    expect(r.stdout).toContain(`registered: backend-secrets.yaml added to ${KZ}`);
    expect(r.stdout).toContain(`git add ${KZ}`);
    // The working copy lists it; the index (what the commit holds) does not: --fix stages
    // nothing the user did not stage.
    expect(repo.read(KZ).toString()).toBe(`${KZ_TEXT}  - backend-secrets.yaml\n`);
    expect(repo.git("show", `:${KZ}`)).toBe(KZ_TEXT.trimEnd());
    expect(repo.git("diff", "--name-only")).toBe(KZ);

    const still = sg(repo, ["scan"]);
    expect(still.code).toBe(0);
    expect(still.stderr).toContain(warning(SECRET, KZ));
    repo.git("add", KZ);
    const clean = sg(repo, ["scan"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stderr).not.toContain("warning:");
    expect(gitTry(repo, ["commit", "-m", "Add backend-secrets"]).code).toBe(0);
    expect(sg(repo, ["scan", "--all"]).stderr).not.toContain("warning:");
  });

  it("the hook's fix during git commit: the commit goes on, and the warning says Flux will not apply it", async () => {
    const repo = await repoWith({ [KZ]: KZ_TEXT });
    repo.write(SECRET, plainSecret("backend-secrets", { url: CANARY }));
    repo.git("add", SECRET);
    const c = gitTry(repo, ["commit", "-m", "fix in the hook"], { SECRET_GUARD_FIX: "1" });
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.stderr).toContain(warning(SECRET, KZ));
    expect(repo.read(KZ).toString()).toContain("  - backend-secrets.yaml\n");
  });

  it("an encrypted Secret staged without its entry: a warning on stderr before the report, exit 0", async () => {
    const repo = await repoWith({ [KZ]: KZ_TEXT }, seedPolicy(FIXTURE_AGE));
    repo.write(SECRET, ENCRYPTED);
    repo.git("add", SECRET);
    const r = merged(repo, ["scan"]);
    expect(r.code, r.out).toBe(0);
    const w = r.out.indexOf(warning(SECRET, KZ));
    expect(w, r.out).toBeGreaterThanOrEqual(0);
    expect(w).toBeLessThan(r.out.indexOf("scanned, no plaintext"));
    const json = sg(repo, ["--format", "json", "scan"]);
    expect(JSON.parse(json.stdout).summary.errors).toBe(0);
    expect(json.stderr).toContain(warning(SECRET, KZ));
  });

  it("scan PATH --fix registers on disk; entries that cover it are recognised", async () => {
    const repo = await repoWith({ [KZ]: KZ_TEXT }, seedPolicy(FIXTURE_AGE));
    repo.write(SECRET, ENCRYPTED);
    const w = sg(repo, ["scan", SECRET]);
    expect(w.stderr).toContain(`${warning(SECRET, KZ)}: Flux never applies it`);
    expect(w.stderr).toContain(
      `fix: add "- backend-secrets.yaml" to its resources, or: npx secret-guard scan --fix ${SECRET}`,
    );
    const f = sg(repo, ["scan", "--fix", SECRET]);
    expect(f.code, f.stdout + f.stderr).toBe(0);
    expect(f.stderr).not.toContain("warning:");
    expect(repo.read(KZ).toString()).toContain("  - backend-secrets.yaml\n");

    for (const kz of [
      `${KZ_TEXT}  - ./backend-secrets.yaml\n`,
      "resources:\n  - ../develop\n", // the folder itself, from a parent's point of view
    ]) {
      repo.write(KZ, kz);
      expect(sg(repo, ["scan", SECRET]).stderr, kz).not.toContain("warning:");
    }
    // The nearest kustomization is a parent's: it must list the file or its folder.
    repo.remove(KZ);
    repo.write("flux/secrets/kustomization.yaml", "resources:\n  - staging\n");
    expect(sg(repo, ["scan", SECRET]).stderr).toContain(
      warning(SECRET, "flux/secrets/kustomization.yaml"),
    );
    repo.write(
      "flux/secrets/kustomization.yaml",
      "resources:\n  - staging\n  - develop/backend-secrets.yaml\n",
    );
    expect(sg(repo, ["scan", SECRET]).stderr).not.toContain("warning:");
    // No kustomization at all: Flux generates one from every manifest; nothing to say.
    repo.remove("flux/secrets/kustomization.yaml");
    expect(sg(repo, ["scan", SECRET]).stderr).not.toContain("warning:");
  });

  it("new: a folder with other manifests and no kustomization.yaml gets none; a parent that leaves it out is named", async () => {
    const repo = await repoWith({
      "flux/secrets/develop/app.yaml": APP,
      "flux/secrets/kustomization.yaml": "resources:\n  - staging\n",
      "flux/secrets/staging/.keep": "",
    });
    const envFile = path.join(makeTempDir(), "v.env");
    writeFileSync(envFile, `url=${CANARY}\n`);
    const r = sg(repo, ["new", "develop", "backend-secrets", "--from-env-file", envFile]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("no kustomization.yaml, other manifests: none created");
    expect(r.stderr).toContain(warning(SECRET, "flux/secrets/kustomization.yaml"));
    expect(repo.git("status", "--porcelain")).toBe(`?? ${SECRET}`);
  });
});
