/** `--format json`: the contract's one-object shape; fields that do not apply are omitted. */
import type { Finding } from "../types.js";
import type { Report } from "./types.js";

const ORDER: Array<keyof Finding> = [
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
    for (const k of ORDER) if (f[k] !== undefined) o[k] = f[k];
    return o;
  });
  const out = {
    tool: report.tool,
    version: report.version,
    mode: report.mode,
    findings,
    summary: report.summary,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}
