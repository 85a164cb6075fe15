/**
 * `secret-guard scan`: list the files (staged, --all, --range, PATH...), find
 * the covering creation rule for each, judge, report. Files that no rule
 * covers and that cannot hold a Secret are skipped before they are read.
 */
import path from "node:path";
import type { CommandResult, Io, ParsedArgs } from "../cli.js";
import {
  allowCheck,
  applySeverity,
  type GuardConfig,
  ignoreMatcher,
  loadGuardConfig,
} from "../config.js";
import { type Judgement, judge, mayHoldSecret } from "../core/judge.js";
import { looksSopsEncrypted } from "../core/sopsfile.js";
import { UsageError } from "../errors.js";
import { loadPolicy, ruleFor } from "../policy/index.js";
import type { Report } from "../report/types.js";
import { formatForPath } from "../sops/formats.js";
import type { SourceFile, SourceList } from "../sources/types.js";
import type { CreationRule, Finding, Policy } from "../types.js";
import { VERSION } from "../version.js";
import { renderReport } from "./output.js";

export type ScanMode = "staged" | "all" | "range" | "paths";

export interface ScanOptions {
  cwd: string;
  mode: ScanMode;
  paths?: string[];
  range?: string;
  /** Explicit `.sops.yaml` (else found as sops finds it, from cwd upward). */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  /** The guard's own settings; loaded from `.secret-guard.yaml` when absent. */
  config?: GuardConfig;
}

export interface ScanResult {
  mode: ScanMode;
  policy?: Policy;
  topLevel?: string;
  /** Judgements of the files with findings (clean files are only counted in filesScanned). */
  judgements: Judgement[];
  findings: Finding[];
  filesScanned: number;
  /** Files judged, with their source, for --fix. */
  sources: Array<{ file: SourceFile; judgement: Judgement; rule?: CreationRule; bytes?: Buffer }>;
  warnings: string[];
}

/** Blobs requested ahead through the one cat-file process, topped up in batches (one write each). */
const READ_AHEAD = 256;
const REFILL = 128;

/** Scan files and judge them: the library entry point behind the CLI command. */
export async function scanRepo(opts: ScanOptions): Promise<ScanResult> {
  const env = opts.env ?? process.env;
  const policy = loadPolicy({ cwd: opts.cwd, configPath: opts.configPath, env });
  const config = opts.config ?? (await loadGuardConfig(opts.cwd));
  const ignored = await ignoreMatcher(config);
  const sources = await listSources(opts);
  const result: ScanResult = {
    mode: opts.mode,
    policy,
    topLevel: sources.topLevel,
    judgements: [],
    findings: [],
    filesScanned: 0,
    sources: [],
    warnings: [...(policy?.warnings ?? [])],
  };
  try {
    const work = sources.files
      .filter((f) => !ignored(f.path))
      .map((file) => ({
        file,
        rule: policy?.hasCreationRules ? ruleFor(policy, file.absPath) : undefined,
      }));
    const relevant = work.filter(({ file, rule }) => {
      const format = formatForPath(file.path);
      return (
        rule !== undefined ||
        format === "yaml" ||
        format === "json" ||
        file.headBlobId !== undefined
      );
    });
    result.filesScanned = work.length;
    // Read ahead a bounded number of blobs through the one cat-file process.
    const pending: Array<Promise<Buffer> | undefined> = [];
    let requested = 0;
    const request = (upTo: number) => {
      for (; requested < Math.min(upTo, relevant.length); requested++)
        pending[requested] = relevant[requested]!.file.read();
    };
    request(READ_AHEAD);
    for (let i = 0; i < relevant.length; i++) {
      const { file, rule } = relevant[i]!;
      const bytes = await pending[i]!;
      pending[i] = undefined;
      if (requested - i < READ_AHEAD - REFILL) request(i + READ_AHEAD);
      let headBytes: Buffer | undefined;
      if (
        file.readHead &&
        (rule !== undefined || mayHoldSecret(bytes, config.secretKinds)) &&
        !looksSopsEncrypted(bytes, formatForPath(file.path))
      ) {
        headBytes = await file.readHead();
      }
      const judgement = judge({
        path: file.path,
        bytes,
        rule,
        headBytes,
        secretKinds: config.secretKinds,
        isAllowed: allowCheck(config, file.path),
      });
      judgement.findings = applySeverity(judgement.findings, config);
      // Clean files are counted, not kept: a 50,000-file scan holds only what it reports.
      if (judgement.findings.length === 0) continue;
      result.judgements.push(judgement);
      result.findings.push(...judgement.findings);
      // Content is kept only where a fix may need it (the cat-file process is closed afterwards).
      const keep = judgement.findings.some((f) => f.fixable);
      result.sources.push({ file, judgement, rule, ...(keep ? { bytes } : {}) });
    }
  } finally {
    await sources.close();
  }
  return result;
}

