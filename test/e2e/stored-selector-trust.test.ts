/**
 * A stored selector narrower than a rule that states none (`sops
 * --encrypted-regex '^(data|stringData)$'` under a rule without a selector,
 * as the Flux guide does it): real sops files pass, and a copied or forged
 * `sops` block never vouches for plaintext. Through `git commit` and the
 * installed hook.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURE_AGE, FIXTURES, gitTry, sg, transcript } from "./helpers.js";

const AGE_YAML = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
  "utf8",
);
/** The real, complete `sops:` block of age.yaml (stored encrypted_regex ^(data|stringData)$). */
const BLOCK = AGE_YAML.slice(AGE_YAML.indexOf("\nsops:\n") + 1);
/** Its one real ENC value (stringData.key). */
const ENC = /ENC\[AES256_GCM,data:mHeXsmQ=[^\]]*\]/.exec(AGE_YAML)![0];
const withSelector = (sel: string) =>
  BLOCK.replace(/^ {4}encrypted_regex: .*$/m, `    ${sel}`).replace(
    /^ {2}encrypted_regex: .*$/m,
    `  ${sel}`,
  );

const NO_SELECTOR = `creation_rules:\n  - path_regex: secrets/.*\n    age: ${FIXTURE_AGE}\n`;
const C = (n: string) => `CANARY-SST-${n}`;
const b64 = (s: string) => Buffer.from(s).toString("base64");
const CANARIES = ["a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8", "j10", "i9"].map(C);

const secretHead =
  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: develop\ntype: Opaque\n";
const configMapHead = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n";

const ATTACKS: Array<{ name: string; file: string; rule: string; keys: string[] }> = [
  {
    name: "a real block pasted under a plaintext Secret",
    file: `${secretHead}stringData:\n  password: ${C("a1")}\n${BLOCK}`,
    rule: "partially-encrypted",
    keys: ["password"],
  },
  {
    name: "a real block with its selector narrowed to stringData over plaintext data",
    file: `${secretHead}data:\n  token: ${b64(C("b2"))}\nstringData:\n  key: ${ENC}\n${withSelector("encrypted_regex: ^stringData$")}`,
    rule: "partially-encrypted",
    keys: ["token"],
  },
  {
    name: "a ConfigMap with a password under a forged narrow selector",
    file: `${configMapHead}data:\n  password: ${C("c3")}\nstringData:\n  key: ${ENC}\n${withSelector("encrypted_regex: ^stringData$")}`,
    rule: "partially-encrypted",
    keys: ["password"],
  },
  {
    name: "a ConfigMap whose forged selector exempts its data",
    file: `${configMapHead}data:\n  password: ${C("d4")}\n${withSelector("unencrypted_regex: ^(data|password)$")}`,
    rule: "partially-encrypted",
    keys: ["password"],
  },
  {
    name: "an incomplete block (no mac) is trusted for nothing",
    file: `${secretHead}stringData:\n  key: ${ENC}\n  password: ${C("e5")}\n${BLOCK.replace(/^ {2}mac: .*$/m, '  mac: ""')}`,
    rule: "missing-sops-metadata",
    keys: ["password"],
  },
  {
    name: "a plaintext field beside a Secret's encrypted data",
    file: `${secretHead}password: ${C("f6")}\nstringData:\n  key: ${ENC}\n${BLOCK}`,
    rule: "partially-encrypted",
    keys: ["password"],
  },
  {
    name: "a values file (no Kubernetes object) under a forged selector",
    file: `database:\n  password: ${C("g7")}\nstringData:\n  key: ${ENC}\n${withSelector("encrypted_regex: ^stringData$")}`,
    rule: "partially-encrypted",
    keys: ["database.password"],
  },
  {
    name: "a second document without a block of its own",
    file: `${secretHead}stringData:\n  key: ${ENC}\n${BLOCK}---\n${configMapHead}data:\n  password: ${C("h8")}\n`,
    rule: "partially-encrypted",
    keys: ["password"],
  },
  {
    name: "a real block over a ConfigMap with nothing encrypted and a password in an annotation",
    file: `${configMapHead.replace("  name: app\n", `  name: app\n  annotations:\n    password: ${C("j10")}\n`)}data:\n  mode: fast\n${BLOCK}`,
    rule: "partially-encrypted",
    keys: ["metadata.annotations.password"],
  },
  {
    name: "a real block whose wrapped key was removed",
    file: `${secretHead}stringData:\n  key: ${ENC}\n  token: ${C("i9")}\n${BLOCK.replace(/enc: \|\n(?: {8}.*\n)+/, 'enc: ""\n')}`,
    rule: "missing-sops-metadata",
    keys: ["token"],
  },
];

