import type { BlobReader } from "../git/catfile.js";
import type { RepoInfo } from "../git/repo.js";

/**
 * What a source produces: the files to judge, each with a way to read its bytes.
 */

export interface SourceFile {
  /**
   * Repository-relative with "/" separators. For pathFiles(): relative to the repository's
   * top level when the file is inside it, else relative to cwd.
   */
  path: string;
  /** Absolute path on disk (for git sources: where the file lives in the work tree). */
  absPath: string;
  /** Blob id of the content that read() returns (git sources only). */
  blobId?: string;
  /**
   * About how many bytes read() returns, when the index recorded it (its stat data: the work
   * tree file's size, not always the blob's). Bounds how many unnamed files are read ahead;
   * never used for a verdict.
   */
  sizeHint?: number;
  /** Git file mode, e.g. "100644" or "100755" (git sources only). */
  mode?: string;
  /** The bytes to judge: the staged/committed blob for git sources, the disk file otherwise. */
  read(): Promise<Buffer>;
  /**
   * stagedFiles() only: the blob HEAD has for this content's previous path (same path for
   * M/T, the source path for renames and copies), when it was a regular file. Lets
   * "encryption-removed" compare before and after.
   */
  headBlobId?: string;
  /** stagedFiles() and rangeFiles(): reads the headBlobId content through the same cat-file process. */
  readHead?(): Promise<Buffer>;
  /** stagedFiles() only: for renames (R) and copies (C), the path the content came from. */
  oldPath?: string;
  /** rangeFiles() only: the commit that introduced this (path, blob). */
  commit?: string;
  /** allFiles() only, for unmerged paths: 2 ("ours") or 3 ("theirs"). Absent for stage 0. */
  stage?: number;
  /**
   * Set for a symlink: `to` is the regular file it resolves to in the same tree (read()
   * returns that file's content, judged at the link's own path); `problem` says why it
   * resolves to nothing there (read() then returns no bytes).
   */
  link?: { to: string; problem?: undefined } | { to?: undefined; problem: LinkProblem };
}

/** Why a symlink resolves to no file of its tree. */
export type LinkProblem = "outside" | "dangling" | "loop" | "not-a-file";

/** Something a source deliberately did not produce, so callers can say so. */
export interface SkippedPath {
  path: string;
  reason: "symlink" | "submodule" | "not-a-regular-file";
}

export interface SourceList {
  files: SourceFile[];
  /** Paths left out on purpose (symlinks, submodules, sockets...). */
  skipped: SkippedPath[];
  /** Repository top level (absolute), or undefined for pathFiles() outside any repository. */
  topLevel: string | undefined;
  /**
   * Ends the `git cat-file --batch` process behind read() (if one was started). Safe to
   * call more than once; read() fails afterwards. Forgetting it does not keep Node alive.
   */
  close(): Promise<void>;
  /**
   * stagedFiles() only: regular files the commit deletes (HEAD's blob), so a decrypted copy
   * added under another name can be compared with the encrypted file it replaces.
   */
  deleted?: Array<{ path: string; blobId: string }>;
  /** The cat-file process behind read() (git sources), for per-commit config lookups. */
  reader?: BlobReader;
  /** The common git directory, when the source already asked git for it. */
  commonDir?: string;
  /** Where the repository is (staged/all): its index file and object format among others. */
  repo?: RepoInfo;
  /**
   * staged/all only: every `.sops.yaml` and `.sops.yml` in the index (repository-relative
   * path → blob id), so per-folder policies judge staged files by the staged policy.
   */
  indexConfigs?: () => Promise<Map<string, string>>;
}

export interface SourceOptions {
  /** Extra environment for git (on top of process.env), e.g. { GIT_INDEX_FILE }. */
  env?: NodeJS.ProcessEnv;
}
