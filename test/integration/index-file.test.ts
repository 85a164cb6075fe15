/**
 * The index read from its file (src/git/indexfile.ts) against `git ls-files -s -z`, on
 * indexes of every version and kind git writes: the fast path lists exactly what git
 * lists, or declines (split and sparse indexes) and git answers.
 */
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { indexEntries, parseIndexFile } from "../../src/git/indexfile.js";
import { parseLsFilesStageZ, type StageEntry } from "../../src/git/parse.js";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";

afterAll(cleanupAll);

const plain = (entries: StageEntry[]) =>
  entries.map((e) => ({
    mode: e.mode,
    blob: e.blob,
    stage: e.stage,
    path: e.pathBytes.toString("hex"),
  }));

function fromGit(repo: TestRepo): StageEntry[] {
  return parseLsFilesStageZ(repo.gitRaw(["-c", "core.quotepath=false", "ls-files", "-s", "-z"]));
}

function fromFile(repo: TestRepo, format = "sha1"): StageEntry[] | undefined {
  return parseIndexFile(fs.readFileSync(path.join(repo.dir, ".git", "index")), format);
}

/** A repository whose index holds paths of every shape, modes of every kind, and a conflict. */
async function varied(objectFormat: "sha1" | "sha256" = "sha1"): Promise<TestRepo> {
  const repo = await makeRepo({
    objectFormat,
    files: {
      "a.yaml": "a: 1\n",
      "dir/b c.yaml": "b: 2\n",
      "dir/sub/ünïcödé.yaml": "u: 3\n",
      "dir/sub/tab\there.txt": "t\n",
      "dir/sub/new\nline.txt": "n\n",
      "x.sh": "#!/bin/sh\n",
      "conflict.yaml": "base: 0\n",
    },
    commit: "base",
  });
  fs.chmodSync(path.join(repo.dir, "x.sh"), 0o755);
  repo.symlink("a.yaml", "link.yaml");
  repo.commitAll("more");
  // A merge conflict: stages 1, 2 and 3 of one path.
  repo.git("checkout", "-q", "-b", "other");
  repo.write("conflict.yaml", "other: 1\n");
  repo.commitAll("other");
  repo.git("checkout", "-q", "main");
  repo.write("conflict.yaml", "main: 1\n");
  repo.commitAll("main");
  try {
    repo.git("merge", "-q", "other");
  } catch {
    // the conflict is the point
  }
  repo.addGitlink("vendor/mod");
  // A path longer than the 12-bit length field (0xFFF) of an index entry (index only:
  // no file system takes it).
  const long = Array.from({ length: 20 }, (_, i) => `${"d".repeat(240)}${i}`).join("/");
  const blob = repo.git("hash-object", "-w", "--stdin");
  repo.git("update-index", "--add", "--cacheinfo", `100644,${blob},${long}/k.yaml`);
  return repo;
}

describe("the index file read directly equals git ls-files -s", () => {
  it("version 2, with every mode, odd paths, a >4095-byte path and a conflict", async () => {
    const repo = await varied();
    const git = fromGit(repo);
    expect(git.some((e) => e.stage === 3)).toBe(true);
    expect(git.some((e) => e.mode === "160000")).toBe(true);
    expect(git.some((e) => e.mode === "120000")).toBe(true);
    expect(git.some((e) => e.mode === "100755")).toBe(true);
    expect(git.some((e) => e.pathBytes.length > 0xfff)).toBe(true);
    const file = fromFile(repo);
    expect(file).toBeDefined();
    expect(plain(file!)).toEqual(plain(git));
  });

  it("version 3 (extended flags: skip-worktree, intent-to-add)", async () => {
    const repo = await varied();
    repo.write("later.yaml", "l: 1\n");
    repo.git("add", "-N", "later.yaml");
    repo.git("update-index", "--skip-worktree", "a.yaml");
    expect(fs.readFileSync(path.join(repo.dir, ".git", "index")).readUInt32BE(4)).toBe(3);
    const file = fromFile(repo);
    expect(file).toBeDefined();
    expect(plain(file!)).toEqual(plain(fromGit(repo)));
  });

  it("version 4 (prefix-compressed paths)", async () => {
    const repo = await varied();
    repo.git("update-index", "--index-version", "4");
    expect(fs.readFileSync(path.join(repo.dir, ".git", "index")).readUInt32BE(4)).toBe(4);
    const file = fromFile(repo);
    expect(file).toBeDefined();
    expect(plain(file!)).toEqual(plain(fromGit(repo)));
  });

  it("sha256 repositories", async () => {
    const repo = await varied("sha256");
    const file = fromFile(repo, "sha256");
    expect(file).toBeDefined();
    expect(file![0]!.blob).toHaveLength(64);
    expect(plain(file!)).toEqual(plain(fromGit(repo)));
    // The wrong object format never yields entries.
    expect(fromFile(repo, "sha1")).toBeUndefined();
  });

  it("optional extensions (cache tree, untracked cache, end of index, offset table)", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`apps/app-${i % 17}/f-${i}.yaml`] = `n: ${i}\n`;
    const repo = await makeRepo({ files, commit: "base" });
    repo.git("config", "index.recordEndOfIndexEntries", "true");
    repo.git("config", "index.recordOffsetTable", "true");
    repo.git("config", "index.threads", "2");
    repo.git("config", "core.untrackedCache", "true");
    repo.write("untracked.txt", "u\n");
    repo.git("update-index", "--untracked-cache");
    repo.git("status", "--porcelain");
    repo.git("write-tree");
    const buf = fs.readFileSync(path.join(repo.dir, ".git", "index"));
    for (const ext of ["TREE", "UNTR", "EOIE"]) expect(buf.includes(Buffer.from(ext))).toBe(true);
    const file = fromFile(repo);
    expect(file).toBeDefined();
    expect(plain(file!)).toEqual(plain(fromGit(repo)));
  });

  it("random paths in versions 2, 3 and 4 (prefix compression of every shape)", async () => {
    const repo = await makeRepo({ files: { "seed.txt": "s\n" }, commit: "seed" });
    const blob = repo.git("hash-object", "-w", "--stdin");
    const part = fc
      .stringMatching(/^[a-zA-Z0-9._ -]{1,12}$/)
      .filter((s) => s !== "." && s !== "..");
    const paths = fc.uniqueArray(fc.array(part, { minLength: 1, maxLength: 4 }), {
      minLength: 1,
      maxLength: 40,
      selector: (p) => p.join("/"),
    });
    await fc.assert(
      fc.asyncProperty(paths, fc.constantFrom(2, 3, 4), async (ps, version) => {
        repo.git("rm", "-q", "-r", "--cached", "--ignore-unmatch", ".");
        const lines = ps
          .map((p) => p.join("/"))
          .filter((p, _, all) => !all.some((q) => q.startsWith(`${p}/`)))
          .map((p) => `100644 ${blob}\t${p}`)
          .join("\n");
        repo.gitRaw(["update-index", "--add", "--index-info"], { input: `${lines}\n` });
        repo.git("update-index", "--index-version", String(version));
        const file = fromFile(repo);
        expect(file).toBeDefined();
        expect(plain(file!)).toEqual(plain(fromGit(repo)));
      }),
      { numRuns: 40 },
    );
  });
});

