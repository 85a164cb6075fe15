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
import { gitStreamed, NO_QUOTEPATH, stderrHead } from "./exec.js";
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
  // Parsed as git writes it: the parse overlaps git's own walk.
  const parser = new HistoryLogParser();
  const r = await gitStreamed(
    [
      ...HISTORY_LOG_ARGS,
      ...(opts.allRefs ? ["--all"] : []),
      ...(opts.options ? [] : ["--end-of-options"]),
      ...revs,
      "--",
    ],
    { cwd: topLevel, env: { ...opts.env, LC_ALL: "C" } },
    (chunk) => parser.feed(chunk),
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
  return parser.end();
}

/** Parse the walk's output (see the module comment). Pure. */
export function parseHistoryLog(buf: Buffer): LogCommit[] {
  const parser = new HistoryLogParser();
  parser.feed(buf);
  return parser.end();
}

/**
 * The walk's parser, fed the output in chunks of any size: NUL-terminated fields are
 * taken as they complete (the last field may lack its NUL), so the result is the same
 * whatever the chunking.
 */
export class HistoryLogParser {
  readonly #out: LogCommit[] = [];
  #current: LogCommit | undefined;
  /** The bytes of a field not yet terminated. */
  #rest: Buffer | undefined;
  /** What the next field is. */
  #want: "any" | "time" | "date" | "author" | "path" | "path2" = "any";
  #header: { id: string; parents: string[]; time?: Buffer; date?: Buffer } | undefined;
  #raw:
    | { f: Buffer; srcBlob: string; dstBlob: string; dstMode: string; letter: string }
    | undefined;
  #path: Buffer | undefined;

  feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.#rest) {
      buf = Buffer.concat([this.#rest, chunk]);
      this.#rest = undefined;
    }
    let start = 0;
    for (;;) {
      const end = buf.indexOf(0, start);
      if (end === -1) break;
      this.#field(buf.subarray(start, end));
      start = end + 1;
    }
    // Copied: the chunk's memory is not held on to for one short field.
    if (start < buf.length) this.#rest = Buffer.from(buf.subarray(start));
  }

  end(): LogCommit[] {
    if (this.#rest) {
      const f = this.#rest;
      this.#rest = undefined;
      this.#field(f);
    }
    // A header cut short reads its missing fields as empty, as a whole-buffer parse does.
    while (this.#want === "time" || this.#want === "date" || this.#want === "author")
      this.#field(Buffer.alloc(0));
    if (this.#want === "path") throw malformed(this.#raw!.f);
    if (this.#want === "path2") this.#entry(this.#path!);
    return this.#out;
  }

  #field(field: Buffer): void {
    switch (this.#want) {
      case "time":
        this.#header!.time = field;
        this.#want = "date";
        return;
      case "date":
        this.#header!.date = field;
        this.#want = "author";
        return;
      case "author": {
        const h = this.#header!;
        this.#header = undefined;
        const time = Number((h.time ?? Buffer.alloc(0)).toString("latin1"));
        this.#current = {
          id: h.id,
          parents: h.parents,
          time: Number.isFinite(time) ? time : 0,
          date: (h.date ?? Buffer.alloc(0)).toString("utf8"),
          author: field.toString("utf8"),
          entries: [],
        };
        this.#out.push(this.#current);
        this.#want = "any";
        return;
      }
      case "path": {
        const letter = this.#raw!.letter;
        // With --no-renames there is one path; be tolerant of a copy/rename pair anyway.
        if (letter === "R" || letter === "C") {
          this.#path = field;
          this.#want = "path2";
          return;
        }
        this.#entry(field);
        return;
      }
      case "path2":
        this.#entry(field);
        return;
    }
    let f = field;
    if (f.length > 0 && f[0] === 0x0a) f = f.subarray(1);
    if (f.length === 0) return;
    if (f[0] === 0x01) {
      const [id = "", ...parents] = f.subarray(1).toString("latin1").trim().split(" ");
      if (!isOid(id)) throw malformed(f);
      this.#header = { id, parents: parents.filter(Boolean) };
      this.#want = "time";
      return;
    }
    if (f[0] !== 0x3a || !this.#current) throw malformed(f);
    // `:<src mode> <dst mode> <src blob> <dst blob> <status>`: exactly four spaces. Each part
    // is decoded on its own (a string of its own, not a slice holding the whole line).
    const sp: number[] = [];
    for (let k = f.indexOf(0x20, 1); k !== -1; k = f.indexOf(0x20, k + 1)) sp.push(k);
    if (sp.length !== 4) throw malformed(f);
    const [a, b, c, d] = sp as [number, number, number, number];
    this.#raw = {
      f,
      dstMode: f.toString("latin1", a + 1, b),
      srcBlob: f.toString("latin1", b + 1, c),
      dstBlob: f.toString("latin1", c + 1, d),
      letter: f.toString("latin1", d + 1, Math.min(d + 2, f.length)),
    };
    this.#want = "path";
  }

  #entry(path: Buffer): void {
    const r = this.#raw!;
    this.#raw = undefined;
    this.#path = undefined;
    this.#current!.entries.push({
      status: r.letter,
      srcBlob: r.srcBlob,
      dstBlob: r.dstBlob,
      dstMode: r.dstMode,
      path: path.toString("utf8"),
    });
    this.#want = "any";
  }
}

function malformed(f: Buffer): GitError {
  const shown = f
    .subarray(0, 80)
    .toString("latin1")
    .replace(/[^\x20-\x7e]/g, "?");
  return new GitError(`unexpected git log output: "${shown}"`);
}
