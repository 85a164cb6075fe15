/**
 * What kustomize and the API server make of a document (go-yaml through
 * sigs.k8s.io/yaml): merge keys (`<<`) resolved, Secrets found wherever they
 * end up as objects: at the top, in `kind: List`/`*List` items at any depth,
 * in inline kustomize patches, and in the `last-applied-configuration`
 * annotation (a JSON copy of the object). Pure.
 */
import { parseFile } from "../sops/parse.js";
import type { MapItem, MapNode, TreeNode } from "../sops/tree.js";
import { get, getString } from "../sops/walk.js";

/** Deepest object nesting followed (Lists in Lists, patches in annotations). */
const MAX_DEPTH = 16;

/**
 * A mapping with its merge keys resolved as go-yaml v2 (what sigs.k8s.io/yaml
 * uses) does: `<<: map` or `<<: [map, …]` supplies keys the mapping does not
 * set itself, earlier maps in a list winning. Other nodes are returned as is.
 */
export function kubeView(node: TreeNode | undefined, depth = 0): TreeNode | undefined {
  if (!node || depth > MAX_DEPTH * 8) return node;
  if (node.kind === "seq") {
    return {
      ...node,
      items: node.items.map((i) => (i.kind === "comment" ? i : kubeView(i, depth + 1)!)),
    };
  }
  if (node.kind !== "map") return node;
  const own: MapItem[] = [];
  const merged: MapItem[] = [];
  for (const it of node.items) {
    if (it.kind !== "item") continue;
    if (it.key !== "<<") {
      own.push({ ...it, value: kubeView(it.value, depth + 1)! });
      continue;
    }
    const sources =
      it.value.kind === "seq"
        ? it.value.items.filter((i): i is TreeNode => i.kind !== "comment")
        : [it.value];
    for (const s of sources) {
      const v = kubeView(s, depth + 1);
      if (v?.kind !== "map") continue;
      for (const m of v.items) if (m.kind === "item") merged.push(m);
    }
  }
  const keys = new Set(own.map((i) => i.key));
  const items: MapItem[] = [...own];
  for (const m of merged) {
    if (keys.has(m.key)) continue;
    keys.add(m.key);
    items.push(m);
  }
  return { kind: "map", items, pos: node.pos } satisfies MapNode;
}

/** How a kube object was found. */
export type Origin = "document" | "list-item" | "patch" | "last-applied-configuration";

export interface KubeObject {
  node: MapNode;
  /** Mapping keys from the document root to the object (for selectors and messages). */
  prefix: string[];
  origin: Origin;
}

/** Every object of a document as kustomize/the API would see it, nested ones included. */
export function kubeObjects(root: MapNode): KubeObject[] {
  const out: KubeObject[] = [];
  const view = kubeView(root) as MapNode;
  visit(view, [], "document", out, 0);
  return out;
}

