/**
 * `secret-guard history [REV-RANGE] [--all-refs]`: the leak audit. Every
 * plaintext exposure ever committed, one per secret value, with when, where,
 * whether it was pushed and whether it was rotated (src/audit/audit.ts).
 * Exit 1 when there is any exposure, 0 otherwise.
 */
import path from "node:path";
import { UsageError } from "../errors.js";
import { type CommandResult, type Io, type ParsedArgs, useColor } from "./context.js";

export async function historyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const allRefs = v["all-refs"] === true;
  if (allRefs && args.positionals.length > 0) {
    throw new UsageError("--all-refs and a revision range cannot be combined");
  }
  const { auditHistory } = await import("../audit/audit.js");
  const progress = progressLine(io, v.quiet === true);
  let result: Awaited<ReturnType<typeof auditHistory>>;
  try {
    result = await auditHistory({
      cwd,
      revs: args.positionals,
      allRefs,
      configPath: typeof v.config === "string" ? v.config : undefined,
      env: io.env,
      onProgress: progress.update,
      cache: v["no-cache"] !== true,
      ...(v.debug ? { debug: (line: string) => io.stderr(`debug: ${line}\n`) } : {}),
    });
  } finally {
    progress.done();
  }
  const report = await import("../audit/report.js");
  const format = (v.format as string | undefined) ?? "text";
  const messages: string[] = [];
  let output: string;
  if (format === "json") output = report.formatHistoryJson(result);
  else if (format === "sarif") output = report.formatHistorySarif(result);
  else {
    const color = useColor(v, { ...io, isTTY: v.output ? false : io.isTTY });
    output = report.formatHistoryText(result, { color });
  }
  if (format !== "text") for (const w of result.warnings) messages.push(`warning: ${w}`);
  // Resolved exposures are listed but do not fail; objects the clone lacks could not be judged.
  const open = result.exposures.filter((e) => !e.resolved).length;
  return {
    exitCode: open > 0 ? 1 : result.missing.length > 0 ? 2 : 0,
    output,
    messages: v.quiet ? [] : messages,
  };
}

/** A progress line on stderr, only when stderr is a terminal and the walk takes a while. */
function progressLine(io: Io, quiet: boolean) {
  const tty = process.stderr.isTTY === true && !quiet && io.env.CI === undefined;
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update: (done: number, total: number) => {
      if (!tty) return;
      const now = Date.now();
      if (now - started < 1000 || now - last < 200) return;
      last = now;
      shown = true;
      io.stderr(`\rsecret-guard history: judged ${done}/${total} file versions…`);
    },
    done: () => {
      if (shown) io.stderr("\r\u001b[2K");
    },
  };
}
