/**
 * `--format text`: findings grouped by file, one line each with position,
 * severity, rule, the Secret and its key names (never a value), then the
 * message; a summary line; then the notes (fix command, what to do next).
 */
import type { Finding } from "../types.js";
import type { Report } from "./types.js";

const ESC = "\u001b[";
const paint = (on: boolean, code: string, s: string) => (on ? `${ESC}${code}m${s}${ESC}0m` : s);

function secretLabel(f: Finding): string {
  if (!f.kind && !f.name) return "";
  const id = [f.namespace, f.name].filter(Boolean).join("/");
  return `${f.kind ?? "Secret"}${id ? ` ${id}` : ""}`;
}

export function formatText(report: Report, opts: { color: boolean }): string {
  const c = opts.color;
  const lines: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byFile.get(f.path) ?? [];
    list.push(f);
    byFile.set(f.path, list);
  }
  for (const [file, findings] of byFile) {
    lines.push(paint(c, "1;4", file));
    findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    for (const f of findings) {
      const pos = f.line ? `${f.line}:${f.column ?? 1}` : "-";
      const sev = f.severity === "error" ? paint(c, "31", "error  ") : paint(c, "33", "warning");
      const head = [
        `  ${pos.padEnd(6)}`,
        sev,
        paint(c, "1", f.rule),
        f.document !== undefined ? `doc ${f.document}` : "",
        secretLabel(f),
        f.keys?.length ? `keys: ${f.keys.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("  ");
      lines.push(head);
      lines.push(paint(c, "2", `          ${f.message}`));
    }
    lines.push("");
  }
  const { errors, warnings, filesScanned } = report.summary;
  const files = `${filesScanned} file${filesScanned === 1 ? "" : "s"} scanned`;
  if (errors + warnings === 0) {
    lines.push(paint(c, "32", `✔ ${files}, no plaintext secrets`));
  } else {
    const parts = [
      errors ? `${errors} error${errors === 1 ? "" : "s"}` : "",
      warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : "",
    ].filter(Boolean);
    lines.push(
      paint(c, errors ? "31" : "33", `${errors ? "✖" : "⚠"} ${parts.join(", ")} in ${files}`),
    );
  }
  for (const n of report.notes ?? []) lines.push(n);
  return `${lines.join("\n")}\n`;
}
