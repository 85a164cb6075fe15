/**
 * The native age engine: writes files that sops and Flux decrypt, following
 * sops-format §11. A fresh 32-byte data key wrapped for every age recipient
 * of the rule (one age file each), AES-256-GCM values with 32-byte IVs and
 * the tree path as AAD, the SHA-512 MAC over every leaf, `lastmodified` to
 * the second and quoted, a `sops` block in every document with the selector
 * recorded. YAML keeps comments and order (comments inside encrypted
 * containers are encrypted, as sops does); JSON and dotenv are written in
 * sops' layout. Before anything is returned, the output is parsed back and
 * decrypted by the reading code path and compared value by value.
 *
 * It refuses, naming the reason, what it cannot do: PGP/KMS/Vault keys, key
 * groups, SSH/plugin/post-quantum recipients, comment selectors, anchors,
 * merge keys, INI and binary files.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Pair,
  parseAllDocuments,
  Scalar,
  YAMLMap,
  YAMLSeq,
  type Node as YamlNode,
} from "yaml";
import { CryptoError } from "../errors.js";
import { parseFile, scalarKey, scalarToLeaf } from "../sops/parse.js";
import { DEFAULT_SELECTOR, shouldBeEncrypted } from "../sops/select.js";
import type { MapNode, ParsedFile, TreeNode } from "../sops/tree.js";
import { walkLeaves } from "../sops/walk.js";
import type { CreationRule, Format, Selector } from "../types.js";
import { decryptValue, encryptValue } from "./aes.js";
import { wrapDataKey } from "./age.js";
import { decryptTree, readSopsMeta } from "./decrypt.js";
import { encryptMac, formatLastModified, MacHasher } from "./mac.js";
import { now, randomBytes } from "./random.js";

/** The sops release whose file layout the native engine writes. */
export const SOPS_VERSION = "3.13.2";

const X25519 = /^age1[02-9ac-hj-np-z]{58}$/;

export interface NativeEncryptOptions {
  /**
   * Encrypt only the plaintext values of an already encrypted file under its
   * existing data key (a partially-encrypted fix). Its ENC values are kept.
   */
  existing?: { dataKey: Buffer };
}

/** Why the native engine cannot encrypt for this rule, or undefined when it can. */
export function nativeRefusal(rule: CreationRule, format: Format): string | undefined {
  if (format === "ini" || format === "binary") {
    return `the native engine writes YAML, JSON and dotenv only (this file uses sops' ${format} store)`;
  }
  if (rule.otherKeyTypes.length > 0) {
    return `creation_rules[${rule.index}] uses ${rule.otherKeyTypes.join(", ")} keys, which only the sops binary can use`;
  }
  if (rule.keyGroupCount > 1)
    return `creation_rules[${rule.index}] uses ${rule.keyGroupCount} key groups (Shamir)`;
  if (rule.age.length === 0) return `creation_rules[${rule.index}] has no age recipient`;
  const odd = rule.age.filter((r) => !X25519.test(r));
  if (odd.length > 0) {
    return `creation_rules[${rule.index}] has age recipients the native engine does not write for (SSH, plugin or post-quantum): ${odd.map((r) => r.slice(0, 16)).join(", ")}…`;
  }
  if (rule.selector.field.endsWith("comment_regex")) {
    return `creation_rules[${rule.index}] selects values by comments (${rule.selector.field})`;
  }
  return undefined;
}

interface Ctx {
  key: Buffer;
  selector: Selector;
  mac: MacHasher;
  /** Existing ENC values to keep (partial fix) are decrypted for the MAC. */
  keepExisting: boolean;
}

const aadOf = (path: readonly string[]) => `${path.join(":")}:`;

/** Encrypt (or, for kept ENC values, decrypt for the MAC) one scalar; returns the replacement text. */
function processLeaf(
  ctx: Ctx,
  path: string[],
  plain: Buffer,
  type: string,
  str: string | undefined,
): string | undefined {
  const encrypt = shouldBeEncrypted(path, ctx.selector);
  if (encrypt && ctx.keepExisting && str?.startsWith("ENC[")) {
    const d = decryptValue(str, ctx.key, aadOf(path));
    ctx.mac.add(d.plain, true);
    return undefined;
  }
  ctx.mac.add(plain, encrypt);
  if (!encrypt || plain.length === 0) return undefined;
  return encryptValue(plain, type, ctx.key, aadOf(path));
}

