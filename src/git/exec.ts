/**
 * The one door into git: every git process secret-guard starts is spawned here.
 *
 * - The child inherits process.env, so GIT_INDEX_FILE / GIT_DIR / GIT_WORK_TREE that git
 *   exports to hooks (e.g. the temporary index of `git commit -a` or `git commit <path>`)
 *   are honoured. `opts.env` entries are layered on top (a value of `undefined` removes one).
 * - stdout is returned as raw bytes, never trimmed or decoded: callers parse it (-z) or
 *   treat it as blob content.
 * - A non-zero exit throws GitError carrying the first lines of git's stderr, unless
 *   `allowFail` is set.
 */

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { GitError } from "../errors.js";

export interface GitOptions {
  cwd: string;
  /** Written to git's stdin, which is then closed. Without it stdin is empty. */
  input?: Buffer | string;
  /** Extra environment on top of process.env; `undefined` values delete the variable. */
  env?: NodeJS.ProcessEnv;
  /** Resolve with the exit code instead of throwing on failure. */
  allowFail?: boolean;
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  /** Exit code; -1 when git was killed by a signal. */
  code: number;
}

/** `-c core.quotepath=false`: put before the subcommand of any call whose output names paths. */
export const NO_QUOTEPATH: readonly string[] = ["-c", "core.quotepath=false"];

/** How many lines of git's stderr go into a GitError message. */
const STDERR_LINES = 5;

/** process.env layered with `extra` (undefined values remove a variable). */
export function gitEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Never wait on a terminal prompt from a hook: fail instead.
  if (env.GIT_TERMINAL_PROMPT === undefined) env.GIT_TERMINAL_PROMPT = "0";
  // The command line hands in process.env itself (Io.env): layering it over its own copy
  // changes nothing, and each pass over process.env costs (its entries come from libuv).
  if (extra && extra !== process.env) {
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  }
  return env;
}

/** First lines of git's stderr, for a message. */
export function stderrHead(stderr: string, lines = STDERR_LINES): string {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== "")
    .slice(0, lines)
    .join("\n");
}

/** The GitError for a failed call: the subcommand, exit status and git's own words. */
export function gitFailure(
  args: readonly string[],
  code: number | null,
  signal: string | null,
  stderr: string,
): GitError {
  const sub = subcommand(args);
  const status = signal ? `killed by ${signal}` : `exit code ${code}`;
  const said = stderrHead(stderr);
  return new GitError(`git ${sub} failed (${status})${said ? `:\n${said}` : ""}`);
}

function subcommand(args: readonly string[]): string {
  // Skip leading `-c key=value` pairs and other global options to name the command.
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-c" || a === "-C") {
      i++;
      continue;
    }
    if (!a.startsWith("-")) return a;
  }
  return args.join(" ");
}

function spawnFailure(err: NodeJS.ErrnoException): GitError {
  if (err.code === "ENOENT") {
    return new GitError(
      "git was not found on PATH",
      "install git and make sure `git --version` works",
    );
  }
  return new GitError(`could not run git: ${err.message}`);
}

let trace: ((line: string) => void) | undefined;

/**
 * `--debug`: every git command line, its exit code and time go to `fn` (arguments are
 * options, revisions and paths; what git is fed on stdin is never traced).
 */
export function traceGit(fn: ((line: string) => void) | undefined): void {
  trace = fn;
}

/** `--debug`: a line about what was read from git's files instead of asking git. */
export function traceNote(line: string): void {
  trace?.(line);
}

function traced(args: readonly string[], started: number, code: number | null | string): void {
  trace?.(`git ${args.join(" ")} → ${code} (${Date.now() - started} ms)`);
}

/** Run git to completion and collect its output. */
export async function git(args: readonly string[], opts: GitOptions): Promise<GitResult> {
  const out: Buffer[] = [];
  const r = await runGit(args, opts, (chunk) => out.push(chunk));
  if (r.code !== 0 && !opts.allowFail) throw gitFailure(args, r.code, r.signal, r.stderr);
  return { stdout: Buffer.concat(out), stderr: r.stderr, code: r.code ?? -1 };
}

/** Synchronous twin of git(), for the rare caller that cannot await. */
export function gitSync(args: readonly string[], opts: GitOptions): GitResult {
  const started = Date.now();
  const r = spawnSync("git", args, {
    cwd: opts.cwd,
    env: gitEnv(opts.env),
    input: opts.input ?? "",
    maxBuffer: 1024 * 1024 * 1024,
    windowsHide: true,
  });
  if (r.error) throw spawnFailure(r.error as NodeJS.ErrnoException);
  traced(args, started, r.status ?? r.signal);
  const result: GitResult = {
    stdout: r.stdout,
    stderr: r.stderr.toString("utf8"),
    code: r.status ?? -1,
  };
  if (r.status !== 0 && !opts.allowFail) throw gitFailure(args, r.status, r.signal, result.stderr);
  return result;
}

/**
 * Start a long-lived git process with piped stdio (for `git cat-file --batch`).
 * The caller owns its lifetime; `error` events carry spawn failures (see spawnFailure()).
 */
export function spawnGit(
  args: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): ChildProcessWithoutNullStreams {
  trace?.(`git ${args.join(" ")} (long-lived)`);
  return spawn("git", args, { cwd: opts.cwd, env: gitEnv(opts.env), windowsHide: true });
}

/** Map a spawn `error` event of a spawnGit() child to a GitError. */
export function spawnError(err: Error): GitError {
  return spawnFailure(err as NodeJS.ErrnoException);
}

/**
 * Run git to completion, handing its stdout to `onData` chunk by chunk as it arrives (a
 * long listing parsed while git still writes it). Resolves with stderr and the exit code
 * like git() with `allowFail`; an exception of `onData` stops the feeding, and rejects once
 * git is done.
 */
export async function gitStreamed(
  args: readonly string[],
  opts: Omit<GitOptions, "allowFail">,
  onData: (chunk: Buffer) => void,
): Promise<Omit<GitResult, "stdout">> {
  const r = await runGit(args, opts, onData);
  return { stderr: r.stderr, code: r.code ?? -1 };
}

/** The one spawner of git() and gitStreamed(): stdout to `onData`, stderr collected. */
function runGit(
  args: readonly string[],
  opts: Omit<GitOptions, "allowFail">,
  onData: (chunk: Buffer) => void,
): Promise<{ stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn("git", args, { cwd: opts.cwd, env: gitEnv(opts.env), windowsHide: true });
    } catch (err) {
      reject(spawnFailure(err as NodeJS.ErrnoException));
      return;
    }
    let err = "";
    let failed = false;
    let thrown: { e: unknown } | undefined;
    child.stdout.on("data", (chunk: Buffer) => {
      if (thrown) return;
      try {
        onData(chunk);
      } catch (e) {
        thrown = { e };
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      err += chunk;
    });
    child.on("error", (e) => {
      failed = true;
      reject(spawnFailure(e));
    });
    // git may exit before reading all of its input (EPIPE); its exit status tells the story.
    child.stdin.on("error", () => {});
    child.on("close", (code, signal) => {
      if (failed) return;
      traced(args, started, code ?? signal);
      if (thrown && code === 0) reject(thrown.e);
      else resolve({ stderr: err, code, signal });
    });
    child.stdin.end(opts.input ?? "");
  });
}
