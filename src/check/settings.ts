/**
 * `.secret-guard.yaml`: the guard's own settings, found from the working
 * directory upward to the repository's top level (never above it: nothing
 * outside the repository may weaken the guard). Validated strictly: a typo must not
 * silently weaken the guard, so unknown fields and wrong types are errors
 * naming the field.
 *
 *   ignore: [glob, ...]            repository-relative micromatch globs
 *   severity: {rule-id: error|warning|off}
 *   secretKinds: [Kind, ...]       extra kinds judged like v1/Secret
 *   allow: [{path, key, sha256, reason}]   accepted plaintext values, keyed by
 *                                  path, value path and the value's SHA-256
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { ConfigError } from "../errors.js";
import { notRegularFile } from "../fsutil.js";
import { type Finding, RULE_IDS, type RuleId } from "../types.js";

export const CONFIG_NAME = ".secret-guard.yaml";

export interface GuardConfig {
  path?: string;
  ignore: string[];
  severity: Partial<Record<RuleId, "error" | "warning" | "off">>;
  secretKinds: string[];
  allow: AllowEntry[];
}

/** Accept one plaintext value: by path, value path and SHA-256 of the value (never line numbers). */
export interface AllowEntry {
  path: string;
  key: string;
  sha256: string;
  reason?: string;
}

export const EMPTY_CONFIG: GuardConfig = { ignore: [], severity: {}, secretKinds: [], allow: [] };

/**
 * The nearest `.secret-guard.yaml` from `startDir` upward, stopping at `stopAt`
 * (the repository's top level) when given; without it only `startDir` itself is
 * looked at when it is not inside a repository.
 */
export function findGuardConfig(startDir: string, stopAt?: string): string | undefined {
  let dir = path.resolve(startDir);
  const top = stopAt ? path.resolve(stopAt) : undefined;
  for (let i = 0; i < 100; i++) {
    const candidate = path.join(dir, CONFIG_NAME);
    if (existsSync(candidate)) return candidate;
    if (top === undefined || dir === top) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir || !isInside(parent, top)) return undefined;
    dir = parent;
  }
  return undefined;
}

function isInside(dir: string, top: string): boolean {
  const rel = path.relative(top, dir);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function fail(file: string, field: string, why: string): never {
  throw new ConfigError(`${path.basename(file)}: ${field}: ${why}`, `fix ${file}`);
}

function stringList(file: string, field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(file, field, "must be a list of strings");
  return v.map((x, i) => {
    if (typeof x !== "string" || x === "")
      fail(file, `${field}[${i}]`, "must be a non-empty string");
    return x;
  });
}

export async function loadGuardConfig(startDir: string, stopAt?: string): Promise<GuardConfig> {
  const file = findGuardConfig(startDir, stopAt);
  if (!file) return EMPTY_CONFIG;
  const odd = notRegularFile(file);
  if (odd)
    throw new ConfigError(
      `${file}: is ${odd}, not a regular file; refusing to read it`,
      `replace ${file} with a regular file`,
    );
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseGuardConfig(text, file);
}

/** Parse and validate a `.sops.yaml`-like settings text; `file` names it in errors. Pure. */
export function parseGuardConfig(text: string, file: string): GuardConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    fail(
      file,
      "YAML",
      `syntax error (${e.code.toLowerCase().replaceAll("_", " ")}) at offset ${e.pos[0]}`,
    );
  }
  const data = (doc.toJS() ?? {}) as unknown;
  if (typeof data !== "object" || Array.isArray(data)) fail(file, "top level", "must be a mapping");
  const cfg: GuardConfig = { path: file, ignore: [], severity: {}, secretKinds: [], allow: [] };
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    switch (k) {
      case "ignore":
        cfg.ignore = stringList(file, "ignore", v);
        break;
      case "secretKinds":
        cfg.secretKinds = stringList(file, "secretKinds", v);
        break;
      case "severity": {
        if (v === null || v === undefined) break;
        if (typeof v !== "object" || Array.isArray(v))
          fail(file, "severity", "must be a mapping of rule id to error, warning or off");
        for (const [rule, level] of Object.entries(v as Record<string, unknown>)) {
          if (!RULE_IDS.includes(rule as RuleId))
            fail(file, `severity.${rule}`, `unknown rule id (known: ${RULE_IDS.join(", ")})`);
          if (level !== "error" && level !== "warning" && level !== "off") {
            fail(file, `severity.${rule}`, "must be error, warning or off");
          }
          cfg.severity[rule as RuleId] = level;
        }
        break;
      }
      case "allow":
        cfg.allow = allowList(file, v);
        break;
      default:
        fail(file, k, "unknown field (known: ignore, severity, secretKinds, allow)");
    }
  }
  return cfg;
}

