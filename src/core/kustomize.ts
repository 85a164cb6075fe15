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

/** A value `replacements:` copy from a ConfigMap into a Secret: the ConfigMap's name and data key. */
export interface CopiedIntoSecret {
  name: string;
  key: string;
}

/**
 * The `replacements:` of a kustomization that copy a ConfigMap's `data.KEY` (the source
 * `fieldPath`) into an object one of whose targets selects `kind: Secret`. Precise: another
 * target kind, a source of another kind or another field is not a delivery into a Secret.
 */
export function copiedIntoSecrets(root: TreeNode): CopiedIntoSecret[] {
  const out: CopiedIntoSecret[] = [];
  for (const rep of seqItems(get(root, "replacements"))) {
    const src = get(rep, "source");
    const kind = getString(src, "kind");
    if (kind !== undefined && kind !== "ConfigMap") continue;
    const name = getString(src, "name");
    if (name === undefined) continue;
    const intoSecret = seqItems(get(rep, "targets")).some(
      (t) => getString(get(t, "select"), "kind") === "Secret",
    );
    if (!intoSecret) continue;
    const m = /^data\.(?:\[(.+)\]|(.+))$/.exec(getString(src, "fieldPath") ?? "");
    const key = m?.[1] ?? m?.[2];
    if (key !== undefined) out.push({ name, key });
  }
  return out;
}

/** The configMapGenerator literals of this kustomization that its replacements copy into a Secret. */
function replacementGroups(root: TreeNode): LiteralGroup[] {
  const copied = copiedIntoSecrets(root);
  if (copied.length === 0) return [];
  const cmGens = new Map<string, TreeNode>();
  for (const g of seqItems(get(root, "configMapGenerator"))) {
    const n = getString(g, "name");
    if (n !== undefined && !cmGens.has(n)) cmGens.set(n, g);
  }
  const out: LiteralGroup[] = [];
  for (const { name, key } of copied) {
    const gen = cmGens.get(name);
    if (!gen) continue;
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

/**
 * In a file a kustomization lists as a resource: the ConfigMaps whose `data` values that
 * kustomization's replacements copy into a Secret (`copied`, from the link).
 */
export function copiedConfigMapValues(
  root: TreeNode,
  copied: readonly CopiedIntoSecret[],
): Array<{ name: string; key: string; leaf: Leaf }> {
  if (getString(root, "kind") !== "ConfigMap") return [];
  const name = getString(get(root, "metadata"), "name");
  const out: Array<{ name: string; key: string; leaf: Leaf }> = [];
  for (const c of copied) {
    if (c.name !== name) continue;
    const v = get(get(root, "data"), c.key);
    if (v?.kind === "leaf") out.push({ name: c.name, key: c.key, leaf: v });
  }
  return out;
}

/** Last words of a variable name that say it holds a credential (`DB_PASSWORD`, `API_TOKEN`). */
const CREDENTIAL_WORDS = new Set([
  "PASSWORD",
  "PASSWD",
  "PASS",
  "PWD",
  "PASSPHRASE",
  "TOKEN",
  "APIKEY",
  "CREDENTIALS",
]);
/** Words before `KEY` that make it a credential (`SECRET_KEY`, `API_KEY`, `PRIVATE_KEY`). */
const KEY_QUALIFIERS = new Set([
  "API",
  "SECRET",
  "PRIVATE",
  "ACCESS",
  "ENCRYPTION",
  "SIGNING",
  "AUTH",
  "MASTER",
  "CLIENT",
]);

/** Words before `SECRET` that make it a credential (`CLIENT_SECRET`), not a Secret's name (`VOLSYNC_SECRET`). */
const SECRET_QUALIFIERS = new Set([
  "CLIENT",
  "SHARED",
  "JWT",
  "SESSION",
  "WEBHOOK",
  "COOKIE",
  "OAUTH",
  "HMAC",
  "SIGNING",
  "ENCRYPTION",
  "API",
]);

/**
 * Does a variable name say it holds a credential? By its last word only, so `DB_PASSWORD`,
 * `dbPassword`, `S3_SECRET_KEY` and `CLIENT_SECRET` do, and `SECRET_DOMAIN`, `PASSWORD_FILE`,
 * `TOKEN_VERIFY_METHOD` and `VOLSYNC_SECRET` (the name of a Secret) do not.
 */
export function namesCredential(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (CREDENTIAL_WORDS.has(last)) return true;
  const before = words[words.length - 2];
  if (before === undefined) return false;
  if (last === "SECRET") return SECRET_QUALIFIERS.has(before);
  return last === "KEY" && KEY_QUALIFIERS.has(before);
}

/**
 * A Flux Kustomization's `spec.postBuild.substitute` values named like credentials: Flux
 * writes each into the manifests it applies (a Secret's `${DB_PASSWORD}`), so a literal there
 * is a credential in plaintext in git (substituteFrom a sops-encrypted Secret is the way).
 */
export function credentialSubstitutes(
  root: TreeNode,
): { name: string; values: Array<{ key: string; leaf: Leaf }> } | undefined {
  const apiVersion = getString(root, "apiVersion") ?? "";
  if (
    getString(root, "kind") !== "Kustomization" ||
    !apiVersion.startsWith("kustomize.toolkit.fluxcd.io/")
  )
    return undefined;
  const substitute = get(get(get(root, "spec"), "postBuild"), "substitute");
  if (substitute?.kind !== "map") return undefined;
  const values: Array<{ key: string; leaf: Leaf }> = [];
  for (const it of substitute.items) {
    if (it.kind !== "item" || it.value.kind !== "leaf" || !namesCredential(it.key)) continue;
    values.push({ key: it.key, leaf: it.value });
  }
  return { name: getString(get(root, "metadata"), "name") ?? "", values };
}

/**
 * A ConfigMap in `flux-system` (where the objects Flux's `postBuild.substituteFrom` reads
 * live) with data values named like credentials: Flux substitutes them into the manifests it
 * applies, a Secret's `${DB_PASSWORD}` among them, from a ConfigMap kept in plaintext.
 */
export function substitutionConfigMapCredentials(
  root: TreeNode,
): { name: string; values: Array<{ key: string; leaf: Leaf }> } | undefined {
  if (getString(root, "kind") !== "ConfigMap" || (getString(root, "apiVersion") ?? "v1") !== "v1")
    return undefined;
  const md = get(root, "metadata");
  if (getString(md, "namespace") !== "flux-system") return undefined;
  const data = get(root, "data");
  if (data?.kind !== "map") return undefined;
  const values: Array<{ key: string; leaf: Leaf }> = [];
  for (const it of data.items) {
    if (it.kind !== "item" || it.value.kind !== "leaf" || !namesCredential(it.key)) continue;
    values.push({ key: it.key, leaf: it.value });
  }
  return { name: getString(md, "name") ?? "", values };
}
