/**
 * Which creation rule sops applies to a file (sops-format §1.2,
 * S:config/config.go parseCreationRuleForFile).
 */
import { resolve, sep } from "node:path";
import { ConfigError } from "../errors.js";
import { compileGoRegex } from "../sops/regex.js";
import type { CreationRule, Policy } from "../types.js";

/** An empty, `.` or `..` segment, or a trailing `/`. */
const DENORMAL = /\/\.{0,2}(\/|$)/;

/**
 * The string sops matches `path_regex` against: the absolute path with
 * `configDir + path separator` trimmed from its front (native separators, no
 * leading `./`); a path not under `configDir` stays absolute. Relative input
 * is made absolute against the process cwd, like Go's `filepath.Abs`.
 * (Quirk kept from sops: with the config in `/`, the prefix is `//`, so paths
 * stay absolute.)
 */
export function relativeForMatch(policy: Policy, absPath: string): string {
  // An absolute POSIX path of plain segments is its own resolve() (saves a normalisation per file).
  const abs =
    sep === "/" && absPath.startsWith("/") && !DENORMAL.test(absPath) ? absPath : resolve(absPath);
  const prefix = policy.configDir + sep;
  return abs.startsWith(prefix) ? abs.slice(prefix.length) : abs;
}

/**
 * The first rule whose `path_regex` matches (Go RE2, unanchored search); a
 * rule with an empty/absent `path_regex` matches everything. Undefined when
 * no rule matches or the config has no `creation_rules` key.
 */
export function ruleFor(policy: Policy, absPath: string): CreationRule | undefined {
  if (!policy.hasCreationRules) return undefined;
  const target = relativeForMatch(policy, absPath);
  for (const rule of policy.rules) {
    if (!rule.pathRegex) return rule;
    let re: ReturnType<typeof compileGoRegex>;
    try {
      re = compileGoRegex(rule.pathRegex);
    } catch (e) {
      throw new ConfigError(
        `${policy.configPath}: creation_rules[${rule.index}].path_regex: ${(e as Error).message}`,
      );
    }
    if (re.test(target)) return rule;
  }
  return undefined;
}
