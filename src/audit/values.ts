/**
 * Which plaintext VALUES a judged file exposes, identified by a SHA-256 of
 * (key name, value) computed in memory. The value bytes never leave this
 * module: callers get hashes, key names, Secret names and positions only, and
 * the hashes themselves are never printed (a hash of a short secret can be
 * brute-forced).
 *
 * The walk below visits leaves in exactly the order of walkLeaves() (and so of
 * decryptTree()'s leaves), but knows which object owns each leaf: the document
 * root, or one item of a `kind: List`.
 */
import { createHash } from "node:crypto";
import { isExemptValue, type Judgement } from "../core/judge.js";
import { isEncValue, isNestedSopsFile } from "../sops/detect.js";
import { B64_STD } from "../sops/enc.js";
import { shouldBeEncrypted } from "../sops/select.js";
import type { Leaf, ParsedFile, TreeNode } from "../sops/tree.js";
import { getString } from "../sops/walk.js";
import type { Finding, RuleId } from "../types.js";

/** The object a leaf belongs to. */
export interface Owner {
  kind?: string;
  apiVersion?: string;
  name?: string;
  namespace?: string;
  /** Path of the object inside the document (`["items"]` for List items). */
  prefix: string[];
}

export interface DescribedLeaf {
  doc: number;
  leaf: Leaf;
  /** Mapping keys from the document root (what selectors match). */
  path: string[];
  /** `path` with list positions: `hosts[3]` for the fourth element of `hosts` (for people). */
  label: string[];
  comments: string[];
  owner: Owner;
}

function ownerOf(node: TreeNode, prefix: string[]): Owner {
  const md = node.kind === "map" ? getMap(node, "metadata") : undefined;
  return {
    kind: getString(node, "kind"),
    apiVersion: getString(node, "apiVersion"),
    name: getString(md, "name"),
    namespace: getString(md, "namespace"),
    prefix,
  };
}

function getMap(node: TreeNode, key: string): TreeNode | undefined {
  if (node.kind !== "map") return undefined;
  for (const i of node.items) if (i.kind === "item" && i.key === key) return i.value;
  return undefined;
}

function* walk(
  node: TreeNode,
  path: string[],
  label: string[],
  comments: string[],
  doc: number,
  owner: Owner,
  list: boolean,
): Generator<DescribedLeaf> {
  switch (node.kind) {
    case "leaf":
      yield { doc, leaf: node, path, label, comments, owner };
      return;
    case "null":
      return;
    case "map": {
      let pending: string[] = [];
      for (const item of node.items) {
        if (item.kind === "comment") {
          pending.push(item.text);
          continue;
        }
        const childPath = [...path, item.key];
        const childLabel = [...label, item.key];
        const childComments = [...comments, ...pending];
        pending = [];
        if (list && path.length === 0 && item.key === "items" && item.value.kind === "seq") {
          let seqPending: string[] = [];
          for (const el of item.value.items) {
            if (el.kind === "comment") {
              seqPending.push(el.text);
              continue;
            }
            // List items are objects of their own: the owner tells them apart, not an index.
            const elOwner = el.kind === "map" ? ownerOf(el, ["items"]) : owner;
            yield* walk(
              el,
              childPath,
              childLabel,
              [...childComments, ...seqPending],
              doc,
              elOwner,
              false,
            );
            seqPending = [];
          }
          continue;
        }
        yield* walk(item.value, childPath, childLabel, childComments, doc, owner, false);
      }
      return;
    }
    case "seq": {
      let pending: string[] = [];
      let index = 0;
      for (const item of node.items) {
        if (item.kind === "comment") {
          pending.push(item.text);
          continue;
        }
        // Same length as `path` (keyOf reads both by position): a top-level list gets no index.
        const itemLabel =
          label.length === 0
            ? label
            : [...label.slice(0, -1), `${label[label.length - 1]}[${index}]`];
        index++;
        yield* walk(item, path, itemLabel, [...comments, ...pending], doc, owner, false);
        pending = [];
      }
      return;
    }
  }
}

/** Every leaf of the file, in walkLeaves() order, with the object that owns it. */
export function* describedLeaves(parsed: ParsedFile): Generator<DescribedLeaf> {
  for (const doc of parsed.docs) {
    const owner = ownerOf(doc.root, []);
    const list = owner.kind === "List" || (owner.kind?.endsWith("List") ?? false);
    yield* walk(doc.root, [], [], [], doc.index, owner, list);
  }
}

/** The key name a value is known by: the part after `data`/`stringData` of a Secret, else the path. */
export function keyOf(l: Pick<DescribedLeaf, "owner" | "path" | "label">): {
  key: string;
  field?: "data" | "stringData";
} {
  const rel = l.path.slice(l.owner.prefix.length);
  const relLabel = l.label.slice(l.owner.prefix.length);
  if (l.owner.kind !== undefined || l.owner.prefix.length > 0) {
    const i = rel.findIndex((k) => k === "data" || k === "stringData");
    if (i !== -1 && i + 1 < rel.length) {
      return { key: relLabel.slice(i + 1).join("."), field: rel[i] as "data" | "stringData" };
    }
  }
  return { key: l.label.join(".") };
}

