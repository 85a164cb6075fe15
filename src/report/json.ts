/**
 * `--format json`: the contract's one object, `{tool, version, mode, findings,
 * summary}`. Finding fields in the contract's order; fields that do not apply
 * are omitted. `notes` are text-only and never part of it.
 */
import type { Finding } from "../types.js";
import type { Report } from "./types.js";

const FIELDS: readonly (keyof Finding)[] = [
  "rule",
  "severity",
  "path",
  "line",
  "column",
  "document",
  "kind",
  "name",
  "namespace",
  "keys",
  "message",
  "fixable",
];

export function formatJson(report: Report): string {
  const findings = report.findings.map((f) => {
    const o: Record<string, unknown> = {};
    for (const k of FIELDS) if (f[k] !== undefined) o[k] = f[k];
    return o;
  });
  const { filesScanned, errors, warnings, skipped } = report.summary;
  const out = {
    tool: report.tool,
    version: report.version,
    mode: report.mode,
    findings,
    summary: { filesScanned, errors, warnings, ...(skipped ? { skipped } : {}) },
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
