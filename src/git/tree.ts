/**
 * Trees and the index listed by path, always with -z and core.quotepath=false.
 *
 *   git ls-tree -r -z --full-tree <commit> [-- <paths>]
 *     <mode> SP <type> SP <oid> TAB <path> NUL ...
 *   git ls-files -z --cached [--others --exclude-standard] [-- <pathspec>]
 *     <path> NUL ...            (a path twice for unmerged entries)
 */
import { git, NO_QUOTEPATH } from "./exec.js";
import { isRegularMode, parseLsTreeZ } from "./parse.js";

/** Regular files among `paths` in the tree of `commit`: path → blob id. */
export async function lsTreePaths(
  top: string,
  commit: string,
  env: NodeJS.ProcessEnv,
  paths: string[],
): Promise<Map<string, string>> {
  const r = await git(
    [...NO_QUOTEPATH, "ls-tree", "-r", "-z", "--full-tree", commit, "--", ...paths],
    {
      cwd: top,
      env,
    },
  );
  const m = new Map<string, string>();
  for (const e of parseLsTreeZ(r.stdout))
    if (e.type === "blob" && isRegularMode(e.mode)) m.set(e.path, e.blob);
  return m;
}

/** Every blob in the tree of `commit`: path → blob id and mode. */
export async function lsTreeAll(
  top: string,
  commit: string,
  env: NodeJS.ProcessEnv,
): Promise<Map<string, { blob: string; mode: string }>> {
  const r = await git([...NO_QUOTEPATH, "ls-tree", "-r", "-z", "--full-tree", commit], {
    cwd: top,
    env,
  });
  const m = new Map<string, { blob: string; mode: string }>();
  for (const e of parseLsTreeZ(r.stdout))
    if (e.type === "blob") m.set(e.path, { blob: e.blob, mode: e.mode });
  return m;
}

/**
 * Paths in the index (and, with `others`, untracked files git does not ignore), each once,
 * repository-relative; undefined when git fails.
 */
export async function lsFiles(
  top: string,
  env: NodeJS.ProcessEnv,
  opts: { others?: boolean; pathspec?: string[] } = {},
): Promise<string[] | undefined> {
  const r = await git(
    [
      ...NO_QUOTEPATH,
      "ls-files",
      "-z",
      "--cached",
      ...(opts.others ? ["--others", "--exclude-standard"] : []),
      ...(opts.pathspec ? ["--", ...opts.pathspec] : []),
    ],
    { cwd: top, env, allowFail: true },
  );
  if (r.code !== 0) return undefined;
  return [...new Set(r.stdout.toString("utf8").split("\0").filter(Boolean))];
}

/** One blob's bytes (`git cat-file blob <oid>`), or undefined when git cannot read it. */
export async function readBlob(
  top: string,
  env: NodeJS.ProcessEnv | undefined,
  oid: string,
): Promise<Buffer | undefined> {
  const r = await git(["cat-file", "blob", oid], { cwd: top, env, allowFail: true });
  return r.code === 0 ? r.stdout : undefined;
}

/** Whether git ignores `rel` (`git check-ignore -q --no-index`: exit 0 when ignored). */
export async function isIgnored(
  top: string,
  env: NodeJS.ProcessEnv | undefined,
  rel: string,
): Promise<boolean> {
  const r = await git(["check-ignore", "-q", "--no-index", "--", rel], {
    cwd: top,
    env,
    allowFail: true,
  });
  return r.code === 0;
}
