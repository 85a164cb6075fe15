/**
 * What every command shares: the Io seam the CLI (and tests) hand in, the
 * parsed command line and the result a command returns. Commands never read
 * `process.*` or write to stdout/stderr themselves; the CLI does, from this.
 */

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  isTTY: boolean;
  /** Everything on stdin (the push hooks' ref lines). Absent: stdin is empty. */
  readStdin?: () => Promise<string>;
  /**
   * Test seam, injected by tests only: a failure at a named write step
   * (`mode`: kill, int, or an error by default).
   */
  failAt?: { step: string; mode?: string };
}

/** What a command hands back to the CLI. */
export interface CommandResult {
  exitCode: number;
  /** The report or other main output (stdout, or --output FILE). */
  output?: string;
  /** Extra lines for stderr (notes, progress, prompts already done). */
  messages?: string[];
}

export interface ParsedArgs {
  command: string;
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

export function useColor(values: ParsedArgs["values"], io: Io): boolean {
  if (values["no-color"]) return false;
  if (values.color) return true;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== "0") return true;
  return io.isTTY;
}
