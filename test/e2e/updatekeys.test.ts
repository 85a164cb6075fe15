/**
 * `secret-guard updatekeys` after the rule's age key changed: files encrypted
 * for the old key are re-wrapped for the new one. The real `age` CLI opens
 * the new `enc` blocks with the new identity (a 32-byte data key), our
 * decryptor gives the same values as before, and nothing but the age entries
 * changes. --dry-run writes nothing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { decryptFile } from "../../src/crypto/decrypt.js";
import { formatForPath } from "../../src/sops/formats.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, noTempFiles, plainSecret, sg } from "./helpers.js";

const CANARY_A = "canary-rekey-yaml-R1";
const CANARY_B = "canary-rekey-second-doc-R2";
const CANARY_J = "canary-rekey-json-R3";
const CANARY_E = "canary-rekey-dotenv-R4";

const FILES = {
  yaml: "flux/secrets/develop/backend.yaml",
  json: "flux/secrets/develop/config.json",
  env: "flux/secrets/develop/app.env",
};

const hasAge = spawnSync("age", ["--version"]).status === 0;

let oldId: string;
let oldRecipient: string;
let newId: string;
let newRecipient: string;
let oldKey: string;
let newKey: string;

beforeAll(async () => {
  oldId = await generateIdentity();
  oldRecipient = await identityToRecipient(oldId);
  newId = await generateIdentity();
  newRecipient = await identityToRecipient(newId);
  const dir = makeTempDir();
  oldKey = path.join(dir, "old.txt");
  newKey = path.join(dir, "new.txt");
  writeFileSync(oldKey, `${oldId}\n`, { mode: 0o600 });
  writeFileSync(newKey, `${newId}\n`, { mode: 0o600 });
});
afterAll(() => {
  assertNoCanary([CANARY_A, CANARY_B, CANARY_J, CANARY_E]);
  cleanupAll();
});

function policy(...recipients: string[]): string {
  return `creation_rules:\n  - path_regex: flux/secrets/develop/.*\n    encrypted_regex: ^(data|stringData|password|TOKEN)$\n    age: ${recipients.join(",")}\n`;
}

async function encryptedRepo(): Promise<TestRepo> {
  const repo = await makeRepo();
  repo.write(".sops.yaml", policy(oldRecipient));
  repo.write(
    FILES.yaml,
    `# backend\n${plainSecret("backend", { url: CANARY_A })}---\n${plainSecret("second", { pw: CANARY_B })}`,
  );
  repo.write(FILES.json, `{\n  "password": "${CANARY_J}",\n  "port": 5432\n}\n`);
  repo.write(FILES.env, `TOKEN=${CANARY_E}\nPLAIN=1\n`);
  const r = sg(repo, ["encrypt", FILES.yaml, FILES.json, FILES.env]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  repo.write("README.md", "x\n");
  repo.commitAll("encrypted for the old key");
  // the key is rotated in the policy
  repo.write(".sops.yaml", policy(newRecipient));
  return repo;
}

/** The `enc` blocks of every sops block in a file. */
function encBlocks(rel: string, text: string): Array<{ recipient: string; enc: string }> {
  const f = formatForPath(rel);
  if (f === "yaml") {
    return parseAllDocuments(text).flatMap(
      (d) => (d.toJS() as { sops: { age: Array<{ recipient: string; enc: string }> } }).sops.age,
    );
  }
  if (f === "json") return JSON.parse(text).sops.age;
  const get = (k: string) =>
    text
      .split("\n")
      .find((l) => l.startsWith(`${k}=`))
      ?.slice(k.length + 1)
      .replaceAll("\\n", "\n") ?? "";
  const out = [];
  for (let i = 0; get(`sops_age__list_${i}__map_recipient`); i++)
    out.push({
      recipient: get(`sops_age__list_${i}__map_recipient`),
      enc: get(`sops_age__list_${i}__map_enc`),
    });
  return out;
}

/** Decrypted values of a file, in memory only (path=type:base64). */
async function values(rel: string, bytes: Buffer, identity: string): Promise<string[]> {
  const r = await decryptFile(bytes, formatForPath(rel), [identity]);
  expect(r.ok, `${rel}: ${r.problem}`).toBe(true);
  return r.leaves.map((l) => `${l.path.join(":")}=${l.type}:${l.plain.toString("base64")}`);
}

/** The text with every age list taken out, to prove nothing else changed. */
function withoutAge(rel: string, text: string): string {
  const f = formatForPath(rel);
  if (f === "dotenv")
    return text
      .split("\n")
      .filter((l) => !l.startsWith("sops_age__"))
      .join("\n");
  if (f === "json") return text.replace(/"age": \[[\s\S]*?\n\t\t\]/, '"age": []');
  return text.replace(/ {4}age:\n(?: {8}.*\n| {10}.*\n| {14}.*\n)+/g, "    age: []\n");
}

