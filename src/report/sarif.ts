/**
 * `--format sarif`: SARIF 2.1.0 (valid against the OASIS schema, accepted by
 * GitHub code scanning). One run; one reportingDescriptor per rule id, all of
 * them, in RULES order so `ruleIndex` points into it; results located by a
 * repository-relative URI under `%SRCROOT%` and, when the line is known, a
 * region (SARIF requires startLine ≥ 1, so no line means no region).
 *
 * `partialFingerprints["secretGuard/v1"]` hashes rule, path, kind, namespace,
 * name and the sorted key names, never a position, so an alert survives edits
 * above it. (src/audit/report.ts extends it with the first commit.)
 */
import { createHash } from "node:crypto";
import type { Finding } from "../types.js";
import { HOMEPAGE, RULES } from "./rules.js";
import type { Report } from "./types.js";

const SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** `partially-encrypted` → `PartiallyEncrypted` (the descriptor's `name`). */
const pascal = (id: string) =>
  id.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase());

/** A repository-relative path as a relative URI reference (each segment percent-encoded). */
function pathToUri(p: string): string {
  return p.split("/").map(encodeURIComponent).join("/");
}

export function fingerprint(f: Finding): string {
  const keys = [...(f.keys ?? [])].sort();
  return createHash("sha256")
    .update([f.rule, f.path, f.kind ?? "", f.namespace ?? "", f.name ?? "", ...keys].join("\u0000"))
    .digest("hex");
}

function messageText(f: Finding): string {
  if (!f.keys?.length) return f.message;
  return `${f.message} (${f.keys.length === 1 ? "key" : "keys"}: ${f.keys.join(", ")})`;
}

export function formatSarif(report: Report, opts: { toolVersion: string }): string {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const results = report.findings.map((f) => {
    const region =
      f.line !== undefined && f.line >= 1
        ? {
            region: {
              startLine: f.line,
              ...(f.column !== undefined && f.column >= 1 ? { startColumn: f.column } : {}),
            },
          }
        : {};
    return {
      ruleId: f.rule,
      ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule) } : {}),
      level: f.severity,
      message: { text: messageText(f) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: pathToUri(f.path), uriBaseId: "%SRCROOT%" },
            ...region,
          },
        },
      ],
      partialFingerprints: { "secretGuard/v1": fingerprint(f) },
    };
  });
  const sarif = {
    $schema: SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "secret-guard",
            version: opts.toolVersion,
            semanticVersion: opts.toolVersion,
            informationUri: HOMEPAGE,
            rules: RULES.map((r) => ({
              id: r.id,
              name: pascal(r.id),
              shortDescription: { text: r.title },
              fullDescription: { text: r.help },
              help: { text: r.help, markdown: `**${r.title}**\n\n${r.help}` },
              helpUri: r.helpUri,
              defaultConfiguration: { level: r.severity },
              properties: { tags: ["security", "secrets", "sops"] },
            })),
          },
        },
        originalUriBaseIds: {
          "%SRCROOT%": { description: { text: "The root of the git repository." } },
        },
        results,
        properties: { mode: report.mode, filesScanned: report.summary.filesScanned },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