afterAll(() => {
  assertNoCanary(CANARIES, transcript.join("\n"));
  cleanupAll();
});

describe("a rule with no selector and a narrower stored selector", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({ files: { ".sops.yaml": NO_SELECTOR }, commit: "policy" });
    expect(sg(repo, ["install", "--hooks", "pre-commit", "--no-probe"]).code).toBe(0);
  });

  it("the attack files really carry their canaries and the block is complete", () => {
    expect(BLOCK).toMatch(/^sops:\n[\s\S]*mac: ENC\[[\s\S]*version: 3\.9\.0\n$/);
    for (const [i, a] of ATTACKS.entries()) {
      const c = CANARIES[i]!;
      expect(a.file.includes(c) || a.file.includes(b64(c)), a.name).toBe(true);
    }
  });

  for (const a of ATTACKS) {
    it(`${a.name}: blocked (${a.rule})`, () => {
      repo.write("secrets/app.yaml", a.file);
      repo.git("add", "--", "secrets/app.yaml");
      const r = gitTry(repo, ["commit", "-q", "-m", a.name]);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      expect(out).toContain(a.rule);
      for (const k of a.keys) expect(out).toContain(k);
      expect(repo.git("rev-list", "--count", "HEAD")).toBe("1");
      repo.git("rm", "-q", "--cached", "--", "secrets/app.yaml");
      repo.remove("secrets/app.yaml");
    });
  }

  it("the untouched real file, and a real encryption with type and labels, commit", () => {
    repo.write("secrets/age.yaml", AGE_YAML);
    // encrypted the Flux way: the selector given to sops, not written in the rule
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: secrets/.*\n    encrypted_regex: ^(data|stringData)$\n    age: ${FIXTURE_AGE}\n`,
    );
    repo.write(
      "secrets/db.yaml",
      `${secretHead.replace("  namespace: develop\n", "  namespace: develop\n  labels:\n    app: db\n")}immutable: true\nstringData:\n  password: ${C("a1")}\ndata:\n  token: ${b64(C("b2"))}\n`,
    );
    const enc = sg(repo, ["encrypt", "--engine", "native", "secrets/db.yaml"]);
    expect(enc.code, enc.stdout + enc.stderr).toBe(0);
    repo.write(".sops.yaml", NO_SELECTOR);
    repo.git("add", "--", "secrets/age.yaml", "secrets/db.yaml");
    const r = gitTry(repo, ["commit", "-q", "-m", "real files"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/error/);
    const ex = sg(repo, ["explain", "secrets/age.yaml"]);
    expect(ex.stdout).toContain("stored selector encrypted_regex: ^(data|stringData)$");
    expect(ex.stdout).toMatch(
      /judged by: the rule states no selector and the sops block is complete/,
    );
    expect(ex.stdout).toMatch(/verdict: +ok/);
  });

  it("a rule that states a selector is never narrowed by the stored one", () => {
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: secrets/.*\n    encrypted_regex: ^(data|stringData)$\n    age: ${FIXTURE_AGE}\n`,
    );
    repo.write("secrets/app.yaml", ATTACKS[1]!.file);
    const ex = sg(repo, ["explain", "secrets/app.yaml"]);
    expect(ex.stdout).not.toContain("judged by:");
    expect(ex.stdout).toContain("partially-encrypted");
    repo.write(".sops.yaml", NO_SELECTOR);
    repo.remove("secrets/app.yaml");
  });
});
