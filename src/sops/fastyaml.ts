/**
 * A strict fast path for the common Kubernetes manifest shape: block mappings
 * and sequences, plain, single-quoted and simply double-quoted one-line
 * scalars, literal block scalars (`key: |`, `key: |-`), empty `[]` and `{}`,
 * comments, `---` separators. It builds exactly the tree the full reader (the
 * `yaml` package, parse.ts) builds — kinds, keys, go-yaml scalar types, bytes,
 * styles, comment placement and positions — or it declines (returns undefined)
 * and the full reader decides. It never refuses and never decides "clean" on
 * its own: anything it is not sure about (tags, anchors, aliases, merge keys,
 * folded or kept block scalars, flow collections, complex, non-string or
 * duplicate keys, escapes it does not know, tabs, odd characters, directives,
 * multi-line plain or quoted scalars, spaces-only lines, anything the full
 * reader would refuse) is declined, and so is any exception of its own.
 *
 * Comment placement follows the `yaml` package's rules as the full reader sees
 * them: comments before a key are that key's; comments between `key:` and a
 * nested mapping are the mapping's (a nested sequence's are dropped); comments
 * right after a scalar and more indented than its collection are dropped;
 * comments after a collection's last item move to its parent when the
 * collection is at column 0 or every one of them is less indented than it,
 * else they trail the collection (kept for a mapping, dropped for a sequence);
 * comments after a document's content are dropped. test/unit/fastyaml.test.ts
 * holds this to the full reader over every fixture and thousands of generated
 * documents.
 */
import { resolvePlain } from "./scalar.js";
import type {
  CommentItem,
  Leaf,
  MapItem,
  MapNode,
  NullLeaf,
  Pos,
  SeqNode,
  TreeNode,
} from "./tree.js";

/** What the fast path may decline on, bounded well inside the full reader's own limits. */
export interface FastLimits {
  maxDepth: number;
  maxNodes: number;
}

/** A trivia token as the `yaml` package's parser sees it: indentation, a comment, a line break. */
type Trivia = { t: "sp" } | { t: "nl" } | { t: "c"; indent: number; text: string };
/** Shared (never changed): one allocation less per line. */
const SP: Trivia = { t: "sp" };
const NL: Trivia = { t: "nl" };

interface MapBuild {
  kind: "map";
  indent: number;
  node: MapNode;
  keys: Set<string>;
  /** The item whose key has been read and whose value has not (`key:` at the end of its line). */
  awaiting?: { item: MapItem; sep: Trivia[]; nullPos: Pos };
  /** The last complete item's value is a one-line scalar (its line end can take comments). */
  lastScalar: boolean;
  /** That scalar's line end ends with a comment: a line break joins it. */
  endOpen: boolean;
  /** The last value is a block scalar or `[]`/`{}`: a more indented comment after it is declined. */
  afterOdd?: boolean;
  /** Trivia of an item not started yet (no key). */
  pending?: Trivia[];
  /** The mapping's own commentBefore. */
  before?: string;
  /** The document's commentBefore (a root only): first of all, without a position. */
  docBefore?: string;
}

interface SeqBuild {
  kind: "seq";
  indent: number;
  node: SeqNode;
  lastScalar: boolean;
  endOpen: boolean;
  afterOdd?: boolean;
  pending?: Trivia[];
}

type Build = MapBuild | SeqBuild;

class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

