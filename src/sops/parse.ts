/**
 * Read a file into the sops tree (src/sops/tree.ts) the way the matching sops
 * store does. Fails closed: anything sops would refuse (duplicate or
 * non-string keys, a sequence as a document, invalid UTF-8, control bytes)
 * is a ParseError. Error messages carry a position and a reason only, never
 * source text: a parser quoting the offending line would print the secret.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Scalar,
  type Node as YamlNode,
} from "yaml";
import type { Format } from "../types.js";
import { fastParseYaml, PLAIN_TEXT } from "./fastyaml.js";
import { resolveJsonNumber, resolvePlain, resolveTagged } from "./scalar.js";
import {
  type CommentItem,
  type Leaf,
  type MapItem,
  type MapNode,
  type NullLeaf,
  type ParsedFile,
  ParseError,
  type Pos,
  type SeqNode,
  type TreeDoc,
  type TreeNode,
} from "./tree.js";

export interface ParseLimits {
  /** Largest input accepted, in bytes. */
  maxBytes: number;
  /** Deepest nesting accepted. */
  maxDepth: number;
  /** Most tree nodes produced (bounds alias expansion). */
  maxNodes: number;
  /**
   * Most comment-only and blank lines accepted in a YAML file. The `yaml` package spends
   * ~13 µs on each (5 MiB of `#` lines ≈ 40 s): above this the file is refused, bounded.
   */
  maxCommentLines: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  // Flux decrypts files up to 5 MiB and a Secret holds at most 1 MiB: larger is refused, bounded.
  maxBytes: 5 * 1024 * 1024,
  maxDepth: 200,
  maxNodes: 500_000,
  maxCommentLines: 200_000,
};

