/**
 * The push hooks' sources: the lines git writes to a hook's stdin, turned into
 * one revision list for rangeFiles (one log walk, one cat-file process), so
 * every commit being pushed or received is judged with its own policy.
 */

import { UsageError } from "../errors.js";
import { git } from "../git/exec.js";
import { isNullOid, isOid } from "../git/parse.js";
import { revFiles } from "./range.js";
import type { SourceList, SourceOptions } from "./types.js";

export interface RefUpdate {
  /** pre-push: the local ref; pre-receive: the ref being updated. */
  ref: string;
  /** The commit the ref will point to (all zeros: a deletion). */
  newSha: string;
  /** What the other side has now (all zeros: a new ref). */
  oldSha: string;
  /** pre-push only: the ref on the remote. */
  remoteRef?: string;
}

function fields(text: string, n: number, hook: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split("\n")) {
    const l = line.replace(/\r$/, "");
    if (l.trim() === "") continue;
    const f = l.split(" ");
    if (f.length !== n)
      throw new UsageError(
        `unexpected ${hook} input line (expected ${n} fields separated by spaces)`,
        `this mode reads what git gives the ${hook} hook on stdin`,
      );
    out.push(f);
  }
  return out;
}

function checkOids(...ids: string[]): void {
  for (const id of ids)
    if (!isOid(id) && !isNullOid(id))
      throw new UsageError(`not an object id in the hook's input: "${id.slice(0, 80)}"`);
}

/**
 * git's pre-push stdin (githooks(5)), one line per ref:
 *
 *   <local ref> SP <local sha> SP <remote ref> SP <remote sha> LF
 *
 * a deletion has local sha all zeros; a new remote ref has remote sha all zeros.
 */
export function parsePrePush(text: string): RefUpdate[] {
  return fields(text, 4, "pre-push").map(([ref, local, remoteRef, remote]) => {
    checkOids(local!, remote!);
    return { ref: ref!, newSha: local!, remoteRef: remoteRef!, oldSha: remote! };
  });
}

/**
 * git's pre-receive stdin (githooks(5)), one line per ref:
 *
 *   <old-value> SP <new-value> SP <ref-name> LF
 *
 * a new ref has old-value all zeros; a deletion has new-value all zeros.
 */
export function parsePreReceive(text: string): RefUpdate[] {
  return fields(text, 3, "pre-receive").map(([old, neu, ref]) => {
    checkOids(old!, neu!);
    return { ref: ref!, newSha: neu!, oldSha: old! };
  });
}

/**
 * The commits a push sends: reachable from a pushed local sha, and not from what the remote
 * already has (the remote shas we know, and the remote's tracking refs, which covers new
 * branches: `<local> --not --remotes=<remote>`). A remote sha we do not have (someone pushed
 * since our last fetch; a force-push over it) cannot be walked and is left out. Deletions
 * are skipped. `remote` is the hook's first argument: a remote's name, or a URL (then no
 * tracking ref matches and the pushed commits' whole history is judged: fail closed).
 */
export async function pushFiles(
  cwd: string,
  updates: readonly RefUpdate[],
  remote: string | undefined,
  opts: SourceOptions = {},
): Promise<SourceList> {
  const pushed = updates.filter((u) => !isNullOid(u.newSha));
  const theirs = [...new Set(pushed.filter((u) => !isNullOid(u.oldSha)).map((u) => u.oldSha))];
  const known = await existing(cwd, theirs, opts);
  const revs = [...new Set(pushed.map((u) => u.newSha))];
  const exclude = [
    ...known,
    ...(remote && /^[^\s-][^\s]*$/.test(remote) ? [`--remotes=${remote}`] : []),
  ];
  return revFiles(cwd, exclude.length ? [...revs, "--not", ...exclude] : revs, opts);
}

/**
 * The commits a push brings to the server: reachable from a new value and from no ref the
 * repository has now (`<new>... --not --all`; during pre-receive the refs still hold their
 * old values, and the new objects sit in git's quarantine, which the inherited environment
 * lets us read). Deletions are skipped.
 */
export async function receiveFiles(
  cwd: string,
  updates: readonly RefUpdate[],
  opts: SourceOptions = {},
): Promise<SourceList> {
  const revs = [...new Set(updates.filter((u) => !isNullOid(u.newSha)).map((u) => u.newSha))];
  return revFiles(cwd, revs.length ? [...revs, "--not", "--all"] : [], opts);
}

/**
 * Which of `ids` name commits present here, in one call:
 *
 *   git cat-file --batch-check          stdin: <id> LF ...
 *
 *   <id> commit <size>      |      <id> missing
 */
async function existing(cwd: string, ids: string[], opts: SourceOptions): Promise<string[]> {
  if (ids.length === 0) return [];
  const r = await git(["cat-file", "--batch-check"], {
    cwd,
    env: opts.env,
    input: `${ids.join("\n")}\n`,
  });
  const present = new Set<string>();
  for (const line of r.stdout.toString("utf8").split("\n")) {
    const [id, type] = line.split(" ");
    if (id && (type === "commit" || type === "tag")) present.add(id);
  }
  return ids.filter((id) => present.has(id));
}
