import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError, NotARepoError, UsageError } from "../../src/errors.js";
import { BlobReader } from "../../src/git/catfile.js";
import { git } from "../../src/git/exec.js";
import { parseLsFilesStageZ } from "../../src/git/parse.js";
import { repoInfo } from "../../src/git/repo.js";
import { updateIndexEntry, writeBlob } from "../../src/git/stage.js";
import {
  allFiles,
  pathFiles,
  rangeFiles,
  type SourceList,
  stagedFiles,
} from "../../src/sources/index.js";
import {
  cleanupAll,
  isolateProcessEnv,
  makeRepo,
  makeTempDir,
  type TestRepo,
} from "../helpers/repo.js";

let restoreEnv: () => void;

beforeAll(() => {
  // Library code inherits process.env: keep the outer git (and its config) out of it.
  restoreEnv = isolateProcessEnv(makeTempDir("secret-guard-home-"));
});

afterAll(() => {
  restoreEnv();
  cleanupAll();
});

/** Every file of a list, read, keyed by path. */
async function contents(list: SourceList): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of list.files) out[f.path] = (await f.read()).toString("utf8");
  return out;
}

const paths = (list: SourceList) => list.files.map((f) => f.path).sort();

const TRICKY = [
  "with space.yaml",
  `quo"te's.yaml`,
  "new\nline.yaml",
  "tab\there.yaml",
  "é/日本.yaml",
  "-dash.yaml",
];

describe("stagedFiles", () => {
  let repo: TestRepo;
  let list: SourceList;

  beforeAll(async () => {
    repo = await makeRepo({
      files: {
        "keep.yaml": "keep: 1\n",
        "mod.yaml": "mod: old\n",
        "ren-old.yaml": "kind: Secret\nstringData:\n  a: rename me please, I am long enough\n",
        "del.yaml": "del: 1\n",
        "src.yaml": "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\n",
      },
      commit: "base",
    });
    repo.write("new.yaml", "new: 1\n");
    repo.write("mod.yaml", "mod: new\n");
    repo.git("mv", "ren-old.yaml", "ren-new.yaml");
    repo.git("rm", "-q", "del.yaml");
    // A copy is detected (-C) when its source is modified in the same change.
    fs.copyFileSync(path.join(repo.dir, "src.yaml"), path.join(repo.dir, "copy.yaml"));
    repo.write("src.yaml", "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 9\n");
    for (const p of TRICKY) repo.write(p, `name: ${JSON.stringify(p)}\n`);
    repo.symlink("keep.yaml", "link.yaml");
    repo.git("add", "-A");
    repo.addGitlink("vendor/sub");
    list = await stagedFiles(repo.dir);
  });

  afterAll(() => list?.close());

  it("lists added, modified, renamed and copied files; not deleted or unchanged ones", () => {
    expect(paths(list)).toEqual(
      [
        "copy.yaml",
        "link.yaml",
        "mod.yaml",
        "new.yaml",
        "ren-new.yaml",
        "src.yaml",
        ...TRICKY,
      ].sort(),
    );
    expect(list.topLevel).toBe(repo.dir);
  });

  it("skips submodules and says so; lists a symlink with the staged file it resolves to", async () => {
    expect(list.skipped).toEqual([{ path: "vendor/sub", reason: "submodule" }]);
    const link = list.files.find((f) => f.path === "link.yaml")!;
    expect(link.link).toEqual({ to: "keep.yaml" });
    expect(link.blobId).toBe(repo.blob("", "keep.yaml"));
    expect((await link.read()).toString()).toBe("keep: 1\n");
  });

  it("reads staged content, byte-exact, for tricky paths", async () => {
    const c = await contents(list);
    for (const p of TRICKY) expect(c[p]).toBe(`name: ${JSON.stringify(p)}\n`);
    expect(c["mod.yaml"]).toBe("mod: new\n");
    const f = list.files.find((x) => x.path === "é/日本.yaml")!;
    expect(f.absPath).toBe(path.join(repo.dir, "é", "日本.yaml"));
    expect(f.blobId).toBe(repo.blob("", "é/日本.yaml"));
    expect(f.mode).toBe("100644");
  });

  it("records HEAD's blob for modified, renamed and copied files", () => {
    const by = (p: string) => list.files.find((f) => f.path === p)!;
    expect(by("mod.yaml").headBlobId).toBe(repo.blob("HEAD", "mod.yaml"));
    expect(by("ren-new.yaml")).toMatchObject({
      oldPath: "ren-old.yaml",
      headBlobId: repo.blob("HEAD", "ren-old.yaml"),
    });
    expect(by("copy.yaml")).toMatchObject({
      oldPath: "src.yaml",
      headBlobId: repo.blob("HEAD", "src.yaml"),
    });
    expect(by("new.yaml").headBlobId).toBeUndefined();
    expect(by("new.yaml").oldPath).toBeUndefined();
  });

  it("works from a subdirectory (paths stay repo-relative)", async () => {
    const sub = await stagedFiles(path.join(repo.dir, "é"));
    try {
      expect(paths(sub)).toEqual(paths(list));
    } finally {
      await sub.close();
    }
  });
});