/**
 * The identity of a value: sha256(key name, NUL, value), where a Secret's `data` value is
 * base64-decoded first so the same secret under `data` and `stringData` is one value.
 */
export function valueHash(key: string, field: string | undefined, plain: Buffer): string {
  let bytes = plain;
  if (field === "data") {
    const compact = plain.toString("latin1").replace(/\s+/g, "");
    if (compact.length > 0 && B64_STD.test(compact)) bytes = Buffer.from(compact, "base64");
  }
  return createHash("sha256").update(key).update("\0").update(bytes).digest("hex");
}

export interface ExposedValue {
  /** sha256 of key name and value: in memory only, never printed. */
  hash: string;
  /**
   * sha256 of the value alone, to match `.secret-guard.yaml` `resolved` entries: never printed.
   * Absent for exposures known only by their finding (inside a patch or an annotation).
   */
  valueSha256?: string;
  key: string;
  rule: RuleId;
  document: number;
  line?: number;
  kind?: string;
  name?: string;
  namespace?: string;
}

export const EXPOSURE_RULES: readonly RuleId[] = [
  "unencrypted",
  "partially-encrypted",
  "secret-outside-policy",
  "encryption-removed",
];
const MUST_RULES: readonly RuleId[] = ["encryption-removed", "partially-encrypted", "unencrypted"];

function leafText(leaf: Leaf): string | undefined {
  return leaf.type === "str" ? (leaf.str ?? leaf.plain.toString("utf8")) : undefined;
}

function isSecretOwner(o: Owner, secretKinds: readonly string[]): boolean {
  if (o.kind === "Secret") return (o.apiVersion ?? "v1") === "v1";
  return o.kind !== undefined && secretKinds.includes(o.kind);
}

export interface ExposeOptions {
  isAllowed?: (keyPath: string, value: Uint8Array) => boolean;
  secretKinds?: readonly string[];
}

/**
 * The plaintext values behind a judgement's exposure findings (error findings of
 * EXPOSURE_RULES), re-derived from the parsed file exactly as judge() decides them.
 */
export function exposedValues(
  parsed: ParsedFile,
  judgement: Judgement,
  opts: ExposeOptions = {},
): ExposedValue[] {
  const rulesOf = new Map<number | "all", Set<RuleId>>();
  for (const f of judgement.findings) {
    if (f.severity !== "error" || !EXPOSURE_RULES.includes(f.rule)) continue;
    const k = f.document ?? "all";
    const s = rulesOf.get(k) ?? new Set<RuleId>();
    s.add(f.rule);
    rulesOf.set(k, s);
  }
  if (rulesOf.size === 0) return [];
  const docRules = (doc: number): Set<RuleId> =>
    new Set([...(rulesOf.get("all") ?? []), ...(rulesOf.get(doc) ?? [])]);
  const judged = judgement.mustEncrypt.length > 0;
  const selector = judgement.selector;
  const kinds = opts.secretKinds ?? [];
  const out = new Map<string, ExposedValue>();
  const add = (l: DescribedLeaf, rule: RuleId, key: string, hash: string, owner?: Owner) => {
    if (out.has(hash)) return;
    const o = owner ?? l.owner;
    out.set(hash, {
      hash,
      valueSha256: createHash("sha256").update(l.leaf.plain).digest("hex"),
      key,
      rule,
      document: l.doc,
      ...(l.leaf.pos?.line ? { line: l.leaf.pos.line } : {}),
      ...(o.kind ? { kind: o.kind } : {}),
      ...(o.name ? { name: o.name } : {}),
      ...(o.namespace ? { namespace: o.namespace } : {}),
    });
  };
  let cachedDoc = -1;
  let rules = new Set<RuleId>();
  for (const l of describedLeaves(parsed)) {
    if (l.doc !== cachedDoc) {
      cachedDoc = l.doc;
      rules = docRules(l.doc);
    }
    if (rules.size === 0) continue;
    const text = leafText(l.leaf);
    const removed = rules.has("encryption-removed");
    // Values the rule (or the file's own metadata) says must be encrypted.
    const must = MUST_RULES.find((r) => rules.has(r));
    if (must && judged && shouldBeEncrypted(l.path, selector, l.comments)) {
      if (l.leaf.plain.length === 0) continue;
      if (text !== undefined && (isEncValue(text) || isNestedSopsFile(l.path, text))) continue;
      if (opts.isAllowed?.(l.path.join("."), l.leaf.plain)) continue;
      // Substitutions, templates and references are no exposure (core/exempt.ts).
      if (!judgement.hasMetadata && text !== undefined && isExemptValue(text)) continue;
      const { key, field } = keyOf(l);
      add(l, must, key, valueHash(key, field, l.leaf.plain));
      continue;
    }
    if (!rules.has("secret-outside-policy") && !removed) continue;
    // Secret data/stringData values the policy leaves in plaintext.
    if (isSecretOwner(l.owner, kinds)) {
      const rel = l.path.slice(l.owner.prefix.length);
      if ((rel[0] === "data" || rel[0] === "stringData") && rel.length >= 2) {
        const itemPath = [...l.owner.prefix, rel[0], rel[1]!];
        if (selector && shouldBeEncrypted(itemPath, selector, [])) continue;
        const t = text ?? l.leaf.plain.toString("utf8");
        if (isExemptValue(t) || isEncValue(t) || isNestedSopsFile(itemPath, t)) continue;
        if (opts.isAllowed?.(l.path.join("."), l.leaf.plain)) continue;
        const { key, field } = keyOf(l);
        add(
          l,
          removed ? "encryption-removed" : "secret-outside-policy",
          key,
          valueHash(key, field, l.leaf.plain),
        );
        continue;
      }
    }
    // kustomize secretGenerator literals: KEY=VALUE.
    if (
      l.path.length === 2 &&
      l.path[0] === "secretGenerator" &&
      l.path[1] === "literals" &&
      text !== undefined
    ) {
      const eq = text.indexOf("=");
      if (eq === -1) continue;
      if (selector && shouldBeEncrypted(["secretGenerator", "literals"], selector, [])) continue;
      const value = text.slice(eq + 1);
      if (isExemptValue(value)) continue;
      const key = text.slice(0, eq);
      const bytes = Buffer.from(value, "utf8");
      if (opts.isAllowed?.(`secretGenerator.literals.${key}`, bytes)) continue;
      add(l, "secret-outside-policy", key, valueHash(key, undefined, bytes), {
        kind: "secretGenerator",
        prefix: [],
      });
    }
  }
  return [...out.values()];
}

