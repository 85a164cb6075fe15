/**
 * Recognising sops output without decrypting it: the ENC[...] value format
 * (sops-format §3.1), the metadata block (§3.3, §7) and the marker text of an
 * encrypted file (§8.2).
 */

import { type Format, OTHER_KEY_TYPES, SELECTOR_FIELDS, type Selector } from "../types.js";
import { B64_STD, encState } from "./enc.js";
import { formatForPath } from "./formats.js";
import { parseFile } from "./parse.js";
import { DEFAULT_SELECTOR, shouldBeEncrypted } from "./select.js";
import { walkLeaves } from "./walk.js";

export { isEncValue } from "./enc.js";

/** Spelled by every store's metadata marker. */
const SOPS = Buffer.from("sops", "latin1");

/** Cheap marker test: does this file carry a sops metadata block? (No parsing.) */
export function looksSopsEncrypted(bytes: Uint8Array, format: Format): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // Every store's marker spells `sops` (`sops:`, `"sops"`, `sops_`, `[sops]`): a byte search
  // (latin1 text is the bytes) proves most files carry none before any text is made.
  if (buf.indexOf(SOPS) === -1) return false;
  return markerIn(buf.toString("latin1"), format);
}

function markerIn(text: string, format: Format): boolean {
  switch (format) {
    case "yaml":
      return /(^|\n)sops:[ \t]*\r?\n/.test(text) && /\n[ \t]+(mac|lastmodified):/.test(text);
    case "json":
    case "binary":
      return /"sops"\s*:\s*\{/.test(text) && /"(mac|lastmodified)"\s*:/.test(text);
    case "dotenv":
      return /(^|\n)sops_(mac|lastmodified|version)=/.test(text);
    case "ini":
      return /(^|\n)\[sops\][ \t]*\r?\n/.test(text);
  }
}

const ALL_FORMATS: readonly Format[] = ["yaml", "json", "dotenv", "ini"];

/** The marker test in every store's spelling: was this content sops-encrypted, whatever its name? */
export function looksSopsEncryptedAny(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.indexOf(SOPS) === -1) return false;
  const text = buf.toString("latin1");
  return ALL_FORMATS.some((f) => markerIn(text, f));
}

const STORES: readonly Format[] = ["yaml", "json", "dotenv", "ini", "binary"];

/**
 * Was this content written by sops, whatever its name? Parsed, not guessed: a store that
 * reads it (the one its name picks first) finds a top-level sops metadata block. A script,
 * a test or a README quoting sops output merely contains the marker text.
 */
export function hasSopsMetadata(path: string, bytes: Uint8Array): boolean {
  if (!looksSopsEncryptedAny(bytes)) return false;
  const byName = formatForPath(path);
  for (const f of [byName, ...STORES.filter((x) => x !== byName)]) {
    if (f !== "binary" && !looksSopsEncrypted(bytes, f)) continue;
    try {
      if (parseFile(bytes, f).docs.some((d) => d.metadata !== undefined)) return true;
    } catch {
      // not this store
    }
  }
  return false;
}

// Flux's marker text for a sops file (kustomize-controller decryptor, sops-format §8.2).
const FLUX_MARKERS = ['"mac": "ENC[', "mac: ENC[", "sops_mac=ENC[", "[sops]"];

/**
 * A Secret `data` value that is base64 of a whole sops-encrypted file: Flux
 * decrypts those ("sops file inside a Secret", sops-format §8.1 step 4) with
 * the store the data key's extension names. It counts as encrypted only when
 * it really is one: Flux's marker, a complete metadata block, and every value
 * its stored selector picks an ENC value (at least one).
 */
export function isNestedSopsFile(path: readonly string[], text: string): boolean {
  if (path.length < 2 || path[path.length - 2] !== "data" || text.length < 64) return false;
  const compact = text.replace(/\s+/g, "");
  if (!B64_STD.test(compact)) return false;
  const bytes = Buffer.from(compact, "base64");
  const decoded = bytes.toString("latin1");
  if (!FLUX_MARKERS.some((m) => decoded.includes(m))) return false;
  const key = path[path.length - 1]!;
  const byName = formatForPath(key);
  // `.dockerconfigjson` → JSON, as Flux reads it; a name without a store's extension → binary envelope.
  const format: Format = key.endsWith(".dockerconfigjson") ? "json" : byName;
  try {
    const file = parseFile(bytes, format);
    const metaDoc = file.docs.find((d) => d.metadata !== undefined);
    if (!metaDoc) return false;
    const meta = metaView(metaDoc.metadata);
    if (meta.problems.length > 0) return false;
    const selector = format === "binary" ? undefined : meta.selector;
    let encrypted = 0;
    for (const doc of file.docs) {
      for (const v of walkLeaves(doc.root)) {
        if (!shouldBeEncrypted(v.path, selector, v.comments)) continue;
        if (v.leaf.plain.length === 0) continue;
        const t = v.leaf.type === "str" ? (v.leaf.str ?? v.leaf.plain.toString("utf8")) : undefined;
        if (t === undefined || encState(t) !== "encrypted") return false;
        encrypted++;
      }
    }
    return encrypted > 0;
  } catch {
    return false;
  }
}