describe("stagedFiles: the index, not the working tree", () => {
  it("reads what is staged when the working tree differs (both ways)", async () => {
    const repo = await makeRepo({
      files: { "a.yaml": "a: committed\n", "b.yaml": "b: 1\n" },
      commit: "c1",
    });
    repo.write("a.yaml", "a: staged\n");
    repo.git("add", "a.yaml");
    repo.write("a.yaml", "a: working tree only\n"); // staged != working tree
    repo.write("b.yaml", "b: unstaged change\n"); // not staged at all
    repo.write("gone.yaml", "gone: staged\n");
    repo.git("add", "gone.yaml");
    repo.remove("gone.yaml"); // staged, deleted on disk
    const list = await stagedFiles(repo.dir);
    try {
      expect(await contents(list)).toEqual({
        "a.yaml": "a: staged\n",
        "gone.yaml": "gone: staged\n",
      });
    } finally {
      await list.close();
    }
  });

  it("honours GIT_INDEX_FILE (as env option and inherited from process.env)", async () => {
    const repo = await makeRepo({ files: { "a.yaml": "a: 1\n" }, commit: "c1" });
    repo.write("main-index.yaml", "in the normal index\n");
    repo.git("add", "main-index.yaml");
    const alt = path.join(repo.dir, ".git", "alt-index");
    const altEnv = { GIT_INDEX_FILE: alt };
    repo.gitRaw(["read-tree", "HEAD"], { env: altEnv });
    repo.write("alt.yaml", "only in alt index\n");
    repo.gitRaw(["add", "alt.yaml"], { env: altEnv });

    const normal = await stagedFiles(repo.dir);
    expect(paths(normal)).toEqual(["main-index.yaml"]);
    await normal.close();

    const viaOpt = await stagedFiles(repo.dir, { env: altEnv });
    expect(await contents(viaOpt)).toEqual({ "alt.yaml": "only in alt index\n" });
    await viaOpt.close();

    process.env.GIT_INDEX_FILE = alt;
    try {
      const inherited = await stagedFiles(repo.dir);
      expect(paths(inherited)).toEqual(["alt.yaml"]);
      await inherited.close();
      expect((await repoInfo(repo.dir)).indexFile).toBe(alt);
    } finally {
      delete process.env.GIT_INDEX_FILE;
    }
  });

  it("works in a repository with no commit yet", async () => {
    const repo = await makeRepo();
    repo.write("first.yaml", "first: 1\n");
    repo.write("dir/second yaml", "second: 2\n");
    repo.git("add", "-A");
    const info = await repoInfo(repo.dir);
    expect(info).toMatchObject({ topLevel: repo.dir, hasHead: false, objectFormat: "sha1" });
    expect(info.head).toBeUndefined();
    const list = await stagedFiles(repo.dir);
    try {
      expect(await contents(list)).toEqual({
        "first.yaml": "first: 1\n",
        "dir/second yaml": "second: 2\n",
      });
      expect(list.files.every((f) => f.headBlobId === undefined)).toBe(true);
    } finally {
      await list.close();
    }
  });

  it("works in a SHA-256 repository with no commit yet", async () => {
    const repo = await makeRepo({ objectFormat: "sha256" });
    repo.write("a.yaml", "a: 1\n");
    repo.git("add", "-A");
    const list = await stagedFiles(repo.dir);
    try {
      expect(await contents(list)).toEqual({ "a.yaml": "a: 1\n" });
      expect(list.files[0]!.blobId).toHaveLength(64);
    } finally {
      await list.close();
    }
  });

  it("lists nothing when nothing is staged", async () => {
    const repo = await makeRepo({ files: { "a.yaml": "a: 1\n" }, commit: "c1" });
    const list = await stagedFiles(repo.dir);
    expect(list.files).toEqual([]);
    await list.close();
  });
});

