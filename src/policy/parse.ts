/**
 * `.sops.yaml` → Policy (sops-format §1). Mirrors what sops accepts, but FAILS
 * CLOSED where sops would silently weaken the policy (selector regexes RE2
 * cannot compile, wrong types, unrecognisable recipients). Error messages name
 * the file, the rule index and the field; they never quote the file beyond
 * the offending regex/field value (YAML syntax errors: position + reason only).
 */

import { dirname, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { ConfigError } from "../errors.js";
import { commentOrBlankLines, DEFAULT_LIMITS } from "../sops/parse.js";
import { checkGoRegex } from "../sops/regex.js";
import { DEFAULT_SELECTOR } from "../sops/select.js";
import {
  type CreationRule,
  type Policy,
  SELECTOR_FIELDS,
  type Selector,
  type SelectorField,
} from "../types.js";

const REGEX_SELECTORS = new Set<SelectorField>([
  "unencrypted_regex",
  "encrypted_regex",
  "unencrypted_comment_regex",
  "encrypted_comment_regex",
]);

/** Flat key fields that take "string or list of strings" (besides `age`). */
const FLAT_KEY_FIELDS = [
  "pgp",
  "kms",
  "gcp_kms",
  "azure_keyvault",
  "hc_vault_transit_uri",
] as const;

// `keys` is not read by sops, but it is the usual list of YAML anchors (`- &me age1…`): no warning.
const TOP_KEYS = new Set(["creation_rules", "destination_rules", "stores", "keys"]);
const RULE_KEYS = new Set<string>([
  "path_regex",
  "age",
  ...FLAT_KEY_FIELDS,
  "aws_profile",
  "hckms",
  "plugins",
  "timeout",
  "key_groups",
  "shamir_threshold",
  ...SELECTOR_FIELDS,
  "mac_only_encrypted",
]);
const GROUP_KEYS = new Set([
  "merge",
  "age",
  "pgp",
  "kms",
  "gcp_kms",
  "hckms",
  "azure_keyvault",
  "hc_vault",
  "plugins",
]);
/** Key-group fields whose items are mappings, in output order. */
const GROUP_OBJECT_FIELDS = ["kms", "gcp_kms", "hckms", "azure_keyvault", "plugins"] as const;

export interface ParseOptions {
  /** How the file is named in messages (default: `configPath` as given). */
  displayPath?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Date) &&
    !(v instanceof Map) &&
    !(v instanceof Set)
  );
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Uint8Array) return "binary data";
  if (typeof v === "string") return "a string";
  if (typeof v === "number" || typeof v === "bigint") return "a number";
  if (typeof v === "boolean") return "a boolean";
  return "a mapping";
}

/** Small Levenshtein distance for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function suggest(key: string, known: Iterable<string>): string | undefined {
  const norm = key.toLowerCase().replace(/[-\s.]/g, "_");
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = norm === k ? 0 : distance(norm, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

// ---------------------------------------------------------------------------
// age recipients (S:age/keysource.go parseRecipient)

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** Decode lower-case bech32 (no length limit, as age's fork); undefined if malformed. */
function bech32Decode(s: string): { hrp: string; bytes: number } | undefined {
  const sep = s.lastIndexOf("1");
  if (sep < 1 || s.length - sep - 1 < 6) return undefined;
  const hrp = s.slice(0, sep);
  const values: number[] = [];
  for (const c of s.slice(sep + 1)) {
    const v = BECH32.indexOf(c);
    if (v < 0) return undefined;
    values.push(v);
  }
  let chk = 1;
  const step = (v: number): void => {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!;
  };
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) return undefined;
    step(c >>> 5);
  }
  step(0);
  for (let i = 0; i < hrp.length; i++) step(hrp.charCodeAt(i) & 31);
  for (const v of values) step(v);
  if (chk >>> 0 !== 1) return undefined;
  // 5-bit groups -> bytes without padding: leftover bits must be < 5 and zero.
  const data = values.slice(0, -6);
  const bits = data.length * 5;
  const rest = bits % 8;
  if (rest >= 5) return undefined;
  if (rest > 0 && (data[data.length - 1]! & ((1 << rest) - 1)) !== 0) return undefined;
  return { hrp, bytes: Math.floor(bits / 8) };
}

