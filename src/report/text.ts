/**
 * `--format text`: findings grouped by file, one aligned line each
 *
 *   flux/secrets/develop/backend-secrets.yaml
 *     7:3  error    unencrypted  Secret develop/backend-secrets  keys: database-url, api-key — 2 plaintext values …
 *     fix: npx secret-guard encrypt flux/secrets/develop/backend-secrets.yaml
 *
 *   ✖ 1 error in 1 file scanned
 *
 * then the notes. Key names, never a value (a Finding has none). Everything
 * that comes from a file name or a file's content is stripped of control
 * characters, so a crafted path cannot drive the terminal.
 */
import type { Finding } from "../types.js";
import { fixCommandFor } from "./rules.js";
import type { Report } from "./types.js";

const ESC = "\u001b[";
const paint = (on: boolean, code: string, s: string) => (on ? `${ESC}${code}m${s}${ESC}0m` : s);

/** C0/C1 control characters (ESC, CR, newline...) shown as `\uXXXX`. */
function clean(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `Secret develop/backend-secrets`, `secretGenerator`, or "" when the finding names no object. */
function subject(f: Finding): string {
  if (!f.kind && !f.name) return "";
  const id = [f.namespace, f.name].filter(Boolean).join("/");
  return `${f.kind ?? "Secret"}${id ? ` ${id}` : ""}`;
}

/** The message without a leading `Secret ns/name: ` that the line already shows. */
function body(f: Finding, label: string): string {
  return label && f.message.startsWith(`${label}: `)
    ? f.message.slice(label.length + 2)
    : f.message;
}

function position(f: Finding): string {
  if (f.line) return `${f.line}:${f.column ?? 1}`;
  return f.document !== undefined ? `doc ${f.document}` : "-";
}

export function formatText(report: Report, opts: { color: boolean }): string {
  const c = opts.color;
  const out: string[] = [];

  // Files in the order they were scanned; findings by position within a file.
  const byFile = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byFile.get(f.path) ?? [];
    list.push(f);
    byFile.set(f.path, list);
  }
  const posWidth = Math.max(0, ...report.findings.map((f) => position(f).length));
  const ruleWidth = Math.max(0, ...report.findings.map((f) => f.rule.length));

  // A command that names no path (`scan --fix`) is the same for every file: said once, below.
  const shared = new Set<string>();
  for (const [file, list] of byFile) {
    out.push(paint(c, "1;4", clean(file)));
    const sorted = [...list].sort(
      (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
    );
    const fixes: string[] = [];
    for (const f of sorted) {
      const label = subject(f);
      const keys = f.keys?.length
        ? `${f.keys.length === 1 ? "key" : "keys"}: ${f.keys.join(", ")}`
        : "";
      const what = [label, keys].filter(Boolean).join("  ");
      const text = what ? `${what} — ${body(f, label)}` : body(f, label);
      const sev = f.severity === "error" ? paint(c, "31", "error  ") : paint(c, "33", "warning");
      out.push(
        `  ${paint(c, "2", position(f).padStart(posWidth))}  ${sev}  ${paint(c, "1", f.rule.padEnd(ruleWidth))}  ${clean(text)}`,
      );
      const fix = fixCommandFor(f, report.mode);
      if (fix?.scope === "all") shared.add(report.fixAll ?? fix.command);
      else if (fix && !fixes.includes(fix.command)) fixes.push(fix.command);
    }
    for (const cmd of fixes) out.push(`  fix: ${paint(c, "36", clean(cmd))}`);
    out.push("");
  }

  const { errors, warnings, filesScanned } = report.summary;
  const files = `${plural(filesScanned, "file")} ${report.mode === "verify" ? "verified" : "scanned"}`;
  if (errors + warnings === 0) {
    const ok = report.mode === "verify" ? "no problems" : "no plaintext secrets";
    out.push(paint(c, "32", `✔ ${files}, ${ok}`));
  } else {
    const counts = [
      errors ? plural(errors, "error") : "",
      warnings ? plural(warnings, "warning") : "",
    ].filter(Boolean);
    const mark = errors ? "✖" : "⚠";
    out.push(paint(c, errors ? "31" : "33", `${mark} ${counts.join(", ")} in ${files}`));
  }

  const skipped = Object.entries(report.summary.skipped ?? {});
  if (skipped.length > 0)
    out.push(
      `  not judged: ${skipped.map(([why, n]) => `${n} ${skippedWord(why, n)}`).join(", ")}`,
    );
  const notes = report.notes ?? [];
  for (const cmd of shared) {
    if (!notes.some((n) => n === `fix: ${cmd}`)) out.push(`fix: ${paint(c, "36", cmd)}`);
  }
  for (const n of notes) out.push(n);
  return `${out.join("\n")}\n`;
}

function skippedWord(why: string, n: number): string {
  const s = n === 1 ? "" : "s";
  switch (why) {
    case "ignored":
      return `file${s} ignored by .secret-guard.yaml`;
    case "symlink":
      return `symlink${s}`;
    case "submodule":
      return `submodule${s}`;
    default:
      return `other entr${n === 1 ? "y" : "ies"} (not a regular file)`;
  }
}
