/**
 * `.secret-guard.yaml` end to end: ignore globs (every scan mode, from a
 * subfolder, and through a real `git commit`), severity overrides (off,
 * warning, error), extra secretKinds, and invalid settings, which stop the
 * check with exit code 2 and name the field (a typo must never weaken the
 * guard silently).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURE_AGE, gitTry, plainSecret, sg, transcript } from "./helpers.js";

const CANARY_A = "canary-config-Hb3-a";
const CANARY_B = "canary-config-Hb3-b";
const CANARIES = [CANARY_A, CANARY_B];
const CONFIG = ".secret-guard.yaml";

const POLICY = `creation_rules:
  - path_regex: flux/secrets/develop/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${FIXTURE_AGE}
`;

interface JsonReport {
  findings: Array<{ rule: string; severity: string; path: string; keys?: string[] }>;
  summary: { filesScanned: number; errors: number; warnings: number };
}

function json(repo: TestRepo, args: string[], cwd?: string) {
  const r = sg(repo, ["scan", ...args, "--format", "json"], { cwd });
  expect(r.code, r.stderr).not.toBe(2);
  const report = JSON.parse(r.stdout) as JsonReport;
  return { code: r.code, report, paths: [...new Set(report.findings.map((f) => f.path))].sort() };
}

/** sops metadata but not one ENC[...] value: `nothing-encrypted`, a warning by default. */
const NOTHING_ENCRYPTED = `apiVersion: v1
kind: ConfigMap
sops:
  age:
    - recipient: ${FIXTURE_AGE}
      enc: x
  lastmodified: "2024-01-01T00:00:00Z"
  mac: ENC[AES256_GCM,data:mHeXsmQ=,iv:vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=,tag:IroV7hykADvD0IUaq6kikA==,type:str]
  encrypted_regex: ^(stringdata)$
  version: 3.9.0
`;

afterAll(() => {
  assertNoCanary(CANARIES, transcript.join("\n"));
  cleanupAll();
});

