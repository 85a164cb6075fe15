/**
 * The sops MAC (sops-format §5): SHA-512 over the plaintext bytes of every
 * leaf in walk order, all documents, no separators, no keys, comments and
 * nulls skipped; with `mac_only_encrypted` only encrypted leaves, after the
 * 32-byte prefix sha256("sops"). Upper-case hex, stored encrypted with the
 * `lastmodified` text (re-formatted as Go's RFC 3339) as AAD.
 */
import { createHash } from "node:crypto";
import { CryptoError } from "../errors.js";
import { shouldBeEncrypted } from "../sops/select.js";
import type { CommentItem, Leaf, TreeDoc, TreeNode } from "../sops/tree.js";
import type { Selector } from "../types.js";
import { decryptValue, encryptValue, goRfc3339Reformat } from "./aes.js";

/** sha256("sops"), fed first when `mac_only_encrypted` is set (S:sops.go). */
export const MAC_ONLY_ENCRYPTED_PREFIX = createHash("sha256").update("sops").digest();

export class MacHasher {
  private readonly h = createHash("sha512");
  constructor(private readonly macOnlyEncrypted: boolean) {
    if (macOnlyEncrypted) this.h.update(MAC_ONLY_ENCRYPTED_PREFIX);
  }
  /** Feed one leaf's plaintext bytes (not comments, not nulls). */
  add(plain: Uint8Array, encrypted: boolean): void {
    if (this.macOnlyEncrypted && !encrypted) return;
    this.h.update(plain);
  }
  hex(): string {
    return this.h.digest("hex").toUpperCase();
  }
}

export type WalkItem =
  | { kind: "leaf"; leaf: Leaf; path: string[]; comments: string[] }
  /** `comments`: the comment stack before this comment (it is not included). */
  | { kind: "comment"; comment: CommentItem; path: string[]; comments: string[] };

/**
 * sops' tree walk (S:sops.go walkBranch/walkSlice): mapping items in order,
 * sequence elements in order, depth-first; `path` = mapping keys from the
 * root (a comment gets the path of its container); the comment stack holds,
 * for every enclosing level, the comments seen since that level's last
 * non-comment item. Null leaves are visited by nobody.
 */
export function* walkTree(
  node: TreeNode,
  path: string[] = [],
  comments: string[] = [],
): Generator<WalkItem> {
  switch (node.kind) {
    case "leaf":
      yield { kind: "leaf", leaf: node, path, comments };
      return;
    case "null":
      return;
    case "map":
    case "seq": {
      let pending: string[] = [];
      for (const item of node.items) {
        if (item.kind === "comment") {
          yield { kind: "comment", comment: item, path, comments: [...comments, ...pending] };
          pending = [...pending, item.text];
          continue;
        }
        const stack = [...comments, ...pending];
        if (item.kind === "item") yield* walkTree(item.value, [...path, item.key], stack);
        else yield* walkTree(item, path, stack);
        pending = [];
      }
      return;
    }
  }
}

/**
 * Whether sops encrypts a comment: the container's path decides, and with
 * `encrypted_comment_regex` the comment line itself does not count (a
 * matching line stays readable; the comments after it are encrypted).
 */
export function commentShouldBeEncrypted(
  path: readonly string[],
  selector: Selector,
  before: readonly string[],
  text: string,
): boolean {
  const stack = selector.field === "encrypted_comment_regex" ? before : [...before, text];
  return shouldBeEncrypted(path, selector, stack);
}

/**
 * The MAC over every document's leaves, in walk order. `plainOf` gives the
 * bytes sops hashes for a leaf (its decrypted value for an encrypted leaf).
 */
export function computeMac(
  docs: readonly TreeDoc[],
  plainOf: (leaf: Leaf, path: string[]) => Uint8Array,
  opts: { selector: Selector; macOnlyEncrypted: boolean },
): string {
  const h = new MacHasher(opts.macOnlyEncrypted);
  for (const doc of docs) {
    for (const v of walkTree(doc.root)) {
      if (v.kind !== "leaf") continue;
      const encrypted = opts.macOnlyEncrypted
        ? shouldBeEncrypted(v.path, opts.selector, v.comments)
        : true;
      h.add(plainOf(v.leaf, v.path), encrypted);
    }
  }
  return h.hex();
}

/** Go's `time.Parse(RFC3339)` then `Format(RFC3339)`: no fraction, `Z` for a zero offset. */
export function goRfc3339(text: string): string {
  const t = goRfc3339Reformat(text, "none");
  if (t === undefined) throw new CryptoError("lastmodified is not an RFC 3339 time");
  return t;
}

/** `lastmodified` for a new encryption: UTC, whole seconds (`YYYY-MM-DDTHH:MM:SSZ`). */
export function formatLastModified(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** The stored `mac` value: the hex string encrypted as `str` with AAD = lastmodified. */
export function encryptMac(hex: string, key: Buffer, lastmodified: string, iv?: Buffer): string {
  return encryptValue(Buffer.from(hex, "utf8"), "str", key, goRfc3339(lastmodified), iv);
}

/** The MAC hex stored in the file ("" when the `mac` field is empty). */
export function decryptMac(mac: string, key: Buffer, lastmodified: string): string {
  let r: { plain: Buffer; type: string };
  try {
    r = decryptValue(mac, key, goRfc3339(lastmodified));
  } catch {
    throw new CryptoError("cannot decrypt the MAC (wrong data key or a changed lastmodified)");
  }
  if (mac !== "" && r.type !== "str") throw new CryptoError("the MAC is not a string value");
  return r.plain.toString("utf8");
}
