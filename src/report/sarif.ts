/**
 * `--format sarif`: SARIF 2.1.0, one run, one reportingDescriptor per rule,
 * results with physicalLocation regions. Fingerprints use rule, path, Secret
 * and key names, never line numbers, so they survive edits above a finding.
 */
import { createHash } from "node:crypto";
import { HELP_BASE, RULES } from "./rules.js";
import type { Report } from "./types.js";

export function formatSarif(report: Report, opts: { toolVersion: string }): string {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const results = report.findings.map((f) => {
    const region =
      f.line && f.line >= 1
        ? { region: { startLine: f.line, ...(f.column ? { startColumn: f.column } : {}) } }
        : {};
    const fp = createHash("sha256")
      .update(
        [
          f.rule,
          f.path,
          f.document ?? "",
          f.kind ?? "",
          f.namespace ?? "",
          f.name ?? "",
          ...(f.keys ?? []),
        ].join("\u0000"),
      )
      .digest("hex");
    const keys = f.keys?.length ? ` (keys: ${f.keys.join(", ")})` : "";
    return {
      ruleId: f.rule,
      ruleIndex: index.get(f.rule) ?? 0,
      level: f.severity,
      message: { text: `${f.message}${keys}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeURI(f.path), uriBaseId: "%SRCROOT%" },
            ...region,
          },
        },
      ],
      partialFingerprints: { "secretGuard/v1": fp },
    };
  });
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "secret-guard",
            version: opts.toolVersion,
            semanticVersion: opts.toolVersion,
            informationUri: "https://github.com/secret-guard/secret-guard",
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.help },
              help: { text: r.help },
              helpUri: `${HELP_BASE}`,
              defaultConfiguration: { level: r.severity },
            })),
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { description: { text: "The repository root." } } },
        results,
        properties: { mode: report.mode, filesScanned: report.summary.filesScanned },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