/** Comment-only and blank lines of a YAML text, counted without a regular expression per line. */
export function commentOrBlankLines(text: string, stopAfter: number): number {
  let n = 0;
  let start = 0;
  while (start < text.length && n <= stopAfter) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    let i = start;
    while (i < end && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
    if (i === end || text.charCodeAt(i) === 0x23) n++;
    start = end + 1;
  }
  return n;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const B64_GO = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode bytes as sops' Go stores would accept them: valid UTF-8, no NUL or other C0 controls. */
export function decodeText(bytes: Uint8Array, allowControls = false): string {
  let text: string;
  try {
    text = decodeUnicode(bytes);
  } catch {
    throw new ParseError("not valid UTF-8 text");
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!allowControls && !PLAIN_TEXT.test(text)) {
    const m = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
    if (m) {
      const { line, column } = offsetToPos(text, m.index);
      throw new ParseError("control character (such as a NUL byte) in text", line, column);
    }
  }
  return text;
}

const utf16le = new TextDecoder("utf-16le", { fatal: true });
const utf16be = new TextDecoder("utf-16be", { fatal: true });

/**
 * go-yaml's reader: a UTF-16 byte order mark selects UTF-16 LE or BE, else
 * the input is UTF-8 (yaml_parser_determine_encoding). Throws on bad input.
 */
export function decodeUnicode(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return utf16le.decode(bytes);
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return utf16be.decode(bytes);
  return utf8.decode(bytes);
}

/**
 * Line breaks as go-yaml reads them: CR LF, a lone CR, NEL, LS and PS all
 * break lines (the `yaml` package, YAML 1.2, only knows LF and CR LF).
 */
export function goYamlLines(text: string): string {
  return !PLAIN_TEXT.test(text) && /[\r\u0085\u2028\u2029]/.test(text)
    ? text.replace(/\r\n|[\r\u0085\u2028\u2029]/g, "\n")
    : text;
}

function offsetToPos(text: string, offset: number): Pos {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

export interface ParseOptions {
  /**
   * YAML only: keep a mapping key that is not a string (`22:`, `? [a]`) as the placeholder
   * NON_STRING_KEY, flagged `nonStringKey` on its item, instead of refusing the file. For
   * readers other than sops (kustomize stringifies such keys): the caller decides where sops'
   * refusal still matters. The key's text is never kept.
   */
  keepNonStringKeys?: boolean;
  /**
   * YAML only, for readers other than sops: a document that is a sequence (an Ansible task
   * list, an Argo CD app list, JSON 6902 operations) is read as the items of a `kind: List`
   * instead of refused, so the objects in it are still looked at.
   */
  sequenceRoots?: boolean;
}

/** The key recorded for a non-string mapping key under `keepNonStringKeys` (no source text). */
export const NON_STRING_KEY = "(non-string key)";

/** Parse a file with the store sops would use for it. */
export function parseFile(
  bytes: Uint8Array,
  format: Format,
  limits: ParseLimits = DEFAULT_LIMITS,
  options: ParseOptions = {},
): ParsedFile {
  if (bytes.length > limits.maxBytes) {
    throw new ParseError(`file is larger than ${limits.maxBytes} bytes; refusing to parse it`);
  }
  switch (format) {
    case "yaml": {
      const text = goYamlLines(decodeText(bytes));
      if (commentOrBlankLines(text, limits.maxCommentLines) > limits.maxCommentLines)
        throw new ParseError(
          `more than ${limits.maxCommentLines} comment or blank lines; refusing to parse it (the YAML parser would take too long)`,
        );
      return {
        format,
        docs: parseYaml(
          text,
          limits,
          options.keepNonStringKeys === true,
          options.sequenceRoots === true,
        ),
      };
    }
    case "json":
      return { format, docs: [parseJson(decodeText(bytes), limits)] };
    case "dotenv":
      return { format, docs: [parseDotenv(decodeText(bytes, true))] };
    case "ini":
      return { format, docs: [parseIni(decodeText(bytes, true))] };
    case "binary":
      return { format, docs: [parseBinary(bytes, limits)] };
  }
}

// ---------------------------------------------------------------- YAML

const YAML_ERROR_TEXT: Record<string, string> = {
  DUPLICATE_KEY: "duplicate mapping key",
  BAD_INDENT: "bad indentation",
  TAB_AS_INDENT: "tab used as indentation",
  MISSING_CHAR: "missing closing character (unterminated quote or bracket)",
  BAD_DQ_ESCAPE: "invalid escape in a double-quoted string",
  UNEXPECTED_TOKEN: "unexpected token",
  BAD_ALIAS: "alias to an unknown anchor",
  MULTILINE_IMPLICIT_KEY: "implicit key spans several lines",
  KEY_OVER_1024_CHARS: "implicit key longer than 1024 characters",
  BLOCK_AS_IMPLICIT_KEY: "block collection used as an implicit key",
  BAD_SCALAR_START: "a plain scalar cannot start with this character",
};

function parseYaml(
  text: string,
  limits: ParseLimits,
  keepNonStringKeys = false,
  sequenceRoots = false,
): TreeDoc[] {
  // The fast path declines every non-string key and sequence document: both options only
  // concern the full reader.
  return (
    parseYamlFast(text, limits) ?? parseYamlFull(text, limits, keepNonStringKeys, sequenceRoots)
  );
}

/**
 * The fast path (fastyaml.ts) for the common manifest shape: the same documents the
 * full reader builds, or undefined when it declines (then only the full reader decides).
 * `text` is as parseFile hands it on: decoded, line breaks as go-yaml reads them.
 */
export function parseYamlFast(
  text: string,
  limits: ParseLimits = DEFAULT_LIMITS,
): TreeDoc[] | undefined {
  const roots = fastParseYaml(text, {
    maxDepth: Math.min(limits.maxDepth, 64),
    maxNodes: Math.floor(limits.maxNodes / 2),
  });
  if (!roots) return undefined;
  const out = roots.map((root, index) => splitSops(root, index));
  if (out.length === 0) out.push({ index: 0, root: { kind: "map", items: [] } });
  return out;
}

/** The full reader: the `yaml` package, then the checks sops makes. */
export function parseYamlFull(
  text: string,
  limits: ParseLimits = DEFAULT_LIMITS,
  keepNonStringKeys = false,
  sequenceRoots = false,
): TreeDoc[] {
  const lc = new LineCounter();
  let docs: Document.Parsed[];
  // The `yaml` package builds an Error for every syntax error it meets (a template or a file
  // that is no YAML can have one a line): without stack traces, which nothing here reads,
  // those cost next to nothing.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    docs = parseAllDocuments(text, {
      lineCounter: lc,
      schema: "failsafe",
      merge: false,
      // Duplicate keys are checked below with a Set: the library's own check is quadratic.
      uniqueKeys: false,
      prettyErrors: false,
      strict: true,
    }) as Document.Parsed[];
  } catch {
    throw new ParseError("YAML could not be parsed");
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (!Array.isArray(docs)) throw new ParseError("YAML could not be parsed");
  const pos = (offset: number | undefined): Pos | undefined => {
    if (offset === undefined) return undefined;
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const out: TreeDoc[] = [];
  for (const [index, doc] of docs.entries()) {
    const err = doc.errors[0];
    if (err) {
      const p = pos(err.pos[0]);
      throw new ParseError(
        `YAML syntax error: ${YAML_ERROR_TEXT[err.code] ?? err.code.toLowerCase().replaceAll("_", " ")}`,
        p?.line,
        p?.column,
      );
    }
    const state: YamlState = {
      nodes: 0,
      limits,
      doc,
      pos,
      aliases: new Map(),
      keepNonStringKeys,
    };
    const contents = doc.contents as YamlNode | null;
    let root: MapNode;
    if (contents === null || isEmptyScalar(contents)) {
      root = { kind: "map", items: [] };
    } else if (isMap(contents)) {
      const converted = convertYaml(contents, state, 0);
      root = converted as MapNode;
    } else if (sequenceRoots && isSeq(contents)) {
      const items = convertYaml(contents, state, 0);
      const p = pos(contents.range?.[0]);
      const str = (t: string): Leaf => ({
        kind: "leaf",
        type: "str",
        str: t,
        plain: Buffer.from(t),
      });
      root = {
        kind: "map",
        items: [
          { kind: "item", key: "kind", value: str("List") },
          { kind: "item", key: "items", value: items, ...(p ? { keyPos: p } : {}) },
        ],
        ...(p ? { pos: p } : {}),
      };
    } else {
      const p = pos(contents.range?.[0]);
      throw new ParseError(
        isSeq(contents)
          ? "YAML documents that are sequences are not supported by sops"
          : "a YAML document must be a mapping",
        p?.line,
        p?.column,
      );
    }
    if (doc.commentBefore) root.items.unshift(...commentLines(doc.commentBefore, undefined));
    out.push(splitSops(root, index));
  }
  if (out.length === 0) out.push({ index: 0, root: { kind: "map", items: [] } });
  return out;
}

/** An empty document (`---` at the end of a file): go-yaml reads null, sops an empty branch. */
function isEmptyScalar(node: YamlNode): boolean {
  if (!isScalar(node)) return false;
  if (node.value === null) return true;
  return node.value === "" && node.type === "PLAIN" && (!node.tag || node.tag === "!");
}

interface YamlState {
  nodes: number;
  limits: ParseLimits;
  doc: Document.Parsed;
  pos: (offset: number | undefined) => Pos | undefined;
  /** Alias → anchored node, resolved once (resolving scans the document). */
  aliases: Map<object, unknown>;
  keepNonStringKeys: boolean;
}

function commentLines(text: string, p: Pos | undefined): CommentItem[] {
  return text.split("\n").map((line) => ({ kind: "comment" as const, text: line, pos: p }));
}

function convertYaml(node: unknown, st: YamlState, depth: number): TreeNode {
  if (++st.nodes > st.limits.maxNodes) {
    throw new ParseError("document expands to too many nodes (alias bomb?)");
  }
  if (depth > st.limits.maxDepth) {
    throw new ParseError(`nesting deeper than ${st.limits.maxDepth} levels`);
  }
  if (isAlias(node)) {
    let target = st.aliases.get(node);
    if (target === undefined) {
      target = node.resolve(st.doc) ?? null;
      st.aliases.set(node, target);
    }
    if (!target) {
      const p = st.pos(node.range?.[0]);
      throw new ParseError("alias to an unknown anchor", p?.line, p?.column);
    }
    return convertYaml(target, st, depth + 1);
  }
  if (isMap(node)) {
    const items: Array<MapItem | CommentItem> = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const keyPos = st.pos(keyNode?.range?.[0]);
      if (keyNode && "commentBefore" in keyNode && keyNode.commentBefore) {
        for (const c of commentLines(keyNode.commentBefore, keyPos)) items.push(c);
      }
      let key: string;
      let nonString = false;
      try {
        key = scalarKey(keyNode, keyPos, st.doc);
      } catch (e) {
        if (!st.keepNonStringKeys || !(e instanceof ParseError)) throw e;
        key = NON_STRING_KEY;
        nonString = true;
      }
      if (!nonString) {
        if (seen.has(key))
          throw new ParseError(
            "YAML syntax error: duplicate mapping key",
            keyPos?.line,
            keyPos?.column,
          );
        seen.add(key);
      }
      const value =
        pair.value === null || pair.value === undefined
          ? ({ kind: "null", pos: keyPos } as const)
          : convertYaml(pair.value, st, depth + 1);
      items.push({
        kind: "item",
        key,
        keyPos,
        value,
        ...(nonString ? { nonStringKey: true } : {}),
      });
    }
    // Comments above the first item and after the last belong to the mapping node itself.
    const mapNode = node as { commentBefore?: string | null; comment?: string | null };
    const p = st.pos(node.range?.[0]);
    if (mapNode.commentBefore) items.unshift(...commentLines(mapNode.commentBefore, p));
    if (mapNode.comment) for (const c of commentLines(mapNode.comment, p)) items.push(c);
    return { kind: "map", items, pos: p };
  }
  if (isSeq(node)) {
    const items: Array<TreeNode | CommentItem> = [];
    for (const item of node.items) {
      const p = st.pos((item as YamlNode | null)?.range?.[0]);
      if (item && typeof item === "object" && "commentBefore" in item && item.commentBefore) {
        for (const c of commentLines(String(item.commentBefore), p)) items.push(c);
      }
      items.push(item === null ? { kind: "null", pos: p } : convertYaml(item, st, depth + 1));
    }
    return { kind: "seq", items, pos: st.pos(node.range?.[0]) };
  }
  if (isScalar(node)) return scalarToLeaf(node, st.pos(node.range?.[0]));
  throw new ParseError("unsupported YAML node");
}

