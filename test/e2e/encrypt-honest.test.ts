/**
 * `secret-guard encrypt` never claims an encryption it did not achieve: a
 * partially encrypted file gets its plaintext values encrypted under its own
 * data key (checked here with the real `age` CLI unwrapping that key and an
 * independent AES-GCM decryption), a forged or incomplete sops block is
 * refused with its reason, a rule whose selector picks nothing is an error,
 * and the native engine refuses a `kind: List` of Secrets. Every refusal
 * leaves the file byte for byte as it was and exits 1.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { createDecipheriv } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, sg, transcript } from "./helpers.js";

const HAS_AGE = spawnSync("age", ["--version"]).status === 0;
const C1 = "CANARY-ENC-h1-first";
const C2 = "CANARY-ENC-h2-added";
const C3 = "CANARY-ENC-h3-list";
const FILE = "secrets/app.yaml";

let keyFile: string;
let otherKeyFile: string;
let recipient: string;

function keygen(dir: string, name: string): { file: string; recipient: string } {
  const file = path.join(dir, name);
  execFileSync("age-keygen", ["-o", file], { stdio: "pipe" });
  return { file, recipient: execFileSync("age-keygen", ["-y", file]).toString().trim() };
}

beforeAll(() => {
  const dir = makeTempDir();
  const k = keygen(dir, "keys.txt");
  keyFile = k.file;
  recipient = k.recipient;
  otherKeyFile = keygen(dir, "other.txt").file;
});
afterAll(() => {
  assertNoCanary([C1, C2, C3], transcript.join("\n"));
  cleanupAll();
});

const policy = (selector: string) =>
  `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    ${selector}\n    age: ${recipient}\n`;

async function repoWith(selector = "encrypted_regex: ^(data|stringData)$"): Promise<TestRepo> {
  return makeRepo({
    files: {
      ".sops.yaml": policy(selector),
      "README.md": "x\n",
    },
    commit: "policy",
  });
}

const secret = (values: Record<string, string>) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\nstringData:\n${Object.entries(
    values,
  )
    .map(([k, v]) => `  ${k}: ${v}\n`)
    .join("")}`;

/** The data key, unwrapped by the real `age` CLI from the file's first age stanza. */
function dataKeyByAge(text: string, identity: string): Buffer {
  const doc = parse(text) as { sops: { age: Array<{ enc: string }> } };
  const dir = makeTempDir();
  const wrapped = path.join(dir, "key.age");
  writeFileSync(wrapped, doc.sops.age[0]!.enc);
  return execFileSync("age", ["-d", "-i", identity, wrapped]);
}

/** sops' AES-256-GCM value format, decrypted independently of the product code. */
function decryptEnc(enc: string, key: Buffer, aad: string): string {
  const m = /^ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:str\]$/.exec(enc);
  expect(m, "an ENC value of type str").not.toBeNull();
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(m![2]!, "base64"));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(m![3]!, "base64"));
  return Buffer.concat([d.update(Buffer.from(m![1]!, "base64")), d.final()]).toString("utf8");
}

function expectRefused(repo: TestRepo, args: string[], before: Buffer, reason: RegExp): string {
  const r = sg(repo, args, { env: { SOPS_AGE_KEY_FILE: keyFile } });
  const out = r.stdout + r.stderr;
  expect(r.code, out).toBe(1);
  expect(out).not.toMatch(/already encrypted/);
  expect(out).not.toContain("✔");
  expect(out).toMatch(reason);
  expect(repo.read(FILE).equals(before), "the file is unchanged").toBe(true);
  return out;
}

