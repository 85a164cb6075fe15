/**
 * `secret-guard explain PATH`: the policy decision laid open. Which config,
 * which string sops matches, which rule (first match wins), which values
 * sops would encrypt and whether each one is, and the verdict. No values.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { diskConfigs, FolderPolicies } from "../check/configs.js";
import { checkFile, isGuardConfigPath } from "../check/file.js";
import { describeSelector } from "../core/judge.js";
import { UsageError } from "../errors.js";
import { relativeForMatch, ruleFor } from "../policy/index.js";
import { formatForPath } from "../sops/formats.js";
import { VERSION } from "../version.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";

export async function explainCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length !== 1) throw new UsageError("explain takes exactly one PATH");
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const target = path.resolve(cwd, args.positionals[0]!);
  let bytes: Buffer;
  try {
    bytes = await readFile(target);
  } catch (e) {
    throw new UsageError(
      `cannot read ${args.positionals[0]} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const { repoInfo } = await import("../git/repo.js");
  const top = await repoInfo(cwd, { env: io.env }).then(
    (r) => r.topLevel,
    () => undefined,
  );
  // explain judges like scan: the same policy and .secret-guard.yaml.
  const configs = await diskConfigs({
    cwd,
    topLevel: top,
    configPath: typeof v.config === "string" ? v.config : undefined,
    env: io.env,
  });
  const display = (
    top && !path.relative(top, target).startsWith("..")
      ? path.relative(top, target)
      : path.relative(cwd, target)
  )
    .split(path.sep)
    .join("/");
  // Per-folder policies: the nearest .sops.yaml at or above the file's folder, below here.
  let perFolder = false;
  let judging = configs;
  if (top && typeof v.config !== "string" && !io.env.SOPS_CONFIG) {
    const folders = new FolderPolicies({ topLevel: top, cwd, base: configs });
    judging = await folders.for(display);
    perFolder = judging.policy !== configs.policy;
  }
  const { policy, settings } = judging;
  const rule = policy?.hasCreationRules ? ruleFor(policy, target) : undefined;
  const ignored = settings.isIgnored(display);
  const j = ignored
    ? { findings: [], mustEncrypt: [], hasMetadata: false, selector: undefined }
    : checkFile({ path: display, bytes, rule }, settings);
  const format = formatForPath(target);

  if (v.format === "json") {
    const out = {
      tool: "secret-guard",
      version: VERSION,
      path: display,
      config: policy?.configPath ?? null,
      perFolder,
      settings: configs.settingsSource ?? null,
      ignored,
      matchedPath: policy ? relativeForMatch(policy, target) : null,
      rule: rule
        ? {
            index: rule.index,
            pathRegex: rule.pathRegex ?? "",
            age: rule.age,
            ...(rule.pgp ? { pgp: rule.pgp } : {}),
            otherKeyTypes: rule.otherKeyTypes,
            selector: rule.selector,
          }
        : null,
      format,
      selector: j.selector ?? null,
      intent: "intent" in j && j.intent ? { must: j.intent.must, reason: j.intent.reason } : null,
      values: j.mustEncrypt.map((m) => ({
        document: m.document,
        key: m.path.join("."),
        ...(m.line ? { line: m.line } : {}),
        state: m.state,
      })),
      findings: j.findings,
    };
    return {
      exitCode: j.findings.some((f) => f.severity === "error") ? 1 : 0,
      output: `${JSON.stringify(out, null, 2)}\n`,
    };
  }

  const lines: string[] = [];
  lines.push(`file:      ${display} (${format} store, chosen by the file name as sops does)`);
  if (!policy) {
    lines.push(
      "config:    no .sops.yaml found from the working directory upward (sops would need keys on its command line)",
    );
  } else {
    lines.push(
      `config:    ${policy.configPath}${perFolder ? " (per folder: the nearest .sops.yaml at or above the file's folder, what sops finds when run there)" : ""}`,
    );
    lines.push(
      `matched:   "${relativeForMatch(policy, target)}" (the path relative to the config's folder, as sops matches it)`,
    );
    if (!policy.hasCreationRules) lines.push("rule:      the config has no creation_rules");
    else if (!rule)
      lines.push(
        `rule:      none of the ${policy.rules.length} creation rules matches: sops would refuse to encrypt this file`,
      );
    else {
      lines.push(
        `rule:      creation_rules[${rule.index}] ${rule.pathRegex ? `path_regex ${rule.pathRegex}` : "(no path_regex: matches every file)"}${rule.index === 1 ? " — first match; rule 0 did not match" : rule.index > 1 ? ` — first match; rules 0..${rule.index - 1} did not match` : " — first match"}`,
      );
      const keys = [
        ...(rule.age.length ? [`age ${rule.age.join(", ")}`] : []),
        ...(rule.pgp?.length ? [`pgp ${rule.pgp.join(", ")}`] : []),
        ...rule.otherKeyTypes.filter((k) => k !== "pgp" || !rule.pgp?.length),
        ...(rule.keyGroupCount > 1 ? [`${rule.keyGroupCount} key groups`] : []),
      ];
      lines.push(`keys:      ${keys.join("; ") || "none"}`);
      lines.push(`selector:  ${describeSelector(rule.selector)}`);
    }
  }
  lines.push(
    `settings:  ${configs.settingsSource ?? "no .secret-guard.yaml (from here up to the repository's top level)"}`,
  );
  if (ignored)
    lines.push("ignored:   yes — an ignore glob of .secret-guard.yaml matches this path");
  if (isGuardConfigPath(display))
    lines.push(
      "config:    this is a configuration file: never judged by creation rules, never encrypted",
    );
  if ("intent" in j && j.intent) lines.push(`intent:    ${j.intent.text}`);
  if ("readAs" in j && j.readAs === "template")
    lines.push(
      "read as:   a template (Helm/Go/Jinja actions): template expressions are exempt, literal values are judged",
    );
  if ("readAs" in j && j.readAs === "foreign-ciphertext")
    lines.push("read as:   git-crypt ciphertext: never plaintext, not judged further");
  if (j.hasMetadata)
    lines.push(
      `encrypted: yes — sops metadata present; stored selector ${describeSelector("storedSelector" in j ? (j.storedSelector ?? j.selector) : j.selector)}`,
    );
  if ("trustsStoredSelector" in j && j.trustsStoredSelector)
    lines.push(
      "judged by: the rule states no selector and the sops block is complete, so the stored selector applies, plus what no metadata can narrow: a Secret's data and every value but apiVersion, kind and metadata",
    );
  else lines.push("encrypted: no sops metadata");
  if (j.mustEncrypt.length > 0) {
    lines.push("values sops would encrypt:");
    const multi = new Set(j.mustEncrypt.map((m) => m.document)).size > 1;
    for (const m of j.mustEncrypt) {
      const where = m.line ? `line ${m.line}` : "";
      lines.push(
        `  ${multi ? `doc ${m.document}  ` : ""}${m.path.join(".").padEnd(32)} ${where.padEnd(9)} ${m.state}`,
      );
    }
  } else if (rule || j.hasMetadata) {
    lines.push("values sops would encrypt: none");
  }
  if (j.findings.length === 0) {
    lines.push("verdict:   ok");
  } else {
    lines.push("verdict:");
    for (const f of j.findings) {
      lines.push(
        `  ${f.severity} ${f.rule}${f.line ? ` (line ${f.line})` : ""}: ${f.message}${f.keys?.length ? ` [keys: ${f.keys.join(", ")}]` : ""}`,
      );
    }
  }
  return {
    exitCode: j.findings.some((f) => f.severity === "error") ? 1 : 0,
    output: `${lines.join("\n")}\n`,
  };
}
