/**
 * src/git/loose.ts against `git cat-file`: every blob it answers is byte for byte what
 * cat-file gives, and every object it cannot prove (packed, cut short, stored under another
 * id, not a blob, a symlink, too large, replace refs, a SHA-256 repository, variables that
 * move objects) is left to cat-file (undefined). And the staged listing's reader answers
 * the same with and without it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BlobReader } from "../../src/git/catfile.js";
import { LOOSE_MAX_BYTES, looseStore, readLoose, sha1Hex } from "../../src/git/loose.js";
import { stagedFiles } from "../../src/sources/staged.js";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";

afterAll(() => cleanupAll());

const objectsOf = (repo: TestRepo) => path.join(repo.dir, ".git", "objects");
const fileOf = (repo: TestRepo, id: string) =>
  path.join(objectsOf(repo), id.slice(0, 2), id.slice(2));
const store = (repo: TestRepo) => looseStore(path.join(repo.dir, ".git"), "sha1", [repo.env])!;
const hashObject = (repo: TestRepo, content: Buffer) =>
  repo.gitRaw(["hash-object", "-w", "--stdin"], { input: content }).toString().trim();
const catFile = (repo: TestRepo, id: string) => repo.gitRaw(["cat-file", "blob", id]);

describe("sha1Hex", () => {
  it("is node:crypto's SHA-1 on any bytes (every padding boundary included)", () => {
    for (let n = 0; n < 200; n++) {
      const b = Buffer.alloc(n, n & 0xff);
      expect(sha1Hex(b)).toBe(createHash("sha1").update(b).digest("hex"));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (b) => {
        expect(sha1Hex(b)).toBe(createHash("sha1").update(b).digest("hex"));
      }),
      { numRuns: 300 },
    );
  });
});

describe("readLoose against git cat-file", () => {
  it("answers exactly what cat-file answers, for generated blobs", async () => {
    const repo = await makeRepo();
    const s = store(repo);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.string({ maxLength: 2000 }).map((t) => new TextEncoder().encode(t)),
        ),
        async (bytes) => {
          const content = Buffer.from(bytes);
          const id = hashObject(repo, content);
          const got = readLoose(s, id);
          expect(got).toBeDefined();
          expect(Buffer.compare(got!, catFile(repo, id))).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
    // the empty blob and one at the size limit
    for (const content of [Buffer.alloc(0), Buffer.alloc(LOOSE_MAX_BYTES, 0x61)]) {
      const id = hashObject(repo, content);
      expect(Buffer.compare(readLoose(s, id)!, catFile(repo, id))).toBe(0);
    }
  });

  it("leaves to cat-file what it cannot prove", async () => {
    const repo = await makeRepo({ files: { "a.txt": "a\n" }, commit: "init" });
    const s = store(repo);
    // larger than the limit
    const big = hashObject(repo, Buffer.alloc(LOOSE_MAX_BYTES + 1, 0x62));
    expect(readLoose(s, big)).toBeUndefined();
    // not a blob: the commit and its tree
    const commit = repo.git("rev-parse", "HEAD");
    const tree = repo.git("rev-parse", "HEAD^{tree}");
    expect(readLoose(s, commit)).toBeUndefined();
    expect(readLoose(s, tree)).toBeUndefined();
    // not there at all; not an id
    expect(readLoose(s, "0".repeat(40))).toBeUndefined();
    expect(readLoose(s, "ABC")).toBeUndefined();
    // cut short
    const cut = hashObject(repo, Buffer.from("cut short\n".repeat(50)));
    const raw = readFileSync(fileOf(repo, cut));
    writeFileSync(fileOf(repo, cut), raw.subarray(0, raw.length - 6), { mode: 0o644 });
    expect(readLoose(s, cut)).toBeUndefined();
    // stored under the id of another blob
    const one = hashObject(repo, Buffer.from("one\n"));
    const two = hashObject(repo, Buffer.from("two\n"));
    rmSync(fileOf(repo, two), { force: true });
    mkdirSync(path.dirname(fileOf(repo, two)), { recursive: true });
    writeFileSync(fileOf(repo, two), readFileSync(fileOf(repo, one)));
    expect(readLoose(s, two)).toBeUndefined();
    // a symlink to a good object file
    const three = hashObject(repo, Buffer.from("three\n"));
    const real = `${fileOf(repo, three)}.real`;
    renameSync(fileOf(repo, three), real);
    symlinkSync(real, fileOf(repo, three));
    expect(readLoose(s, three)).toBeUndefined();
    // packed
    const packed = hashObject(repo, Buffer.from("packed\n"));
    repo.git("add", "a.txt");
    repo.write("p.txt", "packed\n");
    repo.git("add", "p.txt");
    repo.git("commit", "-qm", "p");
    repo.git("gc", "-q", "--prune=now");
    expect(readLoose(s, packed)).toBeUndefined();
    expect(catFile(repo, packed).toString()).toBe("packed\n");
  });

  it("is not used with replace refs, SHA-256 or variables that move objects", async () => {
    const repo = await makeRepo({ files: { "a.txt": "a\n" }, commit: "init" });
    const gitDir = path.join(repo.dir, ".git");
    expect(looseStore(gitDir, "sha1", [repo.env])).toBeDefined();
    expect(looseStore(gitDir, "sha256", [repo.env])).toBeUndefined();
    for (const k of [
      "GIT_OBJECT_DIRECTORY",
      "GIT_ALTERNATE_OBJECT_DIRECTORIES",
      "GIT_NO_REPLACE_OBJECTS",
    ])
      expect(looseStore(gitDir, "sha1", [repo.env, { [k]: "x" }])).toBeUndefined();
    const a = hashObject(repo, Buffer.from("a\n"));
    const b = hashObject(repo, Buffer.from("b\n"));
    repo.git("replace", a, b);
    expect(looseStore(gitDir, "sha1", [repo.env])).toBeUndefined();
    repo.git("pack-refs", "--all");
    rmSync(path.join(gitDir, "refs", "replace"), { recursive: true, force: true });
    expect(readFileSync(path.join(gitDir, "packed-refs"), "latin1")).toContain("refs/replace/");
    expect(looseStore(gitDir, "sha1", [repo.env])).toBeUndefined();
  });
});

describe("the staged listing with and without loose reads", () => {
  it("reads the same bytes as cat-file for what `git add` staged", async () => {
    const repo = await makeRepo({ files: { "keep.yaml": "a: 1\n" }, commit: "init" });
    repo.write("new.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: n\n");
    repo.write("keep.yaml", "a: 2\n");
    repo.write("src/x.ts", "export const x = 1;\n");
    repo.git("add", "-A");
    const list = await stagedFiles(repo.dir, { env: repo.env });
    const plain = new BlobReader(repo.dir, { env: repo.env, sync: true });
    expect(list.files.length).toBe(3);
    for (const f of list.files) {
      const viaList = await f.read();
      expect(Buffer.compare(viaList, await plain.read(f.blobId!))).toBe(0);
      expect(readLoose(store(repo), f.blobId!)).toBeDefined();
      if (f.readHead) expect((await f.readHead()).toString()).toBe("a: 1\n");
    }
    await plain.close();
    await list.close?.();
  });
});
