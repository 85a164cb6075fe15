/**
 * The cross-file step of the judgement: kustomize turns the files a
 * `secretGenerator` names (`envs:`, `files:`, the old `env:`) into Secret
 * data, and parses the files a kustomization lists as resources, patches or
 * generator configs as YAML whatever their names, so when the guard judges
 * such a file it must know that some kustomization names it. Paths are
 * relative to the kustomization's folder and must stay in the repository.
 */
import path from "node:path";
import { copiedIntoSecrets, isKustomizationPath, KUSTOMIZATION_NAMES } from "../core/kustomize.js";
import type { GeneratorSource } from "../core/types.js";
import { parseFile } from "../sops/parse.js";
import type { TreeNode } from "../sops/tree.js";
import { get, getString } from "../sops/walk.js";

/** The file names kustomize reads as a kustomization. */
export { KUSTOMIZATION_NAMES };

export function isKustomization(p: string): boolean {
  return isKustomizationPath(p);
}

/** A secretGenerator source outranks a resource link: its content is Secret data outright. */
export function isSource(g: GeneratorSource): boolean {
  return g.field === "envs" || g.field === "files";
}

function readDocs(bytes: Uint8Array): TreeNode[] {
  try {
    // JSON kustomizations are YAML too; kustomize stringifies non-string keys.
    return parseFile(bytes, "yaml", undefined, { keepNonStringKeys: true }).docs.map((d) => d.root);
  } catch {
    return [];
  }
}

function strings(node: TreeNode | undefined, field: string): string[] {
  const v = get(node, field);
  if (v?.kind === "leaf" && v.str !== undefined) return [v.str];
  if (v?.kind !== "seq") return [];
  return v.items.flatMap((i) => (i.kind === "leaf" && i.str !== undefined ? [i.str] : []));
}

/** Paths in a kustomization, resolved against its folder; URLs, absolute paths and the outside: none. */
function resolver(kustPath: string): (p: string) => string | undefined {
  const dir = path.posix.dirname(kustPath);
  return (p: string) => {
    // A line break or `: ` is inline YAML (a patch, a generator config), not a path.
    if (
      p === "" ||
      p.includes("\n") ||
      p.includes(": ") ||
      p.startsWith("/") ||
      /^[a-z][a-z0-9+.-]*:\/\//i.test(p)
    )
      return undefined;
    const full = path.posix.normalize(dir === "." ? p : `${dir}/${p}`);
    return full.startsWith("../") || full === ".." ? undefined : full;
  };
}

/** The `envs:`/`files:` (and old `env:`) sources of one generator entry or builtin config. */
function sourcesOf(
  gen: TreeNode,
  generator: string,
  kustPath: string,
  resolve: (p: string) => string | undefined,
  out: Map<string, GeneratorSource>,
): void {
  for (const e of [...strings(gen, "envs"), ...strings(gen, "env")]) {
    const p = resolve(e.trim());
    if (p) out.set(p, { kustomization: kustPath, generator, field: "envs" });
  }
  for (const e of strings(gen, "files")) {
    // `key=path` or `path` (the key is then the file's base name).
    const eq = e.indexOf("=");
    const key = eq === -1 ? path.posix.basename(e.trim()) : e.slice(0, eq).trim();
    const p = resolve((eq === -1 ? e : e.slice(eq + 1)).trim());
    if (p) out.set(p, { kustomization: kustPath, generator, field: "files", key });
  }
}

function seqItems(node: TreeNode | undefined): TreeNode[] {
  return node?.kind === "seq" ? node.items.filter((i): i is TreeNode => i.kind !== "comment") : [];
}

function builtinSecretGenerators(docs: TreeNode[]): TreeNode[] {
  return docs.filter(
    (d) => getString(d, "kind") === "SecretGenerator" && getString(d, "apiVersion") === "builtin",
  );
}

/**
 * The files a kustomization names, by repository path: the sources of its
 * secretGenerators (and of builtin SecretGenerator configs written inline
 * under `generators:`), and the files kustomize parses as YAML manifests
 * (`resources`, `components`, `patches[].path`, `patchesStrategicMerge`) or
 * generator configs (`generators`), whatever their names. A source outranks
 * a manifest link for the same path.
 */