describe("updatekeys", () => {
  it("--dry-run lists the recipients added and removed per file and writes nothing", async () => {
    const repo = await encryptedRepo();
    const before = Object.values(FILES).map((f) => [
      repo.read(f),
      statSync(path.join(repo.dir, f)).mtimeMs,
    ]);
    const r = sg(repo, ["updatekeys", "--dry-run"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const f of Object.values(FILES)) {
      expect(r.stdout).toContain(`${f}: would re-wrap: + ${newRecipient}  - ${oldRecipient}`);
    }
    expect(r.stdout).toContain("dry run: nothing written");
    Object.values(FILES).forEach((f, i) => {
      expect(repo.read(f).equals(before[i]![0] as Buffer)).toBe(true);
      expect(statSync(path.join(repo.dir, f)).mtimeMs).toBe(before[i]![1]);
    });
    const j = sg(repo, ["updatekeys", "--dry-run", "--format", "json", FILES.json]);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ mode: "updatekeys", dryRun: true });
    expect(doc.files).toEqual([
      { path: FILES.json, status: "would-update", added: [newRecipient], removed: [oldRecipient] },
    ]);
    expect(repo.git("status", "--porcelain")).toBe(" M .sops.yaml");
  });

  it("without an identity that opens the files nothing is written and it exits 1", async () => {
    const repo = await encryptedRepo();
    const before = repo.read(FILES.yaml);
    const r = sg(repo, ["updatekeys"], { env: { SOPS_AGE_KEY_FILE: newKey } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no local age identity opens it");
    expect(repo.read(FILES.yaml).equals(before)).toBe(true);
    noTempFiles(repo.dir);
  });

  it("re-wraps YAML (two documents), JSON and dotenv for the new key: age -d opens it, values unchanged", async () => {
    const repo = await encryptedRepo();
    const old: Record<string, { text: string; values: string[] }> = {};
    for (const f of Object.values(FILES)) {
      const bytes = repo.read(f);
      old[f] = { text: bytes.toString(), values: await values(f, bytes, oldId) };
    }
    const r = sg(repo, ["updatekeys"], { env: { SOPS_AGE_KEY_FILE: oldKey } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("3 files updated");
    noTempFiles(repo.dir);
    for (const f of Object.values(FILES)) {
      const bytes = repo.read(f);
      const text = bytes.toString();
      const blocks = encBlocks(f, text);
      expect(blocks.length).toBeGreaterThan(0);
      for (const b of blocks) {
        expect(b.recipient).toBe(newRecipient);
        if (hasAge) {
          const encFile = path.join(makeTempDir(), "enc.age");
          writeFileSync(encFile, b.enc);
          const key = execFileSync("age", ["-d", "-i", newKey, encFile]);
          expect(key.length).toBe(32);
        }
      }
      // the new identity decrypts, with the MAC verified, to the same values
      expect(await values(f, bytes, newId)).toEqual(old[f]!.values);
      // the old one no longer does
      expect((await decryptFile(bytes, formatForPath(f), [oldId])).ok).toBe(false);
      // values, MAC, lastmodified and layout: every byte outside the age list is the same
      expect(withoutAge(f, text)).toBe(withoutAge(f, old[f]!.text));
      expect(text).not.toContain(oldRecipient);
    }
    const v = sg(repo, ["verify", ...Object.values(FILES)], { env: { SOPS_AGE_KEY_FILE: newKey } });
    expect(v.code, v.stdout).toBe(0);
    const scan = sg(repo, ["scan", ...Object.values(FILES)]);
    expect(scan.code, scan.stdout).toBe(0);

    // a second run has nothing to do
    const again = sg(repo, ["updatekeys"], { env: { SOPS_AGE_KEY_FILE: newKey } });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 files updated, 3 up to date");
  });

  it("adding a recipient keeps the existing enc block and adds one", async () => {
    const repo = await encryptedRepo();
    repo.write(".sops.yaml", policy(oldRecipient, newRecipient));
    const beforeEnc = encBlocks(FILES.yaml, repo.read(FILES.yaml).toString())[0]!.enc;
    const r = sg(repo, ["updatekeys", FILES.yaml], { env: { SOPS_AGE_KEY_FILE: oldKey } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const blocks = encBlocks(FILES.yaml, repo.read(FILES.yaml).toString());
    expect(blocks.map((b) => b.recipient)).toEqual([
      oldRecipient,
      newRecipient,
      oldRecipient,
      newRecipient,
    ]);
    expect(blocks[0]!.enc).toBe(beforeEnc);
    expect(await values(FILES.yaml, repo.read(FILES.yaml), newId)).toEqual(
      await values(FILES.yaml, repo.read(FILES.yaml), oldId),
    );
  });

  it("refuses clearly what it cannot do, and names files no rule covers", async () => {
    const repo = await encryptedRepo();
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: flux/secrets/develop/.*\n    pgp: 0123456789ABCDEF0123456789ABCDEF01234567\n    age: ${newRecipient}\n`,
    );
    const r = sg(repo, ["updatekeys", FILES.yaml], { env: { SOPS_AGE_KEY_FILE: oldKey } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("sops updatekeys");
    repo.write("other/x.yaml", "a: b\n");
    const s = sg(repo, ["updatekeys", "other/x.yaml"]);
    expect(s.stdout).toContain("no creation rule covers it");
    expect(readFileSync(path.join(repo.dir, "other/x.yaml"), "utf8")).toBe("a: b\n");
  });
});
