/** `secret-guard history`: not available yet. */
import type { CommandResult, Io, ParsedArgs } from "../cli.js";
import { UsageError } from "../errors.js";

export async function historyCommand(_args: ParsedArgs, _io: Io): Promise<CommandResult> {
  throw new UsageError('"history" is not available in this version yet');
}
