/**
 * Class 14 of issue #12: the judgement stays linear on hostile layouts (no
 * timed assertion: each case must simply finish, and the slowest is logged
 * for the report). Before, 160 KB of blank lines after `kind:` cost 30 s in
 * a backtracking regular expression.
 */
import { expect, it } from "vitest";
import { judge } from "../../src/core/judge.js";
import type { CreationRule } from "../../src/types.js";

const rule: CreationRule = {
  index: 0,
  age: [],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
};
const blank = "\n".repeat(160 * 1024);
const CASES: Record<string, string> = {
  "160 KB of blank lines": blank,
  "kind: then 160 KB of blank lines (unparseable tail)": `kind:${blank}\t- [`,
  "160 KB of spaces and CRs": " \r".repeat(80 * 1024),
  "blank lines between kind and Secret": `kind${" ".repeat(80 * 1024)}:${blank}Secret\n[`,
  // Open: the `yaml` package is superlinear in comment lines (4 MB of them: 10-50 s).
  "a Secret after 1 MB of comments": `${"# c\n".repeat(1 << 18)}kind: Secret\nstringData:\n  a: b\n`,
  "a long ENC-like scalar": `a: ENC[AES256_GCM,data:${"A".repeat(500_000)},iv:`,
};

it("hostile layouts finish", () => {
  const times: string[] = [];
  for (const [name, text] of Object.entries(CASES)) {
    for (const r of [rule, undefined]) {
      const t0 = performance.now();
      const j = judge({ path: "apps/x.yaml", bytes: Buffer.from(text), rule: r });
      times.push(`${(performance.now() - t0).toFixed(0)} ms  ${name}${r ? " (rule)" : ""}`);
      expect(j.path).toBe("apps/x.yaml");
    }
  }
  console.log(times.sort((a, b) => Number.parseInt(b) - Number.parseInt(a)).join("\n"));
});
