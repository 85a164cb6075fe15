/**
 * Which Flux Kustomization applies a folder: the one among the repository's
 * YAML files (tracked or not ignored) whose spec.path is the folder or the
 * nearest folder above it. Used only to print the `flux reconcile` command.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, parseAllDocuments } from "yaml";
import { lsFiles } from "../git/tree.js";

export interface FluxKustomization {
  name: string;
  namespace?: string;
  path: string;
  file: string;
}

export async function fluxKustomizationFor(
  top: string,
  folder: string,
  env: NodeJS.ProcessEnv,
): Promise<FluxKustomization | undefined> {
  const files = await lsFiles(top, env, { others: true, pathspec: ["*.yaml", "*.yml"] });
  if (!files) return undefined;
  let best: FluxKustomization | undefined;
  for (const rel of files.slice(0, 5000)) {
    const abs = path.join(top, rel);
    let text: string;
    try {
      if ((await stat(abs)).size > 256 * 1024) continue;
      text = await readFile(abs, "utf8");
    } catch {
      continue;
    }
    if (!text.includes("kustomize.toolkit.fluxcd.io")) continue;
    let docs: ReturnType<typeof parseAllDocuments>;
    try {
      docs = parseAllDocuments(text);
    } catch {
      continue;
    }
    if (!Array.isArray(docs)) continue;
    for (const d of docs) {
      const c = d.contents;
      if (!isMap(c)) continue;
      const s = (v: unknown) => (isScalar(v) && v.value !== null ? String(v.value) : undefined);
      if (s(c.get("kind", true)) !== "Kustomization") continue;
      if (!s(c.get("apiVersion", true))?.startsWith("kustomize.toolkit.fluxcd.io/")) continue;
      const meta = c.get("metadata", true);
      const spec = c.get("spec", true);
      const name = isMap(meta) ? s(meta.get("name", true)) : undefined;
      const p = isMap(spec) ? s(spec.get("path", true)) : undefined;
      if (!name || p === undefined) continue;
      const norm = path.posix
        .normalize(p.replace(/^\.?\/*/, "") || ".")
        .replace(/\/+$/, "")
        .replace(/^\.$/, "");
      const covers = norm === "" || folder === norm || folder.startsWith(`${norm}/`);
      if (!covers) continue;
      if (!best || norm.length > best.path.length) {
        best = {
          name,
          namespace: isMap(meta) ? s(meta.get("namespace", true)) : undefined,
          path: norm,
          file: rel,
        };
      }
    }
  }
  return best;
}
