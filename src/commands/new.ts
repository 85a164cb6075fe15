/** `secret-guard new`: not available yet. */
import type { CommandResult, Io, ParsedArgs } from "../cli.js";
import { UsageError } from "../errors.js";

export async function newCommand(_args: ParsedArgs, _io: Io): Promise<CommandResult> {
  throw new UsageError('"new" is not available in this version yet');
}
