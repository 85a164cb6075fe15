/**
 * The three report formats: json in the contract's exact shape, text grouped
 * by file (no colour codes unless asked), SARIF valid against the official
 * 2.1.0 schema (draft-04, validated with ajv-draft-04).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import AjvModule from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import { formatJson } from "../../src/report/json.js";
import { fixCommandFor, RULE_IDS, RULES, ruleInfo } from "../../src/report/rules.js";
import { fingerprint, formatSarif } from "../../src/report/sarif.js";
import { formatText } from "../../src/report/text.js";
import type { Report } from "../../src/report/types.js";
import type { Finding, RuleId } from "../../src/types.js";

const schema = JSON.parse(
  readFileSync(
    fileURLToPath(new URL("../fixtures/sarif/sarif-schema-2.1.0.json", import.meta.url)),
    "utf8",
  ),
);
// A CommonJS default export, seen through ESM interop.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as unknown as new (
  opts: object,
) => import("ajv").default;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:\S*$/i);
ajv.addFormat("uri-reference", /^\S*$/);
ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
const validateSarif = ajv.compile(schema);

const ANSI = /\u001b\[/;

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Array<{
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: string };
      region?: { startLine: number; startColumn?: number };
    };
  }>;
  partialFingerprints: Record<string, string>;
}

function report(findings: Finding[], extra: Partial<Report> = {}): Report {
  return {
    tool: "secret-guard",
    version: "0.1.0",
    mode: "staged",
    findings,
    summary: {
      filesScanned: 3,
      errors: findings.filter((f) => f.severity === "error").length,
      warnings: findings.filter((f) => f.severity === "warning").length,
    },
    ...extra,
  };
}

const BACKEND: Finding = {
  rule: "unencrypted",
  severity: "error",
  path: "flux/secrets/develop/backend-secrets.yaml",
  line: 7,
  column: 3,
  kind: "Secret",
  name: "backend-secrets",
  namespace: "develop",
  keys: ["database-url", "api-key"],
  message:
    "Secret develop/backend-secrets: 2 plaintext values that creation_rules[0] requires encrypted",
  fixable: true,
};
const OUTSIDE: Finding = {
  rule: "secret-outside-policy",
  severity: "error",
  path: "apps/backend/secret.yaml",
  line: 12,
  column: 3,
  document: 1,
  kind: "Secret",
  name: "api",
  namespace: "staging",
  keys: ["token"],
  message: "Secret staging/api with plaintext values in a file that no creation rule covers",
  fixable: false,
};
const NOTHING: Finding = {
  rule: "nothing-encrypted",
  severity: "warning",
  path: "flux/secrets/develop/values.yaml",
  message: "the file carries sops metadata but not one ENC[...] value",
};

/** One finding of every rule, every second one without a position. */
function everyRule(): Finding[] {
  return RULE_IDS.map((rule, i) => ({
    rule,
    severity: ruleInfo(rule).severity,
    path: i % 3 === 0 ? `flux/secrets/develop/a b#${i}.yaml` : `flux/secrets/prod/f${i}.yaml`,
    ...(i % 2 === 0 ? { line: i + 1, column: 1 + (i % 4) } : {}),
    ...(i % 2 === 1 && i % 3 === 1 ? { line: 4 } : {}),
    ...(i % 4 === 0 ? { kind: "Secret", name: `s${i}`, namespace: "develop" } : {}),
    ...(i % 3 === 0 ? { keys: ["k1", "k2"] } : {}),
    message: `message for ${rule}`,
    ...(i % 2 === 0 ? { fixable: true } : {}),
  }));
}

