/**
 * The cross-file step of the judgement: kustomize turns the files a
 * `secretGenerator` names (`envs:`, `files:`, the old `env:`) into Secret
 * data, so when the guard judges such a file it must know that some
 * kustomization names it. Paths are relative to the kustomization's folder;
 * kustomize refuses sources outside it, so only that folder and its
 * subfolders can hold them.
 */
import path from "node:path";
import type { GeneratorSource } from "../core/types.js";
import { parseFile } from "../sops/parse.js";
import { get, getString } from "../sops/walk.js";

/** The file names kustomize reads as a kustomization. */
export const KUSTOMIZATION_NAMES: readonly string[] = [
  "kustomization.yaml",
  "kustomization.yml",
  "Kustomization",
];

export function isKustomization(p: string): boolean {
  return KUSTOMIZATION_NAMES.includes(p.slice(p.lastIndexOf("/") + 1));
}

/** The generator sources a kustomization names, by repository path. */
export function generatorSources(
  kustPath: string,
  bytes: Uint8Array,
): Map<string, GeneratorSource> {
  const out = new Map<string, GeneratorSource>();
  let docs: ReturnType<typeof parseFile>["docs"];
  try {
    // JSON kustomizations are YAML too.
    docs = parseFile(bytes, "yaml").docs;
  } catch {
    return out;
  }
  const dir = path.posix.dirname(kustPath);
  const resolve = (p: string): string | undefined => {
    if (p === "" || p.startsWith("/") || /^[a-z]+:\/\//i.test(p)) return undefined;
    const full = path.posix.normalize(dir === "." ? p : `${dir}/${p}`);
    return full.startsWith("../") ? undefined : full;
  };
  for (const doc of docs) {
    const gens = get(doc.root, "secretGenerator");
    if (gens?.kind !== "seq") continue;
    for (const gen of gens.items) {
      if (gen.kind !== "map") continue;
      const generator = getString(gen, "name") ?? "(unnamed)";
      const strings = (field: string): string[] => {
        const v = get(gen, field);
        if (v?.kind === "leaf" && v.str !== undefined) return [v.str];
        if (v?.kind !== "seq") return [];
        return v.items.flatMap((i) => (i.kind === "leaf" && i.str !== undefined ? [i.str] : []));
      };
      for (const e of [...strings("envs"), ...strings("env")]) {
        const p = resolve(e.trim());
        if (p) out.set(p, { kustomization: kustPath, generator, field: "envs" });
      }
      for (const e of strings("files")) {
        // `key=path` or `path` (the key is then the file's base name).
        const eq = e.indexOf("=");
        const key = eq === -1 ? path.posix.basename(e.trim()) : e.slice(0, eq).trim();
        const p = resolve((eq === -1 ? e : e.slice(eq + 1)).trim());
        if (p) out.set(p, { kustomization: kustPath, generator, field: "files", key });
      }
    }
  }
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
