/**
 * The bypass corpus judged through checkFile under test/bypass/sops.yaml:
 * each case raises its rule as an error, and no judgement carries a value.
 * test/e2e/bypass.test.ts commits the same files through the installed hook
 * and scans them with --range and history.
 */
import { describe, expect, it } from "vitest";
import { checkFile } from "../../src/check/file.js";
import { EMPTY_CONFIG } from "../../src/check/settings.js";
import { parsePolicy, ruleFor } from "../../src/policy/index.js";
import { BYPASS_CANARY, BYPASS_POLICY, bypassCases, bypassFiles } from "../helpers/bypass.js";

const cases = bypassCases();
const policy = parsePolicy(BYPASS_POLICY, "/repo/.sops.yaml");

describe("bypass corpus", () => {
  it("has at least 40 cases, every file listed in cases.json", () => {
    expect(bypassFiles()).toEqual(cases.map((c) => c.name).sort());
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  for (const c of cases) {
    it(`${c.name} → ${c.rule}`, () => {
      const j = checkFile(
        { path: c.path, bytes: c.bytes, rule: ruleFor(policy, `/repo/${c.path}`) },
        EMPTY_CONFIG,
      );
      expect(j.findings.filter((f) => f.severity === "error").map((f) => f.rule)).toContain(c.rule);
      expect(JSON.stringify(j)).not.toContain(BYPASS_CANARY);
    });
  }
});