function visit(node: MapNode, prefix: string[], origin: Origin, out: KubeObject[], depth: number) {
  if (depth > MAX_DEPTH) return;
  out.push({ node, prefix, origin });
  const kind = getString(node, "kind");
  // kind: List, SecretList, ConfigMapList, …: items are objects (sigs.k8s.io/yaml, kubectl).
  if (kind !== undefined && /List$/.test(kind)) {
    const items = get(node, "items");
    if (items?.kind === "seq") {
      for (const i of items.items) {
        if (i.kind === "map") visit(i, [...prefix, "items"], "list-item", out, depth + 1);
      }
    }
  }
  // kubectl apply's annotation: a JSON copy of the whole object.
  const ann = get(get(node, "metadata"), "annotations");
  const last = getString(ann, "kubectl.kubernetes.io/last-applied-configuration");
  if (last !== undefined && last.trim() !== "") {
    for (const doc of parseEmbedded(last, "json")) {
      visit(
        doc,
        [...prefix, "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"],
        "last-applied-configuration",
        out,
        depth + 1,
      );
    }
  }
  // kustomize inline patches: strings holding YAML/JSON objects or JSON 6902 operations.
  if (kind === "Kustomization" || kind === "Component") {
    for (const field of ["patches", "patchesStrategicMerge", "patchesJson6902"]) {
      const list = get(node, field);
      if (list?.kind !== "seq") continue;
      for (const entry of list.items) {
        if (entry.kind === "comment") continue;
        const at = [...prefix, field];
        if (entry.kind === "map" && getString(entry, "kind") !== undefined) {
          // patchesStrategicMerge may hold an inline object instead of a string.
          visit(entry, at, "patch", out, depth + 1);
          continue;
        }
        const text =
          entry.kind === "leaf" && entry.type === "str"
            ? entry.str
            : entry.kind === "map"
              ? getString(entry, "patch")
              : undefined;
        if (text === undefined || !/[\n:{[]/.test(text)) continue; // a file path, not a patch
        const target = entry.kind === "map" ? get(entry, "target") : undefined;
        const targetKind = getString(target, "kind");
        for (const doc of parseEmbedded(text, "yaml")) {
          visit(doc, [...at, "patch"], "patch", out, depth + 1);
        }
        if (targetKind === undefined || targetKind === "Secret") {
          const ops = jsonPatchSecret(text, getString(target, "name"));
          if (ops) visit(ops, [...at, "patch"], "patch", out, depth + 1);
        }
      }
    }
  }
}

/**
 * JSON 6902 operations (`- op: add\n  path: /data/x\n  value: …`) against a
 * Secret, as the Secret data they would write: `{kind: Secret, data: {x: …}}`.
 */
function jsonPatchSecret(text: string, name: string | undefined): MapNode | undefined {
  const wrapped = `ops:\n${text
    .split(/\r\n|\r|\n/)
    .map((l) => `  ${l}`)
    .join("\n")}\n`;
  let ops: TreeNode | undefined;
  try {
    ops = get(parseFile(Buffer.from(wrapped, "utf8"), "yaml").docs[0]?.root, "ops");
  } catch {
    return undefined;
  }
  if (ops?.kind !== "seq") return undefined;
  const fields = new Map<string, MapItem[]>();
  for (const op of ops.items) {
    if (op.kind !== "map") continue;
    const verb = getString(op, "op");
    const path = getString(op, "path");
    const value = get(op, "value");
    if ((verb !== "add" && verb !== "replace") || path === undefined || value === undefined)
      continue;
    const parts = path
      .split("/")
      .slice(1)
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    const field = parts[0];
    if (field !== "data" && field !== "stringData") continue;
    const list = fields.get(field) ?? [];
    if (parts.length === 1 && value.kind === "map") {
      for (const it of value.items) if (it.kind === "item") list.push(it);
    } else if (parts.length >= 2) {
      list.push({ kind: "item", key: parts.slice(1).join("."), keyPos: value.pos, value });
    }
    fields.set(field, list);
  }
  if (fields.size === 0) return undefined;
  const leaf = (s: string): TreeNode => ({
    kind: "leaf",
    type: "str",
    str: s,
    plain: Buffer.from(s),
  });
  const items: MapItem[] = [
    { kind: "item", key: "apiVersion", value: leaf("v1") },
    { kind: "item", key: "kind", value: leaf("Secret") },
  ];
  if (name) {
    items.push({
      kind: "item",
      key: "metadata",
      value: { kind: "map", items: [{ kind: "item", key: "name", value: leaf(name) }] },
    });
  }
  for (const [field, list] of fields)
    items.push({ kind: "item", key: field, value: { kind: "map", items: list } });
  return { kind: "map", items };
}

/** Parse a string holding YAML or JSON objects; nothing when it is not one. */
export function parseEmbedded(text: string, format: "yaml" | "json"): MapNode[] {
  const bytes = Buffer.from(text, "utf8");
  for (const f of format === "json" ? (["json", "yaml"] as const) : (["yaml"] as const)) {
    try {
      return parseFile(bytes, f).docs.map((d) => kubeView(d.root) as MapNode);
    } catch {
      // try the next reader
    }
  }
  return [];
}
