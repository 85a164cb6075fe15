/**
 * One pipeline: the same files under the same .sops.yaml and .secret-guard.yaml
 * (a severity override and an allowlist entry included) get the same findings,
 * severities and exit code wherever they are judged: scan (staged, --all, PATH,
 * --range), the hook, verify, explain, history and the library API.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  gitTry,
  plainSecret,
  ROOT,
  seedPolicy,
  sg,
  transcript,
} from "./helpers.js";

const ALLOWED = "canary-pipeline-allowed-P1";
const LEAK = "canary-pipeline-leak-P2";
const OUTSIDE = "canary-pipeline-outside-P3";
const CANARIES = [ALLOWED, LEAK, OUTSIDE];

let keyFile: string;
let recipient: string;
beforeAll(async () => {
  const identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  keyFile = path.join(makeTempDir(), "keys.txt");
  writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
});
afterAll(() => {
  assertNoCanary(CANARIES);
  cleanupAll();
});

interface F {
  rule: string;
  severity: string;
  path: string;
  keys?: string[];
}
/** A finding as the comparison sees it: where, which rule, how severe, which keys. */
const norm = (fs: F[]) =>
  fs.map((f) => `${f.path}|${f.rule}|${f.severity}|${[...(f.keys ?? [])].sort().join(",")}`).sort();

const B = "flux/secrets/develop/b.yaml";
const X = "apps/x.yaml";
const EXPECTED = [
  `${B}|unencrypted|error|other`,
  `${X}|secret-outside-policy|warning|token`,
].sort();

async function setup(): Promise<TestRepo> {
  const repo = await makeRepo();
  const sha = createHash("sha256").update(ALLOWED).digest("hex");
  repo.write(".sops.yaml", seedPolicy(recipient));
  repo.write(
    ".secret-guard.yaml",
    [
      "severity:",
      "  secret-outside-policy: warning",
      "allow:",
      `  - path: ${B}`,
      "    key: stringData.token",
      `    sha256: ${sha}`,
      "    reason: a public test token",
      "",
    ].join("\n"),
  );
  repo.write(B, plainSecret("b", { token: ALLOWED, other: LEAK }));
  repo.write(X, plainSecret("x", { token: OUTSIDE }, "apps"));
  repo.write("README.md", "hello\n");
  repo.git("add", "-A");
  return repo;
}

function json(repo: TestRepo, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = sg(repo, [...args, "--format", "json"], { env });
  expect(r.code, r.stderr).not.toBe(2);
  return { code: r.code, findings: JSON.parse(r.stdout).findings as F[], stderr: r.stderr };
}