describe("rules", () => {
  it("describes every rule id once, with a default severity, title, help with a command, and helpUri", () => {
    const all: RuleId[] = [
      "unencrypted",
      "partially-encrypted",
      "missing-sops-metadata",
      "secret-outside-policy",
      "recipient-mismatch",
      "encryption-removed",
      "unparseable",
      "nothing-encrypted",
      "possible-credential",
      "decrypt-failed",
      "mac-mismatch",
    ];
    expect([...RULE_IDS].sort()).toEqual([...all].sort());
    expect(RULES.map((r) => r.id)).toEqual(RULE_IDS);
    for (const r of RULES) {
      expect(r.title.length).toBeGreaterThan(10);
      expect(r.help).toMatch(/`(npx secret-guard|sops|git) [^`]+`/);
      expect(r.helpUri).toBe(`https://github.com/secret-guard/secret-guard#rule-${r.id}`);
    }
    expect(ruleInfo("nothing-encrypted").severity).toBe("warning");
    expect(ruleInfo("unencrypted").help).toContain("npx secret-guard encrypt <path>");
    expect(ruleInfo("unencrypted").help).toContain("sops --encrypt --in-place <path>");
    expect(RULES.filter((r) => r.verifyOnly).map((r) => r.id)).toEqual([
      "decrypt-failed",
      "mac-mismatch",
    ]);
  });

  it("gives the fix command: scan --fix for the index, encrypt for a path, updatekeys for recipients", () => {
    expect(fixCommandFor(BACKEND, "staged")).toEqual({
      command: "npx secret-guard scan --fix",
      scope: "all",
    });
    expect(fixCommandFor(BACKEND, "paths")?.command).toBe(
      "npx secret-guard encrypt flux/secrets/develop/backend-secrets.yaml",
    );
    expect(fixCommandFor({ ...BACKEND, path: "it's here.yaml" }, "all")?.command).toBe(
      "npx secret-guard encrypt 'it'\\''s here.yaml'",
    );
    expect(fixCommandFor({ ...BACKEND, fixable: false }, "paths")).toBeUndefined();
    expect(fixCommandFor(OUTSIDE, "paths")).toBeUndefined();
    expect(
      fixCommandFor(
        { rule: "recipient-mismatch", severity: "error", path: "x.yaml", message: "m" },
        "staged",
      ),
    ).toEqual({ command: "npx secret-guard updatekeys x.yaml", scope: "file" });
  });
});

describe("formatJson", () => {
  it("is exactly {tool, version, mode, findings, summary}, finding fields in contract order, notes left out", () => {
    const r = report([BACKEND, NOTHING], { notes: ["note: text only"] });
    const text = formatJson(r);
    expect(text.endsWith("}\n")).toBe(true);
    const doc = JSON.parse(text);
    expect(Object.keys(doc)).toEqual(["tool", "version", "mode", "findings", "summary"]);
    expect(doc).toMatchObject({ tool: "secret-guard", version: "0.1.0", mode: "staged" });
    expect(doc.summary).toEqual({ filesScanned: 3, errors: 1, warnings: 1 });
    expect(Object.keys(doc.findings[0])).toEqual([
      "rule",
      "severity",
      "path",
      "line",
      "column",
      "kind",
      "name",
      "namespace",
      "keys",
      "message",
      "fixable",
    ]);
    expect(doc.findings[0]).toEqual(BACKEND);
    // Fields that do not apply are omitted, not null.
    expect(doc.findings[1]).toEqual({
      rule: "nothing-encrypted",
      severity: "warning",
      path: "flux/secrets/develop/values.yaml",
      message: NOTHING.message,
    });
    expect(text).not.toContain("text only");
  });

  it("an empty report", () => {
    const doc = JSON.parse(formatJson(report([], { mode: "all" })));
    expect(doc).toEqual({
      tool: "secret-guard",
      version: "0.1.0",
      mode: "all",
      findings: [],
      summary: { filesScanned: 3, errors: 0, warnings: 0 },
    });
  });
});