describe("repoInfo", () => {
  it("describes the repository, from a subdirectory too", async () => {
    const repo = await makeRepo({ files: { "d/a.yaml": "a\n" }, commit: "c1" });
    const info = await repoInfo(path.join(repo.dir, "d"));
    expect(info).toEqual({
      topLevel: repo.dir,
      gitDir: path.join(repo.dir, ".git"),
      hasHead: true,
      head: repo.git("rev-parse", "HEAD"),
      indexFile: path.join(repo.dir, ".git", "index"),
      objectFormat: "sha1",
      commonDir: path.join(repo.dir, ".git"),
    });
  });

  it("names the main .git as the common directory of a linked worktree (one rev-parse)", async () => {
    const repo = await makeRepo({ files: { "d/a.yaml": "a\n" }, commit: "c1" });
    const wt = path.join(makeTempDir(), "wt");
    repo.git("worktree", "add", "-q", wt);
    const info = await repoInfo(path.join(wt, "d"));
    expect(info.commonDir).toBe(path.join(repo.dir, ".git"));
    expect(info.gitDir).not.toBe(info.commonDir);
  });

  it("resolves a relative GIT_INDEX_FILE as git does (from the top level)", async () => {
    const repo = await makeRepo({ files: { "d/a.yaml": "a\n" }, commit: "c1" });
    const info = await repoInfo(path.join(repo.dir, "d"), {
      env: { GIT_INDEX_FILE: ".git/other" },
    });
    expect(info.indexFile).toBe(path.join(repo.dir, ".git", "other"));
  });

  it("throws NotARepoError outside a repository", async () => {
    const dir = makeTempDir();
    const err = await repoInfo(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotARepoError);
    expect((err as NotARepoError).message).toMatch(/^not inside a git repository/);
    expect((err as NotARepoError).hint).toMatch(/git init/);
    await expect(stagedFiles(dir)).rejects.toBeInstanceOf(NotARepoError);
  });

  it("throws NotARepoError inside .git", async () => {
    const repo = await makeRepo();
    await expect(repoInfo(path.join(repo.dir, ".git"))).rejects.toBeInstanceOf(NotARepoError);
  });
});

describe("allFiles", () => {
  it("lists every tracked regular file's index content, whole repo, from anywhere", async () => {
    const repo = await makeRepo({
      files: { "a.yaml": "a: 1\n", "d/b.yaml": "b: 1\n", "untouched.txt": "u\n" },
      commit: "c1",
    });
    for (const p of TRICKY) repo.write(p, `t: ${JSON.stringify(p)}\n`);
    repo.symlink("a.yaml", "link");
    repo.git("add", "-A");
    repo.addGitlink("sub");
    repo.write("a.yaml", "a: not staged\n");
    repo.write("untracked.yaml", "x\n");
    const list = await allFiles(path.join(repo.dir, "d"));
    try {
      const c = await contents(list);
      expect(Object.keys(c).sort()).toEqual(
        ["a.yaml", "d/b.yaml", "link", "untouched.txt", ...TRICKY].sort(),
      );
      expect(c["a.yaml"]).toBe("a: 1\n");
      // The link reads what it resolves to in the index, as the index has it.
      expect(c.link).toBe("a: 1\n");
      expect(list.skipped).toEqual([{ path: "sub", reason: "submodule" }]);
      expect(list.files.every((f) => f.stage === undefined)).toBe(true);
    } finally {
      await list.close();
    }
  });

  it("lists both sides (stages 2 and 3) of an unmerged path", async () => {
    const repo = await makeRepo({
      files: { "c.yaml": "v: base\n", "ok.yaml": "ok\n" },
      commit: "base",
    });
    repo.git("checkout", "-q", "-b", "theirs");
    repo.write("c.yaml", "v: theirs\n");
    repo.commitAll("theirs");
    repo.git("checkout", "-q", "main");
    repo.write("c.yaml", "v: ours\n");
    repo.commitAll("ours");
    expect(() => repo.git("merge", "-q", "theirs")).toThrow();
    const list = await allFiles(repo.dir);
    try {
      const conflicted = list.files.filter((f) => f.path === "c.yaml");
      expect(conflicted.map((f) => f.stage)).toEqual([2, 3]);
      expect(await Promise.all(conflicted.map(async (f) => (await f.read()).toString()))).toEqual([
        "v: ours\n",
        "v: theirs\n",
      ]);
      expect(list.files.find((f) => f.path === "ok.yaml")?.stage).toBeUndefined();
    } finally {
      await list.close();
    }
  });
});

