/**
 * The one history walk of `secret-guard history`:
 *
 *   git -c core.quotepath=false log --reverse --date-order --raw -z --no-abbrev --no-renames
 *       --diff-merges=first-parent --root --format=%x01%H %P%x00%ct%x00%aI%x00%an
 *       --no-show-signature --no-color --no-relative --end-of-options <revs> --
 *
 * Output (-z: paths are never quoted):
 *
 *   \x01<commit> <parents>\0<unix time>\0<ISO date>\0<author>\0\n:<raw>\0<path>\0...\x01...
 *
 * - `--reverse --date-order`: parents always before their children, otherwise oldest first,
 *   so the state of a commit's tree can be carried forward from its first parent.
 * - `--diff-merges=first-parent`: every commit, merges included, is diffed against its first
 *   parent; a merge therefore lists what the merged branch brought in (blobs already judged:
 *   cache hits) and any conflict resolution ("evil merge") content.
 * - `--no-renames`: a rename is a deletion plus an addition, so every (path, blob) the
 *   history ever held appears; exposures then list every path a value lived at.
 */
import { GitError, UsageError } from "../errors.js";
import { git, NO_QUOTEPATH, stderrHead } from "./exec.js";
import { isOid } from "./parse.js";

export interface LogEntry {
  status: string;
  srcBlob: string;
  dstBlob: string;
  dstMode: string;
  path: string;
}

export interface LogCommit {
  id: string;
  parents: string[];
  /** Committer time (unix seconds), for ordering. */
  time: number;
  /** Author date, ISO 8601 with the author's offset. */
  date: string;
  author: string;
  entries: LogEntry[];
}

const RANGE_HINT =
  "give a revision or range such as `HEAD`, `origin/main..HEAD` or `v1.0..` (see `git help revisions`), or --all-refs";

/** The one log walk of `history` (the bench times exactly this as its floor). */
export const HISTORY_LOG_ARGS: readonly string[] = [
  ...NO_QUOTEPATH,
  "log",
  "--reverse",
  "--date-order",
  "--raw",
  "-z",
  "--no-abbrev",
  "--no-renames",
  "--diff-merges=first-parent",
  "--root",
  "--format=%x01%H %P%x00%ct%x00%aI%x00%an",
  "--no-show-signature",
  "--no-color",
  "--no-relative",
  "--no-ext-diff",
  "--no-textconv",
];

/** Run the walk over `revs` (passed to git log as they are), plus every ref with allRefs. */
export async function walkLog(
  topLevel: string,
  revs: string[],
  opts: {
    allRefs?: boolean;
    env?: NodeJS.ProcessEnv;
    /** `revs` may hold pseudo-options (`--not`, `--all`): only for lists the caller checked. */
    options?: boolean;
  } = {},
): Promise<LogCommit[]> {
  const r = await git(
    [
      ...HISTORY_LOG_ARGS,
      ...(opts.allRefs ? ["--all"] : []),
      ...(opts.options ? [] : ["--end-of-options"]),
      ...revs,
      "--",
    ],
    { cwd: topLevel, env: { ...opts.env, LC_ALL: "C" }, allowFail: true },
  );
  if (r.code !== 0) {
    const said = stderrHead(r.stderr, 2);
    if (
      /unknown revision|bad revision|ambiguous argument|invalid revision range|bad object/i.test(
        r.stderr,
      )
    ) {
      throw new UsageError(
        `invalid revision range "${revs.join(" ")}"${said ? `: ${said}` : ""}`,
        RANGE_HINT,
      );
    }
    throw new GitError(`git log failed (exit code ${r.code})${said ? `:\n${said}` : ""}`);
  }
  return parseHistoryLog(r.stdout);
}

/** Parse the walk's output (see the module comment). Pure. */
export function parseHistoryLog(buf: Buffer): LogCommit[] {
  const out: LogCommit[] = [];
  let current: LogCommit | undefined;
  let start = 0;
  const next = (): Buffer | undefined => {
    if (start >= buf.length) return undefined;
    let end = buf.indexOf(0, start);
    if (end === -1) end = buf.length;
    const f = buf.subarray(start, end);
    start = end + 1;
    return f;
  };
  for (let f = next(); f !== undefined; f = next()) {
    if (f.length > 0 && f[0] === 0x0a) f = f.subarray(1);
    if (f.length === 0) continue;
    if (f[0] === 0x01) {
      const [id = "", ...parents] = f.subarray(1).toString("latin1").trim().split(" ");
      if (!isOid(id)) throw malformed(f);
      const time = Number((next() ?? Buffer.alloc(0)).toString("latin1"));
      const date = (next() ?? Buffer.alloc(0)).toString("utf8");
      const author = (next() ?? Buffer.alloc(0)).toString("utf8");
      current = {
        id,
        parents: parents.filter(Boolean),
        time: Number.isFinite(time) ? time : 0,
        date,
        author,
        entries: [],
      };
      out.push(current);
      continue;
    }
    if (f[0] !== 0x3a || !current) throw malformed(f);
    const parts = f.subarray(1).toString("latin1").split(" ");
    if (parts.length !== 5) throw malformed(f);
    const [, dstMode, srcBlob, dstBlob, status] = parts as [string, string, string, string, string];
    const p = next();
    if (p === undefined) throw malformed(f);
    const letter = status.charAt(0);
    // With --no-renames there is one path; be tolerant of a copy/rename pair anyway.
    let path = p.toString("utf8");
    if (letter === "R" || letter === "C") path = (next() ?? p).toString("utf8");
    current.entries.push({ status: letter, srcBlob, dstBlob, dstMode, path });
  }
  return out;
}

function malformed(f: Buffer): GitError {
  const shown = f
    .subarray(0, 80)
    .toString("latin1")
    .replace(/[^\x20-\x7e]/g, "?");
  return new GitError(`unexpected git log output: "${shown}"`);
}