describe("formatText", () => {
  const r = report([NOTHING, BACKEND, OUTSIDE, { ...BACKEND, line: 3, keys: ["tls.key"] }], {
    mode: "paths",
    notes: ["note: the last line"],
  });

  it("groups by file, one aligned line per finding with position, severity, rule, Secret and key names", () => {
    const out = formatText(r, { color: false });
    const lines = out.split("\n");
    // One header per file, in scan order.
    expect(lines.filter((l) => l === BACKEND.path)).toHaveLength(1);
    expect(lines.indexOf(NOTHING.path)).toBe(0);
    const header = lines.indexOf(BACKEND.path);
    // Sorted by line within the file; the Secret label is not repeated from the message.
    expect(lines[header + 1]).toBe(
      "   3:3  error    unencrypted            Secret develop/backend-secrets  key: tls.key — 2 plaintext values that creation_rules[0] requires encrypted",
    );
    expect(lines[header + 2]).toBe(
      "   7:3  error    unencrypted            Secret develop/backend-secrets  keys: database-url, api-key — 2 plaintext values that creation_rules[0] requires encrypted",
    );
    expect(lines[header + 3]).toBe(
      "  fix: npx secret-guard encrypt flux/secrets/develop/backend-secrets.yaml",
    );
    expect(lines[1]).toBe(`     -  warning  nothing-encrypted      ${NOTHING.message}`);
    expect(out).toContain(
      "  12:3  error    secret-outside-policy  Secret staging/api  key: token — Secret staging/api with plaintext values",
    );
    // Not fixable by a command: no fix line under that file.
    const outside = lines.indexOf(OUTSIDE.path);
    expect(lines[outside + 2]).toBe("");
    expect(lines.at(-3)).toBe("✖ 3 errors, 1 warning in 3 files scanned");
    expect(lines.at(-2)).toBe("note: the last line");
    expect(out.endsWith("\n")).toBe(true);
  });

  it("colour off → no ANSI escape; colour on → severity painted", () => {
    expect(formatText(r, { color: false })).not.toMatch(ANSI);
    const coloured = formatText(r, { color: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain("\u001b[31merror  \u001b[0m");
    expect(coloured).toContain("\u001b[33mwarning\u001b[0m");
  });

  it("staged: `scan --fix` once after the summary, unless a note already says it", () => {
    const two = report([BACKEND, { ...BACKEND, path: "flux/secrets/develop/b.yaml" }]);
    const out = formatText(two, { color: false });
    expect(out.match(/scan --fix/g)).toHaveLength(1);
    expect(out).toContain("✖ 2 errors in 3 files scanned\nfix: npx secret-guard scan --fix\n");
    expect(out).not.toContain("secret-guard encrypt");
    const noted = formatText(
      { ...two, notes: ["fix: npx secret-guard scan --fix"] },
      { color: false },
    );
    expect(noted.match(/scan --fix/g)).toHaveLength(1);
  });

  it("clean reports, warnings only, verify", () => {
    expect(formatText(report([]), { color: false })).toBe(
      "✔ 3 files scanned, no plaintext secrets\n",
    );
    expect(
      formatText(
        { ...report([]), summary: { filesScanned: 1, errors: 0, warnings: 0 } },
        {
          color: false,
        },
      ),
    ).toBe("✔ 1 file scanned, no plaintext secrets\n");
    expect(formatText(report([NOTHING]), { color: false })).toContain(
      "⚠ 1 warning in 3 files scanned",
    );
    expect(formatText(report([], { mode: "verify" }), { color: false })).toBe(
      "✔ 3 files verified, no problems\n",
    );
  });

  it("control characters from a path or a key name cannot reach the terminal", () => {
    const evil: Finding = {
      ...BACKEND,
      path: "flux/secrets/\u001b[2Jx\ny.yaml",
      keys: ["a\rb"],
    };
    const out = formatText(report([evil], { mode: "paths" }), { color: false });
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(out).toContain("flux/secrets/\\u001b[2Jx\\u000ay.yaml");
    expect(out).toContain("key: a\\u000db");
  });
});

describe("formatSarif", () => {
  function valid(text: string) {
    const doc = JSON.parse(text);
    validateSarif(doc);
    expect(validateSarif.errors ?? [], JSON.stringify(validateSarif.errors?.slice(0, 3))).toEqual(
      [],
    );
    return doc;
  }

  it("findings of every rule, with and without lines, validate against the SARIF 2.1.0 schema", () => {
    const findings = everyRule();
    const doc = valid(formatSarif(report(findings), { toolVersion: "0.1.0" }));
    expect(doc.version).toBe("2.1.0");
    expect(doc.runs).toHaveLength(1);
    const run = doc.runs[0];
    expect(run.tool.driver).toMatchObject({
      name: "secret-guard",
      version: "0.1.0",
      informationUri: "https://github.com/secret-guard/secret-guard",
    });
    expect(run.originalUriBaseIds["%SRCROOT%"]).toBeDefined();
    const rules = run.tool.driver.rules;
    expect(rules.map((d: { id: string }) => d.id)).toEqual(RULE_IDS);
    expect(rules[RULE_IDS.indexOf("partially-encrypted")]).toMatchObject({
      name: "PartiallyEncrypted",
      shortDescription: { text: ruleInfo("partially-encrypted").title },
      fullDescription: { text: ruleInfo("partially-encrypted").help },
      help: { text: ruleInfo("partially-encrypted").help },
      helpUri: "https://github.com/secret-guard/secret-guard#rule-partially-encrypted",
      defaultConfiguration: { level: "error" },
    });
    expect(rules[RULE_IDS.indexOf("nothing-encrypted")].defaultConfiguration.level).toBe("warning");

    expect(run.results).toHaveLength(findings.length);
    run.results.forEach((res: SarifResult, i: number) => {
      const f = findings[i]!;
      expect(res.ruleId).toBe(f.rule);
      expect(rules[res.ruleIndex].id).toBe(f.rule);
      expect(res.level).toBe(f.severity);
      expect(res.message.text).toContain(f.message);
      const loc = res.locations[0]!.physicalLocation;
      expect(loc.artifactLocation.uriBaseId).toBe("%SRCROOT%");
      expect(decodeURIComponent(loc.artifactLocation.uri)).toBe(f.path);
      if (f.line) {
        expect(loc.region).toEqual({
          startLine: f.line,
          ...(f.column ? { startColumn: f.column } : {}),
        });
      } else {
        expect(loc.region).toBeUndefined();
      }
      expect(res.partialFingerprints["secretGuard/v1"]).toMatch(/^[0-9a-f]{64}$/);
    });
    // Key names in the message; `#` and spaces percent-encoded in the URI.
    expect(run.results[0].message.text).toContain("(keys: k1, k2)");
    expect(run.results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      "flux/secrets/develop/a%20b%230.yaml",
    );
  });

  it("an empty report validates, with every rule still described", () => {
    const doc = valid(formatSarif(report([], { mode: "all" }), { toolVersion: "9.9.9" }));
    expect(doc.runs[0].results).toEqual([]);
    expect(doc.runs[0].tool.driver.version).toBe("9.9.9");
    expect(doc.runs[0].tool.driver.rules).toHaveLength(RULE_IDS.length);
  });

  it("verify findings (no line, no Secret) validate", () => {
    const verify: Finding[] = [
      { rule: "decrypt-failed", severity: "error", path: "x.yaml", message: "no identity" },
      { rule: "mac-mismatch", severity: "error", path: "y.enc.json", message: "MAC mismatch" },
    ];
    valid(formatSarif(report(verify, { mode: "verify" }), { toolVersion: "0.1.0" }));
  });

  it("fingerprints ignore positions and key order, and tell Secrets and keys apart", () => {
    const fp = fingerprint(BACKEND);
    expect(fingerprint({ ...BACKEND, line: 40, column: 9, document: 2 })).toBe(fp);
    expect(fingerprint({ ...BACKEND, keys: ["api-key", "database-url"] })).toBe(fp);
    expect(fingerprint({ ...BACKEND, message: "reworded" })).toBe(fp);
    expect(fingerprint({ ...BACKEND, keys: ["database-url"] })).not.toBe(fp);
    expect(fingerprint({ ...BACKEND, name: "other" })).not.toBe(fp);
    expect(fingerprint({ ...BACKEND, path: "flux/secrets/prod/backend-secrets.yaml" })).not.toBe(
      fp,
    );
    expect(fingerprint({ ...BACKEND, rule: "partially-encrypted" })).not.toBe(fp);
  });
});
