/**
 * Symlinks in git: the blob of a 120000 entry holds the link's target path. Flux clones the
 * repository and kustomize follows links inside it, so a symlink under a creation rule
 * delivers its target's content at the link's path. A link is therefore judged by the
 * content it resolves to in the same tree (the index, or a commit's tree), at its own path;
 * one that cannot be resolved there (outside the repository, dangling, a loop) is reported
 * as such, and the pipeline blocks it where a rule covers the link.
 */
import { posix } from "node:path";
import type { BlobReader } from "../git/catfile.js";
import { git, NO_QUOTEPATH } from "../git/exec.js";
import { indexEntries } from "../git/indexfile.js";
import { MODE_SYMLINK, parseLsTreeZ } from "../git/parse.js";
import type { RepoInfo } from "../git/repo.js";
import { absUnder, isRegularMode } from "./internal.js";
import type { LinkProblem, SourceFile } from "./types.js";

/** Links followed through other links at most this many times (what git and the kernel allow is larger; a chain this long is treated as a loop). */
const MAX_HOPS = 8;

/** A tree entry: mode and blob. */
export interface TreeLookupEntry {
  mode: string;
  blob: string;
}

/**
 * Every entry of one tree (the index or a commit), by path, listed once when first asked.
 * Whole listings, never a pathspec built from a link's text: git's command line is shown by
 * `--debug`, and a link's blob is arbitrary bytes (possibly a pasted value).
 */
export type TreeLookup = () => Promise<Map<string, TreeLookupEntry>>;

function once(list: () => Promise<Map<string, TreeLookupEntry>>): TreeLookup {
  let p: Promise<Map<string, TreeLookupEntry>> | undefined;
  return () => {
    p ??= list();
    return p;
  };
}

/** The index's stage-0 entries (src/git/indexfile.ts). */
export function indexLookup(info: RepoInfo, env: NodeJS.ProcessEnv | undefined): TreeLookup {
  return once(async () => {
    const out = new Map<string, TreeLookupEntry>();
    for (const e of await indexEntries({ top: info.topLevel, ...info, env }))
      if (e.stage === 0) out.set(e.path, { mode: e.mode, blob: e.blob });
    return out;
  });
}

/** The entries of `commit`'s tree (`git ls-tree -r -t -z --full-tree`), folders included. */
export function commitLookup(
  top: string,
  commit: string,
  env: NodeJS.ProcessEnv | undefined,
): TreeLookup {
  return once(async () => {
    const r = await git([...NO_QUOTEPATH, "ls-tree", "-r", "-t", "-z", "--full-tree", commit], {
      cwd: top,
      env,
    });
    const out = new Map<string, TreeLookupEntry>();
    for (const e of parseLsTreeZ(r.stdout)) out.set(e.path, { mode: e.mode, blob: e.blob });
    return out;
  });
}

/**
 * Where a link stored at `at` with target text `target` points, as a repository path;
 * undefined when it leaves the repository (absolute, or above the top level).
 */
export function linkTarget(at: string, target: string): string | undefined {
  if (target === "" || target.startsWith("/") || target.includes("\0")) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(at), target));
  if (joined === ".." || joined.startsWith("../") || joined === "." || joined.startsWith("/"))
    return undefined;
  return joined.replace(/\/+$/, "");
}

/**
 * Source files for symlink entries `links` (path → the link's own blob), each reading what
 * the link resolves to in the tree `lookup` reads; `commit` is copied onto each file.
 */
export async function resolveLinks(
  top: string,
  links: Map<string, string>,
  reader: BlobReader,
  lookup: TreeLookup,
  commit?: string,
): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const [at, linkBlob] of links) {
    let problem: LinkProblem | undefined;
    let resolved: (TreeLookupEntry & { path: string }) | undefined;
    // `next` is the repository path the chain points at now; each step reads one link.
    let next = linkTarget(at, (await reader.read(linkBlob)).toString("utf8"));
    const seen = new Set<string>([at]);
    for (let hop = 0; ; hop++) {
      if (next === undefined) {
        problem = "outside";
        break;
      }
      if (seen.has(next) || hop >= MAX_HOPS) {
        problem = "loop";
        break;
      }
      seen.add(next);
      const tree = await lookup();
      const entry = tree.get(next);
      if (entry?.mode === MODE_SYMLINK) {
        next = linkTarget(next, (await reader.read(entry.blob)).toString("utf8"));
        continue;
      }
      if (entry && isRegularMode(entry.mode)) {
        resolved = { ...entry, path: next };
        break;
      }
      if (entry) {
        problem = "not-a-file";
        break;
      }
      // Through a linked folder (`dir -> ../other`, link `x -> dir/file`): resolve the folder.
      const via = linkedPrefix(tree, next);
      if (via) {
        const folder = linkTarget(via, (await reader.read(tree.get(via)!.blob)).toString("utf8"));
        next = folder === undefined ? undefined : `${folder}/${next.slice(via.length + 1)}`;
        continue;
      }
      // The index lists files only: a path with files below it is a folder.
      const prefix = `${next}/`;
      problem = [...tree.keys()].some((k) => k.startsWith(prefix)) ? "not-a-file" : "dangling";
      break;
    }
    const file: SourceFile = {
      path: at,
      absPath: absUnder(top, at),
      ...(commit ? { commit } : {}),
      link: resolved ? { to: resolved.path } : { problem: problem ?? "dangling" },
      read: resolved ? () => reader.read(resolved.blob) : async () => Buffer.alloc(0),
    };
    if (resolved) {
      file.blobId = resolved.blob;
      file.mode = resolved.mode;
    }
    out.push(file);
  }
  return out;
}

/** The longest proper leading folder of `p` that is a symlink in `tree`, if any. */
function linkedPrefix(tree: Map<string, TreeLookupEntry>, p: string): string | undefined {
  for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/", i - 1)) {
    const prefix = p.slice(0, i);
    if (tree.get(prefix)?.mode === MODE_SYMLINK) return prefix;
  }
  return undefined;
}
