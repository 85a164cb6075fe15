/**
 * The sops MAC (sops-format §5): SHA-512 over the plaintext bytes of every
 * leaf in walk order, all documents, no separators, no keys, comments and
 * nulls skipped; with `mac_only_encrypted` only encrypted leaves, after the
 * 32-byte prefix sha256("sops"). Upper-case hex, stored encrypted with the
 * `lastmodified` text (re-formatted as Go's RFC 3339) as AAD.
 */
import { createHash } from "node:crypto";
import { CryptoError } from "../errors.js";
import { decryptValue, encryptValue } from "./aes.js";

const MAC_ONLY_PREFIX = createHash("sha256").update("sops").digest();

export class MacHasher {
  private readonly h = createHash("sha512");
  constructor(private readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.h.update(MAC_ONLY_PREFIX);
  }
  /** Feed one leaf's plaintext bytes. */
  add(plain: Uint8Array, encrypted: boolean): void {
    if (this.macOnlyEncrypted && !encrypted) return;
    this.h.update(plain);
  }
  hex(): string {
    return this.h.digest("hex").toUpperCase();
  }
}

/** Go's `time.Parse(RFC3339)` then `Format(RFC3339)`: no fraction, `Z` for a zero offset. */
export function goRfc3339(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(
    text,
  );
  if (!m) throw new CryptoError("lastmodified is not an RFC 3339 time");
  const zone = m[3]!.toUpperCase() === "Z" || /^[+-]00:00$/.test(m[3]!) ? "Z" : m[3]!;
  return `${m[1]}T${m[2]}${zone}`;
}

/** `lastmodified` for a new encryption: UTC, whole seconds. */
export function formatLastModified(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

export function encryptMac(hex: string, key: Buffer, lastmodified: string, iv?: Buffer): string {
  return encryptValue(Buffer.from(hex, "utf8"), "str", key, goRfc3339(lastmodified), iv);
}

export function decryptMac(mac: string, key: Buffer, lastmodified: string): string {
  try {
    return decryptValue(mac, key, goRfc3339(lastmodified)).plain.toString("utf8");
  } catch {
    throw new CryptoError("cannot decrypt the MAC (wrong data key or a changed lastmodified)");
  }
}
