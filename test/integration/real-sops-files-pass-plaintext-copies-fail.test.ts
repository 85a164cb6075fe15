/**
 * Real sops output from getsops/sops and fluxcd/kustomize-controller: every
 * encrypted fixture passes when a matching rule covers it, and every
 * plaintext input is `unencrypted`. Driven through `scan --all` in a real
 * repository, the way CI runs the guard.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, sg } from "../e2e/helpers.js";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";

const UP = path.join(FIXTURES, "sops-upstream");
const expected = JSON.parse(readFileSync(path.join(UP, "expected.json"), "utf8")) as Record<
  string,
  { ageRecipient?: string; pgpFingerprint?: string }
>;
const ENCRYPTED = Object.keys(expected);
const PLAINTEXT: Array<[string, string]> = [
  ["getsops-sops/functional-tests/res/comments.yaml", ""],
  ["getsops-sops/functional-tests/res/comments_list.yaml", ""],
  ["getsops-sops/functional-tests/res/plainfile.yaml", ""],
  [
    "fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/vault.yaml",
    "encrypted_regex: ^(data|stringData)$\n",
  ],
];

const re2Escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let repo: TestRepo;

beforeAll(async () => {
  const files: Record<string, string | Buffer> = {};
  const rules: string[] = [];
  for (const rel of ENCRYPTED) {
    files[`enc/${rel}`] = readFileSync(path.join(UP, rel));
    const e = expected[rel]!;
    const keys = e.ageRecipient ? `age: ${e.ageRecipient}` : `pgp: ${e.pgpFingerprint}`;
    // A matching rule selects what the file's own metadata selects (a rule that picks more
    // makes the file partially encrypted: metadata cannot vouch for plaintext). inside/secret.yaml
    // is a plaintext Secret carrying a whole sops file in a data value.
    const stored = (e as { encrypted_regex?: string }).encrypted_regex;
    const selector =
      rel.endsWith("inside/secret.yaml") || stored
        ? `    encrypted_regex: ${stored ?? "^(data|stringData)$"}\n`
        : "";
    rules.push(`  - path_regex: '^enc/${re2Escape(rel)}$'\n${selector}    ${keys}\n`);
  }
  for (const [rel, selector] of PLAINTEXT) {
    files[`plain/${rel}`] = readFileSync(path.join(UP, rel));
    rules.push(
      `  - path_regex: '^plain/${re2Escape(rel)}$'\n${selector ? `    ${selector}` : ""}    age: age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29\n`,
    );
  }
  files[".sops.yaml"] = `creation_rules:\n${rules.join("")}`;
  repo = await makeRepo({ files, commit: "fixtures" });
});

afterAll(() => cleanupAll());

describe("upstream sops fixtures", () => {
  it("every encrypted fixture passes under a matching rule; the plaintext ones are unencrypted", () => {
    const r = sg(repo, ["scan", "--all", "--format", "json"]);
    // machine formats keep stdout pure; the fix hint goes to stderr
    expect(r.stderr).toMatch(/^(fix: npx secret-guard encrypt .*\n)?$/);
    const report = JSON.parse(r.stdout) as {
      findings: Array<{ path: string; rule: string; severity: string }>;
    };
    const byPath = new Map<string, string[]>();
    for (const f of report.findings)
      byPath.set(f.path, [...(byPath.get(f.path) ?? []), `${f.severity}:${f.rule}`]);
    for (const rel of ENCRYPTED) {
      // sops' own "no MAC" test file: sops refuses it without --ignore-mac; its block is incomplete.
      if (rel.endsWith("no_mac.yaml"))
        expect(byPath.get(`enc/${rel}`), rel).toEqual(["error:missing-sops-metadata"]);
      else expect(byPath.get(`enc/${rel}`), rel).toBeUndefined();
    }
    for (const [rel] of PLAINTEXT)
      expect(byPath.get(`plain/${rel}`), rel).toEqual(["error:unencrypted"]);
    expect(r.code).toBe(1);
  });

  it("explain names the rule, the selector and each value's state", () => {
    const rel =
      "enc/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml";
    const r = sg(repo, ["explain", rel]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("creation_rules[1]");
    expect(r.stdout).toMatch(/stringData\.key\s+line 6\s+encrypted/);
    expect(r.stdout).toContain("verdict:   ok");
    const plain = sg(repo, ["explain", `plain/${PLAINTEXT[3]![0]}`, "--format", "json"]);
    expect(plain.code).toBe(1);
    const j = JSON.parse(plain.stdout);
    expect(j.rule.index).toBe(ENCRYPTED.length + 3);
    expect(j.values.every((v: { state: string }) => v.state === "plaintext")).toBe(true);
  });
});
