/**
 * `secret-guard scan`: options → the pipeline (src/check) → report, the
 * hook's fix offer and the notes. The judging itself lives in src/check.
 */
import path from "node:path";
import { type ScanMode, type ScanOptions, type ScanResult, scanRepo } from "../check/pipeline.js";
import { GuardError, UsageError } from "../errors.js";
import type { RepoInfo } from "../git/repo.js";
import type { Report } from "../report/types.js";
import { shellQuote } from "../shell.js";
import { formatForPath } from "../sops/formats.js";
import type { Finding } from "../types.js";
import { VERSION } from "../version.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";
import { renderReport } from "./output.js";

export type { ScanMode, ScanOptions, ScanResult } from "../check/pipeline.js";

export function scanOptionsFrom(args: ParsedArgs, io: Io): ScanOptions {
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const modes = [
    v.all ? "--all" : "",
    v.range !== undefined ? "--range" : "",
    v.push ? "--push" : "",
    v.receive ? "--receive" : "",
    args.positionals.length ? "PATH" : "",
  ].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`${modes.join(" and ")} cannot be combined`);
  if (v.hook && modes.length > 0)
    throw new UsageError("--hook scans the staged content and takes no other mode");
  if (v.remote !== undefined && !v.push) throw new UsageError("--remote goes with --push");
  const mode: ScanMode = v.all
    ? "all"
    : v.range !== undefined
      ? "range"
      : v.push
        ? "push"
        : v.receive
          ? "receive"
          : args.positionals.length
            ? "paths"
            : "staged";
  return {
    cwd,
    mode,
    paths: args.positionals,
    range: typeof v.range === "string" ? v.range : undefined,
    remote: typeof v.remote === "string" ? v.remote : undefined,
    configPath: typeof v.config === "string" ? v.config : undefined,
    env: io.env,
    cache: v["no-cache"] !== true,
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
    summary: {
      filesScanned: result.filesScanned,
      errors,
      warnings,
      ...(result.skipped.length > 0 ? { skipped: countBy(result.skipped) } : {}),
    },
  };
}

function fixCommand(result: ScanResult, f: Finding[]): string | undefined {
  const fixable = [...new Set(f.filter((x) => x.fixable).map((x) => x.path))];
  if (fixable.length === 0) return undefined;
  if (result.mode === "staged") return "npx secret-guard scan --fix";
  return `npx secret-guard encrypt ${fixable.map((p) => shellQuote(p)).join(" ")}`;
}