async function listSources(opts: ScanOptions): Promise<SourceList> {
  const src = await import("../sources/index.js");
  const sopts = { env: opts.env };
  switch (opts.mode) {
    case "staged":
      return src.stagedFiles(opts.cwd, sopts);
    case "all":
      return src.allFiles(opts.cwd, sopts);
    case "range":
      return src.rangeFiles(opts.cwd, opts.range ?? "", sopts);
    case "paths":
      return src.pathFiles(opts.cwd, opts.paths ?? [], sopts);
  }
}

export function scanOptionsFrom(args: ParsedArgs, io: Io): ScanOptions {
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const modes = [
    v.all ? "--all" : "",
    v.range !== undefined ? "--range" : "",
    args.positionals.length ? "PATH" : "",
  ].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`${modes.join(" and ")} cannot be combined`);
  if (v.hook && modes.length > 0)
    throw new UsageError("--hook scans the staged content and takes no other mode");
  const mode: ScanMode = v.all
    ? "all"
    : v.range !== undefined
      ? "range"
      : args.positionals.length
        ? "paths"
        : "staged";
  return {
    cwd,
    mode,
    paths: args.positionals,
    range: typeof v.range === "string" ? v.range : undefined,
    configPath: typeof v.config === "string" ? v.config : undefined,
    env: io.env,
  };
}

export function summarize(result: ScanResult, mode: string): Report {
  const errors = result.findings.filter((f) => f.severity === "error").length;
  const warnings = result.findings.filter((f) => f.severity === "warning").length;
  return {
    tool: "secret-guard",
    version: VERSION,
    mode,
    findings: result.findings,
    summary: { filesScanned: result.filesScanned, errors, warnings },
  };
}