/**
 * Hashes of the values under `key` in a file (optionally only in the Secret `name` in
 * `namespace`). `plainOf(i)` gives the i-th leaf's plaintext (decrypted files); by default
 * the leaf's own bytes. `secretFound` says whether that Secret (or, without a name, any
 * object) is in the file at all.
 */
export function hashesUnderKey(
  parsed: ParsedFile,
  want: { key: string; name?: string; namespace?: string },
  plainOf?: (i: number) => Buffer | undefined,
): { secretFound: boolean; keyFound: boolean; hashes: Set<string> } {
  const hashes = new Set<string>();
  let secretFound = want.name === undefined;
  let keyFound = false;
  let i = -1;
  for (const l of describedLeaves(parsed)) {
    i++;
    if (want.name !== undefined) {
      if (l.owner.name !== want.name || l.owner.namespace !== want.namespace) continue;
      secretFound = true;
    }
    const { key, field } = keyOf(l);
    if (key !== want.key) continue;
    const plain = plainOf ? plainOf(i) : l.leaf.plain;
    if (plain === undefined) continue;
    keyFound = true;
    hashes.add(valueHash(key, field, plain));
  }
  // A Secret whose every key was removed still counts as found when its metadata matches.
  if (!secretFound && want.name !== undefined) {
    for (const doc of parsed.docs) {
      const o = ownerOf(doc.root, []);
      if (o.name === want.name && o.namespace === want.namespace) secretFound = true;
    }
  }
  return { secretFound, keyFound, hashes };
}

/**
 * Exposure findings whose values the leaf walk above does not re-derive
 * (Secrets inside patches or annotations, comments, misspelt fields,
 * generator sources): one exposure per finding key, identified by a hash of
 * the blob and the key (never the value), so history reports them too.
 */
export function findingExposures(
  findings: readonly Finding[],
  known: readonly ExposedValue[],
  blob: Uint8Array,
): ExposedValue[] {
  const out: ExposedValue[] = [];
  for (const f of findings) {
    if (f.severity !== "error" || !EXPOSURE_RULES.includes(f.rule)) continue;
    for (const key of f.keys?.length ? f.keys : ["(content)"]) {
      // A comment is no exposure of its own where the file's plaintext values are listed (the
      // documentation of a decrypted config); in an otherwise encrypted file, whose only
      // plaintext is comments (`# old password: …`), each one is.
      if (key.endsWith("#comment") && known.length > 0) continue;
      const seen = [...known, ...out].some((x) => {
        // Findings name a list by its key; values carry their index (`users[2]`).
        const k = unindexed(x.key);
        return k === key || k.endsWith(`.${key}`) || key.endsWith(`.${k}`);
      });
      if (seen) continue;
      out.push({
        hash: createHash("sha256")
          .update(blob)
          .update("\0")
          .update(f.rule)
          .update("\0")
          .update(key)
          .digest("hex"),
        key,
        rule: f.rule,
        document: f.document ?? 0,
        ...(f.line ? { line: f.line } : {}),
        ...(f.kind ? { kind: f.kind } : {}),
        ...(f.name ? { name: f.name } : {}),
        ...(f.namespace ? { namespace: f.namespace } : {}),
      });
    }
  }
  return out;
}

/** A key label without its list positions: `auth.users[2]` → `auth.users`. */
function unindexed(label: string): string {
  return label.replace(/\[\d+\]/g, "");
}