const SSH_RECIPIENT = /^ssh-(?:ed25519|rsa) [A-Za-z0-9+/]+={0,2}(?:\s.*)?$/s;

/**
 * Why `r` (already trimmed) is not a recipient sops accepts, or undefined.
 * `quote` tells whether the value may be shown (it looks like a public key).
 */
function recipientProblem(r: string): { reason: string; quote: boolean } | undefined {
  if (/^AGE-(?:SECRET-KEY|PLUGIN)-/i.test(r)) {
    return {
      reason:
        "this is an age IDENTITY (private key), not a recipient; remove it from the config and treat it as leaked",
      quote: false,
    };
  }
  if (r.startsWith("age1")) {
    const d = bech32Decode(r);
    if (r.startsWith("age1pq1")) {
      return d?.hrp === "age1pq"
        ? undefined
        : { reason: "not a valid age post-quantum recipient (bech32 error)", quote: true };
    }
    if (r.indexOf("1", 4) >= 0) {
      // age1<plugin>1…: plugin (or tag) recipient.
      return d && /^age1[a-z0-9+._-]+$/.test(d.hrp)
        ? undefined
        : { reason: "not a valid age plugin recipient (bech32 error)", quote: true };
    }
    if (!d)
      return { reason: "not a valid age recipient (bech32 checksum/characters)", quote: true };
    if (d.bytes !== 32) return { reason: "not a valid age recipient (wrong length)", quote: true };
    return undefined;
  }
  if (r.startsWith("ssh-")) {
    return SSH_RECIPIENT.test(r)
      ? undefined
      : { reason: "not a valid ssh-ed25519/ssh-rsa public key", quote: true };
  }
  return {
    reason: "not a recognisable age recipient (expected age1…, age1pq1…, or ssh-ed25519/ssh-rsa …)",
    quote: false,
  };
}

// ---------------------------------------------------------------------------

class Ctx {
  readonly warnings: string[] = [];
  constructor(readonly file: string) {}

  fail(where: string, reason: string, hint?: string): never {
    throw new ConfigError(`${this.file}: ${where}: ${reason}`, hint);
  }

  warn(where: string, note: string): void {
    this.warnings.push(where ? `${this.file}: ${where}: ${note}` : `${this.file}: ${note}`);
  }

  unknownKeys(obj: Obj, known: Set<string>, where: string, whereKey: (k: string) => string): void {
    for (const key of Object.keys(obj)) {
      if (known.has(key)) continue;
      if (key === "filename_regex" && where.startsWith("creation_rules[")) {
        this.warn(
          whereKey(key),
          "filename_regex was removed in sops 3.4 and is ignored; use path_regex",
        );
        continue;
      }
      const s = suggest(key, known);
      this.warn(whereKey(key), `unknown key ignored by sops${s ? ` (did you mean "${s}"?)` : ""}`);
    }
  }

  /** Validate recipients of one comma-separated string; `dropEmpty` = string form (3.11+). */
  recipients(value: string, where: string, dropEmpty: boolean, out: string[]): void {
    const pieces = value.split(",");
    pieces.forEach((raw, n) => {
      const r = raw.trim();
      const label = pieces.length > 1 ? `${where} (recipient ${n + 1})` : where;
      if (r === "") {
        if (dropEmpty) return;
        this.fail(label, "empty recipient (stray comma or empty list item); sops rejects it");
      }
      const problem = recipientProblem(r);
      if (problem) {
        this.fail(label, problem.quote ? `"${r}" is ${problem.reason}` : problem.reason);
      }
      out.push(r);
    });
  }
}

function opt<T>(
  ctx: Ctx,
  obj: Obj,
  key: string,
  where: string,
  want: string,
  ok: (v: unknown) => v is T,
): T | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!ok(v)) ctx.fail(`${where}.${key}`, `must be ${want} (got ${typeName(v)})`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isList = (v: unknown): v is unknown[] => Array.isArray(v);

/** Go yaml.v3 into a typed bool: true/false plus the YAML 1.1 spellings. */
function toBool(ctx: Ctx, v: unknown, where: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    if (/^(?:y|Y|yes|Yes|YES|on|On|ON)$/.test(v)) return true;
    if (/^(?:n|N|no|No|NO|off|Off|OFF)$/.test(v)) return false;
  }
  return ctx.fail(where, `must be a boolean (got ${typeName(v)})`);
}