/** A YAML scalar as sops types it (go-yaml v3 rules, explicit tags honoured). */
export function scalarToLeaf(node: Scalar, p?: Pos): Leaf | NullLeaf {
  const value = node.value;
  if (value instanceof Uint8Array) {
    // The `yaml` package decoded !!binary leniently: check the source as go-yaml would.
    const src = typeof node.source === "string" ? node.source : "";
    if (!B64_GO.test(src.replace(/[\r\n \t]/g, "")))
      throw new ParseError(
        "a !!binary tag on a scalar that is not base64 (go-yaml refuses it)",
        p?.line,
        p?.column,
      );
    const bytes = Buffer.from(value);
    return { kind: "leaf", type: "str", plain: bytes, str: bytes.toString("utf8"), pos: p };
  }
  if (value === null || value === undefined) return { kind: "null", pos: p };
  const text = String(value);
  const plainStyle = node.type === "PLAIN";
  let r: ReturnType<typeof resolvePlain> | "binary";
  if (node.tag && node.tag !== "!") {
    try {
      r = resolveTagged(node.tag, text);
    } catch (e) {
      throw new ParseError(
        e instanceof Error ? e.message : "bad tagged scalar",
        p?.line,
        p?.column,
      );
    }
  } else if (plainStyle) r = resolvePlain(text);
  else r = { type: "str", text };
  if (r === "binary") {
    // go-yaml decodes !!binary with base64.StdEncoding (CR/LF skipped) into a string.
    const bytes = Buffer.from(text.replace(/[\r\n]/g, ""), "base64");
    return { kind: "leaf", type: "str", plain: bytes, str: bytes.toString("utf8"), pos: p };
  }
  if (r.type === "null") return { kind: "null", pos: p };
  const leaf: Leaf = { kind: "leaf", type: r.type, plain: Buffer.from(r.text, "utf8"), pos: p };
  if (r.type === "str") leaf.str = r.text;
  if (plainStyle) leaf.plainStyle = true;
  if (node.tag && node.tag !== "!" && !node.tag.startsWith("tag:yaml.org,2002:"))
    leaf.tag = node.tag;
  return leaf;
}

