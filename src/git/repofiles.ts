/**
 * Where the repository is, read from its files when the layout is the plain one, so the
 * commit hook does not start `git rev-parse` to learn it (src/git/repo.ts does that for
 * every other case).
 *
 * Git runs a hook at the top level of the work tree, with GIT_INDEX_FILE set, and with
 * GIT_DIR set in a linked worktree. From there, with nothing that changes how git finds
 * or reads the repository, the answers are files:
 *
 *   - the git directory: `$GIT_DIR` (absolute), or `./.git` (a folder, or a file
 *     `gitdir: <path>` as linked worktrees and `--separate-git-dir` write);
 *   - the common directory: `<gitdir>/commondir` when there is one;
 *   - the object format: `extensions.objectFormat` of `<common>/config`;
 *   - HEAD: `<gitdir>/HEAD`, a commit id, or `ref: refs/heads/<name>` found as a loose
 *     ref or in `packed-refs`;
 *   - the index: `$GIT_INDEX_FILE` (from the top level), or `<gitdir>/index`.
 *
 * Anything else declines (undefined) and git answers: a working directory below the top
 * level, GIT_WORK_TREE / GIT_COMMON_DIR / GIT_CEILING-free discovery, config given in the
 * environment that touches `core.` or `extensions.`, a config with includes, a work tree
 * or bare setting, worktree-specific config, another ref storage, a HEAD that is not a
 * branch ref found in the files (an unborn branch, reftable), folders owned by another
 * user (git's safe.directory rules), and any file that does not read as expected.
 * test/integration/repo-files.test.ts holds the result to `git rev-parse` on every layout.
 */
import { lstatSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";

export interface RepoInfo {
  /** Absolute path of the work tree's top level. */
  topLevel: string;
  /** Absolute path of the git directory (for a linked worktree: its private directory). */
  gitDir: string;
  /** False in a repository with no commit yet (unborn branch). */
  hasHead: boolean;
  /** The commit HEAD points to, when hasHead. */
  head?: string;
  /** Absolute path of the index git uses: $GIT_INDEX_FILE if set, else <gitDir>/index. */
  indexFile: string;
  /** "sha1" or "sha256". */
  objectFormat: string;
  /** Absolute path of the common git directory (a linked worktree's main `.git`). */
  commonDir: string;
}

const HEX = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;
/** Config keys that change where the work tree, the format or more config is. */
const MOVING = /(^|['\s])(core\.(worktree|bare|repositoryformatversion)|extensions\.|include)/i;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function ownedByMe(p: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return false;
  try {
    return lstatSync(p).uid === uid;
  } catch {
    return false;
  }
}

/** The few settings that decide where things are, or undefined when the config is not plain. */
function readConfig(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    // Continuations, quotes and escapes: git's own parser decides.
    if (line.endsWith("\\") || line.includes('"')) {
      if (section === "core" || section === "extensions") return undefined;
    }
    const head = /^\[([A-Za-z0-9.-]+)\]$/.exec(line);
    if (head) {
      section = head[1]!.toLowerCase();
      continue;
    }
    if (line.startsWith("[")) {
      // A subsection ([remote "origin"], [includeIf "…"]): includes are not followed here.
      const name = /^\[\s*([A-Za-z0-9.-]+)/.exec(line)?.[1]?.toLowerCase();
      if (name === undefined || name === "include" || name === "includeif") return undefined;
      section = `${name} "sub"`;
      continue;
    }
    if (section === "include") return undefined;
    if (section !== "core" && section !== "extensions") continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*?))?\s*(?:[#;].*)?$/.exec(line);
    if (!kv) return undefined;
    out.set(`${section}.${kv[1]!.toLowerCase()}`, (kv[2] ?? "true").toLowerCase());
  }
  return out;
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ["true", "yes", "on", "1"].includes(v);
}

/** The commit a branch ref names: a loose ref, else `packed-refs`; undefined when neither has it. */
function resolveBranch(common: string, ref: string): string | undefined {
  const loose = readText(path.join(common, ...ref.split("/")));
  if (loose !== undefined) {
    const id = loose.trim();
    return HEX.test(id) ? id : undefined;
  }
  const packed = readText(path.join(common, "packed-refs"));
  if (packed === undefined) return undefined;
  for (const line of packed.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("^")) continue;
    const sp = line.indexOf(" ");
    if (sp > 0 && line.slice(sp + 1) === ref) {
      const id = line.slice(0, sp);
      return HEX.test(id) ? id : undefined;
    }
  }
  return undefined;
}

/**
 * The repository around `cwd` from its files, or undefined when git must say. `env` is the
 * whole environment git would run with.
 */
export function repoInfoFromFiles(cwd: string, env: NodeJS.ProcessEnv): RepoInfo | undefined {
  try {
    for (const k of ["GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CONFIG", "GIT_NAMESPACE"])
      if (env[k] !== undefined) return undefined;
    // Settings given in the environment (`git -c`, GIT_CONFIG_COUNT): only those that could
    // move the work tree, the format or the config matter.
    if (env.GIT_CONFIG_PARAMETERS && MOVING.test(env.GIT_CONFIG_PARAMETERS)) return undefined;
    const count = env.GIT_CONFIG_COUNT;
    if (count !== undefined && count !== "" && count !== "0") {
      const n = Number(count);
      if (!Number.isInteger(n) || n < 0 || n > 1000) return undefined;
      for (let i = 0; i < n; i++)
        if (MOVING.test(` ${env[`GIT_CONFIG_KEY_${i}`] ?? ""}`)) return undefined;
    }
    const top = realpathSync(cwd);
    let gitDir: string;
    if (env.GIT_DIR !== undefined) {
      if (!path.isAbsolute(env.GIT_DIR)) return undefined;
      gitDir = realpathSync(env.GIT_DIR);
    } else {
      const dotGit = path.join(top, ".git");
      const st = lstatSync(dotGit, { throwIfNoEntry: false });
      if (!st) return undefined;
      if (st.isDirectory()) gitDir = dotGit;
      else if (st.isFile()) {
        const m = /^gitdir: (.+)\n?$/.exec(readText(dotGit) ?? "");
        if (!m) return undefined;
        gitDir = realpathSync(path.resolve(top, m[1]!));
      } else return undefined;
    }
    const commonText = readText(path.join(gitDir, "commondir"));
    const common =
      commonText === undefined
        ? gitDir
        : realpathSync(path.resolve(gitDir, commonText.replace(/\n$/, "")));
    if (!ownedByMe(top) || !ownedByMe(gitDir) || !ownedByMe(common)) return undefined;
    // A folder inside the git directory is no work tree.
    if (top === gitDir || top.startsWith(`${gitDir}${path.sep}`)) return undefined;
    const configText = readText(path.join(common, "config"));
    if (configText === undefined) return undefined;
    const config = readConfig(configText);
    if (!config) return undefined;
    if (isTrue(config.get("core.bare")) || config.has("core.worktree")) return undefined;
    if (isTrue(config.get("extensions.worktreeconfig"))) return undefined;
    const storage = config.get("extensions.refstorage");
    if (storage !== undefined && storage !== "files") return undefined;
    const version = config.get("core.repositoryformatversion") ?? "0";
    if (version !== "0" && version !== "1") return undefined;
    const format = (version === "1" && config.get("extensions.objectformat")) || "sha1";
    if (format !== "sha1" && format !== "sha256") return undefined;
    const headText = readText(path.join(gitDir, "HEAD"));
    if (headText === undefined) return undefined;
    const line = headText.replace(/\n$/, "");
    let head: string | undefined;
    if (line.startsWith("ref: ")) {
      const ref = line.slice(5);
      if (!/^refs\/heads\/[^\0\s]+$/.test(ref) || ref.includes("..")) return undefined;
      head = resolveBranch(common, ref);
    } else if (HEX.test(line)) head = line;
    if (head === undefined || head.length !== (format === "sha1" ? 40 : 64)) return undefined;
    const indexEnv = env.GIT_INDEX_FILE;
    const indexFile =
      indexEnv !== undefined && indexEnv !== ""
        ? path.resolve(top, indexEnv)
        : path.join(gitDir, "index");
    return {
      topLevel: top,
      gitDir,
      hasHead: true,
      head,
      indexFile,
      objectFormat: format,
      commonDir: common,
    };
  } catch {
    return undefined;
  }
}
