/**
 * Issue #12: no way past the guard. Every file of the bypass corpus
 * (test/bypass/) is staged in a real repository and committed through the
 * installed hook: each is blocked with its rule, and no value shows up in
 * any output. The same files, committed with --no-verify, are caught by
 * `scan --range` and (for the exposure rules) by `history`.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
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

describe("class 2: kustomize secretGenerator sources through git commit", () => {
  const KUST = (body: string) =>
    `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n${body}`;
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({
      files: { ".sops.yaml": BYPASS_POLICY, "README.md": "x\n" },
      commit: "policy",
    });
    expect(sg(repo, ["install"]).code).toBe(0);
  });
  const attempt = (files: Record<string, string>) => {
    for (const [p, c] of Object.entries(files)) repo.write(p, c);
    repo.git("add", "-A");
    const r = gitTry(repo, ["commit", "-q", "-m", "try"]);
    return { ...r, out: r.stdout + r.stderr };
  };
  const reset = () => {
    repo.git("reset", "-q", "--hard", "HEAD");
    repo.git("clean", "-qfdx");
  };

  it("envs:, files: and key=path sources in plaintext are blocked on the source file", () => {
    const r = attempt({
      "apps/gen/kustomization.yaml": KUST(
        "  - name: app\n    envs:\n      - secret.env\n    files:\n      - token=creds/token.txt\n      - id_rsa\n",
      ),
      "apps/gen/secret.env": "PASSWORD=canary-c2-env\n",
      "apps/gen/creds/token.txt": "canary-c2-file\n",
      "apps/gen/id_rsa": "canary-c2-key\n",
    });
    expect(r.code, r.out).not.toBe(0);
    for (const p of ["apps/gen/secret.env", "apps/gen/creds/token.txt", "apps/gen/id_rsa"])
      expect(r.out).toContain(p);
    expect(r.out).toContain("secretGenerator");
    expect(r.out).not.toContain(BYPASS_CANARY);
    reset();
  });

  it("a JSON kustomization (file name Kustomization) counts too", () => {
    const r = attempt({
      "apps/json/Kustomization": JSON.stringify({
        kind: "Kustomization",
        secretGenerator: [{ name: "j", envs: ["app.env"] }],
      }),
      "apps/json/app.env": "TOKEN=canary-c2-json\n",
    });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/json/app.env");
    reset();
  });

  it("only the kustomization changes: the source already in the index is judged", () => {
    expect(attempt({ "apps/late/app.env": "TOKEN=canary-c2-late\n" }).code).toBe(0);
    const r = attempt({
      "apps/late/kustomization.yaml": KUST("  - name: late\n    envs: [app.env]\n"),
    });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/late/app.env");
    reset();
  });

  it("only the source changes: the kustomization in the index names it", () => {
    expect(
      attempt({ "apps/src/kustomization.yaml": KUST("  - name: s\n    envs: [app.env]\n") }).code,
    ).toBe(0);
    const r = attempt({ "apps/src/app.env": "TOKEN=canary-c2-src\n" });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain("apps/src/app.env");
    reset();
  });
});

describe("class 14: config files that are not regular files, and comment floods", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({
      files: { ".sops.yaml": BYPASS_POLICY, "README.md": "x\n" },
      commit: "policy",
    });
    expect(sg(repo, ["install"]).code).toBe(0);
  });

  for (const name of [".sops.yaml", ".secret-guard.yaml"]) {
    it(`a FIFO as ${name} is refused (exit 2), never read`, () => {
      const fifo = path.join(repo.dir, name);
      rmSync(fifo, { force: true });
      execFileSync("mkfifo", [fifo]);
      try {
        repo.write("flux/secrets/develop/ok.yaml", "apiVersion: v1\nkind: ConfigMap\n");
        repo.git("add", "--", "flux/secrets/develop/ok.yaml");
        const r = sg(repo, ["scan"]);
        expect(r.code, r.stdout + r.stderr).toBe(2);
        expect(r.stderr).toContain(name);
        expect(r.stderr).toContain("FIFO");
        const c = gitTry(repo, ["commit", "-q", "-m", "try"]);
        expect(c.code, c.stdout + c.stderr).not.toBe(0);
        expect(c.stdout + c.stderr).toContain("FIFO");
        expect(repo.git("rev-list", "--count", "HEAD")).toBe("1");
      } finally {
        rmSync(fifo, { force: true });
        repo.git("reset", "-q", "--hard", "HEAD");
        repo.git("clean", "-qfdx");
      }
    });
  }

  it("a Secret behind 210 000 comment lines is refused as unparseable, bounded", () => {
    const p = "flux/secrets/develop/comments.yaml";
    repo.write(
      p,
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n${"#\n".repeat(210_000)}stringData:\n  password: canary-c14-comments\n`,
    );
    repo.git("add", "--", p);
    const r = gitTry(repo, ["commit", "-q", "-m", "try"]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).not.toBe(0);
    expect(out).toContain("unparseable");
    expect(out).toContain("comment or blank lines");
    expect(out).not.toContain(BYPASS_CANARY);
    repo.git("rm", "-q", "--cached", "--", p);
    repo.remove(p);
  });

  it("a .sops.yaml of 210 000 comment lines is refused (exit 2)", () => {
    repo.write(".sops.yaml", `${"#\n".repeat(210_000)}${BYPASS_POLICY}`);
    const r = sg(repo, ["scan", "--all"]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain("comment or blank lines");
    repo.git("checkout", "--", ".sops.yaml");
  });
});
