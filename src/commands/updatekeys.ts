/** `secret-guard updatekeys`: not available yet. */
import type { CommandResult, Io, ParsedArgs } from "../cli.js";
import { UsageError } from "../errors.js";

export async function updatekeysCommand(_args: ParsedArgs, _io: Io): Promise<CommandResult> {
  throw new UsageError('"updatekeys" is not available in this version yet');
}
