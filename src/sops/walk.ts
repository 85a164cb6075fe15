/**
 * The sops tree walk (sops-format §4.1): documents in order, mapping items in
 * file order, sequence elements in order, depth-first. `path` holds the
 * mapping keys from the document root to the leaf (sequence indices are not
 * part of it); comment stacks are passed along for the comment selectors.
 */
import type { Leaf, MapNode, SeqNode, TreeNode } from "./tree.js";

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
  if (node.kind === "leaf") {
    yield { leaf: node, path, comments };
    return;
  }
  if (node.kind === "null") return;
  // One generator with an explicit stack (nested generators pass every leaf up each level).
  // A container's path and comment arrays are shared by its items that add nothing to them:
  // no caller changes the arrays it is given.
  const stack: Frame[] = [{ node, path, comments, next: 0 }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    const items = f.node.items;
    if (f.next >= items.length) {
      stack.pop();
      continue;
    }
    let pending: string[] | undefined;
    let child: TreeNode | undefined;
    let key: string | undefined;
    while (f.next < items.length) {
      const item = items[f.next++]!;
      if (item.kind === "comment") {
        if (pending) pending.push(item.text);
        else pending = [item.text];
        continue;
      }
      if (item.kind === "item") {
        key = item.key;
        child = item.value;
      } else child = item;
      break;
    }
    if (child === undefined) continue;
    const childPath = f.node.kind === "map" ? [...f.path, key!] : f.path;
    const childComments = pending ? [...f.comments, ...pending] : f.comments;
    if (child.kind === "leaf") yield { leaf: child, path: childPath, comments: childComments };
    else if (child.kind !== "null")
      stack.push({ node: child, path: childPath, comments: childComments, next: 0 });
  }
}

interface Frame {
  node: MapNode | SeqNode;
  path: string[];
  comments: string[];
  next: number;
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
