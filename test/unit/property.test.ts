/**
 * Bad input never crashes the judgement and never leaks: random YAML, JSON,
 * dotenv and INI text and random bytes always end in a verdict; values
 * (seeded with a canary) never appear in findings; bombs and huge inputs are
 * bounded and fail closed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judge } from "../../src/core/judge.js";
import type { CreationRule } from "../../src/types.js";

const CANARY = "cAnArY-v4lue-0xDEADBEEF";
const rule: CreationRule = {
  index: 0,
  pathRegex: ".*",
  age: ["age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
};

function verdict(path: string, bytes: Uint8Array, covered: boolean) {
  const j = judge({ path, bytes, rule: covered ? rule : undefined });
  expect(Array.isArray(j.findings)).toBe(true);
  for (const f of j.findings) {
    expect(f.message).not.toContain(CANARY);
    expect(JSON.stringify(f.keys ?? [])).not.toContain(CANARY);
  }
  return j;
}

const key = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_.-]{0,12}$/);
const scalar = fc.oneof(
  fc.constant(CANARY),
  fc.string(),
  fc.integer().map(String),
  fc.constantFrom(
    "true",
    "~",
    "null",
    "017",
    "0x1F",
    "1e3",
    ".inf",
    "2024-01-01",
    '""',
    "''",
    "!!binary aGk=",
    "*a",
    "&a x",
    "<<",
  ),
);
const yamlTree: fc.Arbitrary<string> = fc
  .letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, scalar, tie("map"), tie("seq")),
    map: fc.array(fc.tuple(key, tie("node")), { maxLength: 4 }),
    seq: fc.array(tie("node"), { maxLength: 3 }),
  }))
  .node.map((n) => (typeof n === "string" ? n : JSON.stringify(n)));

describe("property: the judgement always ends in a verdict", () => {
  it("random YAML-ish text, covered or not", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, yamlTree), { maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (pairs, covered, secret) => {
          const body = pairs.map(([k, v]) => `${k}: ${v}`).join("\n");
          const text = `${secret ? `apiVersion: v1\nkind: Secret\nstringData:\n  k: ${CANARY}\n` : ""}${body}\n`;
          verdict("flux/secrets/x.yaml", Buffer.from(text), covered);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("random JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (v, covered) => {
        verdict(
          "a/b.json",
          Buffer.from(JSON.stringify({ kind: "Secret", data: { k: CANARY }, v })),
          covered,
        );
      }),
      { numRuns: 300 },
    );
  });

  it("random dotenv and INI text", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 8 }), (lines) => {
        const text = [...lines, `SECRET=${CANARY}`].join("\n");
        verdict("x.env", Buffer.from(text), true);
        verdict("x.ini", Buffer.from(`[s]\n${text}`), true);
      }),
      { numRuns: 300 },
    );
  });

  it("random bytes under a rule are judged (usually unparseable), never crash", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.constantFrom("x.yaml", "x.json", "x.env", "x.ini", "x.bin"),
        (bytes, name) => {
          verdict(name, bytes, true);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("bounded and failing closed", () => {
  it("an alias bomb, deep nesting and a 50 MB file end quickly as unparseable", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) {
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(",")}]`,
      );
    }
    const cases: Array<[string, Buffer]> = [
      ["bomb", Buffer.from(`kind: Secret\n${lines.join("\n")}\n`)],
      ["deep", Buffer.from(`kind: Secret\ndata: ${"[".repeat(5000)}${"]".repeat(5000)}\n`)],
      ["huge", Buffer.alloc(50 * 1024 * 1024, 0x61)],
    ];
    for (const [name, bytes] of cases) {
      const t0 = performance.now();
      const j = verdict(`flux/secrets/${name}.yaml`, bytes, true);
      const ms = performance.now() - t0;
      expect(
        j.findings.map((f) => f.rule),
        name,
      ).toEqual(["unparseable"]);
      expect(ms, name).toBeLessThan(30_000);
    }
  });

  it("many keys and long comment blocks stay linear (no quadratic duplicate check, no stack overflow)", () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `  k${i}: "v${i}"`).join("\n");
    const comments = Array.from({ length: 150_000 }, () => "# c").join("\n");
    const t0 = performance.now();
    const j = verdict(
      "flux/secrets/big.yaml",
      Buffer.from(`${comments}\nkind: Secret\nstringData:\n${keys}\n`),
      true,
    );
    expect(j.findings.map((f) => f.rule)).toEqual(["unencrypted"]);
    expect(j.findings[0]!.keys).toHaveLength(40_000);
    expect(performance.now() - t0).toBeLessThan(30_000);
    const dup = verdict(
      "flux/secrets/dup.yaml",
      Buffer.from(`kind: Secret\nstringData:\n${keys}\n  k7: again\n`),
      true,
    );
    expect(dup.findings.map((f) => f.rule)).toEqual(["unparseable"]);
  });

  it("CRLF, a BOM, duplicate keys, tags and merge keys", () => {
    const crlf = verdict(
      "flux/secrets/a.yaml",
      Buffer.from(`apiVersion: v1\r\nkind: Secret\r\nstringData:\r\n  k: ${CANARY}\r\n`),
      true,
    );
    expect(crlf.findings.map((f) => f.rule)).toEqual(["unencrypted"]);
    const bom = verdict(
      "flux/secrets/a.yaml",
      Buffer.from(`\uFEFFkind: Secret\nstringData:\n  k: ${CANARY}\n`),
      true,
    );
    expect(bom.findings.map((f) => f.rule)).toEqual(["unencrypted"]);
    const dup = verdict(
      "flux/secrets/a.yaml",
      Buffer.from(`kind: Secret\nstringData:\n  k: a\n  k: ${CANARY}\n`),
      true,
    );
    expect(dup.findings.map((f) => f.rule)).toEqual(["unparseable"]);
    const tagged = verdict(
      "flux/secrets/a.yaml",
      Buffer.from(`kind: Secret\ndata:\n  k: !!binary ${Buffer.from(CANARY).toString("base64")}\n`),
      true,
    );
    expect(tagged.findings.map((f) => f.rule)).toEqual(["unencrypted"]);
    const merge = verdict(
      "flux/secrets/a.yaml",
      Buffer.from(`base: &b {x: 1}\nkind: Secret\nstringData:\n  <<: *b\n  k: ${CANARY}\n`),
      true,
    );
    expect(merge.findings[0]!.keys).toEqual(["<<.x", "k"]);
  });
});
