/**
 * A typed view of a file's `sops` block (sops-format §3.3), read the way
 * sops loads it (S:stores/stores.go ToInternal, S:stores/metadata.go):
 * flat key lists win over `key_groups`; `lastmodified` and every
 * `created_at` must be RFC 3339; at least one key; at most one selector, and
 * `unencrypted_suffix: _unencrypted` when none is stored. What would make
 * sops refuse the block is listed in `problems` instead of thrown. Values
 * from dotenv/INI arrive as strings (sops decodes them weakly typed).
 */
import { DEFAULT_SELECTOR } from "../sops/select.js";
import { OTHER_KEY_TYPES, SELECTOR_FIELDS, type Selector, type SelectorField } from "../types.js";
import { goRfc3339Reformat } from "./aes.js";

export interface AgeEntry {
  recipient: string;
  /** The armored age file holding the data key (or, with ≥2 groups, a Shamir share). */
  enc: string;
}

export interface KeyGroupView {
  age: AgeEntry[];
  /** Other key types holding at least one key in this group. */
  otherKeyTypes: string[];
}

export interface SopsMetadata {
  /** Age entries of the keys in use (flat lists, else every group's, in order). */
  age: AgeEntry[];
  /** Key types other than age holding at least one key (pgp, kms, gcp_kms, azure_kv, hc_vault, hckms). */
  otherKeyTypes: string[];
  /** Number of `key_groups` in use (0 when the flat lists are used). */
  keyGroups: number;
  /** The groups in use: one for flat lists. */
  groups: KeyGroupView[];
  shamirThreshold?: number;
  lastmodified?: string;
  mac?: string;
  /** The selector in force: the one stored, or sops' default (`isDefault`) when none is. */
  selector: Selector;
  /** Whether a selector field is actually written in the block. */
  selectorStored: boolean;
  macOnlyEncrypted: boolean;
  version?: string;
  /** Why sops would refuse to load this block (empty when it loads). Names fields, never values. */
  problems: string[];
}

const DEFAULT: Selector = DEFAULT_SELECTOR;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** mapstructure's weak string decoding: strings, numbers and bools become text. */
function weakString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "boolean") return v ? "1" : "0";
  return undefined;
}

function weakBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    if (v === "") return false;
    if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  }
  return undefined;
}

/** Go `time.Parse(time.RFC3339, s)` succeeds. */
export function isGoRfc3339(s: string): boolean {
  return goRfc3339Reformat(s, "none") !== undefined;
}

function listOf(v: unknown, where: string, problems: string[]): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  problems.push(`${where} is not a list`);
  return [];
}

function readGroup(g: Obj, where: string, problems: string[]): KeyGroupView {
  const view: KeyGroupView = { age: [], otherKeyTypes: [] };
  for (const [i, e] of listOf(g.age, `${where}age`, problems).entries()) {
    if (!isObj(e)) {
      problems.push(`${where}age[${i}] is not a mapping`);
      continue;
    }
    view.age.push({ recipient: weakString(e.recipient) ?? "", enc: weakString(e.enc) ?? "" });
  }
  for (const k of OTHER_KEY_TYPES) {
    const list = listOf(g[k], `${where}${k}`, problems);
    if (list.length === 0) continue;
    view.otherKeyTypes.push(k);
    for (const [i, e] of list.entries()) {
      if (!isObj(e)) {
        problems.push(`${where}${k}[${i}] is not a mapping`);
        continue;
      }
      const created = weakString(e.created_at);
      if (created === undefined || !isGoRfc3339(created))
        problems.push(`${where}${k}[${i}].created_at is not an RFC 3339 time`);
    }
  }
  return view;
}

/** Read a `sops` block (plain JS data as the parser produced it). */
export function readMetadata(meta: unknown): SopsMetadata {
  const problems: string[] = [];
  const out: SopsMetadata = {
    age: [],
    otherKeyTypes: [],
    keyGroups: 0,
    groups: [],
    selector: DEFAULT,
    selectorStored: false,
    macOnlyEncrypted: false,
    problems,
  };
  if (!isObj(meta)) {
    problems.push("the sops entry is not a mapping");
    return out;
  }
  const m = meta;

  // Keys: flat lists win; else key_groups; else "No keys found in file".
  const flat = readGroup(m, "", problems);
  if (flat.age.length > 0 || flat.otherKeyTypes.length > 0) {
    out.groups = [flat];
  } else {
    const groups = listOf(m.key_groups, "key_groups", problems);
    for (const [i, g] of groups.entries()) {
      if (!isObj(g)) {
        problems.push(`key_groups[${i}] is not a mapping`);
        continue;
      }
      out.groups.push(readGroup(g, `key_groups[${i}].`, problems));
    }
    out.keyGroups = groups.length;
    if (groups.length === 0) problems.push("no keys (no age, pgp, kms or other key)");
  }
  for (const g of out.groups) {
    out.age.push(...g.age);
    for (const k of g.otherKeyTypes) if (!out.otherKeyTypes.includes(k)) out.otherKeyTypes.push(k);
  }
  if (m.shamir_threshold !== undefined && m.shamir_threshold !== null) {
    const t = Number(weakString(m.shamir_threshold));
    if (Number.isInteger(t)) out.shamirThreshold = t;
    else problems.push("shamir_threshold is not an integer");
  }

  const lm = weakString(m.lastmodified);
  if (lm === undefined || !isGoRfc3339(lm))
    problems.push("lastmodified is missing or not an RFC 3339 time");
  out.lastmodified = lm;
  if (m.mac !== undefined && m.mac !== null) {
    out.mac = weakString(m.mac);
    if (out.mac === undefined) problems.push("mac is not a string");
  }
  if (m.version !== undefined && m.version !== null) out.version = weakString(m.version);

  const set: SelectorField[] = [];
  for (const f of SELECTOR_FIELDS) {
    if (m[f] === undefined || m[f] === null) continue;
    const v = weakString(m[f]);
    if (v === undefined) problems.push(`${f} is not a string`);
    else if (v !== "") set.push(f);
  }
  if (set.length > 1) problems.push(`more than one selector (${set.join(", ")})`);
  if (set[0]) {
    out.selector = { field: set[0], value: weakString(m[set[0]])! };
    out.selectorStored = true;
  }

  if (m.mac_only_encrypted !== undefined && m.mac_only_encrypted !== null) {
    const b = weakBool(m.mac_only_encrypted);
    if (b === undefined) problems.push("mac_only_encrypted is not a boolean");
    out.macOnlyEncrypted = b ?? false;
  }
  return out;
}

/** True when sops would load this `sops` block. */
export function isValidSopsMetadata(meta: unknown): boolean {
  return readMetadata(meta).problems.length === 0;
}
