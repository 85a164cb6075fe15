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

/** A whole, well-formed sops ENC value (see encState). */
export function isEncValue(text: string): boolean {
  return encState(text) === "encrypted";
}

// The whole scalar, sops' alphabet only: linear (the classes exclude the separators).
const ENC_EXACT =
  /^ENC\[AES256_GCM,data:([A-Za-z0-9+/]+={0,2}),iv:([A-Za-z0-9+/]+={0,2}),tag:([A-Za-z0-9+/]+={0,2}),type:(str|int|float|bool|bytes|comment|time)\]$/;

/** How the judgement reads a string: sops ciphertext, broken ciphertext, or plaintext. */
export type EncState = "encrypted" | "malformed" | "plaintext";

/**
 * `encrypted` only when the WHOLE scalar is one ENC value as sops writes it:
 * the grammar, a known type, standard padded base64 that decodes, a 32-byte
 * IV and a 16-byte tag. `malformed`: the scalar is one `ENC[...]` token that
 * is not that (a placeholder, `ENC[]`): broken encryption, not exposed text.
 * Anything else, including text before or after a marker, is plaintext.
 */
export function encState(text: string): EncState {
  if (!text.startsWith("ENC[")) return "plaintext";
  // The judgement asks about the same value several times (each rule, each pass): the answer
  // for sops ciphertext is remembered, by its text (only ciphertext, never other text).
  if (ENCRYPTED.has(text)) return "encrypted";
  const state = encStateOf(text);
  if (state === "encrypted" && text.length <= MAX_REMEMBERED) {
    if (ENCRYPTED.size >= MAX_ENCRYPTED) ENCRYPTED.clear();
    ENCRYPTED.add(text);
  }
  return state;
}

/**
 * Ciphertexts encState found well formed (a bounded memo of a pure function). A string read
 * from a file can keep the file's whole text alive: judge() forgets them before each file.
 */
const ENCRYPTED = new Set<string>();
const MAX_ENCRYPTED = 1024;
const MAX_REMEMBERED = 4096;

/** Forget the ciphertexts encState remembers (judge() calls it for each file). */
export function forgetEncStates(): void {
  if (ENCRYPTED.size > 0) ENCRYPTED.clear();
}

function encStateOf(text: string): EncState {
  const m = ENC_EXACT.exec(text);
  if (m) {
    const data = goStdBase64(m[1]!);
    const iv = goStdBase64(m[2]!);
    const tag = goStdBase64(m[3]!);
    if (data && data.length > 0 && iv?.length === 32 && tag?.length === 16) return "encrypted";
    return "malformed";
  }
  // One bracketed token and nothing around it: a broken marker.
  return text.endsWith("]") && text.indexOf("]") === text.length - 1 && !/\s/.test(text)
    ? "malformed"
    : "plaintext";
}
