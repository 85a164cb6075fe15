/**
 * Real, isolated temporary git repositories for tests.
 *
 * Isolation: no global/system git config (GIT_CONFIG_GLOBAL=/dev/null,
 * GIT_CONFIG_NOSYSTEM=1), HOME in a temp dir, every inherited GIT_* variable removed (a test
 * run from inside a git hook would otherwise see the outer GIT_DIR / GIT_INDEX_FILE), and
 * GIT_CEILING_DIRECTORIES so a "not a repo" directory under the temp dir stays one.
 */

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** A copy of `base` fit for running git in isolation, with HOME=`home`. */
export function isolatedGitEnv(
  home: string,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (!k.startsWith("GIT_")) env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CEILING_DIRECTORIES: path.dirname(home),
    GIT_TERMINAL_PROMPT: "0",
    GIT_AUTHOR_NAME: "Test Author",
    GIT_AUTHOR_EMAIL: "author@example.com",
    GIT_COMMITTER_NAME: "Test Committer",
    GIT_COMMITTER_EMAIL: "committer@example.com",
  };
}

/**
 * Make process.env itself isolated (library code under test inherits process.env).
 * Returns a function restoring the previous environment.
 */
export function isolateProcessEnv(home: string): () => void {
  const saved = { ...process.env };
  const next = isolatedGitEnv(home, saved);
  for (const k of Object.keys(process.env)) {
    if (!(k in next)) delete process.env[k];
  }
  Object.assign(process.env, next);
  return () => {
    for (const k of Object.keys(process.env)) {
      if (!(k in saved)) delete process.env[k];
    }
    Object.assign(process.env, saved);
  };
}

const created: string[] = [];

/** A fresh temp directory (real path, so it compares equal to what git prints). */
export function makeTempDir(prefix = "secret-guard-test-"): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  created.push(dir);
  return dir;
}

export interface MakeRepoOptions {
  /** Files to write (and, with `commit`, commit) right away. */
  files?: Record<string, string | Buffer>;
  /** Commit `files` with this message. */
  commit?: string;
  /** `git init --object-format=…`; default sha1. */
  objectFormat?: "sha1" | "sha256";
}

export interface TestRepo {
  /** Work tree top level (real path). */
  dir: string;
  /** Temp HOME of this repo's git. */
  home: string;
  /** Isolated environment used for every helper git call. */
  env: NodeJS.ProcessEnv;
  /** Run git in `dir`; returns stdout with the final newline removed. Throws on failure. */
  git(...args: string[]): string;
  /** Run git in `dir` with options; returns raw stdout. */
  gitRaw(
    args: string[],
    opts?: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv },
  ): Buffer;
  /** Write a file (parents created); returns its absolute path. */
  write(rel: string, content: string | Buffer): string;
  read(rel: string): Buffer;
  remove(rel: string): void;
  /** Create a symlink `rel` -> `target`. */
  symlink(target: string, rel: string): void;
  /** `git add -A` + `git commit -m`; returns the new commit id. */
  commitAll(message: string): string;
  /** Id of the blob at `rev:path` (e.g. blob("HEAD", "a.yaml")); ":path" for the index. */
  blob(rev: string, rel: string): string;
  /** Stage a gitlink (submodule entry) without a real submodule. */
  addGitlink(rel: string, commit?: string): void;
  /** Delete the temp directories. */
  cleanup(): void;
}

export async function makeRepo(opts: MakeRepoOptions = {}): Promise<TestRepo> {
  const root = makeTempDir();
  const home = path.join(root, "home");
  const dir = path.join(root, "repo");
  fs.mkdirSync(home);
  fs.mkdirSync(dir);
  const env = isolatedGitEnv(home);

  const gitRaw: TestRepo["gitRaw"] = (args, o = {}) =>
    execFileSync("git", args, {
      cwd: o.cwd ?? dir,
      env: { ...env, ...o.env },
      input: o.input ?? "",
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["pipe", "pipe", "pipe"],
    });
  const git: TestRepo["git"] = (...args) => gitRaw(args).toString("utf8").replace(/\n$/, "");

  git(
    "init",
    "-q",
    "--initial-branch=main",
    ...(opts.objectFormat ? [`--object-format=${opts.objectFormat}`] : []),
  );
  git("config", "user.name", "Test User");
  git("config", "user.email", "test@example.com");
  git("config", "commit.gpgsign", "false");
  git("config", "tag.gpgsign", "false");
  git("config", "core.autocrlf", "false");
  git("config", "init.defaultBranch", "main");

  const abs = (rel: string) => path.join(dir, ...rel.split("/"));
  const repo: TestRepo = {
    dir,
    home,
    env,
    git,
    gitRaw,
    write(rel, content) {
      const p = abs(rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
      return p;
    },
    read: (rel) => fs.readFileSync(abs(rel)),
    remove: (rel) => fs.rmSync(abs(rel), { recursive: true, force: true }),
    symlink(target, rel) {
      const p = abs(rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.symlinkSync(target, p);
    },
    commitAll(message) {
      git("add", "-A");
      git("commit", "-q", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
    blob: (rev, rel) => git("rev-parse", `${rev}:${rel}`),
    addGitlink(rel, commit) {
      const id = commit ?? git("rev-parse", "HEAD");
      git("update-index", "--add", "--cacheinfo", `160000,${id},${rel}`);
    },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };

  if (opts.files) {
    for (const [rel, content] of Object.entries(opts.files)) repo.write(rel, content);
    if (opts.commit) repo.commitAll(opts.commit);
  }
  return repo;
}

/** Delete every temp directory made by this module (call from afterAll). */
export function cleanupAll(): void {
  for (const d of created.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
