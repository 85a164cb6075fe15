/**
 * Read blobs through ONE long-lived `git cat-file --batch` process.
 *
 * Protocol (git answers requests strictly in order, flushing after each object):
 *
 *   stdin:   <oid>\n
 *   stdout:  <oid> <type> <size>\n<size bytes of content>\n
 *        or  <oid> missing\n            (no content follows)
 *
 * Content is the raw blob as stored (no smudge/eol filters): exactly what is staged or
 * committed. Requests are queued, so any number of concurrent read() calls is fine.
 * While nothing is pending the process and its pipes are unref'd, so a forgotten close()
 * never keeps Node alive; close() still is the polite way to end it.
 *
 * `sync: true` (a scan of a few files, e.g. the commit hook): no long-lived process. The
 * requests of one microtask are answered by one `git cat-file --batch` run to completion
 * (spawnSync), through the same parser. Starting a process with piped streams costs a
 * small scan more than the rest of it; a few short runs cost less.
 */

import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { GitError } from "../errors.js";
import { gitFailure, gitSync, spawnError, spawnGit, stderrHead } from "./exec.js";
import { type LooseStore, readLoose } from "./loose.js";
import { isOid } from "./parse.js";

interface Pending {
  oid: string;
  /** `rev:path` requests: a missing object resolves to undefined instead of rejecting. */
  optional?: boolean;
  resolve(content: Buffer): void;
  reject(err: Error): void;
}

interface Body {
  pending: Pending;
  type: string;
  buf: Buffer;
  filled: number;
}

interface Unrefable {
  ref?: () => void;
  unref?: () => void;
}

export interface BlobReaderOptions {
  /** Extra environment for the git process (on top of process.env). */
  env?: NodeJS.ProcessEnv;
  /** One short `git cat-file --batch` per batch of requests instead of a long-lived one. */
  sync?: boolean;
  /** With `sync`: blobs found as loose objects are read from their files (src/git/loose.ts). */
  loose?: LooseStore;
}

export class BlobReader {
  readonly #cwd: string;
  readonly #env: NodeJS.ProcessEnv | undefined;
  #child: ChildProcessWithoutNullStreams | undefined;
  /** Requests written (or about to be) whose header has not arrived yet, in order. */
  #queue: Pending[] = [];
  #qHead = 0;
  /** Request lines not yet written (flushed once per microtask). */
  #outbox = "";
  #body: Body | undefined;
  #expectLf = false;
  #header: Buffer[] = [];
  #stderr = "";
  #dead: GitError | undefined;
  #closed = false;
  #exited: Promise<void> | undefined;
  #refd = true;
  readonly #sync: boolean;
  readonly #loose: LooseStore | undefined;
  #index: (() => Promise<ReadonlyMap<string, string>>) | undefined;

  constructor(cwd: string, opts: BlobReaderOptions = {}) {
    this.#cwd = cwd;
    this.#env = opts.env;
    this.#sync = opts.sync === true;
    this.#loose = this.#sync ? opts.loose : undefined;
  }