function allowList(file: string, v: unknown): AllowEntry[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(file, "allow", "must be a list of {path, key, sha256, reason}");
  return v.map((e, i) => {
    const at = `allow[${i}]`;
    if (!e || typeof e !== "object" || Array.isArray(e)) fail(file, at, "must be a mapping");
    const o = e as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!["path", "key", "sha256", "reason"].includes(k))
        fail(file, `${at}.${k}`, "unknown field (known: path, key, sha256, reason)");
    }
    if (typeof o.path !== "string" || o.path === "")
      fail(file, `${at}.path`, "must be the file's repository-relative path");
    if (typeof o.key !== "string" || o.key === "")
      fail(file, `${at}.key`, "must be the value's key path, e.g. stringData.password");
    if (typeof o.sha256 !== "string" || !/^[0-9a-f]{64}$/i.test(o.sha256)) {
      fail(
        file,
        `${at}.sha256`,
        "must be the SHA-256 of the value, 64 hex digits (printf %s VALUE | sha256sum)",
      );
    }
    if (o.reason !== undefined && typeof o.reason !== "string")
      fail(file, `${at}.reason`, "must be a string");
    return {
      path: o.path,
      key: o.key,
      sha256: o.sha256.toLowerCase(),
      reason: o.reason as string | undefined,
    };
  });
}

/** The allowlist check for one file, for the judgement; undefined when nothing is allowed there. */
export function allowCheck(
  cfg: GuardConfig,
  file: string,
): ((keyPath: string, value: Uint8Array) => boolean) | undefined {
  const entries = cfg.allow.filter((a) => a.path === file);
  if (entries.length === 0) return undefined;
  return (keyPath, value) => {
    const mine = entries.filter((a) => a.key === keyPath);
    if (mine.length === 0) return false;
    const digest = createHash("sha256").update(value).digest("hex");
    return mine.some((a) => a.sha256 === digest);
  };
}

/** Apply severity overrides; `off` drops the finding. */
export function applySeverity(findings: Finding[], cfg: GuardConfig): Finding[] {
  if (Object.keys(cfg.severity).length === 0) return findings;
  const out: Finding[] = [];
  for (const f of findings) {
    const level = cfg.severity[f.rule];
    if (level === "off") continue;
    out.push(level ? { ...f, severity: level } : f);
  }
  return out;
}

/** A predicate for ignored paths (micromatch, loaded only when globs exist). */
export async function ignoreMatcher(cfg: GuardConfig): Promise<(p: string) => boolean> {
  if (cfg.ignore.length === 0) return () => false;
  const { default: micromatch } = await import("micromatch");
  const matchers = cfg.ignore.map((g) => micromatch.matcher(g, { dot: true }));
  return (p) => matchers.some((m) => m(p));
}

const SEVERITY_RANK = { off: 0, warning: 1, error: 2 } as const;

/**
 * How `after` weakens the guard compared with `before`: new ignore globs, new
 * allowlist entries, lowered severities, fewer secretKinds. Names and globs
 * only (an allow entry is named by path and key, never its hash).
 */
export function settingsLoosening(before: GuardConfig, after: GuardConfig): string[] {
  const out: string[] = [];
  for (const g of after.ignore) if (!before.ignore.includes(g)) out.push(`adds ignore "${g}"`);
  const had = new Set(before.allow.map((a) => `${a.path}\0${a.key}\0${a.sha256}`));
  for (const a of after.allow) {
    if (!had.has(`${a.path}\0${a.key}\0${a.sha256}`))
      out.push(`adds allow entry for ${a.path} ${a.key}`);
  }
  for (const rule of RULE_IDS) {
    const usual = rule === "nothing-encrypted" ? "warning" : "error";
    const b = before.severity[rule] ?? usual;
    const a = after.severity[rule] ?? usual;
    if (SEVERITY_RANK[a] < SEVERITY_RANK[b]) out.push(`lowers ${rule} from ${b} to ${a}`);
  }
  for (const k of before.secretKinds)
    if (!after.secretKinds.includes(k)) out.push(`drops secretKinds ${k}`);
  return out;
}
