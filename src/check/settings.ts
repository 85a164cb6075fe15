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
 *   mustEncrypt: [glob, ...]       files that must be encrypted whatever rule covers them
 *   resolved: [{commit, path, key, sha256, reason}]   history exposures rotated or
 *                                  accepted: listed as resolved, exit code 0
 *   placeholders: [RE2, ...]       whole-value patterns of the repository's own
 *                                  placeholder tool (e.g. '^<secret:[^>]+>$'): not a leak
 *   strict: true                   every file a creation rule covers must be encrypted
 *                                  (the reading before broad rules were told apart)
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { ConfigError } from "../errors.js";
import { notRegularFile } from "../fsutil.js";
import { checkGoRegex, compileGoRegex } from "../sops/regex.js";
import { type Finding, RULE_IDS, type RuleId } from "../types.js";

export const CONFIG_NAME = ".secret-guard.yaml";

export interface GuardConfig {
  path?: string;
  ignore: string[];
  severity: Partial<Record<RuleId, "error" | "warning" | "off">>;
  secretKinds: string[];
  allow: AllowEntry[];
  /** Repository-relative globs of files that must be encrypted (intent, see core/intent.ts). */
  mustEncrypt: string[];
  /** Every covered file must be encrypted, broad rule or not. */
  strict: boolean;
  /** History exposures recorded as rotated or accepted (never the value: its SHA-256). */
  resolved: ResolvedEntry[];
  /** Whole-value RE2 patterns of placeholders another tool replaces at deploy time. */
  placeholders: string[];
}

export interface ResolvedEntry {
  /** The commit that exposed it (full id or a prefix of at least 7 hex digits). */
  commit: string;
  path: string;
  key: string;
  sha256: string;
  reason?: string;
}

/** Accept one plaintext value: by path, value path and SHA-256 of the value (never line numbers). */
export interface AllowEntry {
  path: string;
  key: string;
  sha256: string;
  reason?: string;
}

export const EMPTY_CONFIG: GuardConfig = {
  ignore: [],
  severity: {},
  secretKinds: [],
  allow: [],
  mustEncrypt: [],
  strict: false,
  resolved: [],
  placeholders: [],
};

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
  const cfg: GuardConfig = { ...EMPTY_CONFIG, path: file };
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
      case "mustEncrypt":
        cfg.mustEncrypt = stringList(file, "mustEncrypt", v);
        break;
      case "placeholders":
        cfg.placeholders = stringList(file, "placeholders", v);
        cfg.placeholders.forEach((re, i) => {
          const err = checkGoRegex(re);
          if (err) fail(file, `placeholders[${i}]`, `not a valid RE2 regular expression (${err})`);
          if (!re.startsWith("^") || !re.endsWith("$"))
            fail(
              file,
              `placeholders[${i}]`,
              "must match a whole value: start with ^ and end with $",
            );
        });
        break;
      case "resolved":
        cfg.resolved = resolvedList(file, v);
        break;
      case "strict":
        if (v !== null && v !== undefined && typeof v !== "boolean")
          fail(file, "strict", "must be true or false");
        cfg.strict = v === true;
        break;
      default:
        fail(
          file,
          k,
          "unknown field (known: ignore, severity, secretKinds, allow, mustEncrypt, strict, resolved, placeholders)",
        );
    }
  }
  return cfg;
}

function resolvedList(file: string, v: unknown): ResolvedEntry[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v))
    fail(file, "resolved", "must be a list of {commit, path, key, sha256, reason}");
  return v.map((e, i) => {
    const at = `resolved[${i}]`;
    if (!e || typeof e !== "object" || Array.isArray(e)) fail(file, at, "must be a mapping");
    const o = e as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!["commit", "path", "key", "sha256", "reason"].includes(k))
        fail(file, `${at}.${k}`, "unknown field (known: commit, path, key, sha256, reason)");
    }
    if (typeof o.commit !== "string" || !/^[0-9a-f]{7,64}$/i.test(o.commit))
      fail(file, `${at}.commit`, "must be the exposing commit's id (at least 7 hex digits)");
    if (typeof o.path !== "string" || o.path === "")
      fail(file, `${at}.path`, "must be the file's repository-relative path");
    if (typeof o.key !== "string" || o.key === "")
      fail(file, `${at}.key`, "must be the exposure's key, as history names it");
    if (typeof o.sha256 !== "string" || !/^[0-9a-f]{64}$/i.test(o.sha256))
      fail(file, `${at}.sha256`, "must be the SHA-256 of the value, 64 hex digits");
    if (o.reason !== undefined && typeof o.reason !== "string")
      fail(file, `${at}.reason`, "must be a string");
    return {
      commit: o.commit.toLowerCase(),
      path: o.path,
      key: o.key,
      sha256: o.sha256.toLowerCase(),
      reason: o.reason as string | undefined,
    };
  });
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

/** The placeholder check of the settings, for the judgement; undefined when none is set. */
export function placeholderCheck(cfg: GuardConfig): ((text: string) => boolean) | undefined {
  const list = cfg.placeholders ?? [];
  if (list.length === 0) return undefined;
  const res = list.map((p) => compileGoRegex(p));
  return (text) => res.some((re) => re.test(text));
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
  return globMatcher(cfg.ignore);
}

/** A predicate for repository-relative paths matching any of the globs (micromatch, dot files too). */
export async function globMatcher(globs: readonly string[]): Promise<(p: string) => boolean> {
  if (globs.length === 0) return () => false;
  const { default: micromatch } = await import("micromatch");
  const matchers = globs.map((g) => micromatch.matcher(g, { dot: true }));
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
    const usual =
      rule === "nothing-encrypted" || rule === "possible-credential" ? "warning" : "error";
    const b = before.severity[rule] ?? usual;
    const a = after.severity[rule] ?? usual;
    if (SEVERITY_RANK[a] < SEVERITY_RANK[b]) out.push(`lowers ${rule} from ${b} to ${a}`);
  }
  for (const k of before.secretKinds)
    if (!after.secretKinds.includes(k)) out.push(`drops secretKinds ${k}`);
  for (const g of before.mustEncrypt)
    if (!after.mustEncrypt.includes(g)) out.push(`drops mustEncrypt "${g}"`);
  if (before.strict && !after.strict) out.push("drops strict: true");
  for (const p of after.placeholders ?? [])
    if (!(before.placeholders ?? []).includes(p)) out.push(`adds placeholders "${p}"`);
  return out;
}