/** Characters the fast path does not reason about anywhere in the text (a lone surrogate included). */
const ODD =
  /[\u0000-\u0009\u000b-\u001f\u007f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A plain scalar may not start with these (YAML indicators). */
const INDICATOR = new Set([..."-?:,[]{}#&*!|>'\"%@`"]);
const DQ_ESCAPES: Record<string, string> = {
  "\\": "\\",
  '"': '"',
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
};

/** The text's document roots as the full reader builds them, or undefined to decline. */
export function fastParseYaml(text: string, limits: FastLimits): MapNode[] | undefined {
  if (ODD.test(text)) return undefined;
  try {
    return new FastReader(text, limits).read();
  } catch {
    // Declined, or anything unexpected (a RangeError, say): the full reader decides.
    return undefined;
  }
}

/** The comment text of trivia as the `yaml` package joins it (a blank line after a comment adds "\n"). */
function joinComments(tokens: Trivia[], startOnNewline: boolean): string {
  let atNewline = startOnNewline;
  let comment = "";
  let sep = "";
  for (const tok of tokens) {
    if (tok.t === "c") {
      const cb = tok.text || " ";
      comment = comment ? comment + sep + cb : cb;
      sep = "";
      atNewline = false;
    } else if (tok.t === "nl") {
      if (atNewline) {
        if (comment) comment += "\n";
      } else sep += "\n";
      atNewline = true;
    }
  }
  return comment;
}

/** Push without spreading (a spread of 150 000 comment lines overflows the stack). */
function pushAll<T>(to: T[], from: readonly T[]): void {
  for (const x of from) to.push(x);
}

function commentItems(text: string, pos: Pos | undefined): CommentItem[] {
  return text.split("\n").map((line) => ({ kind: "comment" as const, text: line, pos }));
}

function leafOf(text: string, plainStyle: boolean, pos: Pos): Leaf | NullLeaf {
  const r = plainStyle ? resolvePlain(text) : { type: "str" as const, text };
  if (r.type === "null") return { kind: "null", pos };
  const leaf: Leaf = { kind: "leaf", type: r.type, plain: Buffer.from(r.text, "utf8"), pos };
  if (r.type === "str") leaf.str = r.text;
  if (plainStyle) leaf.plainStyle = true;
  return leaf;
}

interface Scanned {
  text: string;
  plain: boolean;
  /** Offset just after the scalar (after the closing quote; for plain, after its last character). */
  end: number;
}

class FastReader {
  private readonly text: string;
  private readonly limits: FastLimits;
  private line = 0;
  private lineStart = 0;
  private nodes = 0;
  private readonly stack: Build[] = [];
  private root: MapBuild | undefined;
  private readonly docs: MapNode[] = [];
  /** Comments ("#" dropped) and line breaks before the first document (the stream's prelude). */
  private readonly prelude: Array<string | null> = [];
  private inPrelude = true;
  /** Trivia after a `---` line, before the document's content. */
  private docStart: Trivia[] | undefined;
  private docOpen = false;
  /** Comments before a first `---`: the first document's commentBefore. */
  private docComment: string | undefined;
  /** A literal block scalar (`key: |` or `key: |-`) being read. */
  private block:
    | {
        leaf: Leaf;
        strip: boolean;
        minIndent: number;
        contentIndent?: number;
        lines: string[];
        blanks: number;
      }
    | undefined;

  constructor(text: string, limits: FastLimits) {
    this.text = text;
    this.limits = limits;
  }

  private pos(offset: number): Pos {
    return { line: this.line, column: offset - this.lineStart + 1 };
  }

  read(): MapNode[] {
    const text = this.text;
    const n = text.length;
    let start = 0;
    while (start < n) {
      let end = text.indexOf("\n", start);
      const hasBreak = end !== -1;
      if (!hasBreak) end = n;
      this.line++;
      this.lineStart = start;
      this.doLine(start, end, hasBreak);
      start = end + 1;
    }
    if (this.block) this.endBlock();
    this.endDocument();
    // Comments with no document after them: the full reader decides.
    if (this.inPrelude && this.prelude.some((s) => s !== null)) decline();
    return this.docs;
  }

  private doLine(ls: number, le: number, hasBreak: boolean): void {
    const text = this.text;
    let i = ls;
    while (i < le && text.charCodeAt(i) === 0x20) i++;
    const indent = i - ls;
    const b = this.block;
    if (b) {
      if (i === le) {
        // Blank lines inside (or trailing) the block scalar; leading ones are declined.
        if (indent > 0 || b.contentIndent === undefined) decline();
        b.blanks++;
        return;
      }
      if (b.contentIndent === undefined) {
        if (indent < b.minIndent) decline(); // an empty block scalar
        b.contentIndent = indent;
      }
      if (indent >= b.contentIndent) {
        if (!hasBreak) decline(); // the last line without a line break
        for (; b.blanks > 0; b.blanks--) b.lines.push("");
        b.lines.push(text.slice(ls + b.contentIndent, le));
        return;
      }
      this.endBlock();
    }
    if (i === le) {
      if (indent > 0) decline(); // a line of spaces only
      if (hasBreak) this.trivia(NL);
      return;
    }
    const c = text[i]!;
    if (c === "#") {
      if (this.inPrelude) {
        if (indent > 0) decline();
        this.prelude.push(text.slice(i + 1, le));
        if (hasBreak) this.prelude.push(null);
        return;
      }
      if (indent > 0) this.trivia(SP);
      this.trivia({ t: "c", indent, text: text.slice(i + 1, le) });
      if (hasBreak) this.trivia(NL);
      return;
    }
    if (indent === 0 && (c === "%" || text.startsWith("...", i))) decline();
    if (indent === 0 && text.startsWith("---", i)) {
      if (le !== i + 3) decline();
      if (this.inPrelude) {
        // Comments before a first `---` are the document's commentBefore.
        this.docComment = this.preludeComment().comment || undefined;
      }
      this.endDocument();
      this.inPrelude = false;
      this.docOpen = true;
      this.docStart = hasBreak ? [NL] : [];
      return;
    }
    if (indent > 0) this.trivia(SP);
    this.content(indent, i, le);
  }

  private endBlock(): void {
    const b = this.block!;
    this.block = undefined;
    if (b.contentIndent === undefined) decline(); // an empty block scalar
    const value = b.lines.join("\n") + (b.strip ? "" : "\n");
    b.leaf.plain = Buffer.from(value, "utf8");
    b.leaf.str = value;
  }

  /** A trivia token, given to the innermost open collection as the `yaml` parser does. */
  private trivia(tok: Trivia): void {
    if (this.inPrelude) {
      if (tok.t !== "nl") decline();
      this.prelude.push(null);
      return;
    }
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (!this.docStart) decline();
      this.docStart!.push(tok);
      return;
    }
    if (top.afterOdd && tok.t === "c" && tok.indent > top.indent) decline();
    if (top.kind === "map" && top.awaiting) {
      top.awaiting.sep.push(tok);
      return;
    }
    if (top.pending) {
      // A comment more indented than the collection, right after a one-line scalar, joins that
      // scalar's line end (and is dropped with it).
      if (
        tok.t === "c" &&
        tok.indent > top.indent &&
        top.lastScalar &&
        top.pending.every((p) => p.t !== "c")
      ) {
        top.pending = undefined;
        top.endOpen = true;
        return;
      }
      top.pending.push(tok);
      return;
    }
    // The last item is complete.
    if (tok.t === "nl" && top.endOpen) {
      top.endOpen = false;
      return;
    }
    top.pending = [tok];
  }

  private count(): void {
    if (++this.nodes > this.limits.maxNodes) decline();
  }

  /** Close the innermost collection into its parent (or the document). */
  private pop(): void {
    const b = this.stack.pop()!;
    if (b.kind === "map" && b.awaiting) this.closeNull(b);
    const parent = this.stack[this.stack.length - 1];
    let moved: Trivia[] | undefined;
    if (b.pending) {
      const comments = b.pending.filter((t) => t.t === "c") as Array<{ indent: number }>;
      if (b.indent === 0 || comments.every((t) => t.indent < b.indent)) moved = b.pending;
      else if (b.kind === "map") {
        const text = joinComments(b.pending, true);
        if (text) pushAll(b.node.items, commentItems(text, b.node.pos));
      }
      b.pending = undefined;
    }
    if (b.kind === "map" && b.before)
      b.node.items = (commentItems(b.before, b.node.pos) as MapNode["items"]).concat(b.node.items);
    if (b.kind === "map" && b.docBefore)
      b.node.items = (commentItems(b.docBefore, undefined) as MapNode["items"]).concat(
        b.node.items,
      );
    if (!parent) return; // the document's end: its trailing comments are dropped
    if (parent.kind === "map" && parent.awaiting) decline(); // not reached: set when the child starts
    parent.lastScalar = false;
    parent.endOpen = false;
    parent.afterOdd = false;
    if (moved) parent.pending = moved;
  }

  private closeNull(m: MapBuild): void {
    const a = m.awaiting!;
    if (a.sep.some((t) => t.t === "c")) decline();
    this.count();
    a.item.value = { kind: "null", pos: a.nullPos };
    m.awaiting = undefined;
    m.lastScalar = false;
    m.endOpen = false;
  }

  private endDocument(): void {
    while (this.stack.length > 0) this.pop();
    if (this.root) {
      this.docs.push(this.root.node);
      this.root = undefined;
    } else if (this.docOpen) {
      if (this.docStart?.some((t) => t.t === "c") || this.docComment) decline();
      this.docs.push({ kind: "map", items: [] });
    }
    this.docOpen = false;
    this.docStart = undefined;
  }

  private content(indent: number, i: number, le: number): void {
    const text = this.text;
    const isSeqItem = text[i] === "-" && (i + 1 === le || text[i + 1] === " ");
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        if (this.root || isSeqItem || indent !== 0) decline();
        this.startRoot(i, le);
        return;
      }
      if (top.kind === "map") {
        if (indent === top.indent) {
          if (isSeqItem) {
            if (!top.awaiting) decline();
            this.startSeq(top, indent, i, le);
            return;
          }
          if (top.awaiting) this.closeNull(top);
          const start = top.pending ?? [];
          top.pending = undefined;
          this.keyLine(top, i, le, start);
          return;
        }
        if (indent > top.indent) {
          if (!top.awaiting) decline();
          if (isSeqItem) this.startSeq(top, indent, i, le);
          else this.startMap(top, indent, i, le);
          return;
        }
        this.pop();
        continue;
      }
      if (isSeqItem && indent === top.indent) {
        const start = top.pending ?? [];
        top.pending = undefined;
        this.seqItem(top, i, le, start);
        return;
      }
      if (indent > top.indent) decline();
      this.pop();
    }
  }

  private push(b: Build): void {
    if (this.stack.length >= this.limits.maxDepth) decline();
    this.count();
    this.stack.push(b);
  }

  private newMap(indent: number, at: number): MapBuild {
    const node: MapNode = { kind: "map", items: [], pos: this.pos(at) };
    const m: MapBuild = {
      kind: "map",
      indent,
      node,
      keys: new Set(),
      lastScalar: false,
      endOpen: false,
    };
    this.push(m);
    return m;
  }

  private startRoot(i: number, le: number): void {
    let firstKey: string | undefined;
    let docBefore = this.docComment;
    let before: string | undefined;
    if (this.inPrelude) {
      this.inPrelude = false;
      const { comment, afterEmptyLine } = this.preludeComment();
      if (comment) {
        if (afterEmptyLine) docBefore = comment;
        else firstKey = comment;
      }
    } else if (this.docStart) {
      // After `---`: the document's start props become the mapping's commentBefore.
      before = joinComments(this.docStart, false) || undefined;
    } else decline();
    const m = this.newMap(0, i);
    m.before = before;
    m.docBefore = docBefore;
    this.docComment = undefined;
    this.root = m;
    this.docOpen = true;
    this.docStart = undefined;
    this.keyLine(m, i, le, [], firstKey);
  }

  /** The composer's parsePrelude: the comments before the first document. */
  private preludeComment(): { comment: string; afterEmptyLine: boolean } {
    let comment = "";
    let atComment = false;
    let afterEmptyLine = false;
    for (const s of this.prelude) {
      if (s === null) {
        if (!atComment) afterEmptyLine = true;
        atComment = false;
      } else {
        comment += (comment === "" ? "" : afterEmptyLine ? "\n\n" : "\n") + (s || " ");
        atComment = true;
        afterEmptyLine = false;
      }
    }
    return { comment, afterEmptyLine };
  }

  /** `key: value`, `key:` or `key: # comment` at offset i, a new item of m. */
  private keyLine(m: MapBuild, i: number, le: number, start: Trivia[], pre?: string): void {
    const k = this.scanKey(i, le) ?? decline();
    const key = k.text;
    if (k.plain) {
      const r = resolvePlain(key);
      if (r.type !== "str" || key === "<<") decline(); // non-string keys, merge keys
    }
    if (key.length > 1000 || m.keys.has(key)) decline();
    m.keys.add(key);
    const keyPos = this.pos(i);
    m.afterOdd = false;
    let comment = joinComments(start, true);
    if (pre) comment = comment ? `${pre}\n${comment}` : pre;
    if (comment) pushAll(m.node.items, commentItems(comment, keyPos));
    this.count();
    const text = this.text;
    let q = k.end + 1; // after the ':'
    while (q < le && text.charCodeAt(q) === 0x20) q++;
    const item: MapItem = { kind: "item", key, keyPos, value: { kind: "null" } };
    m.node.items.push(item);
    m.lastScalar = false;
    m.endOpen = false;
    if (q === le || text[q] === "#") {
      const sep: Trivia[] = [];
      if (q < le) sep.push({ t: "c", indent: q - this.lineStart, text: text.slice(q + 1, le) });
      if (le < text.length) sep.push(NL);
      m.awaiting = { item, sep, nullPos: this.pos(q) };
      return;
    }
    if (text[q] === "|") {
      const header = text.slice(q, le);
      if (header !== "|" && header !== "|-") decline(); // keep, indentation digits, comments
      const leaf: Leaf = { kind: "leaf", type: "str", plain: Buffer.alloc(0), pos: this.pos(q) };
      leaf.str = "";
      item.value = leaf;
      this.block = { leaf, strip: header === "|-", minIndent: m.indent + 1, lines: [], blanks: 0 };
      m.afterOdd = true;
      return;
    }
    item.value = this.value(q, le);
    if (item.value.kind === "leaf" || item.value.kind === "null") m.lastScalar = true;
    else m.afterOdd = true;
  }

  private startMap(parent: MapBuild, indent: number, i: number, le: number): void {
    const a = parent.awaiting!;
    parent.awaiting = undefined;
    // Trivia after `key:` (not the next line's indentation) is the nested mapping's commentBefore.
    const m = this.newMap(indent, i);
    m.before = joinComments(a.sep, false) || undefined;
    a.item.value = m.node;
    this.keyLine(m, i, le, []);
  }

  private startSeq(parent: MapBuild, indent: number, i: number, le: number): void {
    const a = parent.awaiting!;
    parent.awaiting = undefined;
    // Comments between `key:` and a nested sequence are the sequence's commentBefore: dropped.
    const s: SeqBuild = {
      kind: "seq",
      indent,
      node: { kind: "seq", items: [], pos: this.pos(i) },
      lastScalar: false,
      endOpen: false,
    };
    this.push(s);
    a.item.value = s.node;
    this.seqItem(s, i, le, []);
  }

  /** `- value` or `- key: value` (i: the dash). */
  private seqItem(s: SeqBuild, i: number, le: number, start: Trivia[]): void {
    const text = this.text;
    let j = i + 1;
    while (j < le && text.charCodeAt(j) === 0x20) j++;
    if (j === le || text[j] === "#") decline(); // `-` alone, or a comment right after it
    if (text[j] === "-" && (j + 1 === le || text[j + 1] === " ")) decline(); // `- - x`
    const comment = joinComments(start, true);
    const pos = this.pos(j);
    if (comment) pushAll(s.node.items, commentItems(comment, pos));
    s.lastScalar = false;
    s.endOpen = false;
    s.afterOdd = false;
    if (this.scanKey(j, le)) {
      // A key here starts a mapping at its column; the item's comments are its commentBefore too.
      const m = this.newMap(j - this.lineStart, j);
      m.before = comment || undefined;
      s.node.items.push(m.node);
      this.keyLine(m, j, le, []);
      return;
    }
    this.count();
    const v = this.value(j, le);
    s.node.items.push(v);
    if (v.kind === "leaf" || v.kind === "null") s.lastScalar = true;
    else s.afterOdd = true;
  }

  /** A key at i: its text and the offset of its ':'; undefined when the line holds no key. */
  private scanKey(i: number, le: number): Scanned | undefined {
    const text = this.text;
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const sc = this.quoted(i, le);
      if (text[sc.end] === ":" && (sc.end + 1 === le || text[sc.end + 1] === " "))
        return { ...sc, end: sc.end };
      this.lineRest(sc.end, le);
      return undefined;
    }
    this.plainStart(i, le);
    for (let k = i; k < le; k++) {
      const ch = text.charCodeAt(k);
      if (ch === 0x3a /* : */ && (k + 1 === le || text.charCodeAt(k + 1) === 0x20)) {
        if (text.charCodeAt(k - 1) === 0x20) decline(); // `key : value`
        return { text: text.slice(i, k), plain: true, end: k };
      }
      if (ch === 0x23 /* # */ && text.charCodeAt(k - 1) === 0x20) return undefined;
    }
    return undefined;
  }

  /** A one-line scalar value (or an empty `[]`/`{}`) at q and nothing but a comment after it. */
  private value(q: number, le: number): TreeNode {
    const text = this.text;
    const c = text[q]!;
    const pos = this.pos(q);
    if ((c === "[" && text[q + 1] === "]") || (c === "{" && text[q + 1] === "}")) {
      // A comment after it would be the collection's own: declined.
      if (q + 2 !== le) decline();
      return c === "[" ? { kind: "seq", items: [], pos } : { kind: "map", items: [], pos };
    }
    if (c === "'" || c === '"') {
      const sc = this.quoted(q, le);
      this.lineRest(sc.end, le);
      return leafOf(sc.text, false, pos);
    }
    this.plainStart(q, le);
    let end = le;
    for (let k = q; k < le; k++) {
      const ch = text.charCodeAt(k);
      if (ch === 0x3a && (k + 1 === le || text.charCodeAt(k + 1) === 0x20)) decline();
      if (ch === 0x23 && text.charCodeAt(k - 1) === 0x20) {
        end = k;
        break;
      }
    }
    while (end > q && text.charCodeAt(end - 1) === 0x20) end--;
    return leafOf(text.slice(q, end), true, pos);
  }

  /** A plain scalar may start at i (no indicator, `-` only before a non-space). */
  private plainStart(i: number, le: number): void {
    const text = this.text;
    const c = text[i]!;
    if (!INDICATOR.has(c)) return;
    if (c === "-" && i + 1 < le && text[i + 1] !== " " && !INDICATOR.has(text[i + 1]!)) return;
    decline();
  }

  /** After a scalar: spaces, then the end of the line or a comment. */
  private lineRest(k: number, le: number): void {
    const text = this.text;
    let j = k;
    while (j < le && text.charCodeAt(j) === 0x20) j++;
    if (j === le) return;
    if (text[j] === "#" && j > k) return;
    decline();
  }

  /** A quoted scalar closed on its own line; a double-quoted one with simple escapes only. */
  private quoted(i: number, le: number): Scanned {
    const text = this.text;
    const q = text[i]!;
    let out = "";
    let k = i + 1;
    let from = k;
    for (;;) {
      if (k >= le) decline();
      const ch = text[k]!;
      if (q === "'" && ch === "'") {
        if (text[k + 1] === "'" && k + 1 < le) {
          out += text.slice(from, k + 1);
          k += 2;
          from = k;
          continue;
        }
        out += text.slice(from, k);
        return { text: out, plain: false, end: k + 1 };
      }
      if (q === '"') {
        if (ch === '"') {
          out += text.slice(from, k);
          return { text: out, plain: false, end: k + 1 };
        }
        if (ch === "\\") {
          const e = DQ_ESCAPES[text[k + 1] ?? ""];
          if (e === undefined || k + 1 >= le) decline();
          out += text.slice(from, k) + e;
          k += 2;
          from = k;
          continue;
        }
      }
      k++;
    }
  }
}
