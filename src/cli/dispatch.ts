/** Command name → implementation, each imported only when it runs. */
import type { CommandResult, Io, ParsedArgs } from "../commands/context.js";
import { UsageError } from "../errors.js";
import { boundAuditHeap } from "./collector.js";

export async function dispatch(args: ParsedArgs, io: Io): Promise<CommandResult> {
  // A `new` killed outright (SIGKILL, a crash, a power cut) could not remove its private
  // folder: any next run removes those whose process is gone, and says so.
  const { staleSweptLine, sweepStale } = await import("../scaffold/private.js");
  for (const dir of sweepStale(io.env)) io.stderr(staleSweptLine(dir));
  switch (args.command) {
    case "scan":
      return (await import("../commands/scan.js")).scanCommand(args, io);
    case "explain":
      return (await import("../commands/explain.js")).explainCommand(args, io);
    case "install":
      return (await import("../commands/install.js")).installCommand(args, io);
    case "uninstall":
      return (await import("../commands/install.js")).uninstallCommand(args, io);
    case "encrypt":
      return (await import("../commands/encrypt.js")).encryptCommand(args, io);
    case "verify":
      return (await import("../commands/verify.js")).verifyCommand(args, io);
    case "new":
      return (await import("../commands/new.js")).newCommand(args, io);
    case "init":
      return (await import("../commands/init.js")).initCommand(args, io);
    case "history":
      if ((await boundAuditHeap()) && args.values.debug)
        io.stderr(
          "debug: collector: heap growth capped at 2x what is live, young generation 8 MB\n",
        );
      return (await import("../commands/history.js")).historyCommand(args, io);
    case "updatekeys":
      return (await import("../commands/updatekeys.js")).updatekeysCommand(args, io);
    default:
      throw new UsageError(`"${args.command}" is not available in this version yet`);
  }
}