export async function scanCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const opts = scanOptionsFrom(args, io);
  const v = args.values;
  if (v.fix && opts.mode !== "staged" && opts.mode !== "paths") {
    throw new UsageError(
      "--fix works on staged files or on PATH arguments, not with --all, --range, --push or --receive",
    );
  }
  if (opts.mode === "push" || opts.mode === "receive") {
    const { parsePrePush, parsePreReceive } = await import("../sources/index.js");
    const text = io.readStdin ? await io.readStdin() : "";
    opts.refs = opts.mode === "push" ? parsePrePush(text) : parsePreReceive(text);
  }
  // Encrypted Secrets seen, for the kustomization coverage check (what is on disk or staged;
  // not history: --range, --push, --receive).
  const coverageMode = opts.mode === "staged" || opts.mode === "all" || opts.mode === "paths";
  const encryptedSecrets: string[] = [];
  const result = await scanRepo({
    ...opts,
    ...(v.debug ? { debug: (line: string) => io.stderr(`debug: ${line}\n`) } : {}),
    ...(coverageMode
      ? {
          onJudged: (file, bytes, judgement) => {
            if (judgement.hasMetadata && isSecretManifest(file.path, bytes)) {
              encryptedSecrets.push(file.path);
            }
          },
        }
      : {}),
  });
  const messages: string[] = [];
  // Configuration warnings go to stderr first, once each, before any prompt or report.
  if (!v.quiet) for (const w of new Set(result.warnings)) io.stderr(`warning: ${w}\n`);
  const fixableFiles = [
    ...new Set(
      result.findings.filter((f) => f.fixable && f.severity === "error").map((f) => f.path),
    ),
  ];
  let fix = v.fix === true || (v.hook === true && io.env.SECRET_GUARD_FIX === "1");
  if (!fix && v.hook && fixableFiles.length > 0) {
    const list = fixableFiles.map((f) => `  ${f}`).join("\n");
    // Say first what the fix cannot do: those findings keep the commit blocked.
    const unfixable = result.findings.filter(
      (f) => f.severity === "error" && !(f.fixable && fixableFiles.includes(f.path)),
    );
    const blocked = unfixable.map((f) => `  ${f.path}  ${f.rule}`);
    const them = fixableFiles.length === 1 ? "it" : `these ${fixableFiles.length} files`;
    const { askTerminal, isYes } = await import("../scaffold/terminal.js");
    const answer = await askTerminal(
      [
        "secret-guard: these staged files hold plaintext values that must be encrypted:",
        list,
        ...(unfixable.length > 0
          ? [
              "These findings cannot be fixed automatically (the report below says how):",
              ...[...new Set(blocked)],
              `Encrypt ${them} now? The commit stays blocked by the findings above. [y/N] `,
            ]
          : [`Encrypt ${them} now and go on with the commit? [y/N] `]),
      ].join("\n"),
      io.env,
    );
    fix = answer !== undefined && isYes(answer);
  }
  const notes: string[] = [];
  const warnings: string[] = [];
  const fixedYaml: string[] = [];
  const format = v.format ?? "text";
  if (fix && fixableFiles.length > 0) {
    const { fixScan } = await import("./fix.js");
    const outcome = await fixScan(result, {
      engine: typeof v.engine === "string" ? v.engine : "auto",
      env: io.env,
      staged: opts.mode === "staged",
    });
    result.findings = outcome.findings;
    for (const f of outcome.fixed) {
      notes.push(`fixed: ${f} encrypted${opts.mode === "staged" ? " and re-staged" : ""}`);
      if (formatForPath(f) === "yaml") fixedYaml.push(f);
    }
    for (const f of outcome.failed) notes.push(`not fixed: ${f.path}: ${f.reason}`);
    notes.push(...outcome.notes);
  }
  const report = summarize(result, opts.mode);
  const errors = report.summary.errors;

  if (!result.policy && errors === 0 && report.findings.length === 0) {
    notes.push("note: no .sops.yaml found from here upward; only Secret manifests were checked");
  }
  if (result.topLevel && coverageMode) {
    const fixedSecrets = await secretsAmong(result, fixedYaml);
    const candidates = [...encryptedSecrets, ...fixedSecrets];
    if (candidates.length > 0) {
      warnings.push(
        ...(await coverage(
          result.repo ?? result.topLevel,
          candidates,
          opts.mode,
          v.fix === true || fix,
          io,
          notes,
        )),
      );
    }
  }
  if (errors > 0 && (opts.mode === "push" || opts.mode === "receive")) {
    notes.push(...pushNotes(result, opts.mode));
  }
  if (errors > 0 && opts.mode === "staged" && v.hook) {
    // `git commit -a` / `git commit PATH`: git judged a temporary index, which it throws away
    // when the hook fails; `scan --fix` alone would then find nothing staged. Stage first.
    const temp = await temporaryIndex(opts.cwd, io.env, result.repo);
    const files = [...new Set(result.findings.filter((f) => f.fixable).map((f) => f.path))];
    if (temp && files.length > 0) {
      report.fixAll = `git add -- ${files.map((p) => shellQuote(p)).join(" ")} && npx secret-guard scan --fix`;
    }
  }
  if (errors > 0) {
    // Other modes get per-file fix lines from the text report itself.
    const cmd =
      report.fixAll ??
      (opts.mode === "staged" || format !== "text"
        ? fixCommand(result, result.findings)
        : undefined);
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
  return {
    exitCode: errors > 0 ? 1 : 0,
    output,
    messages: v.quiet ? [] : messages,
    warnings,
  };
}

/** A YAML file whose content declares a Secret (encrypted files keep kind in the clear). */
function isSecretManifest(p: string, bytes: Buffer): boolean {
  if (formatForPath(p) !== "yaml") return false;
  return /^kind:[ \t]*["']?Secret["']?[ \t]*(#.*)?$/m.test(bytes.toString("utf8"));
}

/** The fixed files that are Secrets (their plaintext was read for the fix). */
async function secretsAmong(result: ScanResult, fixed: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of fixed) {
    const src = result.sources.find((s) => s.file.path === f);
    if (src?.bytes && isSecretManifest(f, src.bytes)) out.push(f);
  }
  return out;
}

