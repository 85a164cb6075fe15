/**
 * The sops value format `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]`
 * (sops-format §3.1), parsed as sops parses it: the regex is anchored at the
 * start only with greedy groups, and base64 is standard and padded.
 */
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;
export const B64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface EncParts {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

export function parseEnc(s: string): EncParts | undefined {
  if (!s.startsWith("ENC[")) return undefined;
  const m = ENC_RE.exec(s);
  if (!m) return undefined;
  const [, data, iv, tag, type] = m as unknown as [string, string, string, string, string];
  if (!B64_STD.test(data) || !B64_STD.test(iv) || !B64_STD.test(tag)) return undefined;
  return {
    data: Buffer.from(data, "base64"),
    iv: Buffer.from(iv, "base64"),
    tag: Buffer.from(tag, "base64"),
    type,
  };
}

/** A well-formed sops ENC value. */
export function isEncValue(text: string): boolean {
  return parseEnc(text) !== undefined;
}