describe("one pipeline", () => {
  it("scan (staged, --all, PATH, --range), hook, verify, explain, history and the library agree", async () => {
    const repo = await setup();
    const env = { SOPS_AGE_KEY_FILE: keyFile };

    const staged = json(repo, ["scan"]);
    expect(norm(staged.findings)).toEqual(EXPECTED);
    expect(staged.code).toBe(1);

    const paths = json(repo, ["scan", "flux", "apps", "README.md"]);
    expect(norm(paths.findings)).toEqual(EXPECTED);
    expect(paths.code).toBe(1);

    // the hook: the same verdict blocks the commit and names the same rules and files
    expect(sg(repo, ["install"]).code).toBe(0);
    const hook = gitTry(repo, ["commit", "-m", "leak"]);
    transcript.push(hook.stdout, hook.stderr);
    expect(hook.code).toBe(1);
    for (const f of EXPECTED) {
      const [p, rule] = f.split("|");
      expect(hook.stderr + hook.stdout).toContain(p!);
      expect(hook.stderr + hook.stdout).toContain(rule!);
    }
    expect(hook.stderr + hook.stdout).not.toContain("stringData.token");

    repo.git("commit", "-q", "--no-verify", "-m", "bypassed");
    // --debug says what the guard did: config files used, git commands, files judged; no value
    const dbg = sg(repo, ["scan", "--all", "--debug"]);
    expect(dbg.stderr).toMatch(/debug: policy: .*\.sops\.yaml; settings: .*\.secret-guard\.yaml/);
    expect(dbg.stderr).toMatch(/debug: index: \d+ entries read from the file .*index\n/);
    expect(dbg.stderr).not.toMatch(/debug: git .*ls-files -s -z → 0 \(\d+ ms\)/);
    expect(dbg.stderr).toContain(`debug: judged ${B}: creation_rules[3], 1 finding(s)`);
    const all = json(repo, ["scan", "--all"]);
    expect(norm(all.findings)).toEqual(EXPECTED);
    expect(all.code).toBe(1);

    // --range: each commit with its own (here: the same, committed) .sops.yaml and .secret-guard.yaml
    const range = json(repo, ["scan", "--range", "HEAD"]);
    expect(norm(range.findings)).toEqual(EXPECTED);
    expect(range.code).toBe(1);

    const verify = json(repo, ["verify", "flux", "apps"], env);
    expect(norm(verify.findings)).toEqual(EXPECTED);
    expect(verify.code).toBe(1);

    for (const p of [B, X]) {
      const r = sg(repo, ["explain", p, "--format", "json"]);
      const e = JSON.parse(r.stdout) as { findings: F[] };
      expect(norm(e.findings)).toEqual(EXPECTED.filter((x) => x.startsWith(`${p}|`)));
      expect(r.code).toBe(p === B ? 1 : 0);
    }

    // history lists exposures of error findings only: the allowed value and the warning are not
    const h = sg(repo, ["history", "--format", "json"], {
      env: { XDG_CONFIG_HOME: makeTempDir() },
    });
    const doc = JSON.parse(h.stdout) as { exposures: Array<{ path: string; key: string }> };
    expect(doc.exposures.map((x) => `${x.path}|${x.key}`)).toEqual([`${B}|other`]);
    expect(h.code).toBe(1);

    // the library API
    const lib = (await import(pathToFileURL(path.join(ROOT, "dist/index.js")).href)) as {
      scan(o: { cwd: string; mode: string }): Promise<{ findings: F[] }>;
    };
    const viaLib = await lib.scan({ cwd: repo.dir, mode: "all" });
    expect(norm(viaLib.findings)).toEqual(EXPECTED);
    transcript.push(JSON.stringify(viaLib.findings));
  });

  it("scan --range: a later commit dropping the rule does not clear an earlier plaintext file, and is reported", async () => {
    const repo = await makeRepo();
    repo.write(".sops.yaml", seedPolicy(recipient));
    repo.write("README.md", "x\n");
    repo.commitAll("policy");
    const base = repo.git("rev-parse", "HEAD");
    // a pull request: a plaintext Secret, then a commit that narrows the policy so it is uncovered
    repo.write("flux/secrets/develop/db.yaml", plainSecret("db", { password: LEAK }));
    repo.git("add", "-A");
    repo.git("commit", "-q", "--no-verify", "-m", "add db");
    repo.write(
      ".sops.yaml",
      seedPolicy(recipient).replace(
        / {2}- path_regex: flux\/secrets\/develop[^\n]*\n[^\n]*\n[^\n]*\n/,
        "",
      ),
    );
    repo.write(
      "flux/secrets/develop/db.yaml",
      `# touched\n${plainSecret("db", { password: LEAK })}`,
    );
    repo.git("add", "-A");
    repo.git("commit", "-q", "--no-verify", "-m", "narrow the policy");
    const r = sg(repo, ["scan", "--range", `${base}..HEAD`, "--format", "json"]);
    expect(r.code, r.stderr).toBe(1);
    const found = JSON.parse(r.stdout).findings as F[];
    // the first version is judged with its own commit's rule: unencrypted
    expect(
      found.some((f) => f.rule === "unencrypted" && f.path === "flux/secrets/develop/db.yaml"),
    ).toBe(true);
    // the narrowing is reported, naming the commit and the rule
    expect(r.stderr).toMatch(
      /commit [0-9a-f]{12} drops creation rule path_regex flux\/secrets\/develop\/\.\*\\\.yaml/,
    );
    // --config overrides for every commit: with the narrowed policy the first version is outside policy
    repo.write("narrow.sops.yaml", repo.read(".sops.yaml").toString());
    const fixed = sg(repo, [
      "scan",
      "--range",
      `${base}..HEAD`,
      "--config",
      "narrow.sops.yaml",
      "--format",
      "json",
    ]);
    expect(JSON.parse(fixed.stdout).findings.map((f: F) => f.rule)).not.toContain("unencrypted");
  });
});
