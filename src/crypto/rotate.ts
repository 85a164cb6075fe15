/**
 * `updatekeys --rotate`: what `sops rotate` does after a key compromise. A new
 * random data key; every encrypted value (and encrypted comment) decrypted with
 * the old key and encrypted again with the new one (same AAD, same type, a new
 * IV); the MAC, whose hash over the plaintext does not change, encrypted again
 * with the new key under a new `lastmodified`; the new key wrapped for the
 * creation rule's recipients. The file is edited as text: every other byte
 * stays. The old key must open the file and the MAC must verify first; the
 * output is decrypted again and compared value by value before it is returned.
 * Plaintext stays in memory.
 *
 * YAML, JSON and dotenv (as updatekeys); one data key for all documents.
 */
import { CryptoError } from "../errors.js";
import { parseFile } from "../sops/parse.js";
import { shouldBeEncrypted } from "../sops/select.js";
import type { ParsedFile } from "../sops/tree.js";
import type { CreationRule, Format } from "../types.js";
import { decryptValue, encryptValue } from "./aes.js";
import { wrapDataKey } from "./age.js";
import { decryptTree, openDataKey, readSopsMeta, type SopsMeta } from "./decrypt.js";
import { commentShouldBeEncrypted, encryptMac, formatLastModified, walkTree } from "./mac.js";
import { now, randomBytes } from "./random.js";
import {
  type AgeEntry,
  fileDataKey,
  planRekey,
  type RekeyPlan,
  replaceDotenvAge,
  replaceJsonAge,
  replaceYamlAge,
} from "./rekey.js";

function metasOf(parsed: ParsedFile): SopsMeta[] {
  return parsed.docs.filter((d) => d.metadata !== undefined).map((d) => readSopsMeta(d.metadata));
}

/** Replace every occurrence of `from` (a unique ENC string) in `text`; it must be there. */
function swap(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length < 2)
    throw new CryptoError("rotate: an encrypted value was not found in the text");
  return parts.join(to);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Rotate `bytes`. Returns the new content and the recipients it is wrapped for. Throws
 * CryptoError (nothing to write) when no identity opens the file, it does not verify, or
 * the format cannot be edited.
 */
export async function rotate(
  bytes: Buffer,
  format: Format,
  rule: CreationRule,
  identities: readonly string[],
): Promise<{ plan: RekeyPlan; out: Buffer }> {
  const parsed = parseFile(bytes, format);
  const plan = planRekey(parsed, rule);
  const metas = metasOf(parsed);
  const oldKey = await fileDataKey(metas, plan, identities, "sops rotate");
  const check = decryptTree(parsed, metas[0]!, oldKey);
  if (!check.ok || !check.computedMac)
    throw new CryptoError(
      `the file does not verify with its data key (${check.problem === "mac-mismatch" ? "MAC mismatch: it was edited by hand; fix it with `sops edit` first" : (check.detail ?? check.problem)})`,
    );
  let newKey = randomBytes(32);
  while (newKey.equals(oldKey)) newKey = randomBytes(32);

  let text = bytes.toString("utf8");
  const selector = metas[0]!.selector;
  for (const doc of parsed.docs) {
    for (const v of walkTree(doc.root)) {
      if (v.path[0] === "sops") continue;
      const aad = `${v.path.join(":")}:`;
      if (v.kind === "comment") {
        const c = v.comment.text;
        if (!c.startsWith("ENC[") || !commentShouldBeEncrypted(v.path, selector, v.comments, c))
          continue;
        let d: { plain: Buffer; type: string };
        try {
          d = decryptValue(c, oldKey, aad);
        } catch {
          continue; // sops keeps a comment that does not decrypt as it is
        }
        text = swap(text, c, encryptValue(d.plain, d.type, newKey, aad));
        continue;
      }
      const s = v.leaf.str;
      if (!s?.startsWith("ENC[") || !shouldBeEncrypted(v.path, selector, v.comments)) continue;
      const d = decryptValue(s, oldKey, aad);
      text = swap(text, s, encryptValue(d.plain, d.type, newKey, aad));
    }
  }
  // The MAC hashes the plaintext, which is unchanged: the same hex under the new key.
  const lastmodified = formatLastModified(now());
  const mac = encryptMac(check.computedMac, newKey, lastmodified);
  for (const m of metas) {
    if (!m.mac) throw new CryptoError("the file has no MAC");
    text = swap(text, m.mac, mac);
    if (m.lastmodified) {
      const re = new RegExp(`(lastmodified["']?\\s*[:=]\\s*["']?)${escapeRe(m.lastmodified)}`, "g");
      text = text.replace(re, `$1${lastmodified}`);
    }
  }
  const entries: AgeEntry[] = [];
  for (const recipient of plan.target)
    entries.push({ recipient, enc: await wrapDataKey(newKey, recipient) });
  if (format === "yaml") text = replaceYamlAge(text, entries);
  else if (format === "json") text = replaceJsonAge(text, entries);
  else text = replaceDotenvAge(text, entries);
  const out = Buffer.from(text, "utf8");

  // Self-check: the output opens with the new key only, verifies, and holds the same values.
  const after = parseFile(out, format);
  const ma = metasOf(after);
  const r = decryptTree(after, ma[0]!, newKey);
  if (!r.ok) throw new CryptoError(`self-check failed: the output does not verify (${r.problem})`);
  if (await openDataKey(ma[0]!, identities).then((k) => k && !k.equals(newKey)))
    throw new CryptoError("self-check failed: the data key was not replaced");
  const flat = (l: typeof r.leaves) =>
    l.map((x) => `${x.aad}=${x.type}:${x.plain.toString("base64")}`).join("\n");
  if (flat(r.leaves) !== flat(check.leaves))
    throw new CryptoError("self-check failed: a value changed");
  if (ma.some((m) => m.age.map((a) => a.recipient).join(",") !== plan.target.join(",")))
    throw new CryptoError("self-check failed: the recipients are not the rule's");
  return { plan, out };
}
