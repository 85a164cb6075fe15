/**
 * Quiet on real repositories (#13), end to end in real git repositories:
 * configuration files are never judged or encrypted, broad rules judge other
 * files for Secret content only (with a warning for credential-looking
 * values), templates and references pass while a literal beside them blocks
 * (that key only), and the leak audit survives a missing object and honours
 * resolved exposures. Every output is swept for the canary values.
 */
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURE_AGE, plainSecret, seedPolicy, sg } from "./helpers.js";

const C = {
  chart: "canary-precision-chart-P1",
  beside: "canary-precision-beside-P2",
  missing: "canary-precision-missing-P3",
  resolved: "canary-precision-resolved-P4",
  open: "canary-precision-open-P5",
  defaulted: "canary-precision-default-P6",
  folder: "canary-precision-folder-P7",
  placeholder: "canary-precision-placeholder-P8",
};
afterAll(() => {
  assertNoCanary(Object.values(C));
  cleanupAll();
});

interface Report {
  findings: Array<{ rule: string; severity: string; path: string; keys?: string[] }>;
  summary: { errors: number; warnings: number };
}

function scanAll(repo: TestRepo, extra: string[] = []): { code: number; report: Report } {
  repo.git("add", "-A");
  const r = sg(repo, ["scan", "--all", "--format", "json", ...extra]);
  expect(r.code, r.stderr).not.toBe(2);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

const CATCH_ALL = `creation_rules:\n  - path_regex: .*\\.sops\\.ya?ml$\n    age: ${FIXTURE_AGE}\n  - age: ${FIXTURE_AGE}\n`;

describe("configuration files", () => {
  it("a catch-all rule matching .sops.yaml: no finding; --fix and encrypt leave it alone", async () => {
    const repo = await makeRepo({
      files: { ".sops.yaml": CATCH_ALL, ".secret-guard.yaml": "ignore: []\n" },
    });
    const before = repo.read(".sops.yaml").toString();
    const { code, report } = scanAll(repo);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    const fix = sg(repo, ["scan", "--fix", ".sops.yaml", ".secret-guard.yaml"]);
    expect(fix.code, fix.stdout + fix.stderr).toBe(0);
    expect(repo.read(".sops.yaml").toString()).toBe(before);
    const enc = sg(repo, ["encrypt", ".sops.yaml"]);
    expect(enc.code).toBe(1);
    expect(enc.stdout).toContain("a configuration file");
    expect(repo.read(".sops.yaml").toString()).toBe(before);
  });

  it("history never reports .sops.yaml, even under a rule that matches it", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": CATCH_ALL }, commit: "policy" });
    const r = sg(repo, ["history", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).exposures).toEqual([]);
  });
});

describe("broad rules", () => {
  const BROAD = `creation_rules:\n  - path_regex: kubernetes/.*\\.ya?ml\n    encrypted_regex: ^(data|stringData)$\n    age: ${FIXTURE_AGE}\n  - age: ${FIXTURE_AGE}\n`;

  it("ConfigMaps, HelmReleases, READMEs, images and Ansible playbooks: no error", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": BROAD,
        "kubernetes/apps/demo/configmap.yaml":
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  LOG_LEVEL: debug\n",
        "kubernetes/apps/demo/helmrelease.yaml":
          "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: demo\nspec:\n  values:\n    persistence:\n      data:\n        size: 1Gi\n",
        "README.md": "# home-ops\n",
        "docs/logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2]),
        "ansible/site.yml":
          "- hosts: all\n  tasks:\n    - name: ping\n      ansible.builtin.ping:\n",
        "ansible/vars.yml": "ntp_server: {{ ntp }}\nusers:\n  - admin\n",
      },
    });
    const { code, report } = scanAll(repo);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it("a credential-looking value in a HelmRelease under a broad rule: a warning, not an error", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": `creation_rules:\n  - age: ${FIXTURE_AGE}\n`,
        // AWS's documented example key id.
        "kubernetes/apps/backup/helmrelease.yaml":
          "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: backup\nspec:\n  values:\n    env:\n      LOG_LEVEL: debug\n      AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE\n",
      },
    });
    const { code, report } = scanAll(repo);
    expect(code).toBe(0);
    expect(report.findings.map((f) => `${f.severity} ${f.rule} ${f.keys}`)).toEqual([
      "warning possible-credential spec.values.env.AWS_ACCESS_KEY_ID",
    ]);
  });

  it("a plaintext Secret under a broad rule still blocks, and strict: true restores every covered file", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": BROAD,
        "kubernetes/apps/db/secret.yaml": plainSecret("db", { password: C.defaulted }),
        "kubernetes/apps/db/configmap.yaml":
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  LOG_LEVEL: debug\n",
      },
    });
    const first = scanAll(repo);
    expect(first.report.findings.map((f) => `${f.rule} ${f.path}`)).toEqual([
      "unencrypted kubernetes/apps/db/secret.yaml",
    ]);
    repo.write(".secret-guard.yaml", "strict: true\n");
    const strict = scanAll(repo);
    expect(strict.report.findings.map((f) => `${f.rule} ${f.path}`).sort()).toEqual([
      "unencrypted kubernetes/apps/db/configmap.yaml",
      "unencrypted kubernetes/apps/db/secret.yaml",
    ]);
    repo.write(".secret-guard.yaml", "mustEncrypt:\n  - kubernetes/apps/db/configmap.yaml\n");
    const listed = scanAll(repo);
    expect(listed.report.summary.errors).toBe(2);
    repo.write(".secret-guard.yaml", "strict: yes please\n");
    repo.git("add", "-A");
    const bad = sg(repo, ["scan", "--all"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("strict");
  });
});

