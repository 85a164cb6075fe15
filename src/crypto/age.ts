/**
 * The data key wrapped with age (sops-format §6.2): one age file per
 * recipient, exactly one recipient each, whose payload is the raw 32-byte
 * data key, ASCII-armored. Identities are parsed with sops' strict key-file
 * rules (§6.4): no trimming, `#` comments only at the start of a line.
 */
import { armor, Decrypter, Encrypter, identityToRecipient } from "age-encryption";
import { CryptoError } from "../errors.js";

export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<string> {
  const e = new Encrypter();
  try {
    e.addRecipient(recipient);
  } catch {
    throw new CryptoError(`not a usable age recipient: ${recipient}`);
  }
  return armor.encode(await e.encrypt(dataKey));
}

/** Try the identities on one armored `enc` block; undefined when none matches. */
export async function unwrapDataKey(
  enc: string,
  identities: readonly string[],
): Promise<Buffer | undefined> {
  if (identities.length === 0) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = armor.decode(enc.trim() === "" ? enc : `${enc.trim()}\n`);
  } catch {
    return undefined;
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    const key = Buffer.from(await d.decrypt(bytes, "uint8array"));
    return key;
  } catch {
    return undefined;
  }
}

/**
 * Identities from key-file text, as sops reads them: one per line, empty lines
 * and lines starting with `#` skipped; any other line must be exactly an
 * identity (an indented line or trailing spaces make it invalid). Invalid
 * lines are reported by number only.
 */
export function parseIdentities(text: string, source: string): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "" || line.startsWith("#")) continue;
    if (/^AGE-SECRET-KEY-(PQ-)?1[02-9ac-hj-np-z]+$/i.test(line)) {
      out.push(line);
      continue;
    }
    throw new CryptoError(
      `${source}: line ${i + 1} is not an age identity (identities must stand alone on their line, without surrounding spaces)`,
    );
  }
  return out;
}

export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}
