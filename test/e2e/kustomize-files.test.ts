/**
 * Files kustomize turns into Secret data whatever they are called, through real `git commit`
 * (the installed hook), `scan --range` and `history`: the kustomization links a file of any
 * name (resources, generators) in the index or in a commit, builtin SecretGenerator configs
 * name sources, the catch-all rule (sops reads `Kustomization` as binary) does not hide a
 * kustomization, and a cached clean verdict never survives a new link. No canary is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURE_AGE, gitTry, sg, transcript } from "./helpers.js";

const CANARY = "CANARY-kf-e2e-4Lp";
const SPECIFIC = `creation_rules:\n  - path_regex: flux/secrets/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: ${FIXTURE_AGE}\n`;
const CATCH_ALL = `creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    age: ${FIXTURE_AGE}\n`;
const SECRET = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\nstringData:\n  password: ${CANARY}\n`;
/** A Secret that does not parse: only a kustomization's link makes the guard read it. */
const BROKEN = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\nstringData:\n  password: [${CANARY}\n`;

afterAll(() => {
  assertNoCanary([CANARY]);
  cleanupAll();
});

async function repoWith(policy: string, files: Record<string, string> = {}): Promise<TestRepo> {
  const repo = await makeRepo({ files: { ".sops.yaml": policy, ...files }, commit: "layout" });
  expect(sg(repo, ["install", "--hooks", "pre-commit", "--no-probe"]).code).toBe(0);
  return repo;
}

function commit(repo: TestRepo, files: Record<string, string>) {
  for (const [p, t] of Object.entries(files)) repo.write(p, t);
  repo.git("add", "-A");
  const r = gitTry(repo, ["commit", "-q", "-m", "try"]);
  return { code: r.code, out: r.stdout + r.stderr };
}

function reset(repo: TestRepo) {
  repo.git("reset", "-q", "--hard", "HEAD");
  repo.git("clean", "-qfdx");
}

describe("kustomization links, through git commit", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await repoWith(SPECIFIC);
  });

  it("a committed kustomization lists a staged resource of any name: read as YAML, fails closed", () => {
    repo.write("apps/a/kustomization.yaml", "resources:\n  - secret\n");
    repo.git("add", "-A");
    repo.git("commit", "-q", "-m", "kustomization");
    const r = commit(repo, { "apps/a/secret": BROKEN });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/a/secret");
    expect(r.out).toContain("unparseable");
    reset(repo);
    // The same bytes nowhere listed are just a file.
    const free = commit(repo, { "apps/free/secret": BROKEN });
    expect(free.code, free.out).toBe(0);
  });

  it("a staged kustomization lists a committed file of another name: that file is judged", () => {
    repo.write("apps/b/creds.txt", SECRET.replace("kind: Secret", "kind: Secret # later"));
    repo.git("add", "-A");
    repo.git("commit", "-q", "--no-verify", "-m", "slipped in before the guard");
    const r = commit(repo, { "apps/b/kustomization.yaml": "resources:\n  - creds.txt\n" });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/b/creds.txt");
    expect(r.out).toContain("secret-outside-policy");
    reset(repo);
  });

  it("patches[].path, patchesStrategicMerge and components name manifests too", () => {
    for (const [field, entry, text] of [
      // a patches path may be JSON 6902 operations: judged as YAML, not failed closed
      ["patches", "  - path: p", SECRET],
      ["patchesStrategicMerge", "  - p", BROKEN],
      ["components", "  - p", BROKEN],
    ] as const) {
      const r = commit(repo, {
        "apps/c/kustomization.yaml": `${field}:\n${entry}\n`,
        "apps/c/p": text,
      });
      expect(r.code, `${field}\n${r.out}`).not.toBe(0);
      expect(r.out).toContain("apps/c/p");
      reset(repo);
    }
  });

  it("a builtin SecretGenerator config under generators: names env and file sources", () => {
    const r = commit(repo, {
      "apps/d/kustomization.yaml": "generators:\n  - gen\n",
      "apps/d/gen":
        "apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: d\nenvs:\n  - app.env\nfiles:\n  - token=tok\n",
      "apps/d/app.env": `PASSWORD=${CANARY}\n`,
      "apps/d/tok": `${CANARY}\n`,
    });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/d/app.env");
    expect(r.out).toContain("apps/d/tok");
    expect(r.out).toContain('secretGenerator "d"');
    reset(repo);
  });

  it("the same inline under generators: names the sources", () => {
    const r = commit(repo, {
      "apps/e/Kustomization":
        "generators:\n  - |-\n    apiVersion: builtin\n    kind: SecretGenerator\n    metadata:\n      name: e\n    envs:\n      - app.env\n",
      "apps/e/app.env": `PASSWORD=${CANARY}\n`,
    });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/e/app.env");
    reset(repo);
  });

  it("replacements copy a ConfigMap resource's value into a Secret: the ConfigMap file is blocked", () => {
    const r = commit(repo, {
      "apps/g/kustomization.yaml":
        "resources:\n  - config.yaml\n  - secret.yaml\nreplacements:\n  - source: {kind: ConfigMap, name: s, fieldPath: data.password}\n    targets:\n      - select: {kind: Secret, name: web}\n        fieldPaths: [stringData.password]\n",
      "apps/g/config.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  password: ${CANARY}\n`,
      "apps/g/secret.yaml":
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\nstringData:\n  password: ""\n',
    });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/g/config.yaml");
    expect(r.out).toContain("replacements in apps/g/kustomization.yaml");
    reset(repo);
  });

  it("replacements copy a configMapGenerator env value into a Secret: the env file is blocked", () => {
    const r = commit(repo, {
      "apps/h/kustomization.yaml":
        "resources:\n  - secret.yaml\nconfigMapGenerator:\n  - name: s\n    envs: [app.env]\nreplacements:\n  - source: {kind: ConfigMap, name: s, fieldPath: data.PASSWORD}\n    targets:\n      - select: {kind: Secret, name: web}\n        fieldPaths: [stringData.password]\n",
      "apps/h/app.env": `COLOR=blue\nPASSWORD=${CANARY}\n`,
      "apps/h/secret.yaml":
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\nstringData:\n  password: ""\n',
    });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/h/app.env");
    expect(r.out).toContain("PASSWORD");
    expect(r.out).not.toContain("COLOR");
    reset(repo);
  });

  it("a cached clean verdict does not survive a new link (the link is part of the key)", () => {
    repo.write("apps/f/secret", BROKEN);
    repo.git("add", "-A");
    repo.git("commit", "-q", "--no-verify", "-m", "unlisted");
    const small = { env: { SECRET_GUARD_CACHE_MIN_FILES: "0" } };
    const first = sg(repo, ["scan", "--all", "--debug"], small);
    expect(first.stdout).not.toContain("apps/f/secret");
    expect(sg(repo, ["scan", "--all", "--debug"], small).stderr).toContain(
      "cached clean: apps/f/secret",
    );
    repo.write("apps/f/kustomization.yaml", "resources:\n  - secret\n");
    repo.git("add", "-A");
    const r = sg(repo, ["scan", "--all"], small);
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout).toContain("apps/f/secret");
    reset(repo);
  });
});

