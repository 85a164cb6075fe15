/**
 * `updatekeys --rotate` (a new data key, every value re-encrypted, the MAC
 * recomputed; the real `age` CLI unwraps the new key) and `verify --identity
 * FILE` (only that key counts, whatever the default keyring holds; the report
 * names the recipient that opened each file, never the key).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { decryptFile } from "../../src/crypto/decrypt.js";
import { formatForPath } from "../../src/sops/formats.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, plainSecret, sg, transcript } from "./helpers.js";

const CANARY_Y = "canary-rotate-yaml-T1";
const CANARY_J = "canary-rotate-json-T2";
const CANARY_E = "canary-rotate-env-T3";
const FILES = {
  yaml: "flux/secrets/develop/backend.yaml",
  json: "flux/secrets/develop/config.json",
  env: "flux/secrets/develop/app.env",
};
const hasAge = spawnSync("age", ["--version"]).status === 0;

let id: string;
let recipient: string;
let wrongId: string;
let keyFile: string;
let wrongFile: string;

beforeAll(async () => {
  id = await generateIdentity();
  recipient = await identityToRecipient(id);
  wrongId = await generateIdentity();
  const dir = makeTempDir();
  keyFile = path.join(dir, "right.txt");
  wrongFile = path.join(dir, "wrong.txt");
  writeFileSync(keyFile, `${id}\n`, { mode: 0o600 });
  writeFileSync(wrongFile, `${wrongId}\n`, { mode: 0o600 });
});
afterAll(() => {
  assertNoCanary([CANARY_Y, CANARY_J, CANARY_E, id, wrongId]);
  cleanupAll();
});

async function encryptedRepo(): Promise<TestRepo> {
  const repo = await makeRepo();
  repo.write(
    ".sops.yaml",
    `creation_rules:\n  - path_regex: flux/secrets/develop/.*\n    encrypted_regex: ^(data|stringData|password|TOKEN)$\n    age: ${recipient}\n`,
  );
  repo.write(FILES.yaml, `# backend\n${plainSecret("backend", { url: CANARY_Y, other: "x" })}`);
  repo.write(FILES.json, `{\n  "password": "${CANARY_J}",\n  "port": 5432\n}\n`);
  repo.write(FILES.env, `TOKEN=${CANARY_E}\nPLAIN=1\n`);
  const r = sg(repo, ["encrypt", ...Object.values(FILES)]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  repo.commitAll("encrypted");
  return repo;
}

/** The wrapped data keys of a file (every sops block). */
function encs(rel: string, text: string): string[] {
  const f = formatForPath(rel);
  if (f === "yaml")
    return parseAllDocuments(text).flatMap((d) =>
      (d.toJS() as { sops: { age: Array<{ enc: string }> } }).sops.age.map((a) => a.enc),
    );
  if (f === "json") return JSON.parse(text).sops.age.map((a: { enc: string }) => a.enc);
  return text
    .split("\n")
    .filter((l) => l.startsWith("sops_age__list_") && l.includes("__map_enc="))
    .map((l) => l.slice(l.indexOf("=") + 1).replaceAll("\\n", "\n"));
}

async function values(rel: string, bytes: Buffer): Promise<string[]> {
  const r = await decryptFile(bytes, formatForPath(rel), [id]);
  expect(r.ok, `${rel}: ${r.problem}`).toBe(true);
  return r.leaves.map((l) => `${l.path.join(":")}=${l.type}:${l.plain.toString("base64")}`);
}

describe("updatekeys --rotate", () => {
  it("a new data key, every value re-encrypted, MAC recomputed; age unwraps it, values the same", async () => {
    const repo = await encryptedRepo();
    const before: Record<string, { text: string; values: string[]; key: Buffer }> = {};
    for (const f of Object.values(FILES)) {
      const bytes = repo.read(f);
      const r = await decryptFile(bytes, formatForPath(f), [id]);
      before[f] = { text: bytes.toString(), values: await values(f, bytes), key: r.dataKey! };
    }
    const dry = sg(repo, ["updatekeys", "--rotate", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("would rotate");
    const r = sg(repo, ["updatekeys", "--rotate"], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("rotated: a new data key");
    for (const f of Object.values(FILES)) {
      const bytes = repo.read(f);
      const text = bytes.toString();
      const d = await decryptFile(bytes, formatForPath(f), [id]);
      expect(d.ok, `${f}: ${d.problem} ${d.detail}`).toBe(true);
      expect(d.macOk).toBe(true);
      expect(d.dataKey!.equals(before[f]!.key)).toBe(false);
      expect(await values(f, bytes)).toEqual(before[f]!.values);
      // no ciphertext of the old file survives (values, MAC and data key are all new)
      const oldEnc = before[f]!.text.match(/ENC\[[^\]]+\]/g)!;
      expect(oldEnc.length).toBeGreaterThan(1);
      for (const e of oldEnc) expect(text).not.toContain(e);
      for (const enc of encs(f, text)) {
        if (!hasAge) continue;
        const encFile = path.join(makeTempDir(), "enc.age");
        writeFileSync(encFile, enc);
        const key = execFileSync("age", ["-d", "-i", keyFile, encFile]);
        expect(Buffer.from(key).equals(d.dataKey!)).toBe(true);
      }
    }
    const v = sg(repo, ["verify", "--worktree", "--identity", keyFile]);
    expect(v.code, v.stdout).toBe(0);
    expect(sg(repo, ["scan", ...Object.values(FILES)]).code).toBe(0);
  });
});

describe("verify --identity", () => {
  it("only the given key counts: the wrong one fails though the default keyring holds the right one", async () => {
    const repo = await encryptedRepo();
    const keyring = path.join(repo.home, ".config", "sops", "age");
    mkdirSync(keyring, { recursive: true });
    writeFileSync(path.join(keyring, "keys.txt"), `${id}\n`, { mode: 0o600 });
    // the default keyring alone opens everything
    const plain = sg(repo, ["verify"]);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).toContain("as the index has them");
    const wrong = sg(repo, ["verify", "--identity", wrongFile]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain("decrypt-failed");
    expect(wrong.stdout).toContain(`--identity ${wrongFile} (only)`);
    const right = sg(repo, ["verify", "--identity", keyFile]);
    expect(right.code, right.stdout).toBe(0);
    expect(right.stdout).toContain(`opened by ${recipient}`);
    // --worktree reads the files on disk: a broken copy on disk fails there only
    repo.write(FILES.env, "TOKEN=ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]\n");
    expect(sg(repo, ["verify", "--identity", keyFile]).code).toBe(0);
    const disk = sg(repo, ["verify", "--worktree", "--identity", keyFile]);
    expect(disk.code).toBe(1);
    expect(disk.stdout).toContain("on disk (--worktree)");
    expect(transcript.join("\n")).not.toContain("AGE-SECRET-KEY");
  });
});
