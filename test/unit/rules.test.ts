/**
 * Every judgement rule, table-wise from its fixture folders (secretlint's
 * habit): test/fixtures/rules/<rule-id>/ng/* must raise that rule,
 * test/fixtures/rules/<rule-id>/ok/* must raise nothing. Each fixture is
 * judged at flux/secrets/develop/<name> under a data/stringData rule, unless
 * cases.json says otherwise (path, rule: "none" | a selector, head: a fixture
 * used as HEAD's content). No output may carry a fixture's canary values.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { judge } from "../../src/core/judge.js";
import { JUDGE_RULES } from "../../src/core/rules/index.js";
import { RULE_IDS } from "../../src/report/rules.js";
import type { CreationRule, Selector } from "../../src/types.js";

const ROOT = path.join(import.meta.dirname, "../fixtures/rules");
const AGE = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";

interface Case {
  path?: string;
  rule?: "none" | Selector;
  head?: string;
}
const cases = JSON.parse(readFileSync(path.join(ROOT, "cases.json"), "utf8")) as Record<
  string,
  Case
>;

function ruleOf(c: Case): CreationRule | undefined {
  if (c.rule === "none") return undefined;
  return {
    index: 0,
    pathRegex: "flux/secrets/develop/.*",
    age: [AGE],
    otherKeyTypes: [],
    keyGroupCount: 0,
    selector: c.rule ?? { field: "encrypted_regex", value: "^(data|stringData)$" },
    macOnlyEncrypted: false,
  };
}

function judgeFixture(rel: string) {
  const c = cases[rel] ?? {};
  const j = judge({
    path: c.path ?? `flux/secrets/develop/${path.basename(rel)}`,
    bytes: readFileSync(path.join(ROOT, rel)),
    rule: ruleOf(c),
    ...(c.head ? { headBytes: readFileSync(path.join(ROOT, c.head)) } : {}),
  });
  expect(JSON.stringify(j).toLowerCase()).not.toContain("canary");
  return j;
}

const ruleDirs = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

it("every judgement rule has fixtures, and every fixture folder is a rule", () => {
  expect(ruleDirs).toEqual(JUDGE_RULES.map((r) => r.id).sort());
  for (const id of ruleDirs) expect(RULE_IDS).toContain(id);
  for (const rel of Object.keys(cases))
    expect(() => readFileSync(path.join(ROOT, rel))).not.toThrow();
});

for (const id of ruleDirs) {
  describe(id, () => {
    for (const kind of ["ng", "ok"] as const) {
      const dir = path.join(ROOT, id, kind);
      const files = readdirSync(dir).sort();
      it(`has ${kind} fixtures`, () => expect(files.length).toBeGreaterThan(0));
      for (const f of files) {
        const rel = `${id}/${kind}/${f}`;
        it(`${kind}: ${f}`, () => {
          const found = judgeFixture(rel).findings.map((x) => x.rule);
          if (kind === "ng") expect(found).toContain(id);
          else expect(found).toEqual([]);
        });
      }
    }
  });
}
