/**
 * The interruption matrix: SIGKILL, SIGINT and an error injected at each
 * write step of encrypt, scan --fix, updatekeys and new. Afterwards the target
 * is either the original or fully encrypted, the index is consistent, and no
 * plaintext temp file exists anywhere.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { filesUnder, plainSecret, seedPolicy, sg } from "./helpers.js";

const CANARY = "canary-interrupt-4Fz8";
const SECRET = "flux/secrets/develop/app.yaml";
let recipient: string;
let keyFile: string;

beforeAll(async () => {
  const id = await generateIdentity();
  recipient = await identityToRecipient(id);
  keyFile = path.join(makeTempDir(), "keys.txt");
  writeFileSync(keyFile, `${id}\n`);
});
afterAll(() => cleanupAll());

function assertCleanEnd(repo: TestRepo, tmp: string, original: string): void {
  const now = repo.read(SECRET).toString();
  expect(now === original || now.includes("ENC[AES256_GCM")).toBe(true);
  if (now !== original) expect(now).not.toContain(CANARY);
  for (const f of filesUnder(repo.dir)) {
    if (f.endsWith(SECRET)) continue; // the target itself: checked above
    expect(readFileSync(f, "latin1"), f).not.toContain(CANARY);
  }
  for (const f of filesUnder(tmp)) expect(readFileSync(f, "latin1"), f).not.toContain(CANARY);
  repo.git("fsck", "--no-progress");
  const staged = repo.git("ls-files", "-s", "--", SECRET);
  if (staged) {
    const blob = repo.git("show", `:${SECRET}`);
    expect(blob === original.trimEnd() || blob.includes("ENC[AES256_GCM")).toBe(true);
  }
}

const STEPS = ["write-temp", "before-rename"];
const MODES = ["throw", "kill", "int"];

describe("interruption matrix", () => {
  for (const mode of MODES) {
    for (const step of [...STEPS, "before-index"]) {
      it(`scan --fix: ${mode} at ${step}`, async () => {
        const repo = await makeRepo({
          files: { ".sops.yaml": seedPolicy(recipient) },
          commit: "init",
        });
        const tmp = makeTempDir();
        const original = plainSecret("app", { pw: CANARY });
        repo.write(SECRET, original);
        repo.git("add", SECRET);
        const r = sg(repo, ["scan", "--fix"], {
          env: { SECRET_GUARD_TEST_FAIL_AT: step, SECRET_GUARD_TEST_FAIL_MODE: mode, TMPDIR: tmp },
        });
        expect(r.code).not.toBe(0);
        assertCleanEnd(repo, tmp, original);
      });
    }
    for (const step of STEPS) {
      it(`encrypt: ${mode} at ${step}`, async () => {
        const repo = await makeRepo({
          files: { ".sops.yaml": seedPolicy(recipient) },
          commit: "init",
        });
        const tmp = makeTempDir();
        const original = plainSecret("app", { pw: CANARY });
        repo.write(SECRET, original);
        const r = sg(repo, ["encrypt", SECRET], {
          env: { SECRET_GUARD_TEST_FAIL_AT: step, SECRET_GUARD_TEST_FAIL_MODE: mode, TMPDIR: tmp },
        });
        expect(r.code).not.toBe(0);
        assertCleanEnd(repo, tmp, original);
      });

      it(`updatekeys: ${mode} at ${step}`, async () => {
        const repo = await makeRepo({
          files: { ".sops.yaml": seedPolicy(recipient) },
          commit: "init",
        });
        const tmp = makeTempDir();
        repo.write(SECRET, plainSecret("app", { pw: CANARY }));
        expect(sg(repo, ["encrypt", SECRET]).code).toBe(0);
        const encrypted = repo.read(SECRET).toString();
        const other = await identityToRecipient(await generateIdentity());
        repo.write(".sops.yaml", seedPolicy(`${recipient},${other}`));
        const r = sg(repo, ["updatekeys", SECRET], {
          env: {
            SOPS_AGE_KEY_FILE: keyFile,
            SECRET_GUARD_TEST_FAIL_AT: step,
            SECRET_GUARD_TEST_FAIL_MODE: mode,
            TMPDIR: tmp,
          },
        });
        expect(r.code).not.toBe(0);
        expect(repo.read(SECRET).toString()).toBe(encrypted);
        assertCleanEnd(repo, tmp, "unused");
      });

      it(`new: ${mode} at ${step}`, async () => {
        const repo = await makeRepo({
          files: {
            ".sops.yaml": seedPolicy(recipient),
            "flux/secrets/develop/kustomization.yaml": "resources: []\n",
          },
          commit: "init",
        });
        const tmp = makeTempDir();
        const envFile = path.join(makeTempDir(), "values.env");
        writeFileSync(envFile, `pw=${CANARY}\n`);
        const r = sg(repo, ["new", "develop", "app", "--from-env-file", envFile, "--yes"], {
          env: { SECRET_GUARD_TEST_FAIL_AT: step, SECRET_GUARD_TEST_FAIL_MODE: mode, TMPDIR: tmp },
        });
        expect(r.code).not.toBe(0);
        const names = readdirSync(path.join(repo.dir, "flux/secrets/develop"));
        if (names.includes("app.yaml"))
          expect(repo.read(SECRET).toString()).toContain("ENC[AES256_GCM");
        for (const f of filesUnder(repo.dir))
          expect(readFileSync(f, "latin1"), f).not.toContain(CANARY);
        for (const f of filesUnder(tmp)) expect(readFileSync(f, "latin1"), f).not.toContain(CANARY);
      });
    }
  }
});