export function generatorSources(
  kustPath: string,
  bytes: Uint8Array,
): Map<string, GeneratorSource> {
  const links = new Map<string, GeneratorSource>();
  const sources = new Map<string, GeneratorSource>();
  const resolve = resolver(kustPath);
  const link = (p: string, field: "resources" | "generators", what: string) => {
    const full = resolve(p.trim());
    if (full && !links.has(full))
      links.set(full, { kustomization: kustPath, generator: what, field });
  };
  for (const doc of readDocs(bytes)) {
    const copied = copiedIntoSecrets(doc);
    const before = new Set(links.keys());
    for (const f of ["resources", "components"])
      for (const p of strings(doc, f)) link(p, "resources", f);
    for (const p of strings(doc, "patchesStrategicMerge"))
      if (!p.includes("\n")) link(p, "resources", "patchesStrategicMerge");
    const patches = get(doc, "patches");
    if (patches?.kind === "seq")
      for (const it of patches.items) {
        const p = it.kind === "map" ? getString(it, "path") : undefined;
        if (p !== undefined) link(p, "resources", "patches");
      }
    const gens = get(doc, "generators");
    if (gens?.kind === "seq")
      for (const it of gens.items) {
        if (it.kind !== "leaf" || it.str === undefined) continue;
        if (!it.str.includes("\n")) {
          link(it.str, "generators", "generators");
          continue;
        }
        // An inline config: a builtin SecretGenerator's sources are this kustomization's.
        for (const g of builtinSecretGenerators(readDocs(Buffer.from(it.str, "utf8"))))
          sourcesOf(
            g,
            getString(get(g, "metadata"), "name") ?? "(unnamed)",
            kustPath,
            resolve,
            sources,
          );
      }
    // A ConfigMap in a listed resource whose value replacements copy into a Secret.
    if (copied.length > 0)
      for (const [p, g] of links) if (!before.has(p) && g.field === "resources") g.copied = copied;
    // A configMapGenerator whose values replacements copy into a Secret: those keys of its
    // sources are Secret data (only those keys).
    for (const cm of seqItems(get(doc, "configMapGenerator"))) {
      const name = getString(cm, "name");
      const keys = copied.filter((c) => c.name === name);
      if (name === undefined || keys.length === 0) continue;
      const found = new Map<string, GeneratorSource>();
      sourcesOf(cm, name, kustPath, resolve, found);
      for (const [p, g] of found) {
        if (g.field === "files" && !keys.some((k) => k.key === g.key)) continue;
        if (!sources.has(p)) sources.set(p, { ...g, copied: keys });
      }
    }
    const secretGens = get(doc, "secretGenerator");
    if (secretGens?.kind !== "seq") continue;
    for (const gen of secretGens.items) {
      if (gen.kind !== "map") continue;
      sourcesOf(gen, getString(gen, "name") ?? "(unnamed)", kustPath, resolve, sources);
    }
  }
  for (const [p, g] of sources) links.set(p, g);
  return links;
}

/**
 * The sources of the builtin SecretGenerator configs in a file a kustomization lists under
 * `generators:` (`link`): paths in them are relative to that kustomization's folder.
 */
export function builtinGeneratorSources(
  link: GeneratorSource,
  bytes: Uint8Array,
): Map<string, GeneratorSource> {
  const out = new Map<string, GeneratorSource>();
  const resolve = resolver(link.kustomization);
  for (const g of builtinSecretGenerators(readDocs(bytes)))
    sourcesOf(
      g,
      getString(get(g, "metadata"), "name") ?? "(unnamed)",
      link.kustomization,
      resolve,
      out,
    );
  return out;
}

/** Folders from a file's own up to the repository root (`""`). */
export function ancestorDirs(p: string): string[] {
  const out: string[] = [];
  let d = path.posix.dirname(p);
  while (d !== "." && d !== "/" && d !== "") {
    out.push(d);
    d = path.posix.dirname(d);
  }
  out.push("");
  return out;
}
