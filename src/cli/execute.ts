/**
 * A parsed command line → its exit code: the part of the command line that both the full
 * entry (src/cli/main.ts) and the commit hook's entry (src/cli/entry-hook.ts) run, so that
 * what they print and the exit code they decide come from one piece of code.
 */

import { writeFileSync, writeSync } from "node:fs";
import type { CommandResult, Io, ParsedArgs } from "../commands/context.js";
import { GuardError } from "../errors.js";

export type Dispatch = (args: ParsedArgs, io: Io) => Promise<CommandResult>;

/** Run a parsed command through `dispatch`; returns the exit code. */
export async function execute(parsed: ParsedArgs, io: Io, dispatch: Dispatch): Promise<number> {
  const debug = parsed.values.debug === true;
  try {
    if (debug) {
      const { traceGit } = await import("../git/exec.js");
      traceGit((line) => io.stderr(`debug: ${line}\n`));
    }
    if (io.failAt) (await import("../fsutil.js")).injectFailure(io.failAt);
    const result = await dispatch(parsed, io);
    if (debug) {
      // The bundle loads the `yaml` package on first use only (scripts/bundle.mjs).
      const yaml = (globalThis as Record<symbol, unknown>)[Symbol.for("secret-guard.yaml")];
      io.stderr(`debug: yaml package: ${yaml ?? "loaded with the modules (not the bundle)"}\n`);
    }
    const quiet = parsed.values.quiet === true;
    for (const w of result.warnings ?? []) io.stderr(w.endsWith("\n") ? w : `${w}\n`);
    if (result.output !== undefined && result.output !== "") {
      // `--output -` is standard output, as for most command-line tools.
      const file = parsed.values.output === "-" ? undefined : parsed.values.output;
      if (typeof file === "string") {
        try {
          writeFileSync(file, result.output, { mode: 0o644 });
        } catch (e) {
          io.stderr(
            `secret-guard: cannot write the report to ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})\n`,
          );
          return 2;
        }
      } else if (
        !(
          quiet &&
          result.exitCode === 0 &&
          parsed.values.format !== "json" &&
          parsed.values.format !== "sarif"
        )
      ) {
        io.stdout(result.output);
      }
    }
    for (const m of result.messages ?? []) io.stderr(m.endsWith("\n") ? m : `${m}\n`);
    return result.exitCode;
  } catch (e) {
    return reportError(e, io, debug);
  }
}

/** What the command line says about an error that ended a run, and the exit code. */
export function reportError(e: unknown, io: Io, debug: boolean): number {
  if (e instanceof GuardError) {
    io.stderr(`secret-guard: ${e.message}\n`);
    if (e.hint) io.stderr(`  ${e.hint}\n`);
    if (debug && e.stack) io.stderr(`${e.stack}\n`);
    return e.exitCode;
  }
  // Unknown errors: one line; the stack only with --debug. Never the input.
  const err = e as Error;
  io.stderr(
    `secret-guard: internal error: ${err?.name ?? "Error"}${debug ? `: ${err?.message}` : ""}\n`,
  );
  if (debug && err?.stack) io.stderr(`${err.stack}\n`);
  else io.stderr("  run again with --debug for details\n");
  return 2;
}

/**
 * Write `text` to file descriptor `fd` directly, as process.stdout would on Linux (where
 * its writes to files, pipes and terminals are synchronous) but without building the
 * stream: a commit's report is a line or two. A closed reader (EPIPE) ends the run
 * quietly with the exit code decided so far; a full non-blocking pipe is waited on.
 */
export function writeFd(fd: number, text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EPIPE") process.exit(process.exitCode ?? 0);
      if (code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}
