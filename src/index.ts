/**
 * secret-guard as a library. No side effects on import.
 *
 *   import { scan, loadPolicy, judge } from "secret-guard";
 *
 *   const result = await scan({ cwd: process.cwd(), mode: "all" });
 *   if (result.findings.some((f) => f.severity === "error")) process.exitCode = 1;
 */

export { type CheckInput, checkFile, isGuardConfigPath } from "./check/file.js";
export type { ScanMode, ScanOptions, ScanResult } from "./check/pipeline.js";
export { type GuardConfig, loadGuardConfig, parseGuardConfig } from "./check/settings.js";
export {
  type JudgeInput,
  type Judgement,
  judge,
  judgeFile,
  type MustEncrypt,
  type ValueState,
} from "./core/judge.js";
export {
  ConfigError,
  CryptoError,
  GitError,
  GuardError,
  NotARepoError,
  UsageError,
} from "./errors.js";
export { loadPolicy, ruleFor } from "./policy/index.js";
export { formatForPath } from "./sops/formats.js";
export type { CreationRule, Finding, Format, Policy, RuleId, Selector, Severity } from "./types.js";
export { VERSION } from "./version.js";

import type { ScanOptions, ScanResult } from "./check/pipeline.js";

/** Scan staged, tracked (`mode: "all"`), range or given files and judge them by the policy. */
export async function scan(
  opts: Partial<ScanOptions> & { cwd?: string } = {},
): Promise<ScanResult> {
  const { scanRepo } = await import("./check/pipeline.js");
  const mode = opts.mode ?? (opts.paths?.length ? "paths" : "staged");
  return scanRepo({ ...opts, cwd: opts.cwd ?? process.cwd(), mode });
}
