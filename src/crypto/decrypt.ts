/**
 * Native decryption of a sops file: unwrap the data key with a local age
 * identity, decrypt every value the stored selector marks as encrypted (and
 * the encrypted comments), recompute the MAC over the decrypted values and
 * compare (sops-format §4–§6). Values stay in memory; results carry key
 * paths and bytes for callers that need them (verify, history, fix), and
 * every message names a path, never a value.
 */
import { CryptoError } from "../errors.js";
import { parseFile } from "../sops/parse.js";
import { shouldBeEncrypted } from "../sops/select.js";
import type { Leaf, ParsedFile } from "../sops/tree.js";
import type { Format } from "../types.js";
import { decryptValue } from "./aes.js";
import { unwrapDataKey } from "./age.js";
import { commentShouldBeEncrypted, computeMac, decryptMac, walkTree } from "./mac.js";
import { readMetadata, type SopsMetadata } from "./metadata.js";

export type { AgeEntry, SopsMetadata } from "./metadata.js";

/** Former name of {@link SopsMetadata}. */
export type SopsMeta = SopsMetadata;
/** Former name of {@link readMetadata}. */
export const readSopsMeta = readMetadata;

export interface PlainLeaf {
  /** 0-based document index. */
  document: number;
  path: string[];
  aad: string;
  /** The ENC value's type for a decrypted leaf, else the parsed scalar type. */
  type: string;
  /** The decrypted bytes (encrypted leaves) or the parsed bytes (the others). */
  plain: Buffer;
  /** True when the value was stored encrypted (an empty string never is). */
  encrypted: boolean;
}

export interface PlainComment {
  document: number;
  /** Path of the mapping or list holding the comment. */
  path: string[];
  aad: string;
  /** The comment text (after `#`), decrypted when it was encrypted. */
  text: string;
  /** True when it was stored encrypted and decrypted here. */
  encrypted: boolean;
}

export type DecryptProblem =
  | "no-metadata"
  | "bad-metadata"
  | "unsupported-keys"
  | "no-identity-matched"
  | "bad-value"
  | "no-mac"
  | "mac-mismatch";

export interface DecryptResult {
  ok: boolean;
  problem?: DecryptProblem;
  /** Human text for the problem: paths and reasons, never values. */
  detail?: string;
  /** The file's age recipients. */
  recipients: string[];
  /** Internal: the unwrapped data key (never printed). */
  dataKey?: Buffer;
  /** Every non-null leaf in walk order (complete only when no value failed). */
  leaves: PlainLeaf[];
  comments: PlainComment[];
  macOk?: boolean;
  /** The MAC recomputed over the decrypted values (upper-case hex). */
  computedMac?: string;
  meta?: SopsMetadata;
  parsed?: ParsedFile;
}

/**
 * Decrypt every value of a parsed file with a known data key and recompute
 * the MAC. `bad-value` when a value at an encrypted position is not an ENC
 * string or does not decrypt, `no-mac` / `mac-mismatch` as sops reports them.
 */
export function decryptTree(
  parsed: ParsedFile,
  meta: SopsMetadata,
  dataKey: Buffer,
): DecryptResult {
  const selector = meta.selector;
  const leaves: PlainLeaf[] = [];
  const comments: PlainComment[] = [];
  const result: DecryptResult = {
    ok: false,
    recipients: meta.age.map((a) => a.recipient),
    dataKey,
    leaves,
    comments,
    meta,
    parsed,
  };
  const macBytes = new Map<Leaf, Buffer>();
  for (const doc of parsed.docs) {
    for (const v of walkTree(doc.root)) {
      const aad = `${v.path.join(":")}:`;
      if (v.kind === "comment") {
        const text = v.comment.text;
        if (text !== "" && commentShouldBeEncrypted(v.path, selector, v.comments, text)) {
          try {
            const d = decryptValue(text, dataKey, aad);
            comments.push({
              document: doc.index,
              path: v.path,
              aad,
              text: d.plain.toString("utf8"),
              encrypted: true,
            });
            continue;
          } catch {
            // sops keeps a comment that does not decrypt as it is ("possibly unencrypted comment")
          }
        }
        comments.push({ document: doc.index, path: v.path, aad, text, encrypted: false });
        continue;
      }
      const leaf = v.leaf;
      if (!shouldBeEncrypted(v.path, selector, v.comments)) {
        leaves.push({
          document: doc.index,
          path: v.path,
          aad,
          type: leaf.type,
          plain: leaf.plain,
          encrypted: false,
        });
        continue;
      }
      if (leaf.type !== "str") {
        return {
          ...result,
          problem: "bad-value",
          detail: `the value at "${aad}" is not encrypted (a ${leaf.type} where sops expects an encrypted string)`,
        };
      }
      const text = leaf.str ?? leaf.plain.toString("utf8");
      if (text === "") {
        // sops leaves an empty string as it is, and it adds nothing to the MAC
        leaves.push({
          document: doc.index,
          path: v.path,
          aad,
          type: "str",
          plain: leaf.plain,
          encrypted: false,
        });
        continue;
      }
      if (!text.startsWith("ENC[")) {
        return {
          ...result,
          problem: "bad-value",
          detail: `the value at "${aad}" is not encrypted`,
        };
      }
      let d: { plain: Buffer; type: string; macBytes: Buffer };
      try {
        d = decryptValue(text, dataKey, aad);
      } catch (e) {
        return { ...result, problem: "bad-value", detail: (e as Error).message };
      }
      macBytes.set(leaf, d.macBytes);
      leaves.push({
        document: doc.index,
        path: v.path,
        aad,
        type: d.type,
        plain: d.plain,
        encrypted: true,
      });
    }
  }
  const computed = computeMac(parsed.docs, (leaf) => macBytes.get(leaf) ?? leaf.plain, {
    selector,
    macOnlyEncrypted: meta.macOnlyEncrypted,
  });
  result.computedMac = computed;
  if (!meta.mac) {
    return {
      ...result,
      problem: "no-mac",
      macOk: false,
      detail: "MAC mismatch: the file has no MAC",
    };
  }
  let stored: string;
  try {
    stored = decryptMac(meta.mac, dataKey, meta.lastmodified ?? "");
  } catch (e) {
    return { ...result, problem: "mac-mismatch", macOk: false, detail: (e as Error).message };
  }
  if (stored !== computed) {
    return {
      ...result,
      problem: "mac-mismatch",
      macOk: false,
      detail: "MAC mismatch: values were changed after encryption",
    };
  }
  return { ...result, ok: true, macOk: true };
}