function encryptComment(
  ctx: Ctx,
  containerPath: string[],
  text: string | null | undefined,
): string | undefined {
  if (!text || !shouldBeEncrypted(containerPath, ctx.selector)) return text ?? undefined;
  return text
    .split("\n")
    .map((line) =>
      line === "" || line.startsWith("ENC[")
        ? line
        : encryptValue(Buffer.from(line), "comment", ctx.key, aadOf(containerPath)),
    )
    .join("\n");
}

function walkYaml(ctx: Ctx, node: YamlNode, path: string[], doc: Document.Parsed): void {
  if (isAlias(node))
    throw new CryptoError(
      "YAML anchors and aliases are not supported by the native engine; use sops",
    );
  if (isSeq(node) && node.commentBefore) {
    throw new CryptoError(
      "comments inside sequences are not supported by the native engine (sops MAC bug getsops/sops#2243)",
    );
  }
  // A comment above a mapping's first item belongs to the mapping node.
  if (isMap(node)) node.commentBefore = encryptComment(ctx, path, node.commentBefore) ?? null;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = scalarKey(pair.key, undefined);
      if (key === "<<")
        throw new CryptoError(
          "YAML merge keys (<<) are not supported by the native engine; use sops",
        );
      const keyNode = pair.key as YamlNode & { commentBefore?: string | null };
      keyNode.commentBefore = encryptComment(ctx, path, keyNode.commentBefore) ?? null;
      const childPath = [...path, key];
      const value = pair.value as YamlNode | null;
      if (value === null || value === undefined) continue;
      if (isScalar(value)) {
        const trailing = encryptComment(ctx, path, value.comment);
        const leaf = scalarToLeaf(value);
        if (leaf.kind !== "null") {
          const enc = processLeaf(ctx, childPath, leaf.plain, leaf.type, leaf.str);
          if (enc !== undefined) pair.value = plainScalar(enc, value);
        }
        (pair.value as Scalar).comment = trailing ?? null;
      } else {
        walkYaml(ctx, value, childPath, doc);
      }
    }
    (node as YAMLMap).comment = encryptComment(ctx, path, node.comment) ?? null;
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const it = item as YamlNode | null;
      if (it === null) return;
      if (isScalar(it)) {
        if ((it as Scalar).commentBefore) {
          throw new CryptoError(
            "comments inside sequences are not supported by the native engine (sops MAC bug getsops/sops#2243)",
          );
        }
        const leaf = scalarToLeaf(it);
        if (leaf.kind === "null") return;
        const enc = processLeaf(ctx, path, leaf.plain, leaf.type, leaf.str);
        if (enc !== undefined) node.items[i] = plainScalar(enc, it);
      } else {
        walkYaml(ctx, it, path, doc);
      }
    });
    return;
  }
  if (isPair(node)) throw new CryptoError("unexpected YAML structure");
}

function plainScalar(text: string, old?: Scalar): Scalar {
  const s = new Scalar(text);
  s.type = "PLAIN";
  if (old?.commentBefore) s.commentBefore = old.commentBefore;
  return s;
}

interface SopsBlock {
  age: Array<{ recipient: string; enc: string }>;
  lastmodified: string;
  mac: string;
  selector: Selector;
  macOnlyEncrypted: boolean;
}

/** The `sops` block as sops 3.13 writes it: keys in alphabetical order. */
function yamlSopsNode(b: SopsBlock): YAMLMap {
  const map = new YAMLMap();
  const str = (v: string, type: Scalar.Type = "PLAIN") => {
    const s = new Scalar(v);
    s.type = type;
    return s;
  };
  const age = new YAMLSeq();
  for (const a of b.age) {
    const entry = new YAMLMap();
    entry.items.push(new Pair(str("enc"), str(a.enc, "BLOCK_LITERAL")));
    entry.items.push(new Pair(str("recipient"), str(a.recipient)));
    age.items.push(entry);
  }
  const fields: Array<[string, YamlNode]> = [["age", age]];
  fields.push([
    b.selector.field,
    str(b.selector.value, needsQuotes(b.selector.value) ? "QUOTE_SINGLE" : "PLAIN"),
  ]);
  fields.push(["lastmodified", str(b.lastmodified, "QUOTE_DOUBLE")]);
  fields.push(["mac", str(b.mac)]);
  if (b.macOnlyEncrypted) fields.push(["mac_only_encrypted", str("true")]);
  fields.push(["version", str(SOPS_VERSION)]);
  fields.sort((x, y) => (x[0] < y[0] ? -1 : 1));
  for (const [k, v] of fields) map.items.push(new Pair(str(k), v));
  return map;
}

