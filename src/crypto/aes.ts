/**
 * sops values: `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]`
 * (sops-format §3.1–3.2). AES-256-GCM with the 32-byte data key, a 32-byte
 * IV (sops' nonce size), the 16-byte tag split off, and the value's tree path
 * as additional authenticated data. Errors name the path, never the value.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { CryptoError } from "../errors.js";
import { parseEnc } from "../sops/enc.js";
import { randomBytes } from "./random.js";

export { type EncParts, parseEnc } from "../sops/enc.js";

export function encryptValue(
  plain: Buffer,
  type: string,
  key: Buffer,
  aad: string,
  iv?: Buffer,
): string {
  if (plain.length === 0) throw new CryptoError(`refusing to encrypt an empty value at ${aad}`);
  const nonce = iv ?? randomBytes(32);
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([c.update(plain), c.final()]);
  const tag = c.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${nonce.toString("base64")},tag:${tag.toString("base64")},type:${type}]`;
}

export function decryptValue(
  enc: string,
  key: Buffer,
  aad: string,
): { plain: Buffer; type: string } {
  const p = parseEnc(enc);
  if (!p) throw new CryptoError(`value at "${aad}" is not a well-formed ENC[...] value`);
  try {
    const d = createDecipheriv("aes-256-gcm", key, p.iv);
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(p.tag);
    const plain = Buffer.concat([d.update(p.data), d.final()]);
    return { plain, type: p.type };
  } catch {
    throw new CryptoError(
      `value at "${aad}" does not decrypt (wrong data key, or the value was moved or its key renamed)`,
    );
  }
}