/** A mapping key as sops reads it: it must resolve to a string. */
export function scalarKey(keyNode: unknown, p: Pos | undefined, doc?: Document.Parsed): string {
  if (isAlias(keyNode) && doc) return scalarKey(keyNode.resolve(doc), p);
  if (isScalar(keyNode)) {
    const leaf = scalarToLeaf(keyNode, p);
    if (leaf.kind === "leaf" && leaf.type === "str" && leaf.str !== undefined) return leaf.str;
  }
  throw new ParseError(
    "mapping key is not a string (sops refuses non-string keys)",
    p?.line,
    p?.column,
  );
}

/** Take the top-level `sops` key out of a document's root. */
function splitSops(root: MapNode, index: number): TreeDoc {
  const doc: TreeDoc = { index, root };
  const at = root.items.findIndex((i) => i.kind === "item" && i.key === "sops");
  if (at !== -1) {
    const item = root.items[at] as MapItem;
    const dup = root.items.findIndex((i, n) => n > at && i.kind === "item" && i.key === "sops");
    if (dup !== -1) throw new ParseError("more than one top-level sops key");
    root.items.splice(at, 1);
    doc.metadata = toPlain(item.value);
    doc.metadataPos = item.keyPos;
  }
  return doc;
}

/** Tree → plain JS data (for metadata). */
export function toPlain(node: TreeNode): unknown {
  switch (node.kind) {
    case "null":
      return null;
    case "leaf":
      if (node.type === "str") return node.str ?? node.plain.toString("utf8");
      if (node.type === "int" || node.type === "float") return Number(node.plain.toString());
      if (node.type === "bool") return node.plain.toString() === "True";
      return node.plain.toString();
    case "seq":
      return node.items.filter((i) => i.kind !== "comment").map((i) => toPlain(i as TreeNode));
    case "map": {
      const o: Record<string, unknown> = {};
      for (const i of node.items) if (i.kind === "item") o[i.key] = toPlain(i.value);
      return o;
    }
  }
}