/** A "string or list of strings" key field (sops parseKeyField): its raw list form. */
function keyField(ctx: Ctx, obj: Obj, key: string, where: string): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) {
    v.forEach((item, j) => {
      if (typeof item !== "string") {
        ctx.fail(`${where}.${key}[${j}]`, `must be a string (got ${typeName(item)})`);
      }
    });
    return v as string[];
  }
  return ctx.fail(`${where}.${key}`, `must be a string or a list of strings (got ${typeName(v)})`);
}

function stringList(ctx: Ctx, obj: Obj, key: string, where: string): string[] {
  const v = opt(ctx, obj, key, where, "a list of strings", isList) ?? [];
  v.forEach((item, j) => {
    if (typeof item !== "string") {
      ctx.fail(`${where}.${key}[${j}]`, `must be a string (got ${typeName(item)})`);
    }
  });
  return v as string[];
}

function objectList(ctx: Ctx, obj: Obj, key: string, where: string): Obj[] {
  const v = opt(ctx, obj, key, where, "a list of mappings", isList) ?? [];
  v.forEach((item, j) => {
    if (!isObj(item))
      ctx.fail(`${where}.${key}[${j}]`, `must be a mapping (got ${typeName(item)})`);
  });
  return v as Obj[];
}

interface Group {
  age: string[];
  pgp: string[];
  other: Set<string>;
}

/** PGP fingerprints as sops compares them: comma-separated, spaces dropped, upper case. */
function pgpFingerprints(items: string[]): string[] {
  return items
    .flatMap((s) => s.split(","))
    .map((s) => s.replace(/\s+/g, "").toUpperCase())
    .filter((s) => s !== "");
}

/** One `key_groups` entry (S:config/config.go extractMasterKeys), `merge` flattened. */
function parseGroup(ctx: Ctx, raw: unknown, where: string, depth: number): Group {
  if (!isObj(raw)) return ctx.fail(where, `must be a mapping (got ${typeName(raw)})`);
  if (depth > 32) return ctx.fail(where, "key group merge nesting too deep");
  ctx.unknownKeys(raw, GROUP_KEYS, where, (k) => `${where}.${k}`);
  const group: Group = { age: [], pgp: [], other: new Set() };
  const merge = opt(ctx, raw, "merge", where, "a list of key groups", isList) ?? [];
  merge.forEach((sub, j) => {
    const g = parseGroup(ctx, sub, `${where}.merge[${j}]`, depth + 1);
    group.age.push(...g.age);
    group.pgp.push(...g.pgp);
    for (const o of g.other) group.other.add(o);
  });
  stringList(ctx, raw, "age", where).forEach((item, j) => {
    // MasterKeysFromRecipients: "" gives no key; otherwise every piece must parse.
    if (item !== "") ctx.recipients(item, `${where}.age[${j}]`, false, group.age);
  });
  const pgp = stringList(ctx, raw, "pgp", where);
  if (pgp.length > 0) group.other.add("pgp");
  group.pgp.push(...pgpFingerprints(pgp));
  if (stringList(ctx, raw, "hc_vault", where).length > 0) group.other.add("hc_vault");
  for (const key of GROUP_OBJECT_FIELDS) {
    if (objectList(ctx, raw, key, where).length > 0) group.other.add(key);
  }
  group.age = [...new Set(group.age)];
  group.pgp = [...new Set(group.pgp)];
  return group;
}