describe("ignore", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        "fixtures/deep/secret.yaml": plainSecret("fixture", { pw: CANARY_A }),
        "flux/secrets/develop/sample.example.yaml": plainSecret("sample", { pw: CANARY_A }),
        ".github/ci-secret.yaml": plainSecret("ci", { token: CANARY_A }),
        "apps/real.yaml": plainSecret("real", { token: CANARY_B }),
      },
    });
    repo.git("add", "-A");
  });

  const FLAGGED = [
    ".github/ci-secret.yaml",
    "apps/real.yaml",
    "fixtures/deep/secret.yaml",
    "flux/secrets/develop/sample.example.yaml",
  ];

  it("globs (micromatch, dotfiles included) drop files in staged, --all and PATH modes", () => {
    repo.remove(CONFIG);
    repo.git("rm", "-q", "--cached", "--ignore-unmatch", CONFIG);
    expect(json(repo, []).paths).toEqual(FLAGGED);
    repo.write(CONFIG, 'ignore:\n  - fixtures/**\n  - "**/*.example.yaml"\n  - .github/**\n');
    repo.git("add", "-f", CONFIG);
    const staged = json(repo, []);
    expect(staged.code).toBe(1);
    expect(staged.paths).toEqual(["apps/real.yaml"]);
    // ignored files are not even counted as scanned (the staged config file itself is, and is
    // judged by the index's settings: the hook reads .secret-guard.yaml from the index)
    expect(staged.report.summary.filesScanned).toBe(3);
    // PATH mode (what lint-staged and pre-commit pass) honours it too, even for named files
    const named = json(repo, ["fixtures/deep/secret.yaml", ".github/ci-secret.yaml", "apps"]);
    expect(named.paths).toEqual(["apps/real.yaml"]);
    repo.git("commit", "-q", "--no-verify", "-m", "bypassed");
    expect(json(repo, ["--all"]).paths).toEqual(["apps/real.yaml"]);
    // --range judges each commit with its own .secret-guard.yaml: committed with the files here
    expect(json(repo, ["--range", "HEAD"]).paths).toEqual(["apps/real.yaml"]);
    // an unstaged loosening on disk does not change what the hook judges (the index's copy does)
    repo.write(
      CONFIG,
      'ignore:\n  - fixtures/**\n  - "**/*.example.yaml"\n  - .github/**\n  - apps/**\n',
    );
    expect(json(repo, []).paths).toEqual([]);
    repo.write("apps/real.yaml", `${repo.read("apps/real.yaml").toString()}# touched\n`);
    repo.git("add", "apps/real.yaml");
    expect(json(repo, []).paths).toEqual(["apps/real.yaml"]);
    repo.git("add", CONFIG);
    expect(json(repo, []).paths).toEqual([]);
    repo.git("commit", "-q", "--no-verify", "-m", "ignore more");
    const ranged = sg(repo, ["scan", "--range", "HEAD~1..HEAD", "--format", "json"]);
    // the file's new version is judged by that commit's own (looser) settings; the loosening is reported
    expect(ranged.code).toBe(0);
    expect(ranged.stderr).toMatch(/commit [0-9a-f]{12} adds ignore "apps\/\*\*"/);
  });

  it("the file is found from the working directory upward, like .sops.yaml", () => {
    repo.write(CONFIG, "ignore:\n  - fixtures/**\n");
    repo.git("add", "-f", CONFIG);
    const fromSub = json(repo, ["--all"], `${repo.dir}/fixtures/deep`);
    expect(fromSub.paths).not.toContain("fixtures/deep/secret.yaml");
    expect(fromSub.paths).toContain("apps/real.yaml");
    // globs are repository-relative, wherever the command runs
    const viaCwd = json(repo, ["--all", "--cwd", "flux"]);
    expect(viaCwd.paths).toEqual(json(repo, ["--all"]).paths);
  });

  it("a real git commit of an ignored file passes; the other file still blocks", async () => {
    const r = await makeRepo({
      files: { ".sops.yaml": POLICY, [CONFIG]: "ignore:\n  - test/fixtures/**\n" },
      commit: "init",
    });
    expect(sg(r, ["install"]).code).toBe(0);
    r.write("test/fixtures/secret.yaml", plainSecret("fixture", { pw: CANARY_A }));
    r.git("add", "-A");
    const ok = gitTry(r, ["commit", "-m", "fixture"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    r.write("test/real-secret.yaml", plainSecret("real", { pw: CANARY_B }));
    r.git("add", "-A");
    const blocked = gitTry(r, ["commit", "-m", "real"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("test/real-secret.yaml");
    assertNoCanary(CANARIES, blocked.stdout + blocked.stderr);
  });
});

describe("severity", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        "apps/outside.yaml": plainSecret("outside", { token: CANARY_A }),
        "flux/secrets/develop/plain.yaml": plainSecret("plain", { pw: CANARY_B }),
        "flux/secrets/develop/values.yaml": NOTHING_ENCRYPTED,
      },
    });
    repo.git("add", "-A");
  });

  const byRule = (report: JsonReport) =>
    Object.fromEntries(report.findings.map((f) => [f.rule, f.severity]));

  it("defaults: two errors and a warning", () => {
    repo.remove(CONFIG);
    repo.git("rm", "-q", "--cached", "--ignore-unmatch", CONFIG);
    const r = json(repo, []);
    expect(r.code).toBe(1);
    expect(byRule(r.report)).toEqual({
      "secret-outside-policy": "error",
      unencrypted: "error",
      "nothing-encrypted": "warning",
    });
  });

  it("off drops a rule's findings, warning keeps them without failing, error raises a warning", () => {
    repo.write(CONFIG, "severity:\n  secret-outside-policy: off\n  unencrypted: warning\n");
    repo.git("add", "-f", CONFIG);
    const lowered = json(repo, []);
    expect(lowered.code).toBe(0);
    expect(byRule(lowered.report)).toEqual({
      unencrypted: "warning",
      "nothing-encrypted": "warning",
    });
    expect(lowered.report.summary).toMatchObject({ errors: 0, warnings: 2 });
    // the text report still shows the warning, with the key name and no value
    const text = sg(repo, ["scan"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/warning\s+unencrypted/);
    expect(text.stdout).toContain("pw");

    repo.write(
      CONFIG,
      "severity:\n  nothing-encrypted: error\n  unencrypted: off\n  secret-outside-policy: off\n",
    );
    repo.git("add", "-f", CONFIG);
    const raised = json(repo, []);
    expect(raised.code).toBe(1);
    expect(byRule(raised.report)).toEqual({ "nothing-encrypted": "error" });
    // the SARIF level follows the override
    const sarif = JSON.parse(sg(repo, ["scan", "--format", "sarif"]).stdout);
    expect(sarif.runs[0].results.map((x: { level: string }) => x.level)).toEqual(["error"]);
  });
});

