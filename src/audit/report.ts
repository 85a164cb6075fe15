/**
 * Rendering `secret-guard history`: text grouped by exposure with the leak
 * runbook after it, json, and SARIF (each exposure mapped to a Finding and
 * rendered by src/report/sarif.ts). Never a value, never a value's hash.
 */
import { createHash } from "node:crypto";
import { formatSarif } from "../report/sarif.js";
import type { Report } from "../report/types.js";
import type { Finding } from "../types.js";
import { VERSION } from "../version.js";
import type { AuditResult, Exposure } from "./audit.js";

const ESC = "\u001b[";
const paint = (on: boolean, code: string, s: string) => (on ? `${ESC}${code}m${s}${ESC}0m` : s);

export interface HistorySummary {
  commits: number;
  blobsJudged: number;
  exposures: number;
  pushed: number;
  inHead: number;
  notRotated: number;
  rotated: number;
  removed: number;
  unknown: number;
  /** Recorded in .secret-guard.yaml `resolved`: listed, not counted for the exit code. */
  resolved: number;
}

export function summarizeHistory(r: AuditResult): HistorySummary {
  const count = (f: (e: Exposure) => boolean) => r.exposures.filter(f).length;
  return {
    commits: r.commits,
    blobsJudged: r.blobsJudged,
    exposures: r.exposures.length,
    resolved: count((e) => e.resolved !== undefined),
    pushed: count((e) => e.pushed),
    inHead: count((e) => e.inHead),
    notRotated: count((e) => e.rotation === "NOT ROTATED"),
    rotated: count((e) => e.rotation === "rotated"),
    removed: count((e) => e.rotation === "removed"),
    unknown: count((e) => e.rotation === "unknown"),
  };
}

function secretLabel(e: Exposure): string {
  const id = [e.namespace, e.name].filter(Boolean).join("/");
  if (e.kind === "secretGenerator") return `secretGenerator${id ? ` ${id}` : ""}`;
  if (!e.kind && !id) return "";
  return `${e.kind ?? "Secret"}${id ? ` ${id}` : ""}`;
}

const short = (id: string) => id.slice(0, 12);

/** Remote branches carrying it, readable on big repositories: a few names, then a count. */
export function pushedList(refs: string[], max = 3): string {
  if (refs.length <= max) return refs.join(", ");
  return `${refs.slice(0, max).join(", ")} and ${refs.length - max} more (${refs.length} remote branches)`;
}