function parseRule(ctx: Ctx, raw: unknown, index: number): CreationRule {
  const where = `creation_rules[${index}]`;
  if (!isObj(raw)) return ctx.fail(where, `must be a mapping (got ${typeName(raw)})`);
  ctx.unknownKeys(raw, RULE_KEYS, where, (k) => `${where}.${k}`);

  const pathRegex = opt(ctx, raw, "path_regex", where, "a string", isString);
  if (pathRegex) {
    const err = checkGoRegex(pathRegex);
    if (err) {
      ctx.fail(`${where}.path_regex`, `not a valid RE2 regular expression (${err})`, re2Hint(err));
    }
  }

  const set: Selector[] = [];
  for (const field of SELECTOR_FIELDS) {
    const value = opt(ctx, raw, field, where, "a string", isString);
    if (!value) continue; // sops: "" = not set
    if (REGEX_SELECTORS.has(field)) {
      const err = checkGoRegex(value);
      if (err) {
        ctx.fail(
          `${where}.${field}`,
          `not a valid RE2 regular expression (${err}); sops would silently encrypt nothing with it`,
          re2Hint(err),
        );
      }
    }
    set.push({ field, value });
  }
  if (set.length > 1) {
    ctx.fail(
      where,
      `cannot use more than one of ${set.map((s) => s.field).join(", ")} in the same rule (sops refuses it)`,
    );
  }
  const selector: Selector = set[0] ?? { ...DEFAULT_SELECTOR };

  const macOnlyEncrypted = toBool(ctx, raw.mac_only_encrypted, `${where}.mac_only_encrypted`);

  const shamir = raw.shamir_threshold;
  let shamirThreshold: number | undefined;
  if (shamir !== undefined && shamir !== null) {
    if (typeof shamir !== "number" || !Number.isInteger(shamir) || shamir < 0) {
      ctx.fail(
        `${where}.shamir_threshold`,
        `must be a non-negative integer (got ${typeName(shamir)})`,
      );
    }
    shamirThreshold = shamir;
  }
  opt(ctx, raw, "aws_profile", where, "a string", isString);
  opt(ctx, raw, "timeout", where, "a string", isString);

  const rawGroups = opt(ctx, raw, "key_groups", where, "a list of key groups", isList) ?? [];
  let age: string[] = [];
  let pgp: string[] = [];
  const otherKeyTypes: string[] = [];
  let keyGroups: { age: string[]; otherKeyTypes: string[] }[] | undefined;

  if (rawGroups.length > 0) {
    // key_groups replaces every flat key field (S:config/config.go getKeyGroupsFromCreationRule).
    const ignored = ["age", ...FLAT_KEY_FIELDS, "hckms", "plugins"].filter(
      (k) => raw[k] !== undefined && raw[k] !== null,
    );
    if (ignored.length > 0) {
      ctx.warn(where, `${ignored.join(", ")} ignored by sops because key_groups is set`);
    }
    const groups = rawGroups.map((g, j) => parseGroup(ctx, g, `${where}.key_groups[${j}]`, 0));
    keyGroups = groups.map((g) => ({ age: g.age, otherKeyTypes: [...g.other] }));
    age = [...new Set(groups.flatMap((g) => g.age))];
    pgp = [...new Set(groups.flatMap((g) => g.pgp))];
    for (const g of groups)
      for (const o of g.other) if (!otherKeyTypes.includes(o)) otherKeyTypes.push(o);
    if (groups.length >= 2 && shamirThreshold !== undefined && shamirThreshold > groups.length) {
      ctx.fail(
        `${where}.shamir_threshold`,
        `${shamirThreshold} is more than the ${groups.length} key groups (sops cannot encrypt)`,
      );
    }
  } else {
    const ageRaw = keyField(ctx, raw, "age", where);
    if (ageRaw !== undefined) {
      if (typeof raw.age === "string") {
        ctx.recipients(ageRaw[0]!, `${where}.age`, true, age);
      } else if (ageRaw.join(",") !== "") {
        // List form: items joined with "," then split again; empty pieces are errors.
        ageRaw.forEach((item, j) => {
          ctx.recipients(item, `${where}.age[${j}]`, false, age);
        });
      }
    }
    for (const key of FLAT_KEY_FIELDS) {
      const v = keyField(ctx, raw, key, where);
      const keys =
        v === undefined
          ? []
          : typeof raw[key] === "string"
            ? v[0]!
                .split(",")
                .map((s) => s.trim())
                .filter((s) => s !== "")
            : v;
      if (keys.length > 0) otherKeyTypes.push(key);
      if (key === "pgp") pgp = pgpFingerprints(keys);
    }
    if (stringList(ctx, raw, "hckms", where).length > 0) otherKeyTypes.push("hckms");
    if (objectList(ctx, raw, "plugins", where).length > 0) otherKeyTypes.push("plugins");
  }

  const rule: CreationRule = {
    index,
    age,
    otherKeyTypes,
    keyGroupCount: keyGroups?.length ?? 0,
    selector,
    macOnlyEncrypted,
  };
  if (pathRegex !== undefined) rule.pathRegex = pathRegex;
  if (shamirThreshold !== undefined) rule.shamirThreshold = shamirThreshold;
  if (keyGroups) rule.keyGroups = keyGroups;
  if (pgp.length > 0) rule.pgp = pgp;
  return rule;
}

