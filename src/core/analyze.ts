/**
 * One analysis per file, shared by every rule: the format, the parse (or why
 * it failed), the sops metadata, the selector in force, per document the
 * values sops would encrypt and their state, the Secret objects and the
 * kustomize generator literals. Rules (src/core/rules/) only read it.
 */

import {
  isEncValue,
  isNestedSopsFile,
  looksSopsEncrypted,
  type MetaView,
  metaView,
} from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import { parseFile } from "../sops/parse.js";
import { DEFAULT_SELECTOR, shouldBeEncrypted } from "../sops/select.js";
import {
  type Leaf,
  type ParsedFile,
  ParseError,
  type Pos,
  type TreeDoc,
  type TreeNode,
} from "../sops/tree.js";
import { get, getString, mapItems, walkLeaves } from "../sops/walk.js";
import type { Format, Selector } from "../types.js";
import { type DocInfo, docInfo } from "./describe.js";
import { isExemptValue } from "./exempt.js";
import type { JudgeInput, MustEncrypt, ValueState } from "./types.js";

// A Secret manifest names its kind (YAML block or flow style, JSON); a kustomization its generator.
const SECRET_HINT = /kind["']?\s*:\s*["']?Secret["']?(?![\w-])|secretGenerator/;

/** Cheap test before parsing a file no rule covers: could it hold a Secret value at all? */
export function mayHoldSecret(bytes: Uint8Array, extraKinds: readonly string[] = []): boolean {
  const text = asLatin1(bytes, 1 << 20);
  return SECRET_HINT.test(text) || extraKinds.some((k) => text.includes(k));
}
const STRONG_SECRET_HINT =
  /(^|\n)\s*kind\s*:\s*["']?Secret["']?\s*(#.*)?(\r?\n|$)|"kind"\s*:\s*"Secret"|(^|\n)secretGenerator\s*:/;

/** A `kind: Secret` object and the mapping-key path leading to it. */
export interface SecretObject {
  node: TreeNode;
  prefix: string[];
  info: DocInfo;
}

/** Key names holding plaintext, and where the first one is. */
export interface PlainKeys {
  keys: string[];
  first?: { line?: number; column?: number };
}

export interface DocAnalysis {
  doc: TreeDoc;
  info: DocInfo;
  /** Values the selector in force picks (empty when the file is not judged by a selector). */
  values: MustEncrypt[];
  /** Secret objects with plaintext data the selector leaves alone. */
  secretsOutside: Array<{ object: SecretObject } & PlainKeys>;
  /** kustomize secretGenerator literals with plaintext values the selector leaves alone. */
  literalsOutside: PlainKeys;
}

export interface Analysis {
  input: JudgeInput;
  path: string;
  format: Format;
  /** HEAD's version of the file carries sops metadata. */
  headEncrypted: boolean;
  /** False when the file was skipped before parsing (it cannot matter). */
  parsed: boolean;
  /** Why parsing failed, when it did and the file must be checked. */
  parseError?: ParseError;
  file?: ParsedFile;
  meta?: MetaView;
  metaDoc?: TreeDoc;
  /** A selector judges the values: a rule covers the file or it carries metadata. */
  judged: boolean;
  selector?: Selector;
  multi: boolean;
  docs: DocAnalysis[];
  mustEncrypt: MustEncrypt[];
  /** Counts over mustEncrypt. */
  encrypted: number;
  plaintext: number;
}

function leafText(leaf: Leaf): string {
  return leaf.str ?? leaf.plain.toString("utf8");
}

/** Analyse one file. Never throws for bad content. */
export function analyze(input: JudgeInput): Analysis {
  const { path, bytes, rule } = input;
  const format = formatForPath(path);
  const a: Analysis = {
    input,
    path,
    format,
    headEncrypted:
      input.headBytes !== undefined && looksSopsEncrypted(input.headBytes, formatForPath(path)),
    parsed: false,
    judged: false,
    multi: false,
    docs: [],
    mustEncrypt: [],
    encrypted: 0,
    plaintext: 0,
  };
  const selfEncrypted = looksSopsEncrypted(bytes, format);
  const canHoldSecret =
    (format === "yaml" || format === "json") && mayHoldSecret(bytes, input.secretKinds);
  if (!rule && !a.headEncrypted && !selfEncrypted && !canHoldSecret) return a;

  let parsed: ParsedFile;
  try {
    parsed = parseFile(bytes, format);
  } catch (e) {
    const mustCheck =
      rule !== undefined ||
      a.headEncrypted ||
      selfEncrypted ||
      STRONG_SECRET_HINT.test(asLatin1(bytes, 1 << 20));
    if (mustCheck)
      a.parseError = e instanceof ParseError ? e : new ParseError("could not be parsed");
    return a;
  }
  a.parsed = true;
  a.file = parsed;
  a.multi = parsed.docs.length > 1;

  a.metaDoc = parsed.docs.find((d) => d.metadata !== undefined);
  a.meta = a.metaDoc ? metaView(a.metaDoc.metadata) : undefined;
  // Binary files: every selector is ignored (sops ≥3.11), the whole content is one value.
  const selector: Selector | undefined =
    format === "binary" ? undefined : (a.meta?.selector ?? rule?.selector);
  a.judged = rule !== undefined || a.meta !== undefined;
  if (a.judged) a.selector = selector ?? (format === "binary" ? undefined : DEFAULT_SELECTOR);

  for (const doc of parsed.docs) {
    const values = a.judged ? valuesToEncrypt(doc, selector, input) : [];
    for (const m of values) a.mustEncrypt.push(m);
    a.docs.push({
      doc,
      info: docInfo(doc.root),
      values,
      secretsOutside: secretsOutside(doc, a.judged ? selector : undefined, a.judged, input),
      literalsOutside: literalsOutside(doc, selector, a.judged, input),
    });
  }
  a.encrypted = a.mustEncrypt.filter((m) => m.state === "encrypted").length;
  a.plaintext = a.mustEncrypt.filter((m) => m.state === "plaintext").length;
  return a;
}

/** The values sops would encrypt in one document under `selector`, with their state. */
function valuesToEncrypt(
  doc: TreeDoc,
  selector: Selector | undefined,
  input: JudgeInput,
): MustEncrypt[] {
  const list: MustEncrypt[] = [];
  for (const v of walkLeaves(doc.root)) {
    if (!shouldBeEncrypted(v.path, selector, v.comments)) continue;
    const text = v.leaf.type === "str" ? leafText(v.leaf) : undefined;
    let state: ValueState;
    if (text !== undefined && isEncValue(text)) state = "encrypted";
    else if (text !== undefined && isNestedSopsFile(v.path, text)) state = "nested";
    else if (v.leaf.plain.length === 0) state = "empty";
    else if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) state = "allowed";
    else state = "plaintext";
    list.push({
      document: doc.index,
      path: v.path,
      line: v.leaf.pos?.line,
      column: v.leaf.pos?.column,
      state,
    });
  }
  return list;
}