/**
 * Warn about encrypted Secrets the nearest kustomization leaves out; with
 * --fix, add them to the working copy's kustomization (never staged: the
 * note says what to `git add`).
 */
async function coverage(
  repo: RepoInfo | string,
  files: string[],
  mode: ScanMode,
  register: boolean,
  io: Io,
  notes: string[],
): Promise<string[]> {
  const c = await import("../scaffold/coverage.js");
  const top = typeof repo === "string" ? repo : repo.topLevel;
  const source =
    mode === "paths" || typeof repo === "string"
      ? c.diskKustomizations(top)
      : c.indexKustomizations(repo, io.env);
  const problems = await c.coverageProblems(top, files, source);
  const out: string[] = [];
  const toStage = new Set<string>();
  for (const p of problems) {
    if (register && !p.unreadable) {
      try {
        const done = await c.registerOnDisk(top, p);
        if (done !== "unchanged") {
          notes.push(
            `registered: ${p.entry} ${done === "added" ? "added to" : "uncommented in"} ${p.kustomization}`,
          );
        }
        if (mode === "paths") continue;
        toStage.add(p.kustomization);
      } catch (e) {
        notes.push(
          `not registered: ${p.kustomization}: ${e instanceof GuardError ? e.message : "cannot be edited"}`,
        );
      }
    }
    out.push(`warning: ${p.message}`);
    // Staged or --all: when the working copy already lists it, staging it is the whole fix.
    const onDisk =
      mode === "paths" || p.unreadable
        ? [p]
        : await c.coverageProblems(top, [p.path], c.diskKustomizations(top));
    out.push(
      onDisk.length === 0
        ? `  fix: git add ${shellQuote(p.kustomization)} (the working copy lists it)`
        : `  fix: ${p.fix}`,
    );
  }
  if (toStage.size > 0) {
    const list = [...toStage].map((k) => shellQuote(k)).join(" ");
    notes.push(
      `note: the kustomization change is in the working copy only (--fix stages nothing else):\n  git add ${list}`,
    );
  }
  return out;
}

/**
 * True when git points GIT_INDEX_FILE at an index other than the repository's own: the
 * temporary index of `git commit -a` (index.lock) or `git commit PATH` (next-index-*.lock).
 */
async function temporaryIndex(
  cwd: string,
  env: NodeJS.ProcessEnv,
  known: RepoInfo | undefined,
): Promise<boolean> {
  if (!env.GIT_INDEX_FILE) return false;
  const { repoInfo } = await import("../git/repo.js");
  const info = known ?? (await repoInfo(cwd, { env }));
  return path.resolve(info.indexFile) !== path.resolve(info.gitDir, "index");
}

/** What to do when a push is stopped: the commits carrying the findings, and how to redo them. */
function pushNotes(result: ScanResult, mode: "push" | "receive"): string[] {
  const byCommit = new Map<string, Set<string>>();
  for (const s of result.sources) {
    if (!s.file.commit || !s.judgement.findings.some((f) => f.severity === "error")) continue;
    const set = byCommit.get(s.file.commit) ?? new Set<string>();
    set.add(s.file.path);
    byCommit.set(s.file.commit, set);
  }
  const lines = [
    mode === "push"
      ? "Push blocked: nothing was sent. These commits would publish the findings above:"
      : "Push rejected: the repository was not changed. These pushed commits carry the findings above:",
  ];
  for (const [commit, paths] of byCommit)
    lines.push(`  ${commit.slice(0, 12)}  ${[...paths].join(", ")}`);
  const first = [...byCommit.keys()][0];
  lines.push(
    "Encrypt the files and rewrite those commits so none of them holds the plaintext, e.g.:",
    "  npx secret-guard encrypt <path> && git add <path> && git commit --amend   (the last commit)",
    `  git rebase -i ${first ? `${first.slice(0, 12)}^` : "<commit>^"}   (an older one: edit it, encrypt, git commit --amend, git rebase --continue)`,
    mode === "push"
      ? "The values never left this machine; if they were pushed anywhere else, rotate them."
      : "Treat every value as exposed on the machine it came from; if it was pushed anywhere else, rotate it.",
  );
  return lines;
}

function countBy(list: Array<{ reason: string }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { reason } of list) out[reason] = (out[reason] ?? 0) + 1;
  return out;
}
