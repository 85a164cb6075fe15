/**
 * A strict fast path for the common Kubernetes manifest shape: block mappings
 * and sequences, plain (`--flag` too), single-quoted and simply double-quoted
 * scalars, on one line or over several lines (folded as the full reader folds
 * them), literal and folded block scalars (`|`, `|-`, `>`, `>-`, as a value or a sequence
 * item), one-line flow
 * collections of such scalars (`[a, "b"]`, `{ drop: ["ALL"] }`), anchors on
 * values and collections (`key: &app x`, `key: &probes` + a nested block) and
 * aliases to closed ones (`*app`, copied as the full reader converts them again:
 * the anchored node's positions), comments, `---` separators. It builds exactly the tree the full reader (the
 * `yaml` package, parse.ts) builds — kinds, keys, go-yaml scalar types, bytes,
 * styles, comment placement and positions — or it declines (returns undefined)
 * and the full reader decides. It never refuses and never decides "clean" on
 * its own: anything it is not sure about (tags, anchors on keys, on null values
 * or with comments, aliases to an anchor still open or holding an alias, merge
 * keys, kept block scalars, flow collections over several lines or
 * with empty, nested-pair or `:`/`#`-holding items, complex, non-string or
 * duplicate keys, escapes it does not know, escaped line breaks, tabs, odd characters,
 * directives, multi-line plain scalars with a comment, a
 * `: `, a final `:` or a block indicator first on a later line, multi-line scalars
 * followed by a more indented comment, spaces-only lines, anything the full
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
  /** Its keys, once it has many (a few are compared one by one: no set per small mapping). */
  keys?: Set<string>;
  /** The item whose key has been read and whose value has not (`key:` at the end of its line). */
  awaiting?: { item: MapItem; sep: Trivia[]; nullPos: Pos; anchor?: string };
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
  /** The anchor on this collection, closed with it. */
  anchor?: Anchor;
}

interface SeqBuild {
  kind: "seq";
  indent: number;
  node: SeqNode;
  lastScalar: boolean;
  endOpen: boolean;
  afterOdd?: boolean;
  pending?: Trivia[];
  anchor?: Anchor;
}

type Build = MapBuild | SeqBuild;

/** No trivia before an item (read only: joinComments). */
const NO_TRIVIA: readonly Trivia[] = [];
/** A map item's value until it is read (always replaced before the tree is returned). */
const UNSET: TreeNode = { kind: "null" };
/** Mappings with more keys than this keep a set of them for the duplicate check. */
const FEW_KEYS = 8;

/** Does mapping m being read have this key already? */
function hasKey(m: MapBuild, key: string): boolean {
  if (m.keys) return m.keys.has(key);
  let n = 0;
  for (const it of m.node.items) {
    if (it.kind !== "item") continue;
    if (it.key === key) return true;
    n++;
  }
  if (n >= FEW_KEYS) {
    m.keys = new Set();
    for (const it of m.node.items) if (it.kind === "item") m.keys.add(it.key);
  }
  return false;
}

interface Anchor {
  node: TreeNode;
  open: boolean;
  /** The depth of its node's tree as the full reader converts it (see heightOf), once known. */
  height?: number;
}

/**
 * The depth of a node's tree as the full reader converts it: 0 for a scalar, one more per
 * level, and one more for each copy an alias made (the full reader converts an alias's anchored
 * node one level deeper than the alias).
 */
function heightOf(node: TreeNode, copies: WeakSet<TreeNode>): number {
  const own = copies.has(node) ? 1 : 0;
  if (node.kind !== "map" && node.kind !== "seq") return own;
  let h = 0;
  for (const it of node.items) {
    if (it.kind === "comment") continue;
    const c = heightOf(it.kind === "item" ? it.value : it, copies);
    if (c + 1 > h) h = c + 1;
  }
  return own + h;
}

const copyPos = (p: Pos | undefined): Pos | undefined =>
  p ? { line: p.line, column: p.column } : undefined;

/** A deep copy (leaf bytes shared, never changed), counting its nodes; copies stay marked. */
function cloneNode(node: TreeNode, count: () => void, copies: WeakSet<TreeNode>): TreeNode {
  const copy = copyOf(node, count, copies);
  if (copies.has(node)) copies.add(copy);
  return copy;
}

function copyOf(node: TreeNode, count: () => void, copies: WeakSet<TreeNode>): TreeNode {
  count();
  switch (node.kind) {
    case "leaf":
      return { ...node, pos: copyPos(node.pos) };
    case "null":
      return { kind: "null", pos: copyPos(node.pos) };
    case "map":
      return {
        kind: "map",
        items: node.items.map((it) =>
          it.kind === "comment"
            ? { kind: "comment", text: it.text, pos: copyPos(it.pos) }
            : { ...it, keyPos: copyPos(it.keyPos), value: cloneNode(it.value, count, copies) },
        ),
        pos: copyPos(node.pos),
      };
    case "seq":
      return {
        kind: "seq",
        items: node.items.map((it) =>
          it.kind === "comment"
            ? { kind: "comment" as const, text: it.text, pos: copyPos(it.pos) }
            : cloneNode(it, count, copies),
        ),
        pos: copyPos(node.pos),
      };
  }
}

