/**
 * Recognising sops output without decrypting it: the ENC[...] value format
 * (sops-format §3.1), the metadata block (§3.3, §7) and the marker text of an
 * encrypted file (§8.2).
 */

import { type Format, OTHER_KEY_TYPES, SELECTOR_FIELDS, type Selector } from "../types.js";
import { B64_STD } from "./enc.js";
import { DEFAULT_SELECTOR } from "./select.js";

export { isEncValue } from "./enc.js";

/** Cheap marker test: does this file carry a sops metadata block? (No parsing.) */
export function looksSopsEncrypted(bytes: Uint8Array, format: Format): boolean {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
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

// Flux's marker text for a sops file (kustomize-controller decryptor, sops-format §8.2).
const FLUX_MARKERS = ['"mac": "ENC[', "mac: ENC[", "sops_mac=ENC[", "[sops]"];

/**
 * A Secret `data` value that is base64 of a whole sops-encrypted file: Flux
 * decrypts those ("sops file inside a Secret", sops-format §8.1 step 4).
 */
export function isNestedSopsFile(path: readonly string[], text: string): boolean {
  if (path.length < 2 || path[path.length - 2] !== "data" || text.length < 64) return false;
  const compact = text.replace(/\s+/g, "");
  if (!B64_STD.test(compact)) return false;
  const decoded = Buffer.from(compact, "base64").toString("latin1");
  return FLUX_MARKERS.some((m) => decoded.includes(m));
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
  }
  const lm = m.lastmodified;
  if (typeof lm !== "string" || !RFC3339.test(lm))
    problems.push("lastmodified missing or not an RFC 3339 time");
  view.hasMac = typeof m.mac === "string" && m.mac !== "";
  view.macOnlyEncrypted = m.mac_only_encrypted === true || m.mac_only_encrypted === "true";
  return view;
}