  /** The content of blob `blobId` (full hex id). Rejects with GitError if it does not exist. */
  read(blobId: string): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new GitError("BlobReader used after close()"));
    if (this.#dead) return Promise.reject(this.#dead);
    if (!isOid(blobId)) {
      return Promise.reject(new GitError(`not a full object id: "${blobId.slice(0, 80)}"`));
    }
    const loose = this.#loose ? readLoose(this.#loose, blobId) : undefined;
    if (loose) return Promise.resolve(loose);
    this.#start();
    return new Promise<Buffer>((resolve, reject) => {
      this.#queue.push({ oid: blobId, resolve, reject });
      if (this.#outbox === "") queueMicrotask(() => this.#flush());
      this.#outbox += `${blobId}\n`;
      this.#setRef(true);
    });
  }

  /**
   * Answer index lookups (`readAt("", path)`) from the index's own entries (stage-0 path →
   * blob id of a file or symlink, see src/git/indexfile.ts) instead of asking git for
   * `:<path>`: a path that is not there costs nothing, and any path can be asked.
   */
  useIndex(entries: () => Promise<ReadonlyMap<string, string>>): void {
    this.#index = entries;
  }

  /**
   * The content of `path` in the tree of `rev` (git's `<rev>:<path>` object name), or
   * undefined when the commit has no such file. Paths with a newline, or starting or
   * ending with white space, cannot be asked this way: they resolve to undefined (except
   * in the index when useIndex() gave its entries).
   */
  readAt(rev: string, path: string): Promise<Buffer | undefined> {
    if (this.#closed) return Promise.reject(new GitError("BlobReader used after close()"));
    if (this.#dead) return Promise.reject(this.#dead);
    const index = rev === "" ? this.#index : undefined;
    if (index)
      return index().then((m) => {
        const id = m.get(path);
        return id === undefined ? undefined : this.read(id);
      });
    // rev "" = the index (`:<path>`, stage 0).
    if (
      (rev !== "" && !/^[0-9a-f]{40,64}\^?$/.test(rev)) ||
      /[\n\r]|^\s|\s$/.test(path) ||
      path.includes(" ")
    )
      return Promise.resolve(undefined);
    this.#start();
    return new Promise<Buffer | undefined>((resolve, reject) => {
      this.#queue.push({
        oid: `${rev}:${path}`,
        optional: true,
        resolve: resolve as (b: Buffer) => void,
        reject,
      });
      if (this.#outbox === "") queueMicrotask(() => this.#flush());
      this.#outbox += `${rev}:${path}\n`;
      this.#setRef(true);
    });
  }

  /** Finish outstanding reads, then end the git process. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#sync) this.#flushSync();
      if (this.#child && !this.#dead) {
        this.#flush();
        this.#setRef(true);
        this.#child.stdin.end();
      }
    }
    return this.#exited ?? Promise.resolve();
  }

  get #pendingCount(): number {
    return this.#queue.length - this.#qHead + (this.#body ? 1 : 0);
  }

  #start(): void {
    if (this.#child || this.#sync) return;
    const child = spawnGit(["cat-file", "--batch"], { cwd: this.#cwd, env: this.#env });
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        const status = signal ? `killed by ${signal}` : `exit code ${code}`;
        const said = stderrHead(this.#stderr);
        this.#die(
          new GitError(`git cat-file --batch ended (${status})${said ? `:\n${said}` : ""}`),
        );
        resolve();
      });
    });
    child.on("error", (err) => {
      this.#die(spawnError(err));
      // No "close" follows a failed spawn; make close() return.
      child.emit("close", null, null);
    });
    child.stdin.on("error", () => {
      // EPIPE when git died; the "close" handler rejects what is pending.
    });
    child.stdout.on("data", (chunk: Buffer) => this.#onData(chunk));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      if (this.#stderr.length < 4096) this.#stderr += s;
    });
  }

  #flush(): void {
    if (this.#sync) {
      this.#flushSync();
      return;
    }
    if (this.#outbox === "" || !this.#child || this.#dead) return;
    const lines = this.#outbox;
    this.#outbox = "";
    this.#child.stdin.write(lines);
  }

  /** Sync mode: answer every queued request with one `git cat-file --batch` run. */
  #flushSync(): void {
    if (this.#outbox === "" || this.#dead) return;
    const lines = this.#outbox;
    this.#outbox = "";
    const args = ["cat-file", "--batch"];
    let r: ReturnType<typeof gitSync>;
    try {
      r = gitSync(args, { cwd: this.#cwd, env: this.#env, input: lines, allowFail: true });
    } catch (err) {
      this.#die(err instanceof GitError ? err : new GitError(`could not run git: ${String(err)}`));
      return;
    }
    if (r.code !== 0) {
      this.#die(gitFailure(args, r.code, null, r.stderr));
      return;
    }
    this.#onData(r.stdout);
    if (this.#dead) return;
    if (this.#body || this.#expectLf || this.#header.length > 0 || this.#pendingCount > 0)
      this.#die(new GitError("git cat-file --batch: output ended before every answer"));
  }

  #onData(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      const body = this.#body;
      if (body) {
        const n = Math.min(body.buf.length - body.filled, chunk.length - off);
        chunk.copy(body.buf, body.filled, off, off + n);
        body.filled += n;
        off += n;
        if (body.filled === body.buf.length) this.#finishBody(body);
        continue;
      }
      if (this.#expectLf) {
        if (chunk[off] !== 0x0a) {
          this.#protocolError("missing newline after object content");
          return;
        }
        this.#expectLf = false;
        off++;
        continue;
      }
      const nl = chunk.indexOf(0x0a, off);
      if (nl === -1) {
        this.#header.push(chunk.subarray(off));
        return;
      }
      let line: string;
      if (this.#header.length === 0) line = chunk.toString("utf8", off, nl);
      else {
        this.#header.push(chunk.subarray(off, nl));
        line = Buffer.concat(this.#header).toString("utf8");
        this.#header = [];
      }
      off = nl + 1;
      this.#onHeader(line);
      if (this.#dead) return;
    }
  }

  #onHeader(line: string): void {
    const pending = this.#queue[this.#qHead];
    if (!pending) {
      this.#protocolError(
        `unexpected output (${line.length} bytes; not shown, it may be file content)`,
      );
      return;
    }
    this.#queue[this.#qHead++] = undefined as unknown as Pending;
    if (this.#qHead > 1024 && this.#qHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#qHead);
      this.#qHead = 0;
    }
    const parts = line.split(" ");
    if (parts.length === 2 && (parts[1] === "missing" || parts[1] === "ambiguous")) {
      if (pending.optional) {
        (pending.resolve as (b: Buffer | undefined) => void)(undefined);
        this.#idle();
        return;
      }
      pending.reject(new GitError(`object ${pending.oid} is ${parts[1]} in the repository`));
      this.#idle();
      return;
    }
    const size = Number(parts[2]);
    if (parts.length !== 3 || !Number.isSafeInteger(size) || size < 0) {
      pending.reject(
        new GitError(
          `unexpected git cat-file header (${line.length} bytes; not shown, it may be file content)`,
        ),
      );
      this.#protocolError("unparseable header");
      return;
    }
    const body: Body = { pending, type: parts[1]!, buf: Buffer.allocUnsafe(size), filled: 0 };
    if (size === 0) this.#finishBody(body);
    else this.#body = body;
  }

  #finishBody(body: Body): void {
    this.#body = undefined;
    this.#expectLf = true;
    if (body.type === "blob") body.pending.resolve(body.buf);
    else if (body.pending.optional)
      (body.pending.resolve as (b: Buffer | undefined) => void)(undefined);
    else
      body.pending.reject(new GitError(`object ${body.pending.oid} is a ${body.type}, not a blob`));
    this.#idle();
  }

  #idle(): void {
    if (this.#pendingCount === 0 && !this.#closed) this.#setRef(false);
  }

  #protocolError(what: string): void {
    this.#die(new GitError(`git cat-file --batch: ${what}`));
    this.#child?.kill();
  }

  /** Reject everything pending; later reads reject with the same error. */
  #die(err: GitError): void {
    if (!this.#dead) this.#dead = err;
    const body = this.#body;
    this.#body = undefined;
    body?.pending.reject(this.#dead);
    const rest = this.#queue.slice(this.#qHead);
    this.#queue = [];
    this.#qHead = 0;
    for (const p of rest) p.reject(this.#dead);
  }

  #setRef(on: boolean): void {
    const child = this.#child;
    if (!child || this.#refd === on) return;
    this.#refd = on;
    for (const h of [child, child.stdin, child.stdout, child.stderr] as Unrefable[]) {
      if (on) h.ref?.();
      else h.unref?.();
    }
  }
}