function re2Hint(err: string): string | undefined {
  return /Perl syntax|escape sequence|named capture/.test(err)
    ? "sops uses Go RE2 syntax: no look-around (?=…), (?<=…) and no back-references \\1"
    : undefined;
}

/** Position + reason of a `yaml` error, never the quoted source lines. */
function yamlReason(e: {
  message: string;
  linePos?: [{ line: number; col: number }, ...unknown[]];
}) {
  const reason = e.message
    .split(/ at line \d+, column \d+/)[0]!
    .split("\n")[0]!
    .trim();
  const pos = e.linePos?.[0];
  return pos ? `line ${pos.line}, column ${pos.col}: ${reason}` : reason;
}

/** Parse `.sops.yaml` text. Throws ConfigError (exit 2) on anything sops would reject or that would weaken the policy. */
export function parsePolicy(text: string, configPath: string, opts: ParseOptions = {}): Policy {
  const abs = resolve(configPath);
  const ctx: Ctx = new Ctx(opts.displayPath ?? configPath);
  const policy: Policy = {
    configPath: abs,
    configDir: dirname(abs),
    hasCreationRules: false,
    rules: [],
    warnings: ctx.warnings,
  };

  const cap = DEFAULT_LIMITS.maxCommentLines;
  if (text.length > DEFAULT_LIMITS.maxBytes)
    throw new ConfigError(
      `${ctx.file}: larger than ${DEFAULT_LIMITS.maxBytes} bytes; refusing to parse it`,
    );
  if (commentOrBlankLines(text, cap) > cap)
    throw new ConfigError(
      `${ctx.file}: more than ${cap} comment or blank lines; refusing to parse it (the YAML parser would take too long)`,
    );
  const docs = parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const hint =
        err.code === "BAD_DQ_ESCAPE"
          ? "inside double quotes a backslash must be doubled; write regexes unquoted or in single quotes"
          : undefined;
      throw new ConfigError(`${ctx.file}: invalid YAML: ${yamlReason(err)}`, hint);
    }
  }
  if (list.length > 1) ctx.warn("", "several YAML documents; sops reads only the first");
  const first = list[0];
  if (!first) return policy;
  let root: unknown;
  try {
    root = first.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split(/: |\n/)[0];
    throw new ConfigError(`${ctx.file}: invalid YAML: ${reason}`);
  }
  if (root === null || root === undefined) return policy;
  if (!isObj(root)) ctx.fail("top level", `must be a mapping (got ${typeName(root)})`);
  ctx.unknownKeys(root, TOP_KEYS, "top level", (k) => k);

  const rules = root.creation_rules;
  if (rules === undefined) return policy;
  if (rules === null) {
    ctx.warn("creation_rules", "is empty (null): sops behaves as if there were no config file");
    return policy;
  }
  if (!Array.isArray(rules)) {
    ctx.fail("creation_rules", `must be a list of rules (got ${typeName(rules)})`);
  }
  policy.hasCreationRules = true;
  policy.rules = rules.map((r, i) => parseRule(ctx, r, i));

  const catchAll = policy.rules.find((r) => !r.pathRegex);
  if (catchAll && catchAll.index < policy.rules.length - 1) {
    const first = catchAll.index + 1;
    const last = policy.rules.length - 1;
    ctx.warn(
      first === last ? `creation_rules[${first}]` : `creation_rules[${first}..${last}]`,
      `never used: creation_rules[${catchAll.index}] has no path_regex and matches every file`,
    );
  }
  return policy;
}