/** Anchor and alias names the fast path takes. */
const NAME = /^[A-Za-z0-9_.-]+/;

/** Why the fast path declined (a short code; scripts/fastyaml-declines.mjs counts them). */
class Decline {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}
/** Not an Error: a decline is routine, and capturing a stack trace for it is not free. */
const decline = (reason: string): never => {
  throw new Decline(reason);
};

/**
 * Text of line feeds and printable ASCII only: none of the characters ODD, decodeText's
 * control check or goYamlLines look for can be in it. One simple class, anchored: a scan
 * about twice as fast as any of those patterns, and it stops at the first other character.
 */
export const PLAIN_TEXT = /^[\n\x20-\x7e]*$/;

/** Characters the fast path does not reason about anywhere in the text (a lone surrogate included). */
const ODD =
  /[\u0000-\u0009\u000b-\u001f\u007f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** A plain scalar may not start with these (YAML indicators). */
const INDICATOR = new Set([..."-?:,[]{}#&*!|>'\"%@`"]);
const DQ_ESCAPES: Record<string, string> = {
  "\\": "\\",
  '"': '"',
  "/": "/",
  " ": " ",
  n: "\n",
  t: "\t",
  r: "\r",
};

/**
 * The lines of a folded block scalar (the first and the last with text, each without the
 * scalar's indentation, blank lines empty), folded: a line break between two lines of text
 * is a space and n blank lines between them are n line breaks, except around a
 * more-indented line (one that starts with a space), whose line breaks are all kept — and
 * then so is the one before the blank lines that lead up to it.
 */
function foldLines(lines: string[]): string {
  let out = "";
  /** What goes before the next line of text: "" (none yet), " " or "\n". */
  let sep = "";
  let prevMore = false;
  for (const l of lines) {
    if (l === "") {
      if (sep === "\n") out += "\n";
      else sep = "\n";
    } else if (l.charCodeAt(0) === 0x20) {
      out += (sep === " " ? "\n" : sep === "\n" && !prevMore ? "\n\n" : sep) + l;
      sep = "\n";
      prevMore = true;
    } else {
      out += sep + l;
      sep = " ";
      prevMore = false;
    }
  }
  return out;
}

/** The text's document roots as the full reader builds them, or undefined to decline. */
export function fastParseYaml(text: string, limits: FastLimits): MapNode[] | undefined {
  if (!PLAIN_TEXT.test(text) && ODD.test(text)) return undefined;
  try {
    return new FastReader(text, limits).read();
  } catch {
    // Declined, or anything unexpected (a RangeError, say): the full reader decides.
    return undefined;
  }
}

/**
 * Diagnostics only: why fastParseYaml declines the text (a reason code and the 1-based line
 * it was reading), or undefined when it takes it.
 */
export function fastYamlDecline(
  text: string,
  limits: FastLimits,
): { reason: string; line: number } | undefined {
  const odd = ODD.exec(text);
  if (odd) {
    const code = odd[0].charCodeAt(0);
    const line = text.slice(0, odd.index).split("\n").length;
    return { reason: `odd-char:${code.toString(16).padStart(4, "0")}`, line };
  }
  const reader = new FastReader(text, limits);
  try {
    reader.read();
    return undefined;
  } catch (e) {
    return { reason: e instanceof Decline ? e.reason : `exception:${String(e)}`, line: reader.at };
  }
}

/** The comment text of trivia as the `yaml` package joins it (a blank line after a comment adds "\n"). */
function joinComments(tokens: readonly Trivia[], startOnNewline: boolean): string {
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
  /** The end of the line it ends on, when that is a later line. */
  le?: number;
}

class FastReader {
  private readonly text: string;
  private readonly limits: FastLimits;
  private line = 0;
  /** The line being read (diagnostics). */
  get at(): number {
    return this.line;
  }
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
  /**
   * The document's anchors (`&name`), the latest definition of each name: its node, whether it
   * is still being read (an alias to it is declined), whether an alias was read inside it.
   */
  private anchors = new Map<string, Anchor>();
  /** The end of the last line a multi-line scalar took (read() goes on after it). */
  private skipTo: number | undefined;
  /** The last value read spanned lines. */
  private multi = false;
  /** The roots of the copies aliases made (each one level deeper for the full reader). */
  private readonly copies = new WeakSet<TreeNode>();
  /** A literal or folded block scalar (`key: |`, `key: |-`, `key: >`, `key: >-`) being read. */
  private block:
    | {
        leaf: Leaf;
        strip: boolean;
        /** `>`: lines are folded. */
        folded: boolean;
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
      // A multi-line scalar read on: go on after its last line.
      start = (this.skipTo ?? end) + 1;
      this.skipTo = undefined;
    }
    if (this.block) this.endBlock();
    this.endDocument();
    // Comments with no document after them: the full reader decides.
    if (this.inPrelude && this.prelude.some((s) => s !== null)) decline("prelude-comments-only");
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
        if (indent > 0 || b.contentIndent === undefined) decline("block-leading-blank");
        b.blanks++;
        return;
      }
      if (b.contentIndent === undefined) {
        if (indent < b.minIndent) decline("block-empty"); // an empty block scalar
        b.contentIndent = indent;
      }
      if (indent >= b.contentIndent) {
        if (!hasBreak) decline("block-no-final-break"); // the last line without a line break
        for (; b.blanks > 0; b.blanks--) b.lines.push("");
        b.lines.push(text.slice(ls + b.contentIndent, le));
        return;
      }
      this.endBlock();
    }
    if (i === le) {
      if (indent > 0) decline("spaces-only-line"); // a line of spaces only
      if (hasBreak) this.trivia(NL);
      return;
    }
    const c = text[i]!;
    if (c === "#") {
      if (this.inPrelude) {
        if (indent > 0) decline("prelude-indented-comment");
        this.prelude.push(text.slice(i + 1, le));
        if (hasBreak) this.prelude.push(null);
        return;
      }
      if (indent > 0) this.trivia(SP);
      this.trivia({ t: "c", indent, text: text.slice(i + 1, le) });
      if (hasBreak) this.trivia(NL);
      return;
    }
    if (indent === 0 && (c === "%" || text.startsWith("...", i))) decline("directive-or-doc-end");
    if (indent === 0 && text.startsWith("---", i)) {
      if (le !== i + 3) decline("doc-start-with-content");
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
    if (b.contentIndent === undefined) decline("block-empty"); // an empty block scalar
    const value = (b.folded ? foldLines(b.lines) : b.lines.join("\n")) + (b.strip ? "" : "\n");
    b.leaf.plain = Buffer.from(value, "utf8");
    b.leaf.str = value;
  }

  /** A trivia token, given to the innermost open collection as the `yaml` parser does. */
  private trivia(tok: Trivia): void {
    if (this.inPrelude) {
      if (tok.t !== "nl") decline("prelude-spaces");
      this.prelude.push(null);
      return;
    }
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (!this.docStart) decline("no-doc-start");
      this.docStart!.push(tok);
      return;
    }
    if (top.afterOdd && tok.t === "c" && tok.indent > top.indent) decline("comment-after-odd");
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
    if (++this.nodes > this.limits.maxNodes) decline("max-nodes");
  }

  /** Close the innermost collection into its parent (or the document). */
  private pop(): void {
    const b = this.stack.pop()!;
    if (b.kind === "map" && b.awaiting) this.closeNull(b);
    if (b.anchor) b.anchor.open = false;
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
    if (parent.kind === "map" && parent.awaiting) decline("unreachable"); // not reached: set when the child starts
    parent.lastScalar = false;
    parent.endOpen = false;
    parent.afterOdd = false;
    if (moved) parent.pending = moved;
  }

  private closeNull(m: MapBuild): void {
    const a = m.awaiting!;
    if (a.sep.some((t) => t.t === "c")) decline("comment-after-empty-key");
    if (a.anchor !== undefined) decline("anchored-null");
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
      if (this.docStart?.some((t) => t.t === "c") || this.docComment)
        decline("empty-doc-with-comment");
      this.docs.push({ kind: "map", items: [] });
    }
    this.docOpen = false;
    this.docStart = undefined;
    this.anchors = new Map();
  }

  private content(indent: number, i: number, le: number): void {
    const text = this.text;
    const isSeqItem = text[i] === "-" && (i + 1 === le || text[i + 1] === " ");
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        if (this.root || isSeqItem || indent !== 0) decline("root-not-map");
        this.startRoot(i, le);
        return;
      }
      if (top.kind === "map") {
        if (indent === top.indent) {
          if (isSeqItem) {
            if (!top.awaiting) decline("seq-at-map-indent");
            this.startSeq(top, indent, i, le);
            return;
          }
          if (top.awaiting) this.closeNull(top);
          const start = top.pending ?? NO_TRIVIA;
          top.pending = undefined;
          this.keyLine(top, i, le, start);
          return;
        }
        if (indent > top.indent) {
          if (!top.awaiting) decline("over-indented");
          if (isSeqItem) this.startSeq(top, indent, i, le);
          else this.startMap(top, indent, i, le);
          return;
        }
        this.pop();
        continue;
      }
      if (isSeqItem && indent === top.indent) {
        const start = top.pending ?? NO_TRIVIA;
        top.pending = undefined;
        this.seqItem(top, i, le, start);
        return;
      }
      if (indent > top.indent) decline("over-indented-seq");
      this.pop();
    }
  }

  private push(b: Build): void {
    if (this.stack.length >= this.limits.maxDepth) decline("max-depth");
    this.count();
    this.stack.push(b);
  }

  private newMap(indent: number, at: number): MapBuild {
    const node: MapNode = { kind: "map", items: [], pos: this.pos(at) };
    const m: MapBuild = {
      kind: "map",
      indent,
      node,
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
    } else decline("no-doc-start");
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
  private keyLine(
    m: MapBuild,
    i: number,
    le: number,
    start: readonly Trivia[],
    pre?: string,
  ): void {
    const k = this.scanKey(i, le) ?? decline("not-a-key");
    const key = k.text;
    if (k.plain) {
      const r = resolvePlain(key);
      if (r.type !== "str" || key === "<<") decline("non-string-or-merge-key"); // non-string keys, merge keys
    }
    if (key.length > 1000 || hasKey(m, key)) decline("long-or-dup-key");
    const keyPos = this.pos(i);
    m.afterOdd = false;
    let comment = joinComments(start, true);
    if (pre) comment = comment ? `${pre}\n${comment}` : pre;
    if (comment) pushAll(m.node.items, commentItems(comment, keyPos));
    this.count();
    const text = this.text;
    let q = k.end + 1; // after the ':'
    while (q < le && text.charCodeAt(q) === 0x20) q++;
    // The value is set below, or when the next lines (or the mapping's end) show what it is.
    const item: MapItem = { kind: "item", key, keyPos, value: UNSET };
    m.node.items.push(item);
    m.keys?.add(key);
    m.lastScalar = false;
    m.endOpen = false;
    let anchor: string | undefined;
    if (text[q] === "&") {
      const name = this.name(q + 1, le);
      let r = q + 1 + name.length;
      while (r < le && text.charCodeAt(r) === 0x20) r++;
      if (r === le) {
        // `key: &name` and the collection on the next lines.
        anchor = name;
        q = le;
      }
    }
    if (q === le || text[q] === "#") {
      const sep: Trivia[] = [];
      if (q < le) sep.push({ t: "c", indent: q - this.lineStart, text: text.slice(q + 1, le) });
      if (le < text.length) sep.push(NL);
      m.awaiting = { item, sep, nullPos: this.pos(q), anchor };
      return;
    }
    if (text[q] === "|" || text[q] === ">") {
      item.value = this.startBlock(q, le, m.indent);
      m.afterOdd = true;
      return;
    }
    const scalar = text[q] !== "*";
    this.multi = false;
    item.value = this.value(q, le, false, m.indent);
    if (scalar && !this.multi && (item.value.kind === "leaf" || item.value.kind === "null"))
      m.lastScalar = true;
    else m.afterOdd = true;
  }

  /**
   * A block scalar's header at q (`|`, `|-`, `>`, `>-`, alone on its line) in a collection at
   * parentIndent: its leaf, filled in as the next, more indented lines are read.
   */
  private startBlock(q: number, le: number, parentIndent: number): Leaf {
    const header = this.text.slice(q, le);
    // keep, indentation digits, comments
    if (header.length > 2 || (header.length === 2 && header[1] !== "-")) decline("block-header");
    const leaf: Leaf = { kind: "leaf", type: "str", plain: Buffer.alloc(0), pos: this.pos(q) };
    leaf.str = "";
    this.block = {
      leaf,
      strip: header.length === 2,
      folded: header[0] === ">",
      minIndent: parentIndent + 1,
      lines: [],
      blanks: 0,
    };
    return leaf;
  }

  /** An anchor or alias name at i (after `&`/`*`), ending at a space or the line's end. */
  private name(i: number, le: number): string {
    const text = this.text;
    const m = NAME.exec(text.slice(i, Math.min(le, i + 200)));
    if (!m) decline("anchor-name");
    const name = m![0];
    const e = i + name.length;
    if (e < le && text[e] !== " ") decline("anchor-name");
    return name;
  }

  /** Register an anchor on a collection being built (closed when the collection is). */
  private anchorOn(b: Build, name: string | undefined): void {
    if (name === undefined) return;
    const a: Anchor = { node: b.node, open: true };
    b.anchor = a;
    this.anchors.set(name, a);
  }

  private startMap(parent: MapBuild, indent: number, i: number, le: number): void {
    const a = parent.awaiting!;
    parent.awaiting = undefined;
    // Trivia after `key:` (not the next line's indentation) is the nested mapping's commentBefore.
    const m = this.newMap(indent, i);
    m.before = joinComments(a.sep, false) || undefined;
    if (a.anchor !== undefined && m.before) decline("anchor-comment");
    this.anchorOn(m, a.anchor);
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
    if (a.anchor !== undefined && a.sep.some((t) => t.t === "c")) decline("anchor-comment");
    this.anchorOn(s, a.anchor);
    a.item.value = s.node;
    this.seqItem(s, i, le, []);
  }

  /** `- value` or `- key: value` (i: the dash). */
  private seqItem(s: SeqBuild, i: number, le: number, start: readonly Trivia[]): void {
    const text = this.text;
    let j = i + 1;
    while (j < le && text.charCodeAt(j) === 0x20) j++;
    if (j === le || text[j] === "#") decline("seq-item-empty-or-comment"); // `-` alone, or a comment right after it
    if (text[j] === "-" && (j + 1 === le || text[j + 1] === " ")) decline("nested-seq-item"); // `- - x`
    const comment = joinComments(start, true);
    const pos = this.pos(j);
    // An anchored item's comments take the position of the node after the anchor.
    if (comment && text[j] !== "&") pushAll(s.node.items, commentItems(comment, pos));
    s.lastScalar = false;
    s.endOpen = false;
    s.afterOdd = false;
    // A block scalar (its header alone on the line: `- |`, `- >-`).
    if (text[j] === "|" || text[j] === ">") {
      this.count();
      s.node.items.push(this.startBlock(j, le, s.indent));
      s.afterOdd = true;
      return;
    }
    if (this.scanKey(j, le)) {
      // A key here starts a mapping at its column; the item's comments are its commentBefore too.
      const m = this.newMap(j - this.lineStart, j);
      m.before = comment || undefined;
      s.node.items.push(m.node);
      this.keyLine(m, j, le, []);
      return;
    }
    this.count();
    const scalar = text[j] !== "*";
    this.multi = false;
    const v = this.value(j, le, false, s.indent);
    if (comment && text[j] === "&") pushAll(s.node.items, commentItems(comment, v.pos));
    // A flow mapping's comments before it are its own commentBefore too (kept by the full reader).
    if (comment && v.kind === "map" && text[j] !== "*")
      v.items = (commentItems(comment, v.pos) as MapNode["items"]).concat(v.items);
    s.node.items.push(v);
    if (scalar && !this.multi && (v.kind === "leaf" || v.kind === "null")) s.lastScalar = true;
    else s.afterOdd = true;
  }

  /** A key at i: its text and the offset of its ':'; undefined when the line holds no key. */
  private scanKey(i: number, le: number): Scanned | undefined {
    const text = this.text;
    const c = text[i]!;
    if (c === "&" || c === "*") {
      // An anchored or alias key is declined; a value is read by value().
      for (let k = i; k < le; k++) {
        if (text.charCodeAt(k) === 0x3a && (k + 1 === le || text.charCodeAt(k + 1) === 0x20))
          decline("anchor-key");
        if (text.charCodeAt(k) === 0x23 && text.charCodeAt(k - 1) === 0x20) break;
      }
      return undefined;
    }
    if (c === "[" || c === "{") return undefined; // a flow collection: value() reads it or declines
    if (c === "'" || c === '"') {
      if (!this.closes(i, le)) return undefined; // a multi-line scalar is no key
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
        if (text.charCodeAt(k - 1) === 0x20) decline("space-before-colon"); // `key : value`
        return { text: text.slice(i, k), plain: true, end: k };
      }
      if (ch === 0x23 /* # */ && text.charCodeAt(k - 1) === 0x20) return undefined;
    }
    return undefined;
  }

  /** A one-line scalar value (or an empty `[]`/`{}`) at q and nothing but a comment after it. */
  private value(q: number, le: number, anchored = false, parentIndent = -2): TreeNode {
    const text = this.text;
    const c = text[q]!;
    if (c === "&" && !anchored) {
      const name = this.name(q + 1, le);
      let r = q + 1 + name.length;
      while (r < le && text.charCodeAt(r) === 0x20) r++;
      if (r === le || text[r] === "#" || text[r] === "|") decline("anchor-value");
      const node = this.value(r, le, true, parentIndent);
      this.anchors.set(name, { node, open: false });
      return node;
    }
    if (c === "*" && !anchored) {
      const name = this.name(q + 1, le);
      this.lineRest(q + 1 + name.length, le);
      const a = this.anchors.get(name);
      // Unknown (the full reader refuses it), or open: an alias inside its own anchor.
      if (!a || a.open) decline("alias");
      a!.height ??= heightOf(a!.node, this.copies);
      // The full reader converts the anchored node again, one level deeper than the alias.
      if (this.stack.length + 1 + a!.height! > this.limits.maxDepth) decline("max-depth");
      const copy = cloneNode(a!.node, () => this.count(), this.copies);
      this.copies.add(copy);
      return copy;
    }
    const pos = this.pos(q);
    if (c === "[" || c === "{") {
      const { node, end } = this.flow(q, le, 0);
      // A comment after it would be the collection's own: declined.
      if (end !== le) decline("flow-trailer");
      return node;
    }
    if (c === "'" || c === '"') {
      const sc =
        parentIndent > -2 && !this.closes(q, le)
          ? c === "'"
            ? this.singleMultiline(q, le, parentIndent)
            : this.doubleMultiline(q, le, parentIndent)
          : this.quoted(q, le);
      this.lineRest(sc.end, sc.le ?? le);
      return leafOf(sc.text, false, pos);
    }
    this.plainStart(q, le);
    let end = le;
    for (let k = q; k < le; k++) {
      const ch = text.charCodeAt(k);
      if (ch === 0x3a && (k + 1 === le || text.charCodeAt(k + 1) === 0x20))
        decline("colon-in-plain");
      if (ch === 0x23 && text.charCodeAt(k - 1) === 0x20) {
        end = k;
        break;
      }
    }
    // Without a comment on its line, a plain scalar may go on over the next, more indented lines.
    if (end === le && parentIndent > -2) {
      const folded = this.plainMultiline(q, le, parentIndent);
      if (folded !== undefined) return leafOf(folded, true, pos);
    }
    while (end > q && text.charCodeAt(end - 1) === 0x20) end--;
    return leafOf(text.slice(q, end), true, pos);
  }

  /**
   * A plain scalar in block context (at q; its first line, without a comment, ends at le) that
   * goes on over the next lines more indented than its collection (parentIndent), blank lines
   * between: its value folded as the full reader folds it (a line break between text is a
   * space, each blank line a line break, every line trimmed), or undefined when the next line
   * with text is no continuation (the scalar is one line). The scalar ends before a line with
   * less indentation, a comment line or the end of the text; a continuation line holding what
   * could make it something else (`: `, a final `:`, ` #`, an indicator first) is declined.
   * Moves the reader to its last line.
   */
  private plainMultiline(q: number, le: number, parentIndent: number): string | undefined {
    const text = this.text;
    const n = text.length;
    let f = le;
    while (text.charCodeAt(f - 1) === 0x20) f--;
    let res = text.slice(q, f);
    /** Blank lines since the last line with text. */
    let blanks = 0;
    let lineEnd = le;
    let line = this.line;
    let lineStart = this.lineStart;
    // The last continuation line read (its number, start and end).
    let lastLine = line;
    let lastStart = lineStart;
    let lastEnd = le;
    while (lineEnd < n) {
      line++;
      lineStart = lineEnd + 1;
      lineEnd = text.indexOf("\n", lineStart);
      if (lineEnd === -1) lineEnd = n;
      let s = lineStart;
      while (s < lineEnd && text.charCodeAt(s) === 0x20) s++;
      if (s === lineEnd) {
        if (s > lineStart) this.stop(line, "spaces-only-line");
        blanks++; // inside the scalar when a continuation line follows
        continue;
      }
      if (s - lineStart <= parentIndent || text.charCodeAt(s) === 0x23 /* # */) break;
      // Inside a plain scalar in block context only `#`, `: ` and document markers are special
      // (quotes, brackets, `&`, `*`, `|`, … are text); a block indicator first is declined.
      const c = text[s]!;
      if ((c === "-" || c === "?" || c === ":") && (s + 1 === lineEnd || text[s + 1] === " "))
        this.stop(line, `multiline-indicator:${c}`);
      // A document marker is one only at the start of a line; indented, `---` and `...` are text.
      if (s === lineStart && (text.startsWith("---", s) || text.startsWith("...", s)))
        this.stop(line, "multiline-doc-marker");
      let e = lineEnd;
      while (text.charCodeAt(e - 1) === 0x20) e--;
      if (text.charCodeAt(e - 1) === 0x3a /* : */) this.stop(line, "multiline-colon");
      for (let k = s; k < e; k++) {
        const ch = text.charCodeAt(k);
        if (ch === 0x3a && text.charCodeAt(k + 1) === 0x20) this.stop(line, "multiline-colon");
        if (ch === 0x23 && text.charCodeAt(k - 1) === 0x20) this.stop(line, "multiline-comment");
      }
      // One line break between two lines with text is a space; n blank lines are n line breaks.
      res += (blanks === 0 ? " " : "\n".repeat(blanks)) + text.slice(s, e);
      blanks = 0;
      lastLine = line;
      lastStart = lineStart;
      lastEnd = lineEnd;
    }
    if (lastLine === this.line) return undefined;
    this.line = lastLine;
    this.lineStart = lastStart;
    this.skipTo = lastEnd;
    this.multi = true;
    return res;
  }

  /** Decline at a line read ahead (the diagnostics name it). */
  private stop(line: number, reason: string): never {
    this.line = line;
    return decline(reason);
  }

  /**
   * A flow sequence or mapping closed on its line (at i, `[` or `{`): plain and quoted scalars
   * and nested flow collections, `, ` between items, string keys with `: ` in a mapping.
   * Returns the node and the offset after its closing bracket.
   */
  private flow(i: number, le: number, depth: number): { node: TreeNode; end: number } {
    const text = this.text;
    const open = text[i]!;
    const close = open === "[" ? "]" : "}";
    if (this.stack.length + depth + 1 > this.limits.maxDepth) decline("max-depth");
    const pos = this.pos(i);
    const seq: SeqNode | undefined = open === "[" ? { kind: "seq", items: [], pos } : undefined;
    const map: MapNode | undefined = open === "{" ? { kind: "map", items: [], pos } : undefined;
    const keys = new Set<string>();
    let k = i + 1;
    const skip = () => {
      while (k < le && text.charCodeAt(k) === 0x20) k++;
    };
    skip();
    if (text[k] === close) return { node: (seq ?? map)!, end: k + 1 };
    for (;;) {
      skip();
      if (k >= le) decline("flow-multiline");
      let v: TreeNode;
      const at = k;
      const ch = text[k]!;
      if (ch === "[" || ch === "{") {
        if (map) decline("flow-key"); // a collection as a key
        const r = this.flow(k, le, depth + 1);
        this.count();
        v = r.node;
        k = r.end;
      } else {
        const sc = this.flowScalar(k, le);
        k = sc.end;
        if (map) {
          skip();
          if (text[k] !== ":" || text[k + 1] !== " ") decline("flow-pair");
          const key = sc.text;
          if (sc.plain) {
            const r = resolvePlain(key);
            if (r.type !== "str" || key === "<<") decline("non-string-or-merge-key");
          }
          if (key.length > 1000 || keys.has(key)) decline("long-or-dup-key");
          keys.add(key);
          k += 2;
          skip();
          const vc = text[k];
          if (vc === undefined || k >= le || vc === "," || vc === "}") decline("flow-null");
          let value: TreeNode;
          const vat = k;
          if (vc === "[" || vc === "{") {
            const r = this.flow(k, le, depth + 1);
            value = r.node;
            k = r.end;
          } else {
            const vs = this.flowScalar(k, le);
            value = leafOf(vs.text, vs.plain, this.pos(vat));
            k = vs.end;
          }
          this.count();
          this.count();
          map.items.push({ kind: "item", key, keyPos: this.pos(at), value });
          skip();
          if (text[k] === ",") {
            k++;
            skip();
            if (text[k] === close || text[k] === ",") decline("flow-trailing-comma");
            continue;
          }
          if (text[k] !== close) decline("flow-syntax");
          return { node: map, end: k + 1 };
        }
        this.count();
        v = leafOf(sc.text, sc.plain, this.pos(at));
      }
      skip();
      if (!seq || text[k] === ":") decline("flow-pair");
      seq!.items.push(v);
      if (text[k] === ",") {
        k++;
        skip();
        if (text[k] === close || text[k] === ",") decline("flow-trailing-comma");
        continue;
      }
      if (text[k] !== close) decline("flow-syntax");
      return { node: seq!, end: k + 1 };
    }
  }

  /** A scalar inside a flow collection: quoted, or plain up to `,`, `]`, `}` or `:`. */
  private flowScalar(k: number, le: number): Scanned {
    const text = this.text;
    const c = text[k]!;
    if (c === "'" || c === '"') return this.quoted(k, le);
    this.plainStart(k, le);
    // `-` before a flow indicator is no plain scalar there (the full reader refuses `[a, -]`).
    if (c === "-" && ",[]{}".includes(text[k + 1] ?? ",")) decline("flow-plain");
    let e = k;
    for (; e < le; e++) {
      const ch = text[e]!;
      if (ch === "," || ch === "]" || ch === "}" || ch === ":") break;
      if (ch === "[" || ch === "{" || ch === "#") decline("flow-plain");
    }
    if (e >= le) decline("flow-multiline");
    let end = e;
    while (end > k && text.charCodeAt(end - 1) === 0x20) end--;
    if (end === k) decline("flow-empty");
    return { text: text.slice(k, end), plain: true, end };
  }

  /** A plain scalar may start at i (no indicator, `-` only before a non-space). */
  private plainStart(i: number, le: number): void {
    const text = this.text;
    const c = text[i]!;
    if (!INDICATOR.has(c)) return;
    // `-x`, `--flag`: a plain scalar (a `-` before a non-space is no indicator).
    if (c === "-" && i + 1 < le && text[i + 1] !== " ") return;
    decline(`indicator:${c}`);
  }

  /** After a scalar: spaces, then the end of the line or a comment. */
  private lineRest(k: number, le: number): void {
    const text = this.text;
    let j = k;
    while (j < le && text.charCodeAt(j) === 0x20) j++;
    if (j === le) return;
    if (text[j] === "#" && j > k) return;
    decline("junk-after-scalar");
  }

  /** Does the quoted scalar at i close on its line? */
  private closes(i: number, le: number): boolean {
    const text = this.text;
    const q = text[i]!;
    for (let k = i + 1; k < le; k++) {
      const ch = text[k]!;
      if (q === '"' && ch === "\\") k++;
      else if (ch === q) {
        if (q === "'" && text[k + 1] === "'" && k + 1 < le) k++;
        else return true;
      }
    }
    return false;
  }

  /**
   * A single-quoted scalar over several lines (at i; its first line ends at le), folded as the
   * full reader folds it: each line break between text is a space, each blank line a line
   * break, the spaces around a break dropped. Every line after the first that is not blank is
   * more indented than the collection (parentIndent). Moves the reader to its last line.
   */
  private singleMultiline(i: number, le: number, parentIndent: number): Scanned {
    const text = this.text;
    const parts: string[] = [];
    let from = i + 1;
    let k = from;
    let lineEnd = le;
    let line = this.line;
    let lineStart = this.lineStart;
    for (;;) {
      if (k >= lineEnd) {
        if (lineEnd >= text.length) decline("quoted-unterminated");
        parts.push(text.slice(from, lineEnd));
        line++;
        lineStart = lineEnd + 1;
        lineEnd = text.indexOf("\n", lineStart);
        if (lineEnd === -1) lineEnd = text.length;
        let s = lineStart;
        while (s < lineEnd && text.charCodeAt(s) === 0x20) s++;
        if (s < lineEnd && s - lineStart <= parentIndent) decline("quoted-indent");
        k = from = lineStart;
        continue;
      }
      if (text[k] === "'") {
        if (text[k + 1] === "'" && k + 1 < lineEnd) {
          k += 2;
          continue;
        }
        break;
      }
      k++;
    }
    parts.push(text.slice(from, k));
    // The full reader's unfolding: the first line's end and the last line's start trimmed,
    // the lines between trimmed both ways; then `''` is a quote.
    let res = parts[0]!.replace(/ +$/, "");
    let sep = " ";
    for (let p = 1; p < parts.length - 1; p++) {
      const lm = parts[p]!.trim();
      if (lm === "") {
        if (sep === "\n") res += sep;
        else sep = "\n";
      } else {
        res += sep + lm;
        sep = " ";
      }
    }
    res += sep + parts[parts.length - 1]!.replace(/^ +/, "");
    this.line = line;
    this.lineStart = lineStart;
    this.skipTo = lineEnd;
    this.multi = true;
    return { text: res.replaceAll("''", "'"), plain: false, end: k + 1, le: lineEnd };
  }

  /**
   * A double-quoted scalar over several lines (at i; its first line ends at le), folded as the
   * full reader folds it: each line break between text is a space, each blank line a line
   * break, the spaces written around a break dropped (a space an escape wrote is kept), the
   * simple escapes of quoted() decoded. An escaped line break (`\` last on a line) is
   * declined. Every line after the first that is not blank is more indented than the
   * collection (parentIndent). Moves the reader to its last line.
   */
  private doubleMultiline(i: number, le: number, parentIndent: number): Scanned {
    const text = this.text;
    const n = text.length;
    let res = "";
    let k = i + 1;
    /** Where the run of text not yet copied to res starts. */
    let from = k;
    /** Where the spaces at the end of that run start (k when it ends in no space). */
    let spacesFrom = k;
    let lineEnd = le;
    let line = this.line;
    let lineStart = this.lineStart;
    for (;;) {
      if (k >= lineEnd) {
        // A line break: the run is copied without its trailing spaces, and the breaks up to
        // the next line with text fold to a space or to one line break per blank line.
        res += text.slice(from, spacesFrom);
        let breaks = 0;
        for (;;) {
          if (lineEnd >= n) decline("quoted-unterminated");
          line++;
          lineStart = lineEnd + 1;
          lineEnd = text.indexOf("\n", lineStart);
          if (lineEnd === -1) lineEnd = n;
          let s = lineStart;
          while (s < lineEnd && text.charCodeAt(s) === 0x20) s++;
          if (s === lineEnd) {
            breaks++;
            continue;
          }
          if (s - lineStart <= parentIndent) decline("quoted-indent");
          k = from = spacesFrom = s;
          break;
        }
        res += breaks === 0 ? " " : "\n".repeat(breaks);
        continue;
      }
      const ch = text.charCodeAt(k);
      if (ch === 0x22 /* " */) break;
      if (ch === 0x5c /* \ */) {
        if (k + 1 >= lineEnd) decline("dq-escaped-break");
        const e = DQ_ESCAPES[text[k + 1]!];
        if (e === undefined) decline("dq-escape");
        res += text.slice(from, k) + e;
        k += 2;
        from = spacesFrom = k;
        continue;
      }
      k++;
      if (ch !== 0x20) spacesFrom = k;
    }
    res += text.slice(from, k);
    this.line = line;
    this.lineStart = lineStart;
    this.skipTo = lineEnd;
    this.multi = true;
    return { text: res, plain: false, end: k + 1, le: lineEnd };
  }

  /** A quoted scalar closed on its own line; a double-quoted one with simple escapes only. */
  private quoted(i: number, le: number): Scanned {
    const text = this.text;
    const q = text[i]!;
    let out = "";
    let k = i + 1;
    let from = k;
    for (;;) {
      if (k >= le) decline("quoted-multiline");
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
          if (e === undefined || k + 1 >= le) decline("dq-escape");
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