describe("templates and references", () => {
  const NO_RULE_POLICY = `creation_rules:\n  - path_regex: flux/secrets/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${FIXTURE_AGE}\n`;
  const chartTemplate = (literal?: string) =>
    [
      "{{- if .Values.enabled }}",
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      '  name: {{ include "app.fullname" . }}',
      "stringData:",
      "  token: {{ .Values.token | quote }}",
      ...(literal ? [`  password: ${literal}`] : []),
      "  {{- range $k, $v := .Values.extra }}",
      "  {{ $k }}: {{ $v | quote }}",
      "  {{- end }}",
      "{{- end }}",
      "",
    ].join("\n");

  it("chart templates pass; one literal secret in a template blocks, that key only", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": NO_RULE_POLICY,
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        "charts/app/templates/secret.yaml": chartTemplate(),
      },
    });
    const ok = scanAll(repo);
    expect(ok.report.findings).toEqual([]);
    repo.write("charts/app/templates/secret.yaml", chartTemplate(C.chart));
    const bad = scanAll(repo);
    expect(bad.code).toBe(1);
    expect(bad.report.findings.map((f) => `${f.rule} ${f.keys}`)).toEqual([
      "secret-outside-policy password",
    ]);
  });

  it("every reference scheme passes; a reference beside plaintext blocks only the plaintext key", async () => {
    const refs = {
      op: "op://vault/item/field",
      vals: "ref+vault://secret/data/app#/password",
      avpPath: "<path:kv/data/app#password>",
      bank: "vault:secret/data/app#password",
      envsubst: "$DB_PASSWORD",
      flux: "${DB_USER}:${DB_PASSWORD:=${FALLBACK}}",
      tpl: "{{ .Values.password }}",
    };
    const avp = [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: avp",
      "  annotations:",
      "    avp.kubernetes.io/path: kv/data/app",
      "stringData:",
      "  user: <username>",
      "",
    ].join("\n");
    const tagged =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\nstringData:\n  k: !env_var API_KEY\n";
    const repo = await makeRepo({
      files: {
        ".sops.yaml": NO_RULE_POLICY,
        "apps/refs/secret.yaml": plainSecret("refs", refs),
        "apps/refs/avp.yaml": avp,
        "apps/refs/tagged.yaml": tagged,
      },
    });
    const ok = scanAll(repo);
    expect(ok.report.findings).toEqual([]);
    repo.write(
      "apps/refs/secret.yaml",
      plainSecret("refs", { ...refs, literal: C.beside, defaulted: `\${DB:=${C.defaulted}}` }),
    );
    const bad = scanAll(repo);
    expect(bad.report.findings.map((f) => `${f.rule} ${f.path} ${f.keys}`)).toEqual([
      "secret-outside-policy apps/refs/secret.yaml literal,defaulted",
    ]);
  });
});

