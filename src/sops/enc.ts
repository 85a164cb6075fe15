/**
 * The sops value format `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<type>]`
 * (sops-format §3.1), parsed as sops parses it: Go's regexp anchored at the
 * start only, greedy groups, `.` not matching a newline; Go's
 * base64.StdEncoding (standard alphabet, padding required, CR/LF skipped).
 */
const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;
export const B64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface EncParts {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

function goStdBase64(s: string): Buffer | undefined {
  const t = s.replaceAll("\r", "");
  return B64_STD.test(t) ? Buffer.from(t, "base64") : undefined;
}

/** Parse an ENC value the way sops does; undefined when sops would reject it. */
export function parseEnc(s: string): EncParts | undefined {
  if (!s.startsWith("ENC[AES256_GCM,")) return undefined;
  const m = ENC_RE.exec(s);
  if (!m) return undefined;
  const data = goStdBase64(m[1]!);
  const iv = goStdBase64(m[2]!);
  const tag = goStdBase64(m[3]!);
  if (!data || !iv || !tag) return undefined;
  return { data, iv, tag, type: m[4]! };
}

/** A well-formed sops ENC value. */
export function isEncValue(text: string): boolean {
  return parseEnc(text) !== undefined;
}