describe("the catch-all rule: sops reads these names as binary, kustomize as YAML", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await repoWith(CATCH_ALL);
  });

  it("Kustomization literals and a Secret in secret.txt are blocked", () => {
    const k = commit(repo, {
      "apps/web/Kustomization": `secretGenerator:\n  - name: w\n    literals:\n      - password=${CANARY}\n`,
    });
    expect(k.code, k.out).not.toBe(0);
    expect(k.out).toContain("secret-outside-policy");
    reset(repo);
    const s = commit(repo, {
      "apps/web/kustomization.yaml": "resources:\n  - secret.txt\n",
      "apps/web/secret.txt": SECRET,
    });
    expect(s.code, s.out).not.toBe(0);
    expect(s.out).toContain("apps/web/secret.txt");
    reset(repo);
  });
});

describe("files read only to be sniffed are read a few at a time, every one judged", () => {
  it("--all and history over many files of other names: each Secret among them is found", async () => {
    const files: Record<string, string> = { ".sops.yaml": SPECIFIC };
    for (let i = 0; i < 40; i++) {
      files[`apps/n${i}/secret`] = SECRET.replace("name: web", `name: s${i}`).replace(
        CANARY,
        `${CANARY}-${i}`,
      );
      files[`apps/n${i}/blob.bin`] = `\u0000\u0001binary secret kind ${i}`;
      files[`apps/n${i}/cm.yaml`] = "apiVersion: v1\nkind: ConfigMap\n";
    }
    const repo = await makeRepo({ files, commit: "many" });
    const r = sg(repo, ["scan", "--all", "--no-cache"]);
    expect(r.code, r.stderr).toBe(1);
    for (let i = 0; i < 40; i++) expect(r.stdout).toContain(`apps/n${i}/secret\n`);
    expect(r.stdout).not.toContain("blob.bin");
    expect(r.stdout).toContain("121 files scanned");
    const h = sg(repo, ["history", "--no-cache"]);
    expect(h.code, h.stderr).not.toBe(0);
    expect(h.stdout).toContain("40 exposed values");
    for (let i = 0; i < 40; i++) expect(h.stdout).toMatch(new RegExp(`path +apps/n${i}/secret\\n`));
  });
});

describe("scan --range and history find them in commits", () => {
  it("every shape, committed past the hook", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": SPECIFIC,
        "apps/web/Kustomization": `secretGenerator:\n  - name: w\n    literals:\n      - password=${CANARY}\n`,
        "apps/txt/kustomization.yaml": "resources:\n  - secret.txt\n",
        "apps/txt/secret.txt": SECRET,
        "apps/gen/kustomization.yaml": "generators:\n  - g.yaml\n",
        "apps/gen/g.yaml": `apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: g\nliterals:\n  - token=${CANARY}\n`,
        "apps/rep/kustomization.yaml": `configMapGenerator:\n  - name: s\n    literals:\n      - password=${CANARY}\nreplacements:\n  - source: {kind: ConfigMap, name: s, fieldPath: data.password}\n    targets:\n      - select: {kind: Secret, name: web}\n        fieldPaths: [stringData.password]\n`,
      },
      commit: "everything",
    });
    const paths = [
      "apps/web/Kustomization",
      "apps/txt/secret.txt",
      "apps/gen/g.yaml",
      "apps/rep/kustomization.yaml",
    ];
    const range = sg(repo, ["scan", "--range", "HEAD"]);
    expect(range.code, range.stdout + range.stderr).toBe(1);
    for (const p of paths) expect(range.stdout).toContain(p);
    const history = sg(repo, ["history"]);
    expect(history.code, history.stdout + history.stderr).not.toBe(0);
    for (const p of paths) expect(history.stdout).toContain(p);
    expect(transcript.join("\n")).not.toContain(CANARY);
  });
});
