/**
 * The command line: argv → command → exit code. The only module that writes
 * to stdout/stderr or decides the exit code; commands return results or
 * throw typed errors (src/errors.ts). Commands are imported lazily so the
 * every-commit path loads only what `scan` needs.
 */

import { writeFileSync, writeSync } from "node:fs";
import { isatty } from "node:tty";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Io, ParsedArgs } from "../commands/context.js";
import { GuardError, UsageError } from "../errors.js";
import { VERSION } from "../version.js";
import { HELP, helpFor } from "./help.js";

export type { CommandResult, Io, ParsedArgs } from "../commands/context.js";
export { useColor } from "../commands/context.js";

const COMMON = {
  format: { type: "string", short: "f" },
  output: { type: "string", short: "o" },
  config: { type: "string", short: "c" },
  cwd: { type: "string", short: "C" },
  quiet: { type: "boolean", short: "q" },
  "no-color": { type: "boolean" },
  color: { type: "boolean" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

const COMMAND_OPTIONS = {
  scan: {
    all: { type: "boolean" },
    range: { type: "string" },
    fix: { type: "boolean" },
    hook: { type: "boolean" },
    push: { type: "boolean" },
    remote: { type: "string" },
    receive: { type: "boolean" },
    engine: { type: "string" },
    "no-cache": { type: "boolean" },
  },
  explain: {},
  install: {
    force: { type: "boolean" },
    hooks: { type: "string" },
    server: { type: "boolean" },
    "no-probe": { type: "boolean" },
  },
  uninstall: { server: { type: "boolean" } },
  encrypt: { engine: { type: "string" } },
  verify: { identity: { type: "string" }, worktree: { type: "boolean" } },
  new: {
    "from-env-file": { type: "string" },
    "from-file": { type: "string", multiple: true },
    stdin: { type: "boolean" },
    namespace: { type: "string", short: "n" },
    type: { type: "string", short: "t" },
    yes: { type: "boolean", short: "y" },
    engine: { type: "string" },
  },
  init: {
    age: { type: "string", multiple: true },
    env: { type: "string", multiple: true },
    "cluster-key": { type: "string" },
    force: { type: "boolean" },
  },
  history: { "all-refs": { type: "boolean" }, "no-cache": { type: "boolean" } },
  updatekeys: { "dry-run": { type: "boolean" }, rotate: { type: "boolean" } },
} as const;

export type CommandName = keyof typeof COMMAND_OPTIONS;

/** Every option of the command line, for the help/README consistency test. */
export const OPTION_TABLES = { common: COMMON, commands: COMMAND_OPTIONS } as const;

/**
 * The command word and the arguments around it: common options may come
 * before the command (`secret-guard --format json scan`), so the command is
 * the first word that is neither a common option nor the value of one.
 */
function splitCommand(argv: string[]): { index: number; before: string[] } {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(COMMON)) {
    if (o.type === "string") {
      takesValue.add(`--${name}`);
      if ("short" in o) takesValue.add(`-${o.short}`);
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return { index: i + 1 < argv.length ? i + 1 : -1, before: argv.slice(0, i) };
    if (!a.startsWith("-") || a === "-") return { index: i, before: argv.slice(0, i) };
    if (takesValue.has(a)) i++;
  }
  return { index: -1, before: argv };
}

export function parseCommandLine(
  argv: string[],
): ParsedArgs | { help: string } | { version: true } {
  const { index, before } = splitCommand(argv);
  const first = index >= 0 ? argv[index] : undefined;
  const wantsHelp = before.includes("--help") || before.includes("-h");
  if (first === undefined || first === "help") {
    const topic = first === "help" ? argv[index + 1] : undefined;
    if (topic) return { help: helpFor(topic) };
    if (wantsHelp || before.length === 0) return { help: HELP };
    if (before.includes("--version") || before.includes("-v")) return { version: true };
    throw new UsageError("no command given", "run `secret-guard --help` for the list of commands");
  }
  if (!(first in COMMAND_OPTIONS)) {
    throw new UsageError(
      `unknown command "${first}"`,
      "run `secret-guard --help` for the list of commands",
    );
  }
  const command = first as CommandName;
  let parsed: {
    values: Record<string, string | boolean | Array<string | boolean> | undefined>;
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: [...before, ...argv.slice(index + 1)],
      options: { ...COMMON, ...COMMAND_OPTIONS[command] } as ParseArgsConfig["options"],
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(
      (e as Error).message.replace(/\. To specify a positional.*$/s, ""),
      `run \`secret-guard ${command} --help\``,
    );
  }
  if (parsed.values.help) return { help: helpFor(command) };
  if (parsed.values.version) return { version: true };
  const format = parsed.values.format;
  if (format !== undefined && !["text", "json", "sarif"].includes(format as string)) {
    throw new UsageError(`--format must be text, json or sarif (got "${String(format)}")`);
  }
  return {
    command,
    positionals: parsed.positionals,
    values: parsed.values as ParsedArgs["values"],
  };
}

/** Run one command line; returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  let debug = argv.includes("--debug");
  try {
    const parsed = parseCommandLine(argv);
    if ("help" in parsed) {
      io.stdout(parsed.help);
      return 0;
    }
    if ("version" in parsed) {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    debug = parsed.values.debug === true;
    if (debug) {
      const { traceGit } = await import("../git/exec.js");
      traceGit((line) => io.stderr(`debug: ${line}\n`));
    }
    if (io.failAt) (await import("../fsutil.js")).injectFailure(io.failAt);
    const { dispatch } = await import("./dispatch.js");
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
}

/**
 * Write `text` to file descriptor `fd` directly, as process.stdout would on Linux (where
 * its writes to files, pipes and terminals are synchronous) but without building the
 * stream: a commit's report is a line or two. A closed reader (EPIPE) ends the run
 * quietly with the exit code decided so far; a full non-blocking pipe is waited on.
 */
function writeFd(fd: number, text: string): void {
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

/** Entry point used by bin/secret-guard.js. */
export async function main(argv: string[]): Promise<void> {
  const code = await run(argv, {
    stdout: (s) => writeFd(1, s),
    stderr: (s) => writeFd(2, s),
    env: process.env,
    cwd: process.cwd(),
    isTTY: isatty(1),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    ...(process.env.SECRET_GUARD_TEST_FAIL_AT
      ? {
          failAt: {
            step: process.env.SECRET_GUARD_TEST_FAIL_AT,
            mode: process.env.SECRET_GUARD_TEST_FAIL_MODE,
          },
        }
      : {}),
  });
  process.exitCode = code;
}