describe("rangeFiles", () => {
  let repo: TestRepo;
  let base: string;
  let c1: string;
  let c2: string;

  beforeAll(async () => {
    repo = await makeRepo({
      files: { "old.yaml": "old\n", "keep.yaml": "keep\n" },
      commit: "base",
    });
    base = repo.git("rev-parse", "HEAD");
    repo.write("a.yaml", "a: 1\n");
    repo.write("new\nline.yaml", "nl\n");
    repo.write("shared.yaml", "same\n");
    repo.symlink("a.yaml", "link");
    c1 = repo.commitAll("c1");
    repo.write("a.yaml", "a: 2\n");
    repo.write("copy-of-shared.yaml", "same\n");
    repo.remove("old.yaml");
    c2 = repo.commitAll("c2");
  });

  it("lists each (path, blob) introduced by the commits, with its commit", async () => {
    const list = await rangeFiles(repo.dir, `${base}..HEAD`);
    try {
      const rows = await Promise.all(
        list.files.map(async (f) => [f.path, f.commit, (await f.read()).toString()]),
      );
      expect(rows).toEqual([
        ["a.yaml", c1, "a: 1\n"],
        ["new\nline.yaml", c1, "nl\n"],
        ["shared.yaml", c1, "same\n"],
        ["link", c1, "a: 1\n"],
        ["a.yaml", c2, "a: 2\n"],
        ["copy-of-shared.yaml", c2, "same\n"],
      ]);
      expect(list.skipped).toEqual([]);
    } finally {
      await list.close();
    }
  });

  it("one revision means its whole history, root commit included", async () => {
    const list = await rangeFiles(repo.dir, "HEAD");
    expect(list.files.filter((f) => f.commit === base).map((f) => f.path)).toEqual([
      "keep.yaml",
      "old.yaml",
    ]);
    await list.close();
  });

  it("dedupes a blob re-introduced at the same path", async () => {
    const r = await makeRepo({ files: { "x.yaml": "v1\n" }, commit: "1" });
    const first = r.git("rev-parse", "HEAD");
    r.write("x.yaml", "v2\n");
    r.commitAll("2");
    r.write("x.yaml", "v1\n");
    r.commitAll("3");
    const list = await rangeFiles(r.dir, "HEAD");
    expect(list.files.map((f) => [f.path, f.commit === first])).toEqual([
      ["x.yaml", true],
      ["x.yaml", false],
    ]);
    await list.close();
  });

  it("includes content a merge commit introduced itself", async () => {
    const r = await makeRepo({ files: { "m.yaml": "base\n" }, commit: "base" });
    r.git("checkout", "-q", "-b", "side");
    r.write("m.yaml", "side\n");
    r.write("side.yaml", "side only\n");
    r.commitAll("side");
    r.git("checkout", "-q", "main");
    r.write("m.yaml", "main\n");
    r.commitAll("main");
    expect(() => r.git("merge", "-q", "side")).toThrow();
    r.write("m.yaml", "resolved\n");
    const merge = r.commitAll("merge");
    const list = await rangeFiles(r.dir, "HEAD~1..HEAD");
    try {
      const rows = await Promise.all(
        list.files.map(async (f) => [f.path, f.commit, (await f.read()).toString()]),
      );
      expect(rows).toContainEqual(["m.yaml", merge, "resolved\n"]);
      expect(rows).toContainEqual(["side.yaml", r.git("rev-parse", "side"), "side only\n"]);
    } finally {
      await list.close();
    }
  });

  it("rejects a bad range with UsageError naming it", async () => {
    const err = await rangeFiles(repo.dir, "nope..HEAD").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain('"nope..HEAD"');
    await expect(rangeFiles(repo.dir, "--all")).rejects.toBeInstanceOf(UsageError);
    await expect(rangeFiles(repo.dir, " ")).rejects.toBeInstanceOf(UsageError);
  });
});

