/**
 * The command line: argv → command → exit code. The only module that writes
 * to stdout/stderr or decides the exit code; commands return results or
 * throw typed errors (src/errors.ts). Commands are imported lazily so the
 * every-commit path loads only what `scan` needs.
 */

import { isatty } from "node:tty";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Io, ParsedArgs } from "../commands/context.js";
import { UsageError } from "../errors.js";
import { VERSION } from "../version.js";
import { execute, reportError, writeFd } from "./execute.js";
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
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    return reportError(e, io, argv.includes("--debug"));
  }
  if ("help" in parsed) {
    io.stdout(parsed.help);
    return 0;
  }
  if ("version" in parsed) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  return execute(parsed, io, async (p, i) => (await import("./dispatch.js")).dispatch(p, i));
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