function fixCommand(result: ScanResult, f: Finding[]): string | undefined {
  const fixable = [...new Set(f.filter((x) => x.fixable).map((x) => x.path))];
  if (fixable.length === 0) return undefined;
  if (result.mode === "staged") return "npx secret-guard scan --fix";
  return `npx secret-guard encrypt ${fixable.map(shellQuote).join(" ")}`;
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Ask once on the terminal (git gives hooks no stdin, so /dev/tty). Returns
 * undefined when there is no terminal (IDEs, CI): the caller prints the
 * command instead. SECRET_GUARD_TTY points tests at a file of answers.
 */
async function askOnTerminal(
  question: string,
  env: NodeJS.ProcessEnv,
): Promise<boolean | undefined> {
  const { closeSync, openSync, readSync, writeSync } = await import("node:fs");
  const tty = env.SECRET_GUARD_TTY ?? "/dev/tty";
  let rfd: number;
  let wfd: number;
  try {
    wfd = openSync(tty, "a");
    rfd = openSync(tty, "r");
  } catch {
    return undefined;
  }
  try {
    writeSync(wfd, question);
    const buf = Buffer.alloc(1);
    let answer = "";
    while (readSync(rfd, buf, 0, 1, null) === 1) {
      const ch = buf.toString("latin1");
      if (ch === "\n") break;
      answer += ch;
    }
    return /^\s*y(es)?\s*$/i.test(answer);
  } catch {
    return undefined;
  } finally {
    closeSync(rfd);
    closeSync(wfd);
  }
}

export async function scanCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const opts = scanOptionsFrom(args, io);
  const v = args.values;
  if (v.fix && (opts.mode === "all" || opts.mode === "range")) {
    throw new UsageError(
      "--fix works on staged files or on PATH arguments, not with --all or --range",
    );
  }
  const result = await scanRepo(opts);
  const messages: string[] = [];
  const fixableFiles = [
    ...new Set(
      result.findings.filter((f) => f.fixable && f.severity === "error").map((f) => f.path),
    ),
  ];
  let fix = v.fix === true || (v.hook === true && io.env.SECRET_GUARD_FIX === "1");
  if (!fix && v.hook && fixableFiles.length > 0) {
    const list = fixableFiles.map((f) => `  ${f}`).join("\n");
    const answer = await askOnTerminal(
      `secret-guard: these staged files hold plaintext values that must be encrypted:\n${list}\nEncrypt ${fixableFiles.length === 1 ? "it" : `these ${fixableFiles.length} files`} now and go on with the commit? [y/N] `,
      io.env,
    );
    fix = answer === true;
  }
  const notes: string[] = [];
  const format = v.format ?? "text";
  if (fix && fixableFiles.length > 0) {
    const { fixScan } = await import("./fix.js");
    const outcome = await fixScan(result, {
      engine: typeof v.engine === "string" ? v.engine : "auto",
      env: io.env,
      staged: opts.mode === "staged",
    });
    result.findings = outcome.findings;
    for (const f of outcome.fixed)
      notes.push(`fixed: ${f} encrypted${opts.mode === "staged" ? " and re-staged" : ""}`);
    for (const f of outcome.failed) notes.push(`not fixed: ${f.path}: ${f.reason}`);
    notes.push(...outcome.notes);
  }
  const report = summarize(result, opts.mode);
  const errors = report.summary.errors;
  if (!result.policy && errors === 0 && report.findings.length === 0) {
    notes.push("note: no .sops.yaml found from here upward; only Secret manifests were checked");
  }
  for (const w of result.warnings) notes.push(`warning: ${w}`);
  if (errors > 0) {
    // Other modes get per-file fix lines from the text report itself.
    const cmd =
      opts.mode === "staged" || format !== "text" ? fixCommand(result, result.findings) : undefined;
    if (cmd) notes.push(`fix: ${cmd}`);
    if (opts.mode === "staged") {
      const leaked = [
        ...new Set(
          result.findings
            .filter(
              (f) =>
                f.severity === "error" &&
                f.rule !== "unparseable" &&
                f.rule !== "recipient-mismatch",
            )
            .map((f) => f.path),
        ),
      ];
      if (leaked.length > 0) {
        notes.push(
          [
            v.hook
              ? "Commit blocked: nothing was committed."
              : "These files must not be committed as they are.",
            "Note: `git add` already wrote the staged plaintext into .git/objects (not into any commit).",
            "After fixing and re-staging, drop the orphaned copies with:",
            "  git reflog expire --expire-unreachable=now --all && git gc --prune=now",
            "If the plaintext was ever pushed or committed elsewhere, rotate every exposed value.",
          ].join("\n"),
        );
      }
    }
  } else if (fix && notes.some((n) => n.startsWith("fixed:")) && opts.mode === "staged") {
    notes.push(
      "The plaintext blobs `git add` wrote are now unreferenced; drop them with:\n  git reflog expire --expire-unreachable=now --all && git gc --prune=now",
    );
  }
  report.notes = notes;
  if (format !== "text") messages.push(...notes);
  const output = await renderReport(report, args, io);
  return { exitCode: errors > 0 ? 1 : 0, output, messages: v.quiet ? [] : messages };
}