// ---------------------------------------------------------------- JSON

/**
 * A small JSON reader that keeps key order, duplicate detection and
 * positions (JSON.parse reorders integer-like keys and loses lines).
 */
function parseJson(text: string, limits: ParseLimits): TreeDoc {
  let i = 0;
  let nodes = 0;
  const n = text.length;
  const lineStarts = [0];
  for (let k = text.indexOf("\n"); k !== -1; k = text.indexOf("\n", k + 1)) lineStarts.push(k + 1);
  const pos = (off: number): Pos => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= off) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: off - lineStarts[lo]! + 1 };
  };
  const fail = (reason: string, off = i): never => {
    const p = pos(Math.min(off, n));
    throw new ParseError(`JSON syntax error: ${reason}`, p.line, p.column);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    let out = "";
    while (true) {
      if (i >= n) fail("unterminated string", start);
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c === "\\") {
        const e = text[i + 1];
        const map: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e === "u") {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("invalid \\u escape");
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
        } else if (e !== undefined && map[e] !== undefined) {
          out += map[e];
          i += 2;
        } else fail("invalid escape");
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail("control character in string");
      out += c;
      i++;
    }
  };
  const value = (depth: number): TreeNode => {
    if (++nodes > limits.maxNodes) fail("too many values");
    if (depth > limits.maxDepth) fail(`nesting deeper than ${limits.maxDepth} levels`);
    ws();
    const p = pos(i);
    const c = text[i];
    if (c === "{") {
      i++;
      const items: MapItem[] = [];
      const seen = new Set<string>();
      ws();
      if (text[i] === "}") {
        i++;
        return { kind: "map", items, pos: p };
      }
      while (true) {
        ws();
        if (text[i] !== '"') fail("expected a string key");
        const keyPos = pos(i);
        const key = str();
        if (seen.has(key)) fail("duplicate key", i - 1);
        seen.add(key);
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        items.push({ kind: "item", key, keyPos, value: value(depth + 1) });
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return { kind: "map", items, pos: p };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: TreeNode[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { kind: "seq", items, pos: p };
      }
      while (true) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return { kind: "seq", items, pos: p };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') {
      const s = str();
      return { kind: "leaf", type: "str", str: s, plain: Buffer.from(s, "utf8"), pos: p };
    }
    if (text.startsWith("true", i)) {
      i += 4;
      return { kind: "leaf", type: "bool", plain: Buffer.from("True"), pos: p };
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return { kind: "leaf", type: "bool", plain: Buffer.from("False"), pos: p };
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return { kind: "null", pos: p };
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (m && m[0].length > 0) {
      i += m[0].length;
      const r = resolveJsonNumber(m[0]);
      if (r.type === "null") return { kind: "null", pos: p };
      return { kind: "leaf", type: r.type, plain: Buffer.from(r.text), pos: p };
    }
    return fail(i >= n ? "unexpected end of input" : "unexpected character");
  };
  ws();
  if (text[i] !== "{") fail("the top level must be an object");
  const root = value(0) as MapNode;
  ws();
  if (i < n) fail("unexpected data after the top-level object");
  return splitSops(root, 0);
}

// ---------------------------------------------------------------- dotenv

/**
 * sops' dotenv store: split on `\n` only, skip empty lines, `#` starts a
 * comment, split at the first `=`, no trimming or quote handling; the two
 * characters `\n` become a newline. `sops_`-prefixed keys are the flattened
 * metadata.
 */
function parseDotenv(text: string): TreeDoc {
  const items: Array<MapItem | CommentItem> = [];
  const meta: Record<string, string> = {};
  let metaPos: Pos | undefined;
  const lines = text.split("\n");
  for (const [n, line] of lines.entries()) {
    const p = { line: n + 1, column: 1 };
    if (line === "") continue;
    if (line.startsWith("#")) {
      items.push({ kind: "comment", text: line.slice(1), pos: p });
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1) throw new ParseError("dotenv line without '='", p.line, 1);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll("\\n", "\n");
    if (key.startsWith("sops_")) {
      meta[key.slice(5)] = value;
      metaPos ??= p;
      continue;
    }
    items.push({
      kind: "item",
      key,
      keyPos: p,
      value: {
        kind: "leaf",
        type: "str",
        str: value,
        plain: Buffer.from(value, "utf8"),
        pos: { line: p.line, column: eq + 2 },
      },
    });
  }
  const doc: TreeDoc = { index: 0, root: { kind: "map", items } };
  if (Object.keys(meta).length > 0) {
    doc.metadata = unflatten(meta);
    doc.metadataPos = metaPos;
  }
  return doc;
}

/** Undo sops' metadata flattening: `age__list_0__map_enc` → `{age: [{enc}]}`. */
export function unflatten(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flatKey, value] of Object.entries(flat)) {
    const parts = flatKey.split("__");
    let cur: Record<string, unknown> | unknown[] = out;
    let key: string | number = parts[0]!;
    for (const part of parts.slice(1)) {
      const m = /^(list|map)_(.*)$/.exec(part);
      if (!m) {
        key = `${key}__${part}`;
        continue;
      }
      const container: unknown[] | Record<string, unknown> = m[1] === "list" ? [] : {};
      const existing: unknown = (cur as Record<string | number, unknown>)[key];
      const next =
        existing && typeof existing === "object"
          ? (existing as unknown[] | Record<string, unknown>)
          : container;
      (cur as Record<string | number, unknown>)[key] = next;
      cur = next;
      key = m[1] === "list" ? Number(m[2]) : m[2]!;
    }
    (cur as Record<string | number, unknown>)[key] = value;
  }
  return out;
}

