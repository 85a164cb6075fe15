/**
 * sops values: `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]`
 * (sops-format §3.1–3.2). AES-256-GCM with the 32-byte data key, a 32-byte
 * IV (sops' nonce size), the 16-byte tag split off, and the value's tree path
 * as additional authenticated data. Errors name the path, never the value.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { CryptoError } from "../errors.js";
import { parseEnc } from "../sops/enc.js";
import { goFormatFloat, isCalendarTime } from "../sops/scalar.js";
import { randomBytes } from "./random.js";

export { type EncParts, parseEnc } from "../sops/enc.js";

/** True when sops can parse the value (it may still fail to decrypt). */
export function isWellFormedEnc(s: string): boolean {
  const p = parseEnc(s);
  // Go needs a nonce and at least a 16-byte tag in data+tag (it splits the joined bytes itself).
  return p !== undefined && p.iv.length > 0 && p.data.length + p.tag.length >= 16;
}

/** The `type` values sops' decrypter knows (S:aes/cipher.go). */
export const ENC_TYPES = ["str", "int", "float", "bytes", "bool", "time", "comment"] as const;

function encString(data: Buffer, iv: Buffer, tag: Buffer, type: string): string {
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${tag.toString("base64")},type:${type}]`;
}

/**
 * Encrypt one value. `plain` are the bytes of sops-format §3.2 for `type`.
 * Empty values are never encrypted (sops leaves `""` alone): the caller must
 * not ask. `iv` is for tests; by default 32 random bytes.
 */
export function encryptValue(
  plain: Buffer,
  type: string,
  key: Buffer,
  aad: string,
  iv?: Buffer,
): string {
  if (plain.length === 0) throw new CryptoError(`refusing to encrypt an empty value at "${aad}"`);
  if (key.length !== 32) throw new CryptoError("the data key is not 32 bytes");
  if (!/^[a-z]+$/.test(type)) throw new CryptoError(`bad value type for "${aad}"`);
  const nonce = iv ?? randomBytes(32);
  if (nonce.length === 0) throw new CryptoError("empty IV");
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([c.update(plain), c.final()]);
  return encString(data, nonce, c.getAuthTag(), type);
}

/**
 * Decrypt one value as sops does: the empty string stays empty; anything else
 * must be a well-formed ENC value that authenticates with `aad` and whose
 * plaintext decodes as its `type`. Throws CryptoError naming `aad` only.
 * `macBytes` are the bytes sops hashes for the decoded value (sops.go
 * `ToBytes`): the plaintext itself for values sops wrote.
 */
export function decryptValue(
  enc: string,
  key: Buffer,
  aad: string,
): { plain: Buffer; type: string; macBytes: Buffer } {
  if (enc === "") return { plain: Buffer.alloc(0), type: "str", macBytes: Buffer.alloc(0) };
  const p = parseEnc(enc);
  if (!p) throw new CryptoError(`the value at "${aad}" is not a well-formed ENC[...] value`);
  if (key.length !== 32) throw new CryptoError("the data key is not 32 bytes");
  let plain: Buffer;
  try {
    // Go joins data and tag and takes the last 16 bytes as the tag, whatever the split.
    const all = Buffer.concat([p.data, p.tag]);
    if (p.iv.length === 0 || all.length < 16) throw new Error("bad sizes");
    const d = createDecipheriv("aes-256-gcm", key, p.iv);
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(all.subarray(all.length - 16));
    plain = Buffer.concat([d.update(all.subarray(0, all.length - 16)), d.final()]);
  } catch {
    throw new CryptoError(
      `the value at "${aad}" does not decrypt (wrong data key, or the value was moved or its key renamed)`,
    );
  }
  const macBytes = macBytesFor(plain, p.type);
  if (!macBytes) {
    throw new CryptoError(
      (ENC_TYPES as readonly string[]).includes(p.type)
        ? `the value at "${aad}" does not decode as its type ${p.type}`
        : `the value at "${aad}" has an unknown type`,
    );
  }
  return { plain, type: p.type, macBytes };
}

// ------------------------------------------------- typed plaintext (Go strconv/time)

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const GO_TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const GO_FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Go `strconv.Atoi` (64-bit). */
function goAtoi(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

/** Underscores only between digits (or right after a base prefix), as Go's `underscoreOK`. */
function goUnderscoresOk(s: string, hex: boolean): boolean {
  const digit = hex ? /[0-9a-fA-F]/ : /[0-9]/;
  const body = s.replace(/^[+-]/, "");
  const start = hex ? 2 : 0;
  for (let i = start; i < body.length; i++) {
    if (body[i] !== "_") continue;
    const before = i === start ? (hex ? "0" : "") : body[i - 1]!;
    const after = body[i + 1] ?? "";
    if (!(i === start && hex) && !digit.test(before)) return false;
    if (!digit.test(after)) return false;
  }
  return true;
}

/** Go `strconv.ParseFloat(s, 64)`; undefined on a syntax or range error. */
export function goParseFloat(s: string): number | undefined {
  const sp = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (sp) return sp[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^nan$/i.test(s)) return Number.NaN;
  const hex = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9_]+)$/.exec(s);
  if (hex) {
    if (!goUnderscoresOk(s, true)) return undefined;
    const int = hex[2]!.replaceAll("_", "");
    const frac = (hex[3] ?? "").replaceAll("_", "");
    if (int === "" && frac === "") return undefined;
    const mant = BigInt(`0x${int || "0"}${frac}`);
    const exp = Number(hex[4]!.replaceAll("_", "")) - 4 * frac.length;
    const v = Number(mant) * 2 ** exp;
    if (!Number.isFinite(v) && mant !== 0n) return undefined;
    return hex[1] === "-" ? -v : v;
  }
  if (!/^[+-]?([0-9_]+\.?[0-9_]*|\.[0-9_]+)([eE][+-]?[0-9_]+)?$/.test(s)) return undefined;
  if (!/[0-9]/.test(s.replace(/[eE].*$/, ""))) return undefined;
  if (s.includes("_") && !goUnderscoresOk(s, false)) return undefined;
  const v = Number(s.replaceAll("_", ""));
  return Number.isFinite(v) ? v : undefined;
}

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Go's RFC 3339 parse then format: `fractionDigits` "none" drops the fraction
 * (`Format(time.RFC3339)`), "nano" keeps up to 9 digits without trailing
 * zeros (`MarshalText`). A zero offset is written `Z`. Undefined when Go's
 * parser rejects the text.
 */
export function goRfc3339Reformat(
  text: string,
  fractionDigits: "none" | "nano",
): string | undefined {
  const m = RFC3339_RE.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!isCalendarTime(y, mo, d, h, mi, se)) return undefined;
  let zone = "Z";
  if (m[8] !== "Z") {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    zone = oh === 0 && om === 0 ? "Z" : m[8]!;
  }
  let frac = "";
  if (fractionDigits === "nano" && m[7]) {
    frac = m[7].slice(0, 9).replace(/0+$/, "");
    if (frac) frac = `.${frac}`;
  }
  return `${text.slice(0, 19)}${frac}${zone}`;
}

/**
 * The bytes sops hashes into the MAC for a decrypted value of `type`
 * (decode as in S:aes/cipher.go, then sops.go `ToBytes`); undefined when sops
 * would fail to decode it or does not know the type.
 */
export function macBytesFor(plain: Buffer, type: string): Buffer | undefined {
  switch (type) {
    case "str":
    case "bytes":
    case "comment":
      return plain;
    case "int": {
      const v = goAtoi(plain.toString("latin1"));
      return v === undefined ? undefined : Buffer.from(v.toString());
    }
    case "float": {
      const v = goParseFloat(plain.toString("latin1"));
      return v === undefined ? undefined : Buffer.from(goFormatFloat(v));
    }
    case "bool": {
      const s = plain.toString("latin1");
      if (GO_TRUE.has(s)) return Buffer.from("True");
      if (GO_FALSE.has(s)) return Buffer.from("False");
      return undefined;
    }
    case "time": {
      const t = goRfc3339Reformat(plain.toString("latin1"), "nano");
      return t === undefined ? undefined : Buffer.from(t);
    }
    default:
      return undefined;
  }
}
