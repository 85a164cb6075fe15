/**
 * The sops tree walk (sops-format §4.1): documents in order, mapping items in
 * file order, sequence elements in order, depth-first. `path` holds the
 * mapping keys from the document root to the leaf (sequence indices are not
 * part of it); comment stacks are passed along for the comment selectors.
 */
import type { Leaf, MapNode, TreeNode } from "./tree.js";

export interface LeafVisit {
  leaf: Leaf;
  path: string[];
  comments: string[];
}

export function* walkLeaves(
  node: TreeNode,
  path: string[] = [],
  comments: string[] = [],
): Generator<LeafVisit> {
  switch (node.kind) {
    case "leaf":
      yield { leaf: node, path, comments };
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
        yield* walkLeaves(item.value, [...path, item.key], [...comments, ...pending]);
        pending = [];
      }
      return;
    }
    case "seq": {
      let pending: string[] = [];
      for (const item of node.items) {
        if (item.kind === "comment") {
          pending.push(item.text);
          continue;
        }
        yield* walkLeaves(item, path, [...comments, ...pending]);
        pending = [];
      }
      return;
    }
  }
}

/** The value under `key` in a mapping, if any. */
export function get(node: TreeNode | undefined, key: string): TreeNode | undefined {
  if (node?.kind !== "map") return undefined;
  for (const item of node.items) if (item.kind === "item" && item.key === key) return item.value;
  return undefined;
}

/** The string under `key`, when it is a string scalar. */
export function getString(node: TreeNode | undefined, key: string): string | undefined {
  const v = get(node, key);
  return v?.kind === "leaf" && v.type === "str" ? v.str : undefined;
}

export function mapItems(
  node: TreeNode | undefined,
): Array<{ key: string; value: TreeNode; line?: number; column?: number }> {
  if (node?.kind !== "map") return [];
  const out = [];
  for (const item of (node as MapNode).items) {
    if (item.kind === "item") {
      out.push({
        key: item.key,
        value: item.value,
        line: item.keyPos?.line,
        column: item.keyPos?.column,
      });
    }
  }
  return out;
}
