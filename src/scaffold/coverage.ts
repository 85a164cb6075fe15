/**
 * Will Flux apply it? An encrypted Secret under a folder with a
 * kustomization.yaml reaches the cluster only when that kustomization (the
 * nearest one at or above the file's folder, as kustomize builds the tree)
 * lists it in `resources`, itself or a folder holding it. Flux never applies
 * one that is left out, and nothing else says so: `scan`, `scan --fix` and
 * `new` warn, and `--fix` can add it.
 *
 * Kustomizations are read from the index (what the commit will hold) for
 * staged and --all scans, from disk for PATH scans and `new`. A folder with
 * no kustomization file at or above it is not judged: Flux generates one
 * from every manifest there.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { indexEntries } from "../git/indexfile.js";
import { isRegularMode } from "../git/parse.js";
import type { RepoInfo } from "../git/repo.js";
import { readBlob } from "../git/tree.js";
import { addResource, KUSTOMIZATION_NAMES, resourceEntries } from "./kustomization.js";

export interface KustomizationSource {
  /** Where the kustomization texts come from, for messages ("index" or "disk"). */
  where: "index" | "disk";
  /** The kustomization file of a repository-relative folder ("" = top), if there is one. */
  find(folder: string): Promise<string | undefined>;
  read(rel: string): Promise<string | undefined>;
}

export interface CoverageProblem {
  /** The encrypted Secret (repository-relative). */
  path: string;
  /** The kustomization that leaves it out (repository-relative). */
  kustomization: string;
  /** The `resources` entry that would list it. */
  entry: string;
  /** Set when the kustomization cannot be read: nothing can be said or fixed. */
  unreadable?: boolean;
  message: string;
  fix: string;
}

export function diskKustomizations(top: string): KustomizationSource {
  return {
    where: "disk",
    async find(folder) {
      for (const n of KUSTOMIZATION_NAMES) {
        const rel = folder ? `${folder}/${n}` : n;
        if (existsSync(path.join(top, ...rel.split("/")))) return rel;
      }
      return undefined;
    },
    async read(rel) {
      try {
        return await readFile(path.join(top, ...rel.split("/")), "utf8");
      } catch {
        return undefined;
      }
    },
  };
}

export function indexKustomizations(info: RepoInfo, env?: NodeJS.ProcessEnv): KustomizationSource {
  const top = info.topLevel;
  let listed: Promise<Map<string, string>> | undefined;
  const list = async () => {
    const names = new Set<string>(KUSTOMIZATION_NAMES);
    const out = new Map<string, string>();
    for (const e of await indexEntries({ top, ...info, env })) {
      if (e.stage !== 0 || !isRegularMode(e.mode)) continue;
      if (names.has(e.path.slice(e.path.lastIndexOf("/") + 1))) out.set(e.path, e.blob);
    }
    return out;
  };
  return {
    where: "index",
    async find(folder) {
      listed ??= list();
      const m = await listed;
      for (const n of KUSTOMIZATION_NAMES) {
        const rel = folder ? `${folder}/${n}` : n;
        if (m.has(rel)) return rel;
      }
      return undefined;
    },
    async read(rel) {
      listed ??= list();
      const oid = (await listed).get(rel);
      if (!oid) return undefined;
      return (await readBlob(top, env, oid))?.toString("utf8");
    },
  };
}

const posix = path.posix;

function folderOf(rel: string): string {
  const d = posix.dirname(rel);
  return d === "." ? "" : d;
}

/** Whether a resources entry of the kustomization in `kdir` names `file` or a folder holding it. */
function names(entry: string, kdir: string, file: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith("github.com/")) return false;
  const target = posix.normalize(posix.join(kdir, entry)).replace(/\/+$/, "");
  if (target === "." || target === "") return true;
  return file === target || file.startsWith(`${target}/`);
}

/** The encrypted Secrets among `files` that the nearest kustomization leaves out. */
export async function coverageProblems(
  _top: string,
  files: readonly string[],
  source: KustomizationSource,
): Promise<CoverageProblem[]> {
  const out: CoverageProblem[] = [];
  const texts = new Map<string, string[] | undefined>();
  for (const file of [...new Set(files)].sort()) {
    let folder = folderOf(file);
    let kz: string | undefined;
    for (;;) {
      kz = await source.find(folder);
      if (kz || folder === "") break;
      folder = folderOf(folder);
    }
    if (!kz) continue;
    if (!texts.has(kz)) {
      const text = await source.read(kz);
      texts.set(kz, text === undefined ? undefined : resourceEntries(text));
    }
    const entries = texts.get(kz);
    const kdir = folderOf(kz);
    const entry = posix.relative(kdir, file);
    if (entries === undefined) {
      out.push({
        path: file,
        kustomization: kz,
        entry,
        unreadable: true,
        message: `${kz} cannot be read as a kustomization: cannot tell whether Flux applies ${file}`,
        fix: `fix ${kz} and check that its resources list ${entry}`,
      });
      continue;
    }
    if (entries.some((e) => names(e, kdir, file))) continue;
    out.push({
      path: file,
      kustomization: kz,
      entry,
      message: `${file} is not in the resources of ${kz}${source.where === "index" ? " (staged)" : ""}: Flux never applies it`,
      fix: `add "- ${entry}" to its resources, or: npx secret-guard scan --fix ${file}`,
    });
  }
  return out;
}

/**
 * Add the entry to the kustomization on disk (the working copy); returns what
 * happened, for the note. Never stages anything.
 */
export async function registerOnDisk(
  top: string,
  problem: CoverageProblem,
): Promise<"added" | "uncommented" | "unchanged"> {
  const abs = path.join(top, ...problem.kustomization.split("/"));
  const text = await readFile(abs, "utf8");
  const r = addResource(text, problem.entry);
  if (r.action === "unchanged") return "unchanged";
  const { writeAtomic } = await import("../fsutil.js");
  await writeAtomic(abs, Buffer.from(r.text, "utf8"));
  return r.action === "uncommented" ? "uncommented" : "added";
}