describe.skipIf(!HAS_AGE)("encrypt says only what it did", () => {
  it("a partially encrypted file: the added plaintext value is encrypted under the file's own key", async () => {
    const repo = await repoWith();
    repo.write(FILE, secret({ password: C1 }));
    const first = sg(repo, ["encrypt", "--engine", "native", FILE]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const encrypted = repo.read(FILE).toString();
    // a value added by hand, in the clear
    repo.write(FILE, encrypted.replace("stringData:\n", `stringData:\n    token: ${C2}\n`));
    expect(sg(repo, ["scan", FILE]).stdout).toContain("partially-encrypted");
    const r = sg(repo, ["encrypt", FILE], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/encrypted 1 plaintext value \(token\) into its existing encryption/);
    expect(r.stdout).not.toMatch(/already encrypted/);
    const after = repo.read(FILE).toString();
    expect(after).not.toContain(C2);
    const doc = parse(after) as { stringData: Record<string, string> };
    const key = dataKeyByAge(after, keyFile);
    expect(key.length).toBe(32);
    expect(decryptEnc(doc.stringData.token!, key, "stringData:token:")).toBe(C2);
    expect(decryptEnc(doc.stringData.password!, key, "stringData:password:")).toBe(C1);
    expect(sg(repo, ["scan", FILE]).code).toBe(0);
    // the MAC was recomputed: sops' checks pass
    const v = sg(repo, ["verify", FILE], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    // and a complete, clean file is (only then) "already encrypted"
    const again = sg(repo, ["encrypt", FILE], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already encrypted, left as it is/);
  });

  it("a partially encrypted file no local identity opens is refused with the reason", async () => {
    const repo = await repoWith();
    repo.write(FILE, secret({ password: C1 }));
    expect(sg(repo, ["encrypt", "--engine", "native", FILE]).code).toBe(0);
    repo.write(
      FILE,
      repo.read(FILE).toString().replace("stringData:\n", `stringData:\n    token: ${C2}\n`),
    );
    const before = repo.read(FILE);
    const r = sg(repo, ["encrypt", FILE], { env: { SOPS_AGE_KEY_FILE: otherKeyFile } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/partially encrypted .*token.* no local age identity opens/);
    expect(r.stdout).not.toMatch(/already encrypted/);
    expect(repo.read(FILE).equals(before)).toBe(true);
  });

  it("an incomplete block (no mac, no version): repaired under its own key, or refused with both reasons", async () => {
    const repo = await repoWith();
    repo.write(FILE, secret({ password: C1 }));
    expect(sg(repo, ["encrypt", "--engine", "native", FILE]).code).toBe(0);
    const good = repo.read(FILE).toString();
    const noMac = good
      .replace(/^( +)mac: .*$/m, '$1mac: ""')
      .replace("stringData:\n", `stringData:\n    token: ${C2}\n`);
    // no key that opens it: refused, naming the broken block and the missing key
    repo.write(FILE, noMac);
    const r0 = sg(repo, ["encrypt", FILE], { env: { SOPS_AGE_KEY_FILE: otherKeyFile } });
    expect(r0.code).toBe(1);
    expect(r0.stdout).toMatch(
      /its sops block is broken \(the sops metadata block is invalid \(no mac\).*token.*no local age identity opens its data key/,
    );
    expect(r0.stdout).not.toMatch(/already encrypted/);
    expect(repo.read(FILE).toString()).toBe(noMac);
    // the file's own key: the plaintext value encrypted, the block rewritten whole
    const r1 = sg(repo, ["encrypt", FILE], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    expect(r1.stdout).toMatch(
      /encrypted 1 plaintext value \(token\) into its existing encryption and rewrote its incomplete sops block/,
    );
    const fixed = repo.read(FILE).toString();
    expect(fixed).not.toContain(C2);
    const key = dataKeyByAge(fixed, keyFile);
    const doc = parse(fixed) as { stringData: Record<string, string> };
    expect(decryptEnc(doc.stringData.token!, key, "stringData:token:")).toBe(C2);
    const v = sg(repo, ["verify", FILE], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    // no version, every value encrypted: the block is completed, nothing claimed about values
    repo.write(FILE, good.replace(/^( +)version: .*\n/m, ""));
    const r2 = sg(repo, ["encrypt", FILE], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/kept its values and rewrote its incomplete sops block/);
    expect(sg(repo, ["scan", FILE]).code).toBe(0);
    // the block stripped: ENC values nobody can decrypt
    repo.write(FILE, good.slice(0, good.indexOf("sops:")));
    expectRefused(
      repo,
      ["encrypt", FILE],
      repo.read(FILE),
      /ENC\[\.\.\.\] values but no sops metadata block/,
    );
  });

  it("scan --fix on an incomplete block no local key opens says so", async () => {
    const repo = await repoWith();
    repo.write(FILE, secret({ password: C1 }));
    expect(sg(repo, ["encrypt", "--engine", "native", FILE]).code).toBe(0);
    repo.write(
      FILE,
      repo
        .read(FILE)
        .toString()
        .replace(/^( +)version: .*\n/m, "")
        .replace("stringData:\n", `stringData:\n    token: ${C2}\n`),
    );
    repo.git("add", FILE);
    const before = repo.read(FILE);
    const r = sg(repo, ["scan", "--fix"], { env: { SOPS_AGE_KEY_FILE: otherKeyFile } });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/partially encrypted and no local age identity opens it/);
    expect(repo.read(FILE).equals(before)).toBe(true);
  });

  it("a rule whose selector picks nothing in the file is an error, not a success", async () => {
    const repo = await repoWith("encrypted_regex: ^stringData$");
    repo.write(
      FILE,
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: fast\n",
    );
    const out = expectRefused(
      repo,
      ["encrypt", "--engine", "native", FILE],
      repo.read(FILE),
      /nothing to encrypt: the selector of creation_rules\[0\] \(encrypted_regex: \^stringData\$\) picks no value/,
    );
    expect(out).not.toContain("sops:");
  });

  it("the native engine refuses a kind: List of Secrets", async () => {
    const repo = await repoWith();
    repo.write(
      FILE,
      `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: a\n    stringData:\n      password: ${C3}\n`,
    );
    expectRefused(
      repo,
      ["encrypt", "--engine", "native", FILE],
      repo.read(FILE),
      /native encryption refused: the file is a kind: List of Secrets; kustomize splits a List/,
    );
  });
});
