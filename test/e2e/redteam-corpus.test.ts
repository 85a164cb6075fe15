/**
 * The red team's corpus (test/fixtures/redteam/<case>/case.json): each case is
 * a tiny repository tree, staged and committed through the installed hook.
 * `blocked` cases must be refused (with their rule when one is named), `clean`
 * cases must commit, `warning` cases must commit and warn. No canary value may
 * appear in any output.
 *
 * Cases in known-open.json are holes or false alarms not closed yet: for them
 * the test asserts that they still behave as recorded there, so closing one
 * fails the test until it is taken off the list (the list can only shrink
 * honestly).
 */
import { cpSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { FIXTURES, gitTry, sg, transcript } from "./helpers.js";

interface Case {
  expect: "blocked" | "clean" | "warning";
  stage: string[];
  rule?: string;
  why: string;
  canary?: string;
}

const DIR = path.join(FIXTURES, "redteam");
const KNOWN_OPEN = JSON.parse(readFileSync(path.join(DIR, "known-open.json"), "utf8")) as Record<
  string,
  string
>;
const cases = readdirSync(DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => ({
    name: e.name,
    c: JSON.parse(readFileSync(path.join(DIR, e.name, "case.json"), "utf8")) as Case,
  }));
const canaries = cases.map(({ c }) => c.canary).filter((x): x is string => Boolean(x));

afterAll(() => {
  const all = transcript.join("\n");
  for (const v of canaries) expect(all.includes(v), `canary ${v} printed`).toBe(false);
  cleanupAll();
});

/** What the guard does with the case: "blocked" (with the output), "clean" or "warning". */
async function attempt(
  name: string,
  c: Case,
): Promise<{ got: Case["expect"]; out: string; repo: TestRepo }> {
  const repo = await makeRepo();
  const src = path.join(DIR, name);
  for (const e of readdirSync(src)) {
    if (e === "case.json") continue;
    cpSync(path.join(src, e), path.join(repo.dir, e), { recursive: true });
  }
  const others = readdirSync(repo.dir).filter((e) => e !== ".git");
  // the tree's policy and anything not under test are committed first, without the guard
  repo.git("add", "-A", "--", ...others);
  for (const p of c.stage) repo.git("rm", "-q", "--cached", "--ignore-unmatch", "--", p);
  repo.git("commit", "-q", "--allow-empty", "--no-verify", "-m", "base");
  expect(sg(repo, ["install", "--hooks", "pre-commit", "--no-probe"]).code).toBe(0);
  repo.git("add", "-f", "--", ...c.stage);
  const r = gitTry(repo, ["commit", "-q", "-m", `try ${name}`]);
  const out = r.stdout + r.stderr;
  transcript.push(out);
  if (r.code !== 0) return { got: "blocked", out, repo };
  return { got: /\bwarning\b/.test(out) ? "warning" : "clean", out, repo };
}

describe("red-team corpus through git commit", () => {
  for (const { name, c } of cases) {
    const open = KNOWN_OPEN[name];
    it(`${name}: ${c.expect}${open ? ` (known open: ${open})` : ""}`, async () => {
      const { got, out, repo } = await attempt(name, c);
      if (open) {
        expect(got, `${name} now behaves as expected: take it off known-open.json`).not.toBe(
          c.expect,
        );
        return;
      }
      expect(got, `${c.why}\n${out}`).toBe(c.expect);
      if (c.expect === "blocked" && c.rule) expect(out).toContain(c.rule);
      if (c.expect !== "blocked") return;
      // Committed anyway (--no-verify): scan --range and history catch it after the fact.
      repo.git("commit", "-q", "--no-verify", "-m", `sneak ${name}`);
      const ranged = sg(repo, ["scan", "--range", "HEAD~1..HEAD"]);
      expect(ranged.code, `scan --range: ${ranged.stdout}${ranged.stderr}`).toBe(1);
      if (c.rule) expect(ranged.stdout).toContain(c.rule);
      const audit = sg(repo, ["history", "--format", "json"], {
        env: { SECRET_GUARD_NO_CACHE: "1" },
      });
      // history lists exposed values; a file that cannot be read at all is a parse finding, not one.
      if (c.rule !== "unparseable") {
        expect(audit.code, `history: ${audit.stdout}${audit.stderr}`).toBe(1);
        expect(JSON.parse(audit.stdout).exposures.length).toBeGreaterThan(0);
      } else {
        expect(audit.code).not.toBe(2);
      }
    });
  }
});