function needsQuotes(v: string): boolean {
  return /^[\s!&*{}[\],#|>@`"'%-]|[:#]\s|\s$/.test(v) || v === "";
}

const YAML_OUT = { indent: 4, indentSeq: true, lineWidth: 0, minContentWidth: 0 } as const;

async function encryptYaml(
  text: string,
  rule: CreationRule,
  opts: NativeEncryptOptions,
): Promise<{ out: string; key: Buffer }> {
  const docs = parseAllDocuments(text, {
    schema: "failsafe",
    merge: false,
    uniqueKeys: false, // checked by parseFile() before (the library's check is quadratic)
    strict: true,
    prettyErrors: false,
  });
  if (!Array.isArray(docs)) throw new CryptoError("YAML could not be parsed");
  for (const d of docs)
    if (d.errors.length)
      throw new CryptoError(
        "YAML could not be parsed (run `secret-guard scan` on it for the position)",
      );
  const existingSops = docs.some((d) => isMap(d.contents) && d.contents.has("sops"));
  if (existingSops && !opts.existing)
    throw new CryptoError("the file is already encrypted (it has a sops block)");
  const firstSops =
    existingSops && isMap(docs[0]?.contents)
      ? (docs[0]!.contents as YAMLMap).get("sops", true)
      : undefined;
  const stored = firstSops ? readSopsMeta((firstSops as YamlNode).toJSON()) : undefined;
  const selector = stored ? (stored.selector ?? DEFAULT_SELECTOR) : rule.selector;
  const key = opts.existing?.dataKey ?? randomBytes(32);
  const ctx: Ctx = {
    key,
    selector,
    mac: new MacHasher(stored ? stored.macOnlyEncrypted : rule.macOnlyEncrypted),
    keepExisting: !!opts.existing,
  };
  for (const d of docs) {
    const c = d.contents as YamlNode | null;
    if (c === null || (isScalar(c) && c.value === null)) continue;
    if (!isMap(c)) throw new CryptoError("every YAML document must be a mapping");
    if (existingSops) c.delete("sops");
    if (d.commentBefore) d.commentBefore = encryptComment(ctx, [], d.commentBefore) ?? null;
    walkYaml(ctx, c, [], d);
  }
  const lastmodified = formatLastModified(now());
  const age = stored
    ? stored.age
    : await Promise.all(
        rule.age.map(async (recipient) => ({ recipient, enc: await wrapDataKey(key, recipient) })),
      );
  const block: SopsBlock = {
    age,
    lastmodified,
    mac: encryptMac(ctx.mac.hex(), key, lastmodified),
    selector,
    macOnlyEncrypted: stored ? stored.macOnlyEncrypted : rule.macOnlyEncrypted,
  };
  const parts: string[] = [];
  for (const d of docs) {
    if (!isMap(d.contents)) d.contents = new YAMLMap() as unknown as typeof d.contents;
    (d.contents as YAMLMap).items.push(new Pair(new Scalar("sops"), yamlSopsNode(block)));
    let s = d.toString(YAML_OUT);
    if (s.startsWith("---\n")) s = s.slice(4);
    parts.push(s);
  }
  return { out: parts.join("---\n"), key };
}

// ------------------------------------------------------------ JSON, dotenv

function jsonValue(ctx: Ctx, node: TreeNode, path: string[], depth: number): string {
  const pad = "\t".repeat(depth + 1);
  const end = "\t".repeat(depth);
  switch (node.kind) {
    case "null":
      return "null";
    case "leaf": {
      const enc = processLeaf(ctx, path, node.plain, node.type, node.str);
      if (enc !== undefined) return JSON.stringify(enc);
      if (node.type === "str") return JSON.stringify(node.str ?? node.plain.toString("utf8"));
      if (node.type === "bool") return node.plain.toString() === "True" ? "true" : "false";
      return node.plain.toString();
    }
    case "seq": {
      const items = node.items.filter((i): i is TreeNode => i.kind !== "comment");
      if (items.length === 0) return "[]";
      return `[\n${items.map((i) => pad + jsonValue(ctx, i, path, depth + 1)).join(",\n")}\n${end}]`;
    }
    case "map": {
      const items = node.items.filter((i) => i.kind === "item");
      if (items.length === 0) return "{}";
      return `{\n${items
        .map((i) =>
          i.kind === "item"
            ? `${pad}${JSON.stringify(i.key)}: ${jsonValue(ctx, i.value, [...path, i.key], depth + 1)}`
            : "",
        )
        .join(",\n")}\n${end}}`;
    }
  }
}

function jsonSops(b: SopsBlock): string {
  const o: Record<string, unknown> = {
    age: b.age.map((a) => ({ enc: a.enc, recipient: a.recipient })),
    [b.selector.field]: b.selector.value,
    lastmodified: b.lastmodified,
    mac: b.mac,
    ...(b.macOnlyEncrypted ? { mac_only_encrypted: true } : {}),
    version: SOPS_VERSION,
  };
  const sorted = Object.fromEntries(Object.entries(o).sort(([a], [c]) => (a < c ? -1 : 1)));
  return JSON.stringify(sorted, null, "\t").replaceAll("\n", "\n\t");
}

function flattenSops(b: SopsBlock): string[] {
  const lines: Array<[string, string]> = [];
  b.age.forEach((a, i) => {
    lines.push([`sops_age__list_${i}__map_enc`, a.enc]);
    lines.push([`sops_age__list_${i}__map_recipient`, a.recipient]);
  });
  lines.push([`sops_${b.selector.field}`, b.selector.value]);
  lines.push(["sops_lastmodified", b.lastmodified]);
  lines.push(["sops_mac", b.mac]);
  if (b.macOnlyEncrypted) lines.push(["sops_mac_only_encrypted", "true"]);
  lines.push(["sops_version", SOPS_VERSION]);
  lines.sort(([a], [c]) => (a < c ? -1 : 1));
  return lines.map(([k, v]) => `${k}=${v.replaceAll("\n", "\\n")}`);
}

async function encryptTreeFormat(
  parsed: ParsedFile,
  rule: CreationRule,
): Promise<{ out: string; key: Buffer }> {
  if (parsed.docs.some((d) => d.metadata !== undefined))
    throw new CryptoError("the file is already encrypted (it has sops metadata)");
  const key = randomBytes(32);
  const ctx: Ctx = {
    key,
    selector: rule.selector,
    mac: new MacHasher(rule.macOnlyEncrypted),
    keepExisting: false,
  };
  const root = parsed.docs[0]!.root;
  let body: string;
  if (parsed.format === "json") {
    body = jsonValue(ctx, root, [], 0);
  } else {
    const lines: string[] = [];
    for (const item of root.items) {
      if (item.kind === "comment") {
        lines.push(`#${encryptComment(ctx, [], item.text) ?? ""}`);
        continue;
      }
      if (item.key.startsWith("sops_"))
        throw new CryptoError(`dotenv key ${item.key} uses the reserved prefix sops_`);
      const v = item.value as TreeNode;
      if (v.kind !== "leaf") continue;
      const enc = processLeaf(ctx, [item.key], v.plain, v.type, v.str);
      lines.push(`${item.key}=${(enc ?? v.str ?? "").replaceAll("\n", "\\n")}`);
    }
    body = lines.join("\n");
  }
  const lastmodified = formatLastModified(now());
  const age = await Promise.all(
    rule.age.map(async (recipient) => ({ recipient, enc: await wrapDataKey(key, recipient) })),
  );
  const block: SopsBlock = {
    age,
    lastmodified,
    mac: encryptMac(ctx.mac.hex(), key, lastmodified),
    selector: rule.selector,
    macOnlyEncrypted: rule.macOnlyEncrypted,
  };
  const out =
    parsed.format === "json"
      ? `${body === "{}" ? "{\n" : `${body.slice(0, -2)},\n`}\t"sops": ${jsonSops(block)}\n}\n`
      : `${[body, ...flattenSops(block)].filter((l) => l !== "").join("\n")}\n`;
  return { out, key };
}

// ------------------------------------------------------------ entry point

/**
 * Encrypt `bytes` (a file of `format`) for `rule`. Returns the new content;
 * throws CryptoError (nothing written by anyone) when it cannot.
 */
export async function encryptNative(
  bytes: Uint8Array,
  format: Format,
  rule: CreationRule,
  opts: NativeEncryptOptions = {},
): Promise<Buffer> {
  const refusal = opts.existing ? undefined : nativeRefusal(rule, format);
  if (refusal)
    throw new CryptoError(
      `native encryption refused: ${refusal}`,
      "install sops (https://github.com/getsops/sops) and run with --engine sops",
    );
  const before = parseFile(bytes, format);
  const list = before.docs.find((d) => isListObject(d.root));
  if (list) {
    throw new CryptoError(
      `native encryption refused: ${format === "yaml" && before.docs.length > 1 ? `document ${list.index + 1} is` : "the file is"} a kind: List${listHoldsSecret(list.root) ? " of Secrets" : ""}; kustomize splits a List into its items, which lose the sops block, so Flux cannot decrypt them`,
      "write each Secret as its own document (separated by ---) and encrypt that file",
    );
  }
  let result: { out: string; key: Buffer };
  if (format === "yaml")
    result = await encryptYaml(
      Buffer.from(bytes)
        .toString("utf8")
        .replace(/^\uFEFF/, ""),
      rule,
      opts,
    );
  else if (format === "json" || format === "dotenv") {
    if (opts.existing)
      throw new CryptoError("partial re-encryption is native for YAML only; use `sops edit`");
    result = await encryptTreeFormat(before, rule);
  } else throw new CryptoError(`native encryption refused: ${nativeRefusal(rule, format)}`);
  const out = Buffer.from(result.out, "utf8");
  selfCheck(before, out, format, result.key, opts.existing !== undefined);
  return out;
}

/** Parse the output back, decrypt it with the reading code and compare every value. */
function selfCheck(
  before: ParsedFile,
  out: Buffer,
  format: Format,
  key: Buffer,
  partial: boolean,
): void {
  const after = parseFile(out, format);
  if (after.docs.some((d) => d.metadata === undefined))
    throw new CryptoError("self-check failed: a document has no sops block");
  const r = decryptTree(after, readSopsMeta(after.docs[0]!.metadata), key);
  if (!r.ok) throw new CryptoError(`self-check failed: the output does not decrypt (${r.problem})`);
  const want: string[] = [];
  for (const doc of before.docs) {
    for (const v of walkLeaves(stripSops(doc.root))) {
      if (partial && v.leaf.str?.startsWith("ENC[")) want.push("*");
      else want.push(`${v.path.join(":")}=${v.leaf.type}:${v.leaf.plain.toString("base64")}`);
    }
  }
  const got = r.leaves.map((l, i) =>
    want[i] === "*" ? "*" : `${l.path.join(":")}=${l.type}:${l.plain.toString("base64")}`,
  );
  if (got.length !== want.length || got.some((g, i) => g !== want[i])) {
    throw new CryptoError("self-check failed: a value does not round-trip; nothing was written");
  }
}

/** `kind: List` (or `SecretList`, `v1/ConfigMapList` …) holding items. */
function isListObject(root: MapNode): boolean {
  const kind = root.items.find((i) => i.kind === "item" && i.key === "kind");
  const items = root.items.find((i) => i.kind === "item" && i.key === "items");
  if (kind?.kind !== "item" || kind.value.kind !== "leaf" || kind.value.type !== "str")
    return false;
  return /List$/.test(kind.value.str ?? "") && items !== undefined;
}

function listHoldsSecret(root: MapNode): boolean {
  const items = root.items.find((i) => i.kind === "item" && i.key === "items");
  if (items?.kind !== "item" || items.value.kind !== "seq") return false;
  return items.value.items.some(
    (it) =>
      it.kind === "map" &&
      it.items.some(
        (f) =>
          f.kind === "item" &&
          f.key === "kind" &&
          f.value.kind === "leaf" &&
          f.value.str === "Secret",
      ),
  );
}

function stripSops(root: MapNode): MapNode {
  return { ...root, items: root.items.filter((i) => !(i.kind === "item" && i.key === "sops")) };
}
