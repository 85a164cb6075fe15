/**
 * Native decryption of a sops file: unwrap the data key with a local age
 * identity, decrypt every value the stored selector marks as encrypted,
 * recompute the MAC and compare. Values stay in memory; results carry key
 * paths and bytes for callers that need them (verify, history, fix), and
 * every error names a path, never a value.
 */
import { walkLeaves } from "../core/walk.js";
import { CryptoError } from "../errors.js";
import { parseFile } from "../sops/parse.js";
import { DEFAULT_SELECTOR, shouldBeEncrypted } from "../sops/select.js";
import type { ParsedFile } from "../sops/tree.js";
import {
  type Format,
  OTHER_KEY_TYPES,
  SELECTOR_FIELDS,
  type Selector,
  type SelectorField,
} from "../types.js";
import { decryptValue } from "./aes.js";
import { unwrapDataKey } from "./age.js";
import { decryptMac, MacHasher } from "./mac.js";

export interface PlainLeaf {
  document: number;
  path: string[];
  aad: string;
  type: string;
  plain: Buffer;
  encrypted: boolean;
}

export interface SopsMeta {
  age: Array<{ recipient: string; enc: string }>;
  otherKeyTypes: string[];
  keyGroups: number;
  lastmodified?: string;
  mac?: string;
  selector?: Selector;
  macOnlyEncrypted: boolean;
  version?: string;
}

export type DecryptProblem =
  | "no-metadata"
  | "unsupported-keys"
  | "no-identity-matched"
  | "bad-value"
  | "no-mac"
  | "mac-mismatch";

export interface DecryptResult {
  ok: boolean;
  problem?: DecryptProblem;
  /** Human text for the problem: paths and reasons, never values. */
  detail?: string;
  recipients: string[];
  /** Internal: the unwrapped data key (never printed). */
  dataKey?: Buffer;
  leaves: PlainLeaf[];
  macOk?: boolean;
  meta?: SopsMeta;
  parsed?: ParsedFile;
}

/** A typed view of a `sops` block (dotenv/INI values arrive as strings). */
export function readSopsMeta(raw: unknown): SopsMeta {
  const m = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  const age = list(m.age)
    .filter((e): e is Record<string, unknown> => !!e && typeof e === "object")
    .map((e) => ({ recipient: String(e.recipient ?? ""), enc: String(e.enc ?? "") }));
  const groups = list(m.key_groups);
  for (const g of groups) {
    if (g && typeof g === "object") {
      for (const e of list((g as Record<string, unknown>).age)) {
        if (e && typeof e === "object") {
          const r = e as Record<string, unknown>;
          age.push({ recipient: String(r.recipient ?? ""), enc: String(r.enc ?? "") });
        }
      }
    }
  }
  const field = SELECTOR_FIELDS.find((f) => typeof m[f] === "string" && m[f] !== "");
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  return {
    age,
    otherKeyTypes: OTHER_KEY_TYPES.filter((k) => list(m[k]).length > 0),
    keyGroups: groups.length,
    lastmodified: str(m.lastmodified),
    mac: str(m.mac),
    selector: field ? { field, value: String(m[field]) } : undefined,
    macOnlyEncrypted: m.mac_only_encrypted === true || m.mac_only_encrypted === "true",
    version: str(m.version),
  };
}

/**
 * Decrypt every value of a parsed file with a known data key and recompute
 * the MAC. `bad-value` when a value at an encrypted position is not ENC.
 */
export function decryptTree(parsed: ParsedFile, meta: SopsMeta, dataKey: Buffer): DecryptResult {
  const selector = parsed.format === "binary" ? undefined : (meta.selector ?? DEFAULT_SELECTOR);
  const hasher = new MacHasher(meta.macOnlyEncrypted);
  const leaves: PlainLeaf[] = [];
  const result: DecryptResult = {
    ok: false,
    recipients: meta.age.map((a) => a.recipient),
    dataKey,
    leaves,
    meta,
    parsed,
  };
  for (const doc of parsed.docs) {
    for (const v of walkLeaves(doc.root)) {
      const aad = `${v.path.join(":")}:`;
      const encrypted = shouldBeEncrypted(v.path, selector, v.comments);
      let plain = v.leaf.plain;
      let type: string = v.leaf.type;
      if (encrypted && plain.length > 0) {
        if (v.leaf.type !== "str" || !v.leaf.str?.startsWith("ENC[")) {
          return {
            ...result,
            problem: "bad-value",
            detail: `the value at "${aad}" is not encrypted`,
          };
        }
        try {
          ({ plain, type } = decryptValue(v.leaf.str, dataKey, aad));
        } catch (e) {
          return { ...result, problem: "bad-value", detail: (e as Error).message };
        }
      }
      hasher.add(plain, encrypted);
      // An empty value stays "" even at an encrypted position (and adds nothing to the MAC).
      leaves.push({
        document: doc.index,
        path: v.path,
        aad,
        type,
        plain,
        encrypted: encrypted && v.leaf.plain.length > 0,
      });
    }
  }
  const computed = hasher.hex();
  if (!meta.mac || !meta.lastmodified) {
    return { ...result, problem: "no-mac", macOk: false, detail: "the file has no MAC" };
  }
  let stored: string;
  try {
    stored = decryptMac(meta.mac, dataKey, meta.lastmodified);
  } catch (e) {
    return { ...result, problem: "mac-mismatch", macOk: false, detail: (e as Error).message };
  }
  if (stored !== computed) {
    return {
      ...result,
      problem: "mac-mismatch",
      macOk: false,
      detail: "MAC mismatch: values were changed after encryption",
    };
  }
  return { ...result, ok: true, macOk: true };
}

/** Unwrap the data key with local age identities. */
export async function openDataKey(
  meta: SopsMeta,
  identities: readonly string[],
): Promise<Buffer | undefined> {
  for (const entry of meta.age) {
    const key = await unwrapDataKey(entry.enc, identities);
    if (key && key.length === 32) return key;
  }
  return undefined;
}

/** Parse, unwrap and decrypt one file. */
export async function decryptFile(
  bytes: Uint8Array,
  format: Format,
  identities: readonly string[],
): Promise<DecryptResult> {
  const parsed = parseFile(bytes, format);
  const metaDoc = parsed.docs[0]?.metadata !== undefined ? parsed.docs[0] : undefined;
  if (!metaDoc) return { ok: false, problem: "no-metadata", recipients: [], leaves: [], parsed };
  const meta = readSopsMeta(metaDoc.metadata);
  if (meta.age.length === 0) {
    return {
      ok: false,
      problem: "unsupported-keys",
      detail: `no age recipient in the file (${meta.otherKeyTypes.join(", ") || "no keys"})`,
      recipients: [],
      leaves: [],
      meta,
      parsed,
    };
  }
  const dataKey = await openDataKey(meta, identities);
  if (!dataKey) {
    return {
      ok: false,
      problem: "no-identity-matched",
      detail: "no local age identity matches any of the file's recipients",
      recipients: meta.age.map((a) => a.recipient),
      leaves: [],
      meta,
      parsed,
    };
  }
  return decryptTree(parsed, meta, dataKey);
}

export function assertDataKey(k: Buffer | undefined): Buffer {
  if (k?.length !== 32) throw new CryptoError("the data key is not 32 bytes");
  return k;
}