describe("pathFiles", () => {
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await makeRepo();
    repo.write("top.yaml", "top\n");
    repo.write("deploy/a.yaml", "a\n");
    repo.write("deploy/b c/d.yaml", "d\n");
    repo.write("deploy/node_modules/x.yaml", "skip\n");
    repo.write("deploy/.git/config", "skip\n");
    repo.write("-dash.yaml", "dash\n");
    repo.write("é 日本.yaml", "uni\n");
    repo.symlink("a.yaml", "deploy/link.yaml");
    repo.symlink("../deploy", "other/linked-dir");
  });

  it("walks directories, skips .git, node_modules and symlinks, reports repo-relative paths", async () => {
    const list = await pathFiles(path.join(repo.dir, "deploy"), [".", "../top.yaml", "../other"]);
    expect(list.topLevel).toBe(repo.dir);
    expect(await contents(list)).toEqual({
      "deploy/a.yaml": "a\n",
      "deploy/b c/d.yaml": "d\n",
      "top.yaml": "top\n",
    });
    expect(list.skipped).toEqual([
      { path: "deploy/link.yaml", reason: "symlink" },
      { path: "other/linked-dir", reason: "symlink" },
    ]);
    expect(list.files[0]!.absPath).toBe(path.join(repo.dir, "deploy", "a.yaml"));
  });

  it("takes names literally (leading dash, unicode, no globbing) and lists a file once", async () => {
    const list = await pathFiles(repo.dir, ["-dash.yaml", "é 日本.yaml", "./-dash.yaml"]);
    expect(await contents(list)).toEqual({ "-dash.yaml": "dash\n", "é 日本.yaml": "uni\n" });
    await expect(pathFiles(repo.dir, ["*.yaml"])).rejects.toBeInstanceOf(UsageError);
  });

  it("throws UsageError naming a missing path", async () => {
    const err = await pathFiles(repo.dir, ["top.yaml", "missing/file.yaml"]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain("missing/file.yaml");
  });

  it("reads the disk, not the index", async () => {
    repo.write("disk.yaml", "staged\n");
    repo.git("add", "disk.yaml");
    repo.write("disk.yaml", "on disk\n");
    expect(await contents(await pathFiles(repo.dir, ["disk.yaml"]))).toEqual({
      "disk.yaml": "on disk\n",
    });
  });

  it("reports paths relative to cwd outside a repository (and with topLevel: null)", async () => {
    const dir = makeTempDir();
    fs.mkdirSync(path.join(dir, "s"));
    fs.writeFileSync(path.join(dir, "s", "f.yaml"), "f\n");
    const list = await pathFiles(dir, ["s"]);
    expect(list.topLevel).toBeUndefined();
    expect(paths(list)).toEqual(["s/f.yaml"]);
    const sub = await pathFiles(path.join(repo.dir, "deploy"), ["a.yaml"], { topLevel: null });
    expect(paths(sub)).toEqual(["a.yaml"]);
  });
});

