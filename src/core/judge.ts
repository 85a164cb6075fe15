/**
 * The judgement: bytes, a path and the covering creation rule in, findings
 * out. Pure: no file system, git or process access, so it serves the hook,
 * CI, history audits and the library API alike. One analysis of the file
 * (src/core/analyze.ts) decides, exactly as sops would, which values must be
 * encrypted and what they are now; each rule (src/core/rules/) reads it.
 */
import type { Finding } from "../types.js";
import { analyze } from "./analyze.js";
import { JUDGE_RULES } from "./rules/index.js";
import type { JudgeInput, Judgement } from "./types.js";

export { mayHoldSecret } from "./analyze.js";
export { describeSelector } from "./describe.js";
export { isExemptValue } from "./exempt.js";
export type { JudgeInput, Judgement, MustEncrypt, ValueState } from "./types.js";

/** Judge one file. Never throws for bad content: that is an `unparseable` finding. */
export function judge(input: JudgeInput): Judgement {
  const a = analyze(input);
  const findings: Finding[] = [];
  for (const rule of JUDGE_RULES) findings.push(...rule.check(a));
  return {
    path: a.path,
    format: a.format,
    findings,
    parsed: a.parsed,
    hasMetadata: a.meta !== undefined,
    ...(a.selector !== undefined ? { selector: a.selector } : {}),
    mustEncrypt: a.mustEncrypt,
  };
}

/** Shorthand used by callers that only need the findings. */
export function judgeFile(input: JudgeInput): Finding[] {
  return judge(input).findings;
}