export interface MetaView {
  /** The selector stored in the file (sops' default when none is stored). */
  selector: Selector;
  ageRecipients: string[];
  /** PGP fingerprints (`fp`), upper case. */
  pgpFingerprints: string[];
  /** Key types other than age that hold at least one key. */
  otherKeyTypes: string[];
  macOnlyEncrypted: boolean;
  hasMac: boolean;
  /** Why sops would refuse to load this block; empty when it loads. */
  problems: string[];
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function nonEmptyList(v: unknown): v is unknown[] {
  return Array.isArray(v) && v.length > 0;
}

function recipientsOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((e) => (e && typeof e === "object" ? (e as Record<string, unknown>).recipient : undefined))
    .filter((r): r is string => typeof r === "string" && r !== "");
}

function fingerprintsOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((e) => (e && typeof e === "object" ? (e as Record<string, unknown>).fp : undefined))
    .filter((f): f is string => typeof f === "string" && f !== "")
    .map((f) => f.replace(/\s+/g, "").toUpperCase());
}

/** Key stanzas (flat or in key groups) that carry a non-empty wrapped data key. */
function wrappedKeys(m: Record<string, unknown>): number {
  let n = 0;
  const count = (holder: Record<string, unknown>) => {
    for (const k of ["age", ...OTHER_KEY_TYPES]) {
      const list = holder[k];
      if (!Array.isArray(list)) continue;
      for (const e of list) {
        const enc = e && typeof e === "object" ? (e as Record<string, unknown>).enc : undefined;
        if (typeof enc === "string" && enc.trim() !== "") n++;
      }
    }
  };
  count(m);
  if (Array.isArray(m.key_groups)) {
    for (const g of m.key_groups)
      if (g && typeof g === "object") count(g as Record<string, unknown>);
  }
  return n;
}

/** A typed look at a `sops` block, with the reasons sops would refuse to load it. */
export function metaView(meta: unknown): MetaView {
  const problems: string[] = [];
  const view: MetaView = {
    selector: DEFAULT_SELECTOR,
    ageRecipients: [],
    pgpFingerprints: [],
    otherKeyTypes: [],
    macOnlyEncrypted: false,
    hasMac: false,
    problems,
  };
  if (!meta || typeof meta !== "object" || Array.isArray(meta)) {
    problems.push("the sops key is not a mapping");
    return view;
  }
  const m = meta as Record<string, unknown>;
  const set = SELECTOR_FIELDS.filter((f) => typeof m[f] === "string" && m[f] !== "");
  if (set.length > 1) problems.push(`more than one selector (${set.join(", ")})`);
  const field = set[0];
  if (field) view.selector = { field, value: m[field] as string };
  view.ageRecipients.push(...recipientsOf(m.age));
  view.pgpFingerprints.push(...fingerprintsOf(m.pgp));
  for (const k of OTHER_KEY_TYPES) if (nonEmptyList(m[k])) view.otherKeyTypes.push(k);
  if (nonEmptyList(m.key_groups)) {
    for (const g of m.key_groups) {
      if (!g || typeof g !== "object") continue;
      const group = g as Record<string, unknown>;
      view.ageRecipients.push(...recipientsOf(group.age));
      view.pgpFingerprints.push(...fingerprintsOf(group.pgp));
      for (const k of OTHER_KEY_TYPES) {
        if (nonEmptyList(group[k]) && !view.otherKeyTypes.includes(k)) view.otherKeyTypes.push(k);
      }
    }
  }
  if (view.ageRecipients.length === 0 && view.otherKeyTypes.length === 0) {
    problems.push("no keys (no age, pgp, kms or other recipient)");
  } else if (wrappedKeys(m) === 0) {
    problems.push("no key stanza holds a wrapped data key (enc)");
  }
  const lm = m.lastmodified;
  if (typeof lm !== "string" || !RFC3339.test(lm))
    problems.push("lastmodified missing or not an RFC 3339 time");
  view.hasMac = typeof m.mac === "string" && m.mac !== "";
  // sops always writes these; without them the block was not written by sops and vouches for nothing.
  if (!view.hasMac) problems.push("no mac");
  else if (encState(m.mac as string) !== "encrypted") problems.push("the mac is not an ENC value");
  if (m.version === undefined || m.version === null || m.version === "")
    problems.push("no version");
  view.macOnlyEncrypted = m.mac_only_encrypted === true || m.mac_only_encrypted === "true";
  return view;
}
