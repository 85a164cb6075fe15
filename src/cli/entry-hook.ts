/**
 * The commit hook's own bundle entry (dist/bundle/hook.cjs): what `secret-guard scan --hook`
 * runs on every `git commit`, without the other commands, the help text and the encryption
 * code (scripts/bundle.mjs leaves the modules behind the fix offer out of this bundle).
 *
 * It answers only the common case itself: a run that ends with exit code 0, having printed
 * nothing yet (its output is held back until then). Anything else hands over to the full
 * command line in the same process, which then runs from scratch: a non-zero exit code (a
 * finding, a usage or configuration error, a crash), or any attempt to load a module this
 * bundle left out (scripts/bundle.mjs makes each of them set the HANDOVER mark and throw).
 * So the hook prints what the full command line prints, and exits 0 only where it would.
 */

import { fstatSync } from "node:fs";
import { isatty } from "node:tty";
import type { CommandResult, Io, ParsedArgs } from "../commands/context.js";
import { execute, writeFd } from "./execute.js";

export { type Caches, useCaches } from "./caches.js";
export { train } from "./train.js";

/** False when stdout is provably no terminal (not a character device, or not open). */
function stdoutMayBeTerminal(): boolean {
  try {
    return fstatSync(1).isCharacterDevice();
  } catch {
    return false;
  }
}

/** Set (to the module's name) by a module this bundle left out, when something loads it. */
export const HANDOVER = Symbol.for("secret-guard.handover");

/** The one command line this entry takes: the hook's (hooks/pre-commit, `install`). */
export function isHookArgv(argv: readonly string[]): boolean {
  return argv.length === 2 && argv[0] === "scan" && argv[1] === "--hook";
}

/**
 * Run `scan --hook`; `full` runs the full command line's main() on the same argv. Resolves
 * once the run is answered either way.
 */
export async function main(argv: string[], full: () => Promise<void>): Promise<void> {
  const g = globalThis as Record<symbol, unknown>;
  if (!isHookArgv(argv) || process.env.SECRET_GUARD_TEST_FAIL_AT || g[HANDOVER]) {
    await full();
    return;
  }
  const held: Array<[1 | 2, string]> = [];
  // How many of the held lines the stale-folder sweep wrote: they stay said (the sweep
  // removed those folders, so the full run would not say it again).
  let swept = 0;
  const io: Io = {
    stdout: (s) => held.push([1, s]),
    stderr: (s) => held.push([2, s]),
    env: process.env,
    cwd: process.cwd(),
    // Asked when the output is rendered, and node:tty (with node:net) loads only for a
    // character device: a terminal is one, so anything else (the pipe an IDE's git gives
    // hooks, a file) is no terminal without asking.
    get isTTY() {
      return stdoutMayBeTerminal() && isatty(1);
    },
  };
  const parsed: ParsedArgs = { command: "scan", positionals: [], values: { hook: true } };
  let code: number;
  try {
    code = await execute(parsed, io, async (args, io2): Promise<CommandResult> => {
      // As src/cli/dispatch.ts does before every command.
      const { staleSweptLine, sweepStale } = await import("../scaffold/private.js");
      for (const dir of sweepStale(io2.env)) io2.stderr(staleSweptLine(dir));
      swept = held.length;
      return (await import("../commands/scan.js")).scanCommand(args, io2);
    });
  } catch {
    code = -1;
  }
  if (code !== 0 || g[HANDOVER] || process.exitCode !== undefined) {
    for (const [fd, s] of held.slice(0, swept)) writeFd(fd, s);
    await full();
    return;
  }
  for (const [fd, s] of held) writeFd(fd, s);
  process.exitCode = 0;
}