// ---------------------------------------------------------------- INI

/**
 * INI as sops reads it (detection-grade): `[section]` headers become
 * top-level keys, `key = value` pairs their leaves, `;`/`#` lines comments,
 * `"""…"""` multi-line values; the `[sops]` section is the flattened metadata.
 */
function parseIni(text: string): TreeDoc {
  const lines = text.split(/\r?\n/);
  const root: MapNode = { kind: "map", items: [] };
  let section: MapNode | undefined;
  let sectionName = "DEFAULT";
  const meta: Record<string, string> = {};
  let metaPos: Pos | undefined;
  const pending: CommentItem[] = [];
  const defaults: MapNode = { kind: "map", items: [] };
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const line = raw.trim();
    const p = { line: n + 1, column: 1 };
    if (line === "") continue;
    if (line.startsWith(";") || line.startsWith("#")) {
      // ini.v1 drops the marker and the space after it.
      pending.push({ kind: "comment", text: line.slice(1).replace(/^ /, ""), pos: p });
      continue;
    }
    const sec = /^\[(.*)\]$/.exec(line);
    if (sec) {
      sectionName = sec[1]!.trim();
      section = { kind: "map", items: [...pending.splice(0)], pos: p };
      if (sectionName === "sops") {
        metaPos = p;
      } else {
        root.items.push({ kind: "item", key: sectionName, keyPos: p, value: section });
      }
      continue;
    }
    const eq = line.search(/[=:]/);
    if (eq === -1)
      throw new ParseError("INI line is neither a section, a comment nor key = value", p.line, 1);
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('"""')) {
      let acc = value.slice(3);
      while (!acc.endsWith('"""')) {
        n++;
        if (n >= lines.length) throw new ParseError('unterminated """ value', p.line, 1);
        acc += `\n${lines[n]}`;
      }
      value = acc.slice(0, -3);
    } else if (/^".*"$/.test(value) || /^'.*'$/.test(value)) {
      value = value.slice(1, -1);
    }
    if (sectionName === "sops") {
      meta[key] = value.replaceAll("\\n", "\n");
      continue;
    }
    const target = section ?? defaults;
    for (const c of pending.splice(0)) target.items.push(c);
    target.items.push({
      kind: "item",
      key,
      keyPos: p,
      value: { kind: "leaf", type: "str", str: value, plain: Buffer.from(value, "utf8"), pos: p },
    });
  }
  if (defaults.items.length > 0) {
    root.items.unshift({ kind: "item", key: "DEFAULT", value: defaults });
  }
  const doc: TreeDoc = { index: 0, root };
  if (Object.keys(meta).length > 0) {
    doc.metadata = unflatten(meta);
    doc.metadataPos = metaPos;
  }
  return doc;
}

// ---------------------------------------------------------------- binary

/**
 * The binary store: a plaintext file is one value under `data`; an encrypted
 * one is a JSON envelope `{"data": "ENC[…]", "sops": {…}}`.
 */
function parseBinary(bytes: Uint8Array, limits: ParseLimits): TreeDoc {
  const head = Buffer.from(bytes.subarray(0, 64)).toString("latin1").trimStart();
  if (head.startsWith("{")) {
    try {
      const doc = parseJson(decodeText(bytes, true), limits);
      const keys = doc.root.items.filter((i) => i.kind === "item").map((i) => (i as MapItem).key);
      if (doc.metadata !== undefined && keys.length === 1 && keys[0] === "data") return doc;
    } catch {
      // not an envelope: plaintext content
    }
  }
  const leaf: Leaf = {
    kind: "leaf",
    type: "str",
    plain: Buffer.from(bytes),
    pos: { line: 1, column: 1 },
  };
  return { index: 0, root: { kind: "map", items: [{ kind: "item", key: "data", value: leaf }] } };
}

export type { SeqNode };
