import type { Finding, RuleId } from "../../types.js";
import type { Analysis } from "../analyze.js";

/** One rule of the judgement: reads the shared analysis, returns its findings (never a value). */
export interface JudgeRule {
  id: RuleId;
  check(a: Analysis): Finding[];
}