describe("indexes only git can list are left to git", () => {
  it("a split index: the file declines, indexEntries() asks git and agrees", async () => {
    const repo = await varied();
    repo.git("update-index", "--split-index");
    repo.write("after.yaml", "x: 1\n");
    repo.git("add", "after.yaml");
    expect(fromFile(repo)).toBeUndefined();
    const got = await indexEntries({
      top: repo.dir,
      indexFile: path.join(repo.dir, ".git", "index"),
      objectFormat: "sha1",
      env: repo.env,
    });
    expect(plain(got)).toEqual(plain(fromGit(repo)));
    expect(got.some((e) => e.path === "after.yaml")).toBe(true);
  });

  it("a sparse index: the file declines, git lists what it lists", async () => {
    const repo = await makeRepo({
      files: { "in/a.yaml": "a: 1\n", "out/b.yaml": "b: 1\n", "top.yaml": "t: 1\n" },
      commit: "base",
    });
    repo.git("sparse-checkout", "init", "--cone", "--sparse-index");
    repo.git("sparse-checkout", "set", "in");
    expect(fromFile(repo)).toBeUndefined();
    const got = await indexEntries({
      top: repo.dir,
      indexFile: path.join(repo.dir, ".git", "index"),
      objectFormat: "sha1",
      env: repo.env,
    });
    expect(plain(got)).toEqual(plain(fromGit(repo)));
  });

  it("damaged files decline instead of guessing", async () => {
    const repo = await varied();
    const buf = fs.readFileSync(path.join(repo.dir, ".git", "index"));
    const good = parseIndexFile(buf, "sha1");
    expect(good).toBeDefined();
    const cases: Buffer[] = [
      buf.subarray(0, buf.length - 1), // short
      Buffer.concat([buf.subarray(0, 8), Buffer.from([0, 0, 0x7f, 0xff]), buf.subarray(12)]), // count
      Buffer.concat([Buffer.from("DIRX"), buf.subarray(4)]), // signature
      Buffer.concat([buf.subarray(0, 4), Buffer.from([0, 0, 0, 9]), buf.subarray(8)]), // version
    ];
    for (const c of cases) expect(parseIndexFile(c, "sha1")).toBeUndefined();
    // Every truncation declines, or lists the same entries (a cut inside the extensions
    // can leave a file whose last bytes read as the checksum); it never lists others.
    let declined = 0;
    for (let cut = 12; cut < buf.length; cut += 7) {
      const got = parseIndexFile(buf.subarray(0, cut), "sha1");
      if (got === undefined) declined++;
      else expect(plain(got)).toEqual(plain(good!));
    }
    expect(declined).toBeGreaterThan(10);
  });

  it("an index that changes within one run is read again", async () => {
    const repo = await makeRepo({ files: { "a.yaml": "a: 1\n" }, commit: "base" });
    const where = {
      top: repo.dir,
      indexFile: path.join(repo.dir, ".git", "index"),
      objectFormat: "sha1",
      env: repo.env,
    };
    const before = await indexEntries(where);
    repo.write("b.yaml", "b: 1\n");
    repo.git("add", "b.yaml");
    const after = await indexEntries(where);
    expect(before.map((e) => e.path)).toEqual(["a.yaml"]);
    expect(after.map((e) => e.path)).toEqual(["a.yaml", "b.yaml"]);
  });
});
