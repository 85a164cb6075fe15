/**
 * PATH arguments: files as they are on disk (e.g. from lint-staged, or a manual check).
 */

import type { Dirent } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { GuardError, NotARepoError, UsageError } from "../errors.js";
import { repoInfo } from "../git/repo.js";
import type { SkippedPath, SourceFile, SourceList, SourceOptions } from "./types.js";

/** Directory names never descended into while walking (named explicitly, they are walked). */
const SKIP_DIRS = new Set([".git", "node_modules"]);

export interface PathOptions extends SourceOptions {
  /**
   * The repository top level if already known (saves a git call); null to report paths
   * relative to cwd without asking git. Undefined: ask git (outside a repo is fine).
   */
  topLevel?: string | null;
}

/**
 * The regular files named by `paths` (relative to cwd or absolute), directories walked
 * recursively in name order. Names are taken literally: no globbing, and a leading "-" is
 * just a character. Symlinks are never followed (a symlinked file or directory, named or
 * found, lands in `skipped`), nor are sockets, FIFOs or devices; `.git` and `node_modules`
 * directories met while walking are not entered. A path named twice is listed once.
 *
 * `path` is relative to the repository top level when the file is inside it, else relative
 * to cwd; "/" separators. A missing path throws UsageError naming it.
 */
export async function pathFiles(
  cwd: string,
  paths: readonly string[],
  opts: PathOptions = {},
): Promise<SourceList> {
  const root = path.resolve(cwd);
  let topLevel: string | undefined;
  if (opts.topLevel === undefined) {
    try {
      topLevel = (await repoInfo(root, opts)).topLevel;
    } catch (err) {
      if (!(err instanceof NotARepoError)) throw err;
    }
  } else if (opts.topLevel !== null) {
    topLevel = opts.topLevel;
  }

  const display = (abs: string): string => {
    if (topLevel !== undefined) {
      const rel = path.relative(topLevel, abs);
      if (rel !== "" && !rel.startsWith(`..${path.sep}`) && rel !== ".." && !path.isAbsolute(rel)) {
        return toSlash(rel);
      }
    }
    return toSlash(path.relative(root, abs) || ".");
  };

  const files: SourceFile[] = [];
  const skipped: SkippedPath[] = [];
  const seen = new Set<string>();

  const addFile = (abs: string): void => {
    if (seen.has(abs)) return;
    seen.add(abs);
    files.push({ path: display(abs), absPath: abs, read: () => readFile(abs) });
  };

  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new GuardError(
        `cannot read directory ${display(dir)}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      const abs = path.join(dir, d.name);
      if (d.isDirectory()) {
        if (!SKIP_DIRS.has(d.name)) await walk(abs);
      } else if (d.isFile()) {
        addFile(abs);
      } else if (d.isSymbolicLink()) {
        skipped.push({ path: display(abs), reason: "symlink" });
      } else {
        skipped.push({ path: display(abs), reason: "not-a-regular-file" });
      }
    }
  };

  for (const p of paths) {
    if (p === "") throw new UsageError("empty path argument");
    const abs = path.resolve(root, p);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        throw new UsageError(
          `no such file or directory: ${p}`,
          "check the path, or run `secret-guard scan` with no path to check staged files",
        );
      }
      throw new UsageError(`cannot access ${p}: ${code ?? err}`);
    }
    if (st.isDirectory()) await walk(abs);
    else if (st.isFile()) addFile(abs);
    else if (st.isSymbolicLink()) skipped.push({ path: display(abs), reason: "symlink" });
    else skipped.push({ path: display(abs), reason: "not-a-regular-file" });
  }
  return { files, skipped, topLevel, close: async () => {} };
}

function toSlash(p: string): string {
  return path.sep === "/" ? p : p.split(path.sep).join("/");
}
