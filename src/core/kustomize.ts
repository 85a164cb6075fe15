/**
 * kustomize shapes that turn plaintext into Secret data without a `kind: Secret`
 * in the file: a kustomization under any of the names kustomize reads, builtin
 * SecretGenerator configs (a file listed under `generators:`, or an inline
 * YAML string there), and `replacements:` that copy a configMapGenerator
 * literal into a Secret. Pure: the caller (analyze.ts) decides what is exempt
 * or picked; this module only finds the literals and says who delivers them.
 */
import { parseFile } from "../sops/parse.js";
import type { Leaf, TreeNode } from "../sops/tree.js";
import { get, getString } from "../sops/walk.js";

/** The file names kustomize reads as a kustomization (any content: YAML or JSON). */
export const KUSTOMIZATION_NAMES: readonly string[] = [
  "kustomization.yaml",
  "kustomization.yml",
  "Kustomization",
];

export function isKustomizationPath(p: string): boolean {
  return KUSTOMIZATION_NAMES.includes(p.slice(p.lastIndexOf("/") + 1));
}

/** `apiVersion: builtin`, `kind: SecretGenerator`: kustomize's own secretGenerator as a plugin config. */
export function isBuiltinSecretGenerator(root: TreeNode | undefined): boolean {
  return (
    getString(root, "kind") === "SecretGenerator" && getString(root, "apiVersion") === "builtin"
  );
}

function seqItems(node: TreeNode | undefined): TreeNode[] {
  if (node?.kind !== "seq") return [];
  return node.items.filter((i): i is TreeNode => i.kind !== "comment");
}

/** An entry of `generators:` that is YAML text, not a path (a path holds no line break). */
export function inlineText(item: TreeNode): string | undefined {
  if (item.kind !== "leaf" || item.str === undefined) return undefined;
  return item.str.includes("\n") ? item.str : undefined;
}

/** A group of `KEY=VALUE` literals that kustomize makes Secret data of, and who makes it. */
export interface LiteralGroup {
  via: "builtin-generator" | "replacement";
  /** The generator's (or, for a replacement, the source ConfigMap's) name. */
  name: string;
  /** Where the literals are in the document: for the selector test (`picked`). */
  path: string[];
  literals: Leaf[];
  /** For a replacement: only this key's value is copied into the Secret. */
  onlyKey?: string;
  /** Set for inline configs: report at this position (the literals' own are inside a string). */
  at?: { line?: number; column?: number };
  inline?: boolean;
}

function leaves(node: TreeNode | undefined): Leaf[] {
  return seqItems(node).filter((i): i is Leaf => i.kind === "leaf");
}

/**
 * The literal groups of one document: its own builtin SecretGenerator config, the
 * builtin SecretGenerator configs written inline under `generators:`, and the
 * configMapGenerator literals `replacements:` copy into a Secret. Linear in the
 * document: each inline string is parsed once.
 */
export function literalGroups(root: TreeNode): LiteralGroup[] {
  const out: LiteralGroup[] = [];
  if (isBuiltinSecretGenerator(root)) {
    out.push({
      via: "builtin-generator",
      name: getString(get(root, "metadata"), "name") ?? "(unnamed)",
      path: ["literals"],
      literals: leaves(get(root, "literals")),
    });
  }
  for (const item of seqItems(get(root, "generators"))) {
    const text = inlineText(item);
    if (text === undefined || !text.includes("SecretGenerator")) continue;
    let docs: ReturnType<typeof parseFile>["docs"];
    try {
      docs = parseFile(Buffer.from(text, "utf8"), "yaml", undefined, {
        keepNonStringKeys: true,
      }).docs;
    } catch {
      // kustomize cannot read it either: it fails the build.
      continue;
    }
    for (const d of docs) {
      if (!isBuiltinSecretGenerator(d.root)) continue;
      out.push({
        via: "builtin-generator",
        name: getString(get(d.root, "metadata"), "name") ?? "(unnamed)",
        path: ["generators"],
        literals: leaves(get(d.root, "literals")),
        at: item.kind === "leaf" ? item.pos : undefined,
        inline: true,
      });
    }
  }
  out.push(...replacementGroups(root));
  return out;
}

/**
 * `replacements:` whose source is a ConfigMap made by this kustomization's
 * configMapGenerator and one of whose targets selects `kind: Secret`: the
 * literal the source `fieldPath` (`data.KEY`) names is delivered as Secret data.
 */
function replacementGroups(root: TreeNode): LiteralGroup[] {
  const reps = seqItems(get(root, "replacements"));
  if (reps.length === 0) return [];
  const cmGens = new Map<string, TreeNode>();
  for (const g of seqItems(get(root, "configMapGenerator"))) {
    const n = getString(g, "name");
    if (n !== undefined && !cmGens.has(n)) cmGens.set(n, g);
  }
  const out: LiteralGroup[] = [];
  for (const rep of reps) {
    const src = get(rep, "source");
    const kind = getString(src, "kind");
    if (kind !== undefined && kind !== "ConfigMap") continue;
    const name = getString(src, "name");
    const gen = name === undefined ? undefined : cmGens.get(name);
    if (!gen || name === undefined) continue;
    const intoSecret = seqItems(get(rep, "targets")).some(
      (t) => getString(get(t, "select"), "kind") === "Secret",
    );
    if (!intoSecret) continue;
    const m = /^data\.(?:\[(.+)\]|(.+))$/.exec(getString(src, "fieldPath") ?? "");
    const key = m?.[1] ?? m?.[2];
    if (key === undefined) continue;
    out.push({
      via: "replacement",
      name,
      path: ["configMapGenerator", "literals"],
      literals: leaves(get(gen, "literals")),
      onlyKey: key,
    });
  }
  return out;
}