export function formatHistoryJson(r: AuditResult): string {
  const out = {
    tool: "secret-guard",
    version: VERSION,
    mode: "history",
    range: r.range,
    exposures: r.exposures.map((e) => ({
      path: e.paths[e.paths.length - 1],
      paths: e.paths,
      key: e.key,
      ...(e.kind ? { kind: e.kind } : {}),
      ...(e.name ? { name: e.name } : {}),
      ...(e.namespace ? { namespace: e.namespace } : {}),
      rule: e.rules[0],
      rules: e.rules,
      firstCommit: e.firstCommit,
      lastCommit: e.lastCommit,
      commits: e.commits,
      inHead: e.inHead,
      pushed: e.pushed,
      ...(e.pushed ? { pushedTo: e.pushedTo } : {}),
      rotation: e.rotation,
      rotationDetail: e.rotationDetail,
      ...(e.resolved
        ? { resolved: true, ...(e.resolved.reason ? { resolvedReason: e.resolved.reason } : {}) }
        : {}),
    })),
    summary: summarizeHistory(r),
    ...(r.warnings.length ? { warnings: r.warnings } : {}),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

function exposureMessage(e: Exposure): string {
  const who = secretLabel(e);
  return [
    `${who ? `${who}: ` : ""}the value of ${e.key} was committed in plaintext in ${short(e.firstCommit.id)} (${e.firstCommit.date}, ${e.firstCommit.author})`,
    `last carried by ${short(e.lastCommit.id)}`,
    e.inHead ? "still in HEAD" : "no longer in HEAD",
    e.pushed
      ? `pushed${e.pushedTo.length ? ` (${pushedList(e.pushedTo)})` : ""}: treat it as compromised`
      : "not on any remote-tracking branch",
    `rotation: ${e.rotation}`,
  ].join("; ");
}

/** Each exposure as a Finding, for SARIF. */
export function historyFindings(r: AuditResult): Finding[] {
  return r.exposures.map((e) => ({
    rule: e.rules[0] ?? "unencrypted",
    severity: "error",
    path: e.paths[e.paths.length - 1] ?? "",
    ...(e.kind ? { kind: e.kind } : {}),
    ...(e.name ? { name: e.name } : {}),
    ...(e.namespace ? { namespace: e.namespace } : {}),
    keys: [e.key],
    message: exposureMessage(e),
  }));
}

export function formatHistorySarif(r: AuditResult): string {
  const findings = historyFindings(r);
  const report: Report = {
    tool: "secret-guard",
    version: VERSION,
    mode: "history",
    findings,
    summary: { filesScanned: r.blobsJudged, errors: findings.length, warnings: 0 },
  };
  // Two exposures of one key in one file (a value replaced by another plaintext value)
  // differ only by their first commit: make it part of the fingerprint.
  const sarif = JSON.parse(formatSarif(report, { toolVersion: VERSION }));
  const results = sarif.runs[0].results as Array<{
    partialFingerprints: Record<string, string>;
  }>;
  results.forEach((res, i) => {
    const e = r.exposures[i]!;
    const fp = res.partialFingerprints["secretGuard/v1"] ?? "";
    res.partialFingerprints["secretGuard/v1"] = createHash("sha256")
      .update(`${fp}\0${e.firstCommit.id}`)
      .digest("hex");
  });
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/** `flux/secrets/<env>/<name>.yaml` → the `secret-guard new` arguments that edit it. */
function newCommandFor(e: Exposure): string | undefined {
  for (const p of [...e.paths].reverse()) {
    const m = /^flux\/secrets\/([^/]+)\/([^/]+)\.ya?ml$/.exec(p);
    if (m) return `npx secret-guard new ${m[1]} ${m[2]}`;
  }
  return undefined;
}

/**
 * What to do, worded for what was exposed: Secrets (a new value in the encrypted Secret),
 * other files (values files, configs: the file encrypted, or the value moved into a Secret).
 */
export function runbook(what: { secrets: boolean; files: boolean }): string[] {
  const step2 = what.secrets
    ? [
        "  2. Put the new value in the encrypted Secret: `npx secret-guard new ENV NAME` edits",
        "     the existing one (or `sops edit PATH`), then commit and push.",
      ]
    : [];
  if (what.files)
    step2.push(
      `  ${what.secrets ? "   For a value in a file that is no Secret" : "2. For a value in a file (values file, config)"}: encrypt the file with`,
      "     `npx secret-guard encrypt PATH` (or move the value into an encrypted Secret),",
      "     then commit and push.",
    );
  return [
    "What to do, for every exposed value (pushed and NOT ROTATED first):",
    "  1. Rotate at the provider: issue a new credential and revoke the exposed one.",
    "     A value that was pushed is compromised: every clone, fork and CI log has it.",
    ...step2,
    "  3. Reconcile so the cluster uses it: `flux reconcile kustomization NAME --with-source`,",
    `     and restart workloads that read the ${what.secrets ? "Secret" : "value"} only at start-up.`,
    "  4. Run `secret-guard history` again: the value must show `rotated` or `removed`.",
    "  5. Optionally rewrite history (`git filter-repo --replace-text FILE` or",
    "     `--invert-paths --path PATH`), force-push and have everyone re-clone. That alone",
    "     is NOT remediation: the old value stays in existing clones and forks, CI logs and",
    "     caches, pull-request refs on the git host and backups. Only rotation makes it useless.",
  ];
}

/** A Secret (or a generator of one), as opposed to a value in some other file. */
function isSecretExposure(e: Exposure): boolean {
  return e.kind === undefined ? e.name !== undefined : /Secret|secretGenerator/.test(e.kind);
}

export function formatHistoryText(r: AuditResult, opts: { color: boolean }): string {
  const c = opts.color;
  const lines: string[] = [];
  const s = summarizeHistory(r);
  for (const e of r.exposures) {
    const who = secretLabel(e);
    const status =
      e.rotation === "NOT ROTATED"
        ? paint(c, "1;31", "NOT ROTATED")
        : e.rotation === "unknown"
          ? paint(c, "33", "rotation unknown")
          : paint(c, "32", e.rotation);
    lines.push(
      [
        paint(c, "1", `${who || (e.kind ? e.kind : "file")}`),
        `key: ${e.key}`,
        e.resolved
          ? paint(c, "32", `resolved${e.resolved.reason ? ` (${e.resolved.reason})` : ""}`)
          : status,
      ]
        .filter(Boolean)
        .join("  "),
    );
    const row = (label: string, text: string) => lines.push(`    ${label.padEnd(9)}${text}`);
    row(e.paths.length > 1 ? "paths" : "path", e.paths.join(", "));
    row("rule", e.rules.join(", "));
    row("first", `${short(e.firstCommit.id)}  ${e.firstCommit.date}  ${e.firstCommit.author}`);
    row(
      "last",
      `${short(e.lastCommit.id)}  ${e.lastCommit.date}  ${e.lastCommit.author}  (${e.commits} commit${e.commits === 1 ? " carries" : "s carry"} it)`,
    );
    row("HEAD", e.inHead ? paint(c, "31", "still holds it in plaintext") : "clean");
    row(
      "pushed",
      e.pushed
        ? paint(
            c,
            "31",
            `yes${e.pushedTo.length ? ` (${pushedList(e.pushedTo)})` : ""}: treat it as compromised`,
          )
        : "no: local only (rotate anyway if this clone was shared)",
    );
    row(
      "rotation",
      `${e.rotation}: ${e.rotationDetail}${e.rotation === "removed" ? " (the exposed value may still be valid at the provider: revoke it)" : ""}`,
    );
    lines.push("");
  }
  const scope = `${s.commits} commit${s.commits === 1 ? "" : "s"} (${r.range}), ${s.blobsJudged} file version${s.blobsJudged === 1 ? "" : "s"} judged`;
  if (s.exposures === 0) {
    lines.push(paint(c, "32", `✔ no plaintext secret value in ${scope}`));
  } else {
    const parts = [
      `${s.exposures} exposed value${s.exposures === 1 ? "" : "s"}`,
      `${s.pushed} pushed`,
      `${s.inHead} still in HEAD`,
      `${s.notRotated} NOT ROTATED`,
    ];
    if (s.unknown) parts.push(`${s.unknown} rotation unknown`);
    if (s.resolved) parts.push(`${s.resolved} resolved`);
    const open = s.exposures - s.resolved;
    lines.push(
      open > 0
        ? paint(c, "31", `✖ ${parts.join(", ")} in ${scope}`)
        : paint(
            c,
            "32",
            `✔ ${parts.join(", ")} in ${scope}: every exposure is recorded as resolved`,
          ),
    );
    lines.push("");
    const unresolved = r.exposures.filter((e) => !e.resolved);
    const files = unresolved.some((e) => !isSecretExposure(e));
    lines.push(...runbook({ secrets: !files || unresolved.some(isSecretExposure), files }));
    const cmds = [
      ...new Set(
        r.exposures
          .filter((e) => !e.resolved && e.rotation !== "rotated" && e.rotation !== "removed")
          .map(newCommandFor)
          .filter((x): x is string => x !== undefined),
      ),
    ];
    if (cmds.length) {
      lines.push("", "Secrets to update after rotating:");
      for (const cmd of cmds) lines.push(`  ${cmd}`);
    }
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n`;
}
