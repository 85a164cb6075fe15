/**
 * The sops tree: every store (YAML, JSON, dotenv, INI, binary) is read into
 * the same shape sops walks. Mapping keys are strings; leaves carry the
 * exact bytes sops encrypts and hashes into the MAC (sops-format §3.2, §4.5).
 * Positions are 1-based where the format has them.
 */
import type { Format } from "../types.js";

export interface Pos {
  line: number;
  column: number;
}

export type ScalarType = "str" | "int" | "float" | "bool" | "time";

export interface Leaf {
  kind: "leaf";
  type: ScalarType;
  /** The bytes sops encrypts / hashes for this value. */
  plain: Buffer;
  /** The decoded string when type is "str" (e.g. an `ENC[...]` text). */
  str?: string;
  /** An explicit YAML tag outside the core schema (`!env_var`), as written. */
  tag?: string;
  /** True when the YAML scalar was plain (unquoted). */
  plainStyle?: boolean;
  pos?: Pos;
}

export interface NullLeaf {
  kind: "null";
  pos?: Pos;
}

export interface CommentItem {
  kind: "comment";
  /** The text after `#` (leading space kept). */
  text: string;
  pos?: Pos;
}

export interface MapItem {
  kind: "item";
  key: string;
  keyPos?: Pos;
  value: TreeNode;
  /** The key was not a string (only with parseFile's `keepNonStringKeys`; `key` is a placeholder). */
  nonStringKey?: true;
}

export interface MapNode {
  kind: "map";
  items: Array<MapItem | CommentItem>;
  pos?: Pos;
}

export interface SeqNode {
  kind: "seq";
  items: Array<TreeNode | CommentItem>;
  pos?: Pos;
}

export type TreeNode = MapNode | SeqNode | Leaf | NullLeaf;

export interface TreeDoc {
  /** 0-based document index. */
  index: number;
  /** The document without its top-level `sops` key. */
  root: MapNode;
  /** The `sops` metadata as plain JS data (dotenv/INI flattened keys already unflattened). */
  metadata?: unknown;
  metadataPos?: Pos;
}

export interface ParsedFile {
  format: Format;
  docs: TreeDoc[];
}

/** A parse failure. The message names a position and a reason, never source text. */
export class ParseError extends Error {
  readonly line?: number;
  readonly column?: number;
  constructor(reason: string, line?: number, column?: number) {
    super(line ? `line ${line}${column ? `, column ${column}` : ""}: ${reason}` : reason);
    this.name = "ParseError";
    this.line = line;
    this.column = column;
  }
}
