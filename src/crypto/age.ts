/**
 * The data key wrapped with age (sops-format §6.2): one age file per
 * recipient, exactly one recipient each, whose payload is the raw 32-byte
 * data key, ASCII-armored. Identities are parsed with sops' strict key-file
 * rules (§6.4): no trimming, `#` comments only at the start of a line.
 * Identity text never appears in an error message.
 */
import { armor, Decrypter, Encrypter, identityToRecipient } from "age-encryption";
import { CryptoError } from "../errors.js";

/** Wrap the data key for one recipient (`age1…`, or `age1pq1…` hybrid). */
export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<string> {
  if (dataKey.length !== 32) throw new CryptoError("the data key is not 32 bytes");
  const e = new Encrypter();
  try {
    e.addRecipient(recipient);
  } catch {
    throw new CryptoError(`not a usable age recipient: ${recipient}`);
  }
  return armor.encode(await e.encrypt(dataKey));
}

/** A Decrypter holding every identity it accepts (invalid ones are skipped). */
function decrypterFor(identities: readonly string[]): Decrypter | undefined {
  const d = new Decrypter();
  let n = 0;
  for (const id of identities) {
    try {
      d.addIdentity(id);
      n++;
    } catch {
      // not an identity typage can use (plugin, malformed): skip it
    }
  }
  return n > 0 ? d : undefined;
}

/**
 * Try the identities on one armored `enc` block: the unwrapped payload (the
 * data key, 32 bytes for any file sops wrote), or undefined when no identity
 * matches or the block is not an armored age file.
 */
export async function unwrapDataKey(
  enc: string,
  identities: readonly string[],
): Promise<Buffer | undefined> {
  const d = decrypterFor(identities);
  if (!d) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = armor.decode(enc);
  } catch {
    return undefined;
  }
  try {
    return Buffer.from(await d.decrypt(bytes, "uint8array"));
  } catch {
    return undefined;
  }
}

/** Whether typage accepts `s` as an identity (bech32 checksum and length included). */
export function isUsableIdentity(s: string): boolean {
  if (!s.startsWith("AGE-SECRET-KEY-1") && !s.startsWith("AGE-SECRET-KEY-PQ-1")) return false;
  try {
    new Decrypter().addIdentity(s);
    return true;
  } catch {
    return false;
  }
}

// Go's unicode.IsSpace (bufio.ScanWords), which unlike JS \s excludes U+FEFF.
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * Identities from key-file text, as sops reads them (S:age/keysource.go
 * parseIdentities): lines split on "\n" (a trailing "\r" dropped), empty
 * lines and lines starting with `#` skipped, any other line must be exactly
 * one identity — an indented line or trailing spaces make it invalid. With
 * `multiplePerLine` (SOPS_AGE_KEY) a line may hold several identities
 * separated by whitespace. Plugin identities (`AGE-PLUGIN-…`) are valid for
 * sops but unusable here: they are skipped. Throws CryptoError naming the
 * source and line number only.
 */
export function parseIdentities(
  text: string,
  source = "identities",
  opts: { multiplePerLine?: boolean } = {},
): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "" || line.startsWith("#")) continue;
    const words = opts.multiplePerLine ? line.split(GO_SPACE).filter(Boolean) : [line];
    for (const w of words) {
      if (w.startsWith("AGE-PLUGIN-")) continue;
      if (!isUsableIdentity(w)) {
        throw new CryptoError(
          `${source}: line ${i + 1} is not an age identity (one identity per line, nothing before or after it)`,
        );
      }
      out.push(w);
    }
  }
  return out;
}

/** The recipient (`age1…` / `age1pq1…`) of an identity. */
export async function recipientOf(identity: string): Promise<string> {
  try {
    return await identityToRecipient(identity);
  } catch {
    throw new CryptoError("not a valid age identity");
  }
}
