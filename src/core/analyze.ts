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
import { credentialLike } from "./credential.js";
import { type DocInfo, docInfo } from "./describe.js";
import { type ExemptContext, exemptionOf } from "./exempt.js";
import { type Intent, intentOf, isForeignCiphertext } from "./intent.js";
import { isTemplateMarked, templateVariants } from "./template.js";
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
  /** Under a broad rule, in a file that need not be encrypted: picked values that look like credentials. */
  credentials: Credential[];
}

/** A value that looks like a credential (its key path, where, and which format; never the value). */
export interface Credential {
  key: string;
  line?: number;
  column?: number;
  label: string;
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
  /** Must the file be encrypted, and why (set when a rule covers it or it carries metadata). */
  intent?: Intent;
  /** The values the selector picks are required encrypted (judged, and the intent says must). */
  required: boolean;
  readAs?: "template" | "foreign-ciphertext";
  /** The file did not parse as YAML but reads as a template: judge these variants instead. */
  templateVariants?: string[];
  /** A file that need not be encrypted and does not parse: a credential format seen in its text. */
  rawCredential?: string;
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
    required: false,
  };
  const selfEncrypted = looksSopsEncrypted(bytes, format);
  const canHoldSecret =
    (format === "yaml" || format === "json") && mayHoldSecret(bytes, input.secretKinds);
  if (!rule && !a.headEncrypted && !selfEncrypted && !canHoldSecret) return a;
  if (!selfEncrypted && isForeignCiphertext(bytes)) {
    a.readAs = "foreign-ciphertext";
    return a;
  }
  if (input.templated) a.readAs = "template";

  let parsed: ParsedFile;
  try {
    parsed = parseFile(bytes, format);
  } catch (e) {
    // Templates (Helm, Jinja, gomplate) are read through the template-aware reader.
    if (format === "yaml" && !input.templated) {
      const variants = templateVariants(asUtf8(bytes));
      if (variants) {
        a.templateVariants = variants;
        return a;
      }
    }
    const preIntent = intentOf({
      path,
      rule,
      hasMetadata: selfEncrypted || a.headEncrypted,
      holdsSecret: false,
      listed: input.listed,
      strict: input.strict,
    });
    if (rule) a.intent = preIntent;
    const mustCheck =
      (rule !== undefined && preIntent.must) ||
      a.headEncrypted ||
      selfEncrypted ||
      STRONG_SECRET_HINT.test(asLatin1(bytes, 1 << 20));
    if (mustCheck)
      a.parseError = e instanceof ParseError ? e : new ParseError("could not be parsed");
    // Need not be encrypted and not a store sops can read: still looked at for credentials.
    else if (rule) a.rawCredential = credentialLike(asLatin1(bytes, 1 << 22), { entropy: false });
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
  const intent = intentOf({
    path,
    rule,
    hasMetadata: a.meta !== undefined || a.headEncrypted,
    holdsSecret: parsed.docs.some((d) => secretObjects(d, input.secretKinds).length > 0),
    kinds: parsed.docs.map((d) => getString(d.root, "kind")),
    listed: input.listed,
    strict: input.strict,
  });
  if (a.judged) a.intent = intent;
  // What the selector picks is REQUIRED encrypted only in a file that must be encrypted.
  a.required = a.judged && intent.must;
  const required = a.required;

  for (const doc of parsed.docs) {
    const values = required ? valuesToEncrypt(doc, selector, input, a.meta !== undefined) : [];
    for (const m of values) a.mustEncrypt.push(m);
    a.docs.push({
      doc,
      info: docInfo(doc.root),
      values,
      secretsOutside: secretsOutside(doc, required ? selector : undefined, required, input),
      literalsOutside: literalsOutside(doc, selector, required, input),
      credentials: a.judged && !required && rule ? credentials(doc, selector, input) : [],
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
  hasMetadata: boolean,
): MustEncrypt[] {
  const list: MustEncrypt[] = [];
  const ctx = exemptContext(doc.root);
  for (const v of walkLeaves(doc.root)) {
    if (!shouldBeEncrypted(v.path, selector, v.comments)) continue;
    const text = v.leaf.type === "str" ? leafText(v.leaf) : undefined;
    let state: ValueState;
    if (text !== undefined && isEncValue(text)) state = "encrypted";
    else if (text !== undefined && isNestedSopsFile(v.path, text)) state = "nested";
    else if (v.leaf.plain.length === 0) state = "empty";
    else if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) state = "allowed";
    // Inside an encrypted file a plaintext `${VAR}` stays an error: Flux's decryption fails on it.
    else if (!hasMetadata && leafExempt(v.leaf, ctx, input)) state = "exempt";
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
  const docCtx = exemptContext(doc.root);
  for (const s of secretObjects(doc, input.secretKinds)) {
    const keys: string[] = [];
    let first: PlainKeys["first"];
    const ctx = { ...docCtx, ...exemptContext(s.node) };
    for (const field of ["data", "stringData"]) {
      for (const it of mapItems(get(s.node, field))) {
        const full = [...s.prefix, field, it.key];
        if (judged && shouldBeEncrypted(full, selector, [])) continue;
        for (const v of walkLeaves(it.value, full)) {
          const text = leafText(v.leaf);
          if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
          if (leafExempt(v.leaf, ctx, input)) continue;
          if (isEncValue(text) || isNestedSopsFile(full, text)) continue;
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
      const value = text.slice(eq + 1);
      if (exemptionOf(value) !== undefined || (input.templated && isTemplateMarked(value)))
        continue;
      const literalKey = `secretGenerator.literals.${text.slice(0, eq)}`;
      if (input.isAllowed?.(literalKey, Buffer.from(text.slice(eq + 1), "utf8"))) continue;
      keys.push(text.slice(0, eq));
      first ??= { line: lit.pos?.line, column: lit.pos?.column };
    }
  }
  return { keys, first };
}

/** Values the selector picks that look like credentials (for a file that need not be encrypted). */
function credentials(
  doc: TreeDoc,
  selector: Selector | undefined,
  input: JudgeInput,
): Credential[] {
  const out: Credential[] = [];
  const ctx = exemptContext(doc.root);
  for (const v of walkLeaves(doc.root)) {
    if (!shouldBeEncrypted(v.path, selector, v.comments)) continue;
    if (v.leaf.type !== "str" || leafExempt(v.leaf, ctx, input)) continue;
    const label = credentialLike(leafText(v.leaf));
    if (!label || input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
    out.push({ key: v.path.join("."), line: v.leaf.pos?.line, column: v.leaf.pos?.column, label });
  }
  return out;
}

/** Exemption context of an object: argocd-vault-plugin placeholders need its annotation. */
function exemptContext(root: TreeNode): ExemptContext {
  const ann = get(get(root, "metadata"), "annotations");
  return get(ann, "avp.kubernetes.io/path") !== undefined ? { avp: true } : {};
}

/** Is this plaintext leaf no leak (substitution, template, reference, empty)? */
function leafExempt(leaf: Leaf, ctx: ExemptContext, input: JudgeInput): boolean {
  const text = leafText(leaf);
  if (input.templated && isTemplateMarked(text)) return true;
  return exemptionOf(text, leaf.tag ? { ...ctx, tag: leaf.tag } : ctx) !== undefined;
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

function asUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
}

function asLatin1(bytes: Uint8Array, max: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString(
    "latin1",
  );
}

export type { Pos };