/** Unwrap the data key with local age identities: the first age entry that opens wins (as in sops). */
export async function openDataKey(
  meta: SopsMetadata,
  identities: readonly string[],
): Promise<Buffer | undefined> {
  if (identities.length === 0) return undefined;
  for (const entry of meta.age) {
    const key = await unwrapDataKey(entry.enc, identities);
    if (key) return key;
  }
  return undefined;
}

function failed(
  problem: DecryptProblem,
  detail: string,
  parsed: ParsedFile,
  meta?: SopsMetadata,
): DecryptResult {
  return {
    ok: false,
    problem,
    detail,
    recipients: meta?.age.map((a) => a.recipient) ?? [],
    leaves: [],
    comments: [],
    meta,
    parsed,
  };
}

/** The metadata sops would load from a parsed file, or why not. */
function loadMeta(parsed: ParsedFile): SopsMetadata | DecryptResult {
  const raw = parsed.docs[0]?.metadata;
  if (raw === undefined) return failed("no-metadata", "sops metadata not found", parsed);
  const meta = readMetadata(raw);
  if (meta.problems.length > 0) {
    return failed(
      "bad-metadata",
      `the sops metadata is invalid (${meta.problems.join("; ")})`,
      parsed,
      meta,
    );
  }
  return meta;
}

/** Parse, unwrap and decrypt one file with local age identities. */
export async function decryptFile(
  bytes: Uint8Array,
  format: Format,
  identities: readonly string[],
): Promise<DecryptResult> {
  const parsed = parseFile(bytes, format);
  const meta = loadMeta(parsed);
  if ("ok" in meta) return meta;
  if (meta.keyGroups > 1) {
    return failed(
      "unsupported-keys",
      `the data key is split over ${meta.keyGroups} key groups (Shamir); use sops`,
      parsed,
      meta,
    );
  }
  if (meta.age.length === 0) {
    return failed(
      "unsupported-keys",
      `no age recipient in the file (${meta.otherKeyTypes.join(", ") || "no keys"})`,
      parsed,
      meta,
    );
  }
  const dataKey = await openDataKey(meta, identities);
  if (!dataKey) {
    return failed(
      "no-identity-matched",
      "no local age identity matches any of the file's recipients",
      parsed,
      meta,
    );
  }
  if (dataKey.length !== 32) {
    return failed("bad-metadata", "the age-wrapped data key is not 32 bytes", parsed, meta);
  }
  return decryptTree(parsed, meta, dataKey);
}

/**
 * Decrypt and verify with a data key obtained elsewhere (a PGP-wrapped test
 * fixture, `updatekeys`): the same checks as {@link decryptFile} after the
 * key is unwrapped.
 */
export function decryptWithDataKey(
  bytes: Uint8Array,
  format: Format,
  dataKey: Buffer,
): DecryptResult {
  const parsed = parseFile(bytes, format);
  const meta = loadMeta(parsed);
  if ("ok" in meta) return meta;
  return decryptTree(parsed, meta, assertDataKey(dataKey));
}

export function assertDataKey(k: Buffer | undefined): Buffer {
  if (k?.length !== 32) throw new CryptoError("the data key is not 32 bytes");
  return k;
}