describe("BlobReader", () => {
  it("answers 500 concurrent reads correctly, including empty, binary and large blobs", async () => {
    const repo = await makeRepo();
    const expected = new Map<string, Buffer>();
    for (let i = 0; i < 497; i++) repo.write(`f/${i}.txt`, `file ${i}\n${"x".repeat(i * 37)}`);
    repo.write("empty", "");
    repo.write("binary", Buffer.from([0, 10, 13, 10, 0xff, 0x0a, 0x00, 0x20]));
    const big = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 0xff;
    repo.write("big", big);
    repo.git("add", "-A");
    const entries = parseLsFilesStageZ(repo.gitRaw(["ls-files", "-s", "-z"]));
    expect(entries).toHaveLength(500);
    for (const e of entries) {
      expect(expected.has(e.blob)).toBe(false);
      expected.set(e.blob, repo.read(e.path));
    }

    const reader = new BlobReader(repo.dir);
    try {
      const ids = [...expected.keys()];
      // Twice each, interleaved, all in flight at once.
      const order = [...ids, ...ids.slice().reverse()];
      const got = await Promise.all(order.map((id) => reader.read(id)));
      got.forEach((buf, i) => {
        expect(buf.equals(expected.get(order[i]!)!)).toBe(true);
      });
    } finally {
      await reader.close();
    }
  });

  it("rejects a missing object with GitError and keeps working", async () => {
    const repo = await makeRepo({ files: { "a.yaml": "a\n" }, commit: "c" });
    const reader = new BlobReader(repo.dir);
    const good = repo.blob("HEAD", "a.yaml");
    const [r1, r2, r3] = await Promise.allSettled([
      reader.read(good),
      reader.read("0123456789012345678901234567890123456789"),
      reader.read(good),
    ]);
    expect(r1).toMatchObject({ status: "fulfilled" });
    expect(r2.status).toBe("rejected");
    expect((r2 as PromiseRejectedResult).reason).toBeInstanceOf(GitError);
    expect((r2 as PromiseRejectedResult).reason.message).toMatch(/missing/);
    expect((r3 as PromiseFulfilledResult<Buffer>).value.toString()).toBe("a\n");
    // Not a blob; not an id at all.
    await expect(reader.read(repo.git("rev-parse", "HEAD^{tree}"))).rejects.toThrow(
      /tree, not a blob/,
    );
    await expect(reader.read("HEAD:a.yaml")).rejects.toBeInstanceOf(GitError);
    await reader.close();
    await expect(reader.read(good)).rejects.toBeInstanceOf(GitError);
    await reader.close(); // idempotent
  });

  it("rejects pending reads instead of hanging when git dies", async () => {
    const reader = new BlobReader(makeTempDir()); // not a repository: git exits at once
    const reads = Array.from({ length: 20 }, () => reader.read("a".repeat(40)));
    for (const r of reads) await expect(r).rejects.toBeInstanceOf(GitError);
    await expect(reader.read("b".repeat(40))).rejects.toThrow(/cat-file/);
    await reader.close();
  });

  it("close() without any read starts no process", async () => {
    const reader = new BlobReader("/nonexistent-dir-for-sure");
    await reader.close();
  });
});

describe("stage (writeBlob, updateIndexEntry)", () => {
  it("writes a blob byte-exact and stages it into the index GIT_INDEX_FILE names", async () => {
    const repo = await makeRepo({ files: { "s p.yaml": "plain\n" }, commit: "c" });
    const bytes = Buffer.from("encrypted\r\nno trim \n\n");
    const id = await writeBlob(repo.dir, bytes);
    expect(repo.gitRaw(["cat-file", "blob", id]).equals(bytes)).toBe(true);

    const alt = path.join(repo.dir, ".git", "alt-index");
    repo.gitRaw(["read-tree", "HEAD"], { env: { GIT_INDEX_FILE: alt } });
    await updateIndexEntry(
      repo.dir,
      { mode: "100644", blobId: id, path: "s p.yaml" },
      { GIT_INDEX_FILE: alt },
    );
    expect(repo.git("rev-parse", ":s p.yaml")).toBe(repo.blob("HEAD", "s p.yaml")); // normal index untouched
    expect(
      repo
        .gitRaw(["rev-parse", ":s p.yaml"], { env: { GIT_INDEX_FILE: alt } })
        .toString()
        .trim(),
    ).toBe(id);

    // From a subdirectory the path is still repo-relative.
    fs.mkdirSync(path.join(repo.dir, "sub"));
    await updateIndexEntry(path.join(repo.dir, "sub"), {
      mode: "100644",
      blobId: id,
      path: "new/é.yaml",
    });
    expect(repo.git("rev-parse", ":new/é.yaml")).toBe(id);
  });
});

describe("exec", () => {
  it("throws GitError with git's stderr, or returns the code with allowFail", async () => {
    const repo = await makeRepo();
    const err = await git(["rev-parse", "--verify", "no-such-ref"], { cwd: repo.dir }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).toMatch(/^git rev-parse failed \(exit code 128\):\nfatal: /);
    const r = await git(["rev-parse", "--verify", "-q", "no-such-ref"], {
      cwd: repo.dir,
      allowFail: true,
    });
    expect(r.code).toBe(1);
  });

  it("never trims stdout and passes stdin through", async () => {
    const repo = await makeRepo();
    const input = Buffer.from("\n  x  \n\n");
    const id = (await git(["hash-object", "-w", "--stdin"], { cwd: repo.dir, input })).stdout;
    expect(id.toString()).toMatch(/^[0-9a-f]{40}\n$/);
    const out = await git(["cat-file", "blob", id.toString().trim()], { cwd: repo.dir });
    expect(out.stdout.equals(input)).toBe(true);
  });
});
