/**
 * The native engine's output, opened by independent code: the real `age`
 * CLI unwraps every stanza to a raw 32-byte data key, and the values decrypt
 * to what went in (strings, numbers, booleans, comments; multi-document
 * YAML, JSON, dotenv). Layout is pinned by snapshots through the IV/clock
 * seam.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptFile } from "../../src/crypto/decrypt.js";
import { encryptNative, nativeRefusal } from "../../src/crypto/encrypt.js";
import { setCryptoSeamsForTests } from "../../src/crypto/random.js";
import { parseFile } from "../../src/sops/parse.js";
import type { CreationRule } from "../../src/types.js";

const HAS_AGE = spawnSync("age", ["--version"]).status === 0;
if (!HAS_AGE && process.env.CI)
  throw new Error("the age CLI is required in CI (apt-get install -y age)");

let dir: string;
let identity: string;
let identity2: string;
let rule: CreationRule;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sg-enc-"));
  identity = await generateIdentity();
  identity2 = await generateIdentity();
  rule = {
    index: 0,
    age: [await identityToRecipient(identity), await identityToRecipient(identity2)],
    otherKeyTypes: [],
    keyGroupCount: 0,
    selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
    macOnlyEncrypted: false,
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = `# a Secret
apiVersion: v1
kind: Secret
metadata:
  name: backend # the name
  namespace: develop
type: Opaque
stringData:
  # example: hunter2
  database-url: "postgresql://u:p@db/app"
  port: 5432
  ratio: 0.25
  enabled: true
  octal: 017
  empty: ""
  nothing:
---
apiVersion: v1
kind: Secret
metadata:
  name: second
data:
  token: c2VjcmV0
`;

function ageDecrypt(enc: string, id: string): Buffer {
  const keyFile = path.join(dir, "id.txt");
  writeFileSync(keyFile, `${id}\n`);
  const encFile = path.join(dir, "enc.age");
  writeFileSync(encFile, enc);
  return execFileSync("age", ["-d", "-i", keyFile, encFile]);
}

describe.skipIf(!HAS_AGE)("native output opened by the age CLI", () => {
  it("every stanza of every format yields the same raw 32-byte data key", async () => {
    for (const [format, input] of [
      ["yaml", SECRET],
      ["json", '{"a": "x", "n": 1.5, "i": 7, "b": false, "l": [1, "s"], "o": {"k": "v"}}'],
      ["dotenv", "A=1\n# comment\nB=two words\nC=x=y\n"],
    ] as const) {
      const r =
        format === "yaml"
          ? rule
          : { ...rule, selector: { field: "unencrypted_suffix" as const, value: "_unencrypted" } };
      const out = await encryptNative(Buffer.from(input), format, r);
      const meta = parseFile(out, format).docs[0]!.metadata as {
        age: Array<{ enc: string; recipient: string }>;
      };
      expect(meta.age).toHaveLength(2);
      const k1 = ageDecrypt(meta.age[0]!.enc, identity);
      const k2 = ageDecrypt(meta.age[1]!.enc, identity2);
      expect(k1).toHaveLength(32);
      expect(k1.equals(k2)).toBe(true);
      const d = await decryptFile(out, format, [identity2]);
      expect(d.ok, d.detail).toBe(true);
      expect(d.dataKey!.equals(k1)).toBe(true);
    }
  });
});

describe("native round trips", () => {
  it("multi-document YAML: types, comments, empty and null values, a sops block per document", async () => {
    const out = await encryptNative(Buffer.from(SECRET), "yaml", rule);
    const text = out.toString();
    expect(text.match(/^sops:$/gm)).toHaveLength(2);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("postgresql");
    expect(text).toContain("#ENC[AES256_GCM,");
    expect(text).toContain("name: backend # the name");
    expect(text).toContain('empty: ""');
    expect(text).toMatch(/lastmodified: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
    expect(text).toContain("encrypted_regex: ^(data|stringData)$");
    expect(text).toContain("mac: ENC[AES256_GCM,");
    expect(text).toContain("version: 3.13.2");
    const d = await decryptFile(out, "yaml", [identity]);
    expect(d.ok, d.detail).toBe(true);
    const values = Object.fromEntries(
      d.leaves.filter((l) => l.encrypted).map((l) => [l.aad, `${l.type}:${l.plain}`]),
    );
    expect(values).toEqual({
      "stringData:database-url:": "str:postgresql://u:p@db/app",
      "stringData:port:": "int:5432",
      "stringData:ratio:": "float:0.25",
      "stringData:enabled:": "bool:True",
      "stringData:octal:": "int:15",
      "data:token:": "str:c2VjcmV0",
    });
  });

  it("JSON and dotenv", async () => {
    const all = {
      ...rule,
      selector: { field: "unencrypted_suffix" as const, value: "_unencrypted" },
    };
    const json = await encryptNative(
      Buffer.from('{"a": "x", "keep_unencrypted": "v", "n": 2}'),
      "json",
      all,
    );
    expect(json.toString()).toContain('\t"sops": {');
    expect(json.toString()).toContain('"mac": "ENC[');
    expect(json.toString()).toContain('"keep_unencrypted": "v"');
    expect((await decryptFile(json, "json", [identity])).ok).toBe(true);
    const env = await encryptNative(Buffer.from("USER=admin\nPASS=s3cret\n"), "dotenv", all);
    expect(env.toString()).toMatch(/^sops_mac=ENC\[/m);
    expect(env.toString()).not.toContain("s3cret");
    const d = await decryptFile(env, "dotenv", [identity]);
    expect(d.leaves.map((l) => `${l.path[0]}=${l.plain}`)).toEqual(["USER=admin", "PASS=s3cret"]);
  });

  it("refuses what it cannot do, naming it", () => {
    expect(nativeRefusal({ ...rule, otherKeyTypes: ["pgp"] }, "yaml")).toMatch(/pgp/);
    expect(nativeRefusal({ ...rule, keyGroupCount: 2 }, "yaml")).toMatch(/key groups/);
    expect(nativeRefusal(rule, "binary")).toMatch(/binary/);
    expect(nativeRefusal({ ...rule, age: ["ssh-ed25519 AAAA"] }, "yaml")).toMatch(/SSH/);
    expect(nativeRefusal(rule, "yaml")).toBeUndefined();
  });

  it("byte-stable layout (IVs and clock fixed; age stanzas masked, they carry their own randomness)", async () => {
    let n = 0;
    const restore = setCryptoSeamsForTests({
      random: (len) => Buffer.alloc(len, ++n),
      clock: () => new Date("2026-11-28T12:34:56.789Z"),
    });
    try {
      const fixed = {
        ...rule,
        age: ["age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"],
      };
      const out = (await encryptNative(Buffer.from(SECRET), "yaml", fixed)).toString();
      const masked = out.replace(
        /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/g,
        "<age stanza>",
      );
      expect(masked).toMatchSnapshot();
      const all = {
        ...fixed,
        selector: { field: "unencrypted_suffix" as const, value: "_unencrypted" },
      };
      const mask = (b: Buffer) =>
        b
          .toString()
          .replace(
            /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----(\\n)?/g,
            "<age stanza>",
          );
      const json = await encryptNative(
        Buffer.from('{"a": "x", "n": 1.5, "b": true, "keep_unencrypted": 2}'),
        "json",
        all,
      );
      expect(mask(json)).toMatchSnapshot();
      const env = await encryptNative(
        Buffer.from("USER=admin\n# note\nPASS=s3cret\n"),
        "dotenv",
        all,
      );
      expect(mask(env)).toMatchSnapshot();
    } finally {
      restore();
    }
  });
});
