/** `secret-guard init`: not available yet. */
import type { CommandResult, Io, ParsedArgs } from "../cli.js";
import { UsageError } from "../errors.js";

export async function initCommand(_args: ParsedArgs, _io: Io): Promise<CommandResult> {
  throw new UsageError('"init" is not available in this version yet');
}
