/**
 * "Looks like a credential": the warning for values a broad rule's selector
 * picks in a file that need not be encrypted (a HelmRelease, a ConfigMap, a
 * script). Only formats that are credentials by construction, and long random
 * tokens; `LOG_LEVEL: debug`, image digests, UUIDs and URLs are not. The
 * answer names the format, never the value.
 */

const FORMATS: Array<{ label: string; re: RegExp }> = [
  {
    label: "a PEM private key block",
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/,
  },
  { label: "an age secret key", re: /AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}/ },
  { label: "an AWS access key id", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { label: "a GitHub token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { label: "a Slack token", re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ },
  {
    label: "a JSON Web Token",
    re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
  },
];

/** base64 / base64url / token alphabets, one word (longer is encoded content, not a token). */
const TOKEN = /^[A-Za-z0-9+/=_-]{32,256}$/;

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A long random-looking token: ≥32 characters of a token alphabet, upper and
 * lower case and digits, more than 4.2 bits per character. Hex digests and
 * UUIDs (no upper case) and words joined by separators fall below it.
 */
export function isHighEntropyToken(t: string): boolean {
  if (!TOKEN.test(t)) return false;
  if (!/[A-Z]/.test(t) || !/[a-z]/.test(t) || !/[0-9]/.test(t)) return false;
  return entropy(t) > 4.2;
}

/** What kind of credential the text looks like, or undefined. */
export function credentialLike(text: string, opts: { entropy?: boolean } = {}): string | undefined {
  // Binary content (firmware, archives, images) embeds such strings as code, not as credentials.
  if (text.includes("\u0000")) return undefined;
  for (const f of FORMATS) if (f.re.test(text)) return f.label;
  if (opts.entropy !== false && isHighEntropyToken(text.trim())) return "a long random token";
  return undefined;
}
