/**
 * Report rendering for every command: text on a terminal, json and sarif for
 * machines. SARIF is loaded only when asked for.
 */

import type { Report } from "../report/types.js";
import { VERSION } from "../version.js";
import { type Io, type ParsedArgs, useColor } from "./context.js";

export async function renderReport(report: Report, args: ParsedArgs, io: Io): Promise<string> {
  const format = (args.values.format as string | undefined) ?? "text";
  if (format === "json") {
    const { formatJson } = await import("../report/json.js");
    return formatJson(report);
  }
  if (format === "sarif") {
    const { formatSarif } = await import("../report/sarif.js");
    return formatSarif(report, { toolVersion: VERSION });
  }
  const { formatText } = await import("../report/text.js");
  const toFile = typeof args.values.output === "string" && args.values.output !== "-";
  const color = useColor(args.values, { ...io, isTTY: toFile ? false : io.isTTY });
  return formatText(report, { color });
}