describe("secretKinds", () => {
  it("extra kinds are judged like v1/Secret, at the top level and in a List", async () => {
    const cred = [
      "apiVersion: example.com/v1",
      "kind: Credential",
      "metadata:",
      "  name: cred",
      "stringData:",
      `  token: "${CANARY_A}"`,
      "",
    ].join("\n");
    const list = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      "  - apiVersion: example.com/v1",
      "    kind: Credential",
      "    metadata:",
      "      name: listed",
      "    data:",
      "      password: Y2FuYXJ5",
      "",
    ].join("\n");
    const repo = await makeRepo({
      files: { ".sops.yaml": POLICY, "apps/cred.yaml": cred, "apps/list.yaml": list },
    });
    repo.git("add", "-A");
    const before = json(repo, []);
    expect(before.code).toBe(0);
    expect(before.report.findings).toEqual([]);
    repo.write(CONFIG, "secretKinds:\n  - Credential\n");
    repo.git("add", "-f", CONFIG);
    const after = json(repo, []);
    expect(after.code).toBe(1);
    expect(after.report.findings.map((f) => [f.rule, f.path, f.keys])).toEqual([
      ["secret-outside-policy", "apps/cred.yaml", ["token"]],
      ["secret-outside-policy", "apps/list.yaml", ["password"]],
    ]);
    // a kind not listed stays out; v1/Secret is always in
    repo.write(CONFIG, "secretKinds:\n  - OtherKind\n");
    repo.git("add", "-f", CONFIG);
    expect(json(repo, []).report.findings).toEqual([]);
  });
});

describe("invalid settings stop the check with exit 2 and name the field", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        "flux/secrets/develop/plain.yaml": plainSecret("plain", { pw: CANARY_A }),
      },
    });
    repo.git("add", "-A");
  });

  const cases: Array<[string, string, RegExp]> = [
    ["unknown field (a typo)", "ignores:\n  - fixtures/**\n", /ignores: unknown field/],
    ["ignore not a list", "ignore: fixtures/**\n", /ignore: must be a list of strings/],
    ["an empty glob", 'ignore:\n  - ""\n', /ignore\[0\]: must be a non-empty string/],
    ["severity not a mapping", "severity:\n  - off\n", /severity: must be a mapping/],
    [
      "unknown rule id",
      "severity:\n  unencrpyted: off\n",
      /severity\.unencrpyted: unknown rule id/,
    ],
    ["bad level", "severity:\n  unencrypted: low\n", /severity\.unencrypted: must be error/],
    ["secretKinds not a list", "secretKinds: Credential\n", /secretKinds: must be a list/],
    ["not a mapping", "- ignore\n", /top level: must be a mapping/],
    ["YAML syntax", "ignore: [fixtures/**\n", /YAML: syntax error/],
  ];

  it.each(cases)("%s", (what, text, field) => {
    repo.write(CONFIG, text);
    repo.git("add", "-f", CONFIG);
    // machine formats too: no half report a script could take for a pass
    const format = what === cases[0]![0] ? "json" : "text";
    const r = sg(repo, ["scan", "--format", format]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(field);
    expect(r.stderr).toContain(CONFIG);
    expect(r.stdout).toBe("");
  });

  it("an empty file is valid; a broken one blocks a real commit", async () => {
    repo.write(CONFIG, "");
    repo.git("add", "-f", CONFIG);
    expect(sg(repo, ["scan"]).code).toBe(1);
    repo.write(CONFIG, "# nothing set\n");
    repo.git("add", "-f", CONFIG);
    expect(sg(repo, ["scan"]).code).toBe(1);
    const r = await makeRepo({ files: { ".sops.yaml": POLICY }, commit: "init" });
    expect(sg(r, ["install"]).code).toBe(0);
    r.write(CONFIG, "severity:\n  unencrypted: of\n");
    r.git("add", "-f", CONFIG);
    r.write("README.md", "hello\n");
    r.git("add", "README.md");
    const blocked = gitTry(r, ["commit", "-m", "harmless file, broken settings"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain("severity.unencrypted");
  });
});