describe("per-folder policies", () => {
  const CLUSTER = `creation_rules:\n  - path_regex: .*values\\.yaml$\n    age: ${FIXTURE_AGE}\n`;

  it("a .sops.yaml under clusters/<name>/ covering a plaintext values file blocks from the top level", async () => {
    const repo = await makeRepo({
      files: {
        "clusters/production/.sops.yaml": CLUSTER,
        "clusters/production/apps/values.yaml": `auth:\n  apiKey: ${C.folder}\n`,
        "clusters/staging/apps/values.yaml": "replicas: 1\n",
        "clusters/staging/.sops.yml": CLUSTER,
      },
    });
    repo.git("add", "-A");
    const r = sg(repo, ["scan", "--all", "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.map((f) => `${f.rule} ${f.path} ${f.keys}`)).toEqual([
      "unencrypted clusters/production/apps/values.yaml auth.apiKey",
    ]);
    // sops ignores .sops.yml: said once, on stderr, before the report
    expect(r.stderr.match(/clusters\/staging\/\.sops\.yml/g)).toHaveLength(1);
    // the staged policy judges the staged file: a policy edited on disk only changes nothing
    repo.write("clusters/production/.sops.yaml", "creation_rules:\n  - path_regex: nothing$\n");
    const staged = sg(repo, ["scan", "--all", "--format", "json"]);
    expect(staged.code).toBe(1);
    // the hook path: staged mode from the top level
    repo.git("add", "clusters/production/.sops.yaml");
    repo.write("clusters/production/.sops.yaml", CLUSTER);
    const hook = sg(repo, ["scan", "--format", "json"]);
    expect(hook.code, hook.stdout).toBe(0);
    repo.git("add", "-A");
    expect(sg(repo, ["scan", "--format", "json"]).code).toBe(1);
    const explain = sg(repo, ["explain", "clusters/production/apps/values.yaml"]);
    expect(explain.stdout).toContain("per folder");
    expect(explain.stdout).toContain("clusters/production/.sops.yaml");
    expect(explain.stdout).toMatch(/intent: +must be encrypted: creation_rules\[0\] \(path_regex/);
  });
});

/** A Secret whose two values are placeholders another tool fills in at deploy time. */
const placeholderSecret = (id: string, secret: string) =>
  [
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    "  name: oauth",
    "stringData:",
    `  client-id: ${id}`,
    `  client-secret: ${secret}`,
    "",
  ].join("\n");

describe("placeholders and mixed recipients", () => {
  it(".secret-guard.yaml placeholders exempt a tool's whole-value placeholders, not literals", async () => {
    const secret = placeholderSecret("((vault:client-id))", "((vault:client-secret))");
    const repo = await makeRepo({ files: { "apps/oauth/secret.yaml": secret } });
    expect(scanAll(repo).code).toBe(1);
    repo.write(".secret-guard.yaml", "placeholders:\n  - '^\\(\\(vault:[a-z-]+\\)\\)$'\n");
    expect(scanAll(repo).report.findings).toEqual([]);
    repo.write("apps/oauth/secret.yaml", `${secret}  other: ${C.placeholder}\n`);
    expect(scanAll(repo).report.findings.map((f) => f.keys)).toEqual([["other"]]);
    repo.write(".secret-guard.yaml", "placeholders:\n  - '((vault:'\n");
    repo.git("add", "-A");
    const bad = sg(repo, ["scan", "--all"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("placeholders[0]");
  });

  it("argocd-secret-replacer placeholders are references without any setting; a literal beside them is named", async () => {
    const secret = placeholderSecret("<secret:client-id>", "<secret:client-secret|base64>");
    const repo = await makeRepo({ files: { "apps/oauth/secret.yaml": secret } });
    expect(scanAll(repo).report.findings).toEqual([]);
    repo.write("apps/oauth/secret.yaml", `${secret}  other: ${C.placeholder}\n`);
    expect(scanAll(repo).report.findings.map((f) => f.keys)).toEqual([["other"]]);
  });

  it("key groups mixing age and PGP: a file with the PGP key but not the age key is a warning naming it", async () => {
    const fp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
    const policy = `creation_rules:\n  - path_regex: .*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    key_groups:\n      - age:\n          - ${FIXTURE_AGE}\n        pgp:\n          - ${fp}\n`;
    const enc = (pgp: string) =>
      [
        "apiVersion: v1",
        "kind: Secret",
        "metadata:",
        "  name: demo",
        "stringData:",
        "  password: ENC[AES256_GCM,data:mHeXsmQ=,iv:vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=,tag:IroV7hykADvD0IUaq6kikA==,type:str]",
        "sops:",
        "  pgp:",
        `    - fp: ${pgp}`,
        "      created_at: '2024-01-01T00:00:00Z'",
        "      enc: |-",
        "        -----BEGIN PGP MESSAGE-----",
        "        wcBMA0F",
        "        -----END PGP MESSAGE-----",
        "  lastmodified: '2024-01-01T00:00:00Z'",
        "  mac: ENC[AES256_GCM,data:mHeXsmQ=,iv:vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=,tag:IroV7hykADvD0IUaq6kikA==,type:str]",
        "  encrypted_regex: ^(data|stringData)$",
        "  version: 3.9.0",
        "",
      ].join("\n");
    const repo = await makeRepo({
      files: { ".sops.yaml": policy, "apps/demo/secret.sops.yaml": enc(fp) },
    });
    const shared = scanAll(repo);
    expect(shared.code).toBe(0);
    expect(shared.report.findings.map((f) => `${f.severity} ${f.rule}`)).toEqual([
      "warning recipient-mismatch",
    ]);
    const r = sg(repo, ["scan", "--all"]);
    expect(r.stdout).toContain("age1l44xcng8");
    expect(r.stdout).toContain("sops updatekeys");
    const explain = sg(repo, ["explain", "apps/demo/secret.sops.yaml"]);
    expect(explain.stdout).toContain(`pgp ${fp}`);
    repo.write("apps/demo/secret.sops.yaml", enc("0000000000000000000000000000000000000000"));
    const none = scanAll(repo);
    expect(none.report.findings.map((f) => `${f.severity} ${f.rule}`)).toEqual([
      "error recipient-mismatch",
    ]);
  });
});

describe("history", () => {
  let clock = 1_700_000_000;
  const commit = (repo: TestRepo, message: string) => {
    clock += 60;
    const date = `@${clock} +0000`;
    repo.git("add", "-A");
    repo.gitRaw(["commit", "-q", "--allow-empty", "-m", message], {
      env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    });
    return repo.git("rev-parse", "HEAD");
  };

  it("a missing blob (partial clone, damaged snapshot): no crash, the object named, exit 2", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() } });
    commit(repo, "policy");
    repo.write("flux/secrets/develop/a.yaml", plainSecret("a", { k: C.missing }));
    const leak = commit(repo, "plaintext");
    repo.remove("flux/secrets/develop/a.yaml");
    commit(repo, "remove it");
    const blob = repo.blob(leak, "flux/secrets/develop/a.yaml");
    rmSync(path.join(repo.dir, ".git", "objects", blob.slice(0, 2), blob.slice(2)));
    const r = sg(repo, ["history", "--format", "json"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.stderr).toContain(blob);
    expect(r.stderr).toContain("flux/secrets/develop/a.yaml");
    expect(r.stderr).toContain(leak.slice(0, 12));
    const text = sg(repo, ["history"]);
    expect(text.code).toBe(2);
    expect(text.stdout).toContain(`object ${blob} is missing`);
  });

  it("an exposure recorded as resolved in .secret-guard.yaml is listed as resolved and exits 0", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() } });
    commit(repo, "policy");
    repo.write("flux/secrets/develop/a.yaml", plainSecret("a", { k: C.resolved }));
    const leak = commit(repo, "plaintext");
    repo.remove("flux/secrets/develop/a.yaml");
    commit(repo, "remove it");
    const before = sg(repo, ["history", "--format", "json"]);
    expect(before.code).toBe(1);
    const sha = createHash("sha256").update(C.resolved).digest("hex");
    repo.write(
      ".secret-guard.yaml",
      `resolved:\n  - commit: ${leak.slice(0, 12)}\n    path: flux/secrets/develop/a.yaml\n    key: k\n    sha256: ${sha}\n    reason: rotated at the provider\n`,
    );
    const after = sg(repo, ["history", "--format", "json"]);
    expect(after.code, after.stderr).toBe(0);
    const doc = JSON.parse(after.stdout);
    expect(doc.exposures).toHaveLength(1);
    expect(doc.exposures[0]).toMatchObject({ key: "k", resolved: true });
    expect(doc.summary.resolved).toBe(1);
    const text = sg(repo, ["history"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("resolved (rotated at the provider)");
    // A second, unrecorded exposure still fails.
    repo.write("flux/secrets/develop/b.yaml", plainSecret("b", { k: C.open }));
    commit(repo, "another");
    expect(sg(repo, ["history", "--format", "json"]).code).toBe(1);
  });
});
