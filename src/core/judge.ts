/**
 * The judgement: bytes, a path and the covering creation rule in, findings
 * out. Pure: no file system, git or process access, so it serves the hook,
 * CI, history audits and the library API alike. One analysis of the file
 * (src/core/analyze.ts) decides, exactly as sops would, which values must be
 * encrypted and what they are now; each rule (src/core/rules/) reads it.
 */
import { forgetEncStates } from "../sops/enc.js";
import type { Finding } from "../types.js";
import { analyze, kustomizeReadsOtherwise } from "./analyze.js";
import { JUDGE_RULES } from "./rules/index.js";
import type { JudgeInput, Judgement } from "./types.js";

export { mayHoldSecret } from "./analyze.js";
export { describeSelector } from "./describe.js";
export { isExemptValue } from "./exempt.js";
export type { Intent } from "./intent.js";
export type { JudgeInput, Judgement, MustEncrypt, ValueState } from "./types.js";

/** Judge one file. Never throws for bad content: that is an `unparseable` finding. */
export function judge(input: JudgeInput): Judgement {
  forgetEncStates();
  const out = judgeOnce(input);
  if (!kustomizeReadsOtherwise(input)) return out;
  // sops reads it by its name (binary, dotenv, INI), kustomize as YAML: a Secret or literals
  // kustomize would apply are judged on that reading too, and so are the literal credentials it
  // would apply (the view has no rule: its possible-credential findings are those alone).
  const view = judgeOnce({ ...input, rule: undefined, headBytes: undefined, kustomizeView: true });
  const seen = new Set(out.findings.map((f) => JSON.stringify(f)));
  for (const f of view.findings) {
    if (
      f.rule !== "secret-outside-policy" &&
      f.rule !== "unparseable" &&
      f.rule !== "possible-credential"
    )
      continue;
    if (!seen.has(JSON.stringify(f))) out.findings.push(f);
  }
  return out;
}

function judgeOnce(input: JudgeInput): Judgement {
  const a = analyze(input);
  if (a.templateVariants) return judgeTemplate(input, a.templateVariants);
  const findings: Finding[] = [];
  for (const rule of JUDGE_RULES) findings.push(...rule.check(a));
  return {
    path: a.path,
    format: a.format,
    findings,
    parsed: a.parsed,
    hasMetadata: a.meta !== undefined,
    ...(a.selector !== undefined ? { selector: a.selector } : {}),
    ...(a.meta ? { storedSelector: a.meta.selector } : {}),
    ...(a.trustsStoredSelector ? { trustsStoredSelector: true } : {}),
    mustEncrypt: a.mustEncrypt,
    ...(a.intent ? { intent: a.intent } : {}),
    ...(a.readWith ? { readAs: a.readWith } : {}),
  };
}

/** Judge each readable variant of a template (core/template.ts); the findings of all, once each. */
function judgeTemplate(input: JudgeInput, variants: string[]): Judgement {
  const results = variants.map((v) =>
    judge({ ...input, bytes: Buffer.from(v, "utf8"), templated: true }),
  );
  const out = results[0]!;
  const seen = new Set(out.findings.map((f) => JSON.stringify(f)));
  for (const r of results.slice(1)) {
    for (const f of r.findings) {
      const k = JSON.stringify(f);
      if (!seen.has(k)) out.findings.push(f);
      seen.add(k);
    }
  }
  // One readable variant is enough: a branch that does not parse is not a reason to block.
  if (results.some((r) => r.parsed)) {
    out.findings = out.findings.filter((f) => f.rule !== "unparseable");
    out.parsed = true;
  }
  out.readAs = "template";
  return out;
}

/** Shorthand used by callers that only need the findings. */
export function judgeFile(input: JudgeInput): Finding[] {
  return judge(input).findings;
}