/** Secret data/stringData keys holding plaintext that the selector does not pick. */
function secretsOutside(
  doc: TreeDoc,
  selector: Selector | undefined,
  judged: boolean,
  input: JudgeInput,
): DocAnalysis["secretsOutside"] {
  const out: DocAnalysis["secretsOutside"] = [];
  for (const s of secretObjects(doc, input.secretKinds)) {
    const keys: string[] = [];
    let first: PlainKeys["first"];
    for (const field of ["data", "stringData"]) {
      for (const it of mapItems(get(s.node, field))) {
        const full = [...s.prefix, field, it.key];
        if (judged && shouldBeEncrypted(full, selector, [])) continue;
        for (const v of walkLeaves(it.value, full)) {
          const text = leafText(v.leaf);
          if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
          if (isExemptValue(text) || isEncValue(text) || isNestedSopsFile(full, text)) continue;
          keys.push(it.key);
          first ??= { line: it.line, column: it.column };
          break;
        }
      }
    }
    if (keys.length > 0) out.push({ object: s, keys, first });
  }
  return out;
}

/** kustomize secretGenerator literals: `KEY=VALUE` strings the selector leaves in plaintext. */
function literalsOutside(
  doc: TreeDoc,
  selector: Selector | undefined,
  judged: boolean,
  input: JudgeInput,
): PlainKeys {
  const keys: string[] = [];
  let first: PlainKeys["first"];
  for (const gen of seqMaps(get(doc.root, "secretGenerator"))) {
    const lits = get(gen, "literals");
    if (lits?.kind !== "seq") continue;
    for (const lit of lits.items) {
      if (lit.kind !== "leaf") continue;
      const text = leafText(lit);
      const eq = text.indexOf("=");
      if (eq === -1) continue;
      if (judged && shouldBeEncrypted(["secretGenerator", "literals"], selector, [])) continue;
      if (isExemptValue(text.slice(eq + 1))) continue;
      const literalKey = `secretGenerator.literals.${text.slice(0, eq)}`;
      if (input.isAllowed?.(literalKey, Buffer.from(text.slice(eq + 1), "utf8"))) continue;
      keys.push(text.slice(0, eq));
      first ??= { line: lit.pos?.line, column: lit.pos?.column };
    }
  }
  return { keys, first };
}

export function seqMaps(node: TreeNode | undefined): TreeNode[] {
  if (node?.kind !== "seq") return [];
  return node.items.filter((i): i is TreeNode => i.kind === "map");
}

/** `kind: Secret` (apiVersion v1) at the top of a document or inside a `kind: List`'s items. */
export function secretObjects(doc: TreeDoc, extraKinds: readonly string[] = []): SecretObject[] {
  const isSecret = (n: TreeNode) => {
    const kind = getString(n, "kind");
    if (kind === "Secret") return (getString(n, "apiVersion") ?? "v1") === "v1";
    return kind !== undefined && extraKinds.includes(kind);
  };
  const out: SecretObject[] = [];
  if (isSecret(doc.root)) out.push({ node: doc.root, prefix: [], info: docInfo(doc.root) });
  const kind = getString(doc.root, "kind");
  if (kind === "List" || kind?.endsWith("List")) {
    for (const item of seqMaps(get(doc.root, "items"))) {
      if (isSecret(item)) out.push({ node: item, prefix: ["items"], info: docInfo(item) });
    }
  }
  return out;
}

/** Length of the path prefix up to and including `data`/`stringData` of a Secret, for key names. */
export function secretPrefix(root: TreeNode, path: string[]): number {
  const i = path.findIndex((k) => k === "data" || k === "stringData");
  if (i !== -1 && (getString(root, "kind") !== undefined || path[0] === "items")) return i + 1;
  return 0;
}

/** Key names of every Secret's data, for `encryption-removed` when no value is picked. */
export function secretKeysOf(a: Analysis): string[] {
  const keys: string[] = [];
  for (const d of a.docs) {
    for (const s of secretObjects(d.doc)) {
      for (const field of ["data", "stringData"])
        for (const it of mapItems(get(s.node, field))) keys.push(it.key);
    }
  }
  return keys;
}

export function keyName(path: string[], prefixLen: number): string {
  return path.slice(prefixLen).join(".") || path.join(".");
}

function asLatin1(bytes: Uint8Array, max: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString(
    "latin1",
  );
}

export type { Pos };
