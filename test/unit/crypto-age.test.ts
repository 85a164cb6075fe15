/**
 * The data key wrapped with age, cross-checked with the real `age` CLI (the
 * independent implementation; CI installs it, so there a missing binary is a
 * failure), post-quantum wrapping, and identities found the way sops finds
 * them: strict key-file lines and every environment source.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateHybridIdentity, generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isUsableIdentity,
  parseIdentities,
  recipientOf,
  unwrapDataKey,
  wrapDataKey,
} from "../../src/crypto/age.js";
import {
  defaultKeysFile,
  loadIdentities,
  splitWords,
  userConfigDir,
} from "../../src/crypto/identities.js";
import { readMetadata } from "../../src/crypto/metadata.js";
import { parseFile } from "../../src/sops/parse.js";

const UP = path.resolve(__dirname, "../fixtures/sops-upstream");
const FLUX = path.join(UP, "fluxcd-kustomize-controller/internal/controller/testdata/sops");
const FIXTURE_KEY_FILE = path.join(FLUX, "keys/age.txt");
const FIXTURE_DATA_KEY = "558e95c88337865c839703a4e892c03eed324ae6bbcb65c2989558e1a55825bb";
const HAS_AGE = spawnSync("age", ["--version"]).status === 0;

let dir: string;
let id1: string;
let id2: string;
let pq: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "sg-age-"));
  id1 = await generateIdentity();
  id2 = await generateIdentity();
  pq = await generateHybridIdentity();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

describe("(4) cross-check with the age CLI", () => {
  it("the age CLI is installed where CI runs", () => {
    if (process.env.CI) expect(HAS_AGE, "apt-get install -y age").toBe(true);
  });

  describe.skipIf(!HAS_AGE && !process.env.CI)("age -d / age -e", () => {
    it("age -d opens the enc block we write to the raw 32-byte data key", async () => {
      const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));
      const enc = await wrapDataKey(key, await identityToRecipient(id1));
      expect(enc).toMatch(
        /^-----BEGIN AGE ENCRYPTED FILE-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END AGE ENCRYPTED FILE-----\n$/,
      );
      const out = execFileSync("age", [
        "-d",
        "-i",
        write("id1.txt", `${id1}\n`),
        write("k.age", enc),
      ]);
      expect(out.equals(key)).toBe(true);
      expect(out).toHaveLength(32);
    });

    it("age -d opens a fixture's enc block to expected.json's data key", () => {
      const parsed = parseFile(readFileSync(path.join(FLUX, "algorithms/age.yaml")), "yaml");
      const enc = readMetadata(parsed.docs[0]!.metadata).age[0]!.enc;
      const out = execFileSync("age", ["-d", "-i", FIXTURE_KEY_FILE, write("f.age", enc)]);
      expect(out.toString("hex")).toBe(FIXTURE_DATA_KEY);
    });

    it("what age -e -a writes, unwrapDataKey opens", async () => {
      const key = Buffer.alloc(32, 0xa5);
      const enc = execFileSync("age", ["-e", "-a", "-r", await identityToRecipient(id2)], {
        input: key,
      }).toString();
      expect((await unwrapDataKey(enc, [id1, id2]))?.equals(key)).toBe(true);
      expect(await unwrapDataKey(enc, [id1])).toBeUndefined();
    });
  });
});

describe("wrap and unwrap natively", () => {
  it("X25519 and hybrid post-quantum recipients", async () => {
    const key = Buffer.alloc(32, 3);
    for (const id of [id1, pq]) {
      const r = await recipientOf(id);
      expect(r.startsWith(id === pq ? "age1pq1" : "age1")).toBe(true);
      const enc = await wrapDataKey(key, r);
      expect((await unwrapDataKey(enc, ["AGE-PLUGIN-FOO-1XYZ", id2, id]))?.equals(key)).toBe(true);
      expect(await unwrapDataKey(enc, [id2])).toBeUndefined();
    }
  });

  it("refuses bad recipients and keys; garbage enc blocks open to nothing", async () => {
    await expect(wrapDataKey(Buffer.alloc(32), "ssh-ed25519 AAAA")).rejects.toThrow(/recipient/);
    await expect(wrapDataKey(Buffer.alloc(16), await recipientOf(id1))).rejects.toThrow(/32/);
    expect(await unwrapDataKey("not armor", [id1])).toBeUndefined();
    expect(await unwrapDataKey("", [id1])).toBeUndefined();
    await expect(recipientOf("AGE-SECRET-KEY-1NOPE")).rejects.toThrow("not a valid age identity");
  });

  it("the fixture identity has the fixture recipient", async () => {
    const [id] = parseIdentities(readFileSync(FIXTURE_KEY_FILE, "utf8"));
    expect(await recipientOf(id!)).toBe(
      "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29",
    );
  });
});

describe("(5) key-file syntax as sops reads it", () => {
  it("comments and empty lines skipped, CRLF tolerated, one identity per line", () => {
    const text = `# created: 2021\n\n# public key: age1...\n${id1}\r\n${pq}\n`;
    expect(parseIdentities(text, "f")).toEqual([id1, pq]);
    expect(parseIdentities("", "f")).toEqual([]);
  });

  it("an indented line, trailing spaces, a mixed-case key or an indented comment are invalid", () => {
    const cases = [
      ` ${id1}`,
      `\t${id1}`,
      `${id1} `,
      `${id1} ${id2}`,
      `${id1.slice(0, 20)}${id1.slice(20).toLowerCase()}`,
      `  # indented comment`,
      `age1notanidentity`,
      id1.toLowerCase(),
    ];
    for (const line of cases) {
      let msg = "";
      try {
        parseIdentities(`# ok\n${line}\n`, "keys.txt");
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg, JSON.stringify(line)).toContain("keys.txt: line 2 is not an age identity");
      expect(msg).not.toContain(id1);
      expect(msg).not.toContain(id1.slice(16, 40));
    }
  });

  it("SOPS_AGE_KEY style: several identities per line, comment lines skipped; plugins skipped", () => {
    expect(
      parseIdentities(`# c\n${id1} ${id2}\n\t${pq}\n`, "SOPS_AGE_KEY", { multiplePerLine: true }),
    ).toEqual([id1, id2, pq]);
    expect(parseIdentities(`AGE-PLUGIN-YUBIKEY-1QQQ\n${id1}\n`)).toEqual([id1]);
    expect(isUsableIdentity(id1)).toBe(true);
    expect(isUsableIdentity(`${id1.slice(0, -1)}q`)).toBe(false); // checksum
  });
});

describe("(5) identities from every source sops reads", () => {
  const base = () => ({ PATH: process.env.PATH, HOME: path.join(dir, "home") });

  it("SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the default file, combined", async () => {
    const file = write("with space/k.txt", `# key\n${id2}\n`);
    write("home/.config/sops/age/keys.txt", `${pq}\n${id1}\n`);
    const r = await loadIdentities({
      ...base(),
      SOPS_AGE_KEY: `${id1}\n# note\n`,
      SOPS_AGE_KEY_FILE: file,
      SOPS_AGE_KEY_CMD: `cat "${file}"`,
    });
    expect(r.identities).toEqual([id1, id2, pq]);
    expect(r.sources).toEqual([
      "SOPS_AGE_KEY",
      `SOPS_AGE_KEY_FILE (${file})`,
      "SOPS_AGE_KEY_CMD",
      path.join(dir, "home/.config/sops/age/keys.txt"),
    ]);
    expect(r.problems).toEqual([]);
  });

  it("each source alone", async () => {
    const file = write("k2.txt", `${id2}\n`);
    const empty = { ...base(), HOME: path.join(dir, "nohome") };
    expect((await loadIdentities({ ...empty, SOPS_AGE_KEY: id1 })).identities).toEqual([id1]);
    expect((await loadIdentities({ ...empty, SOPS_AGE_KEY_FILE: file })).identities).toEqual([id2]);
    expect(
      (await loadIdentities({ ...empty, SOPS_AGE_KEY_CMD: `sh -c 'printf "%s\\n" "$0"' ${id1}` }))
        .identities,
    ).toEqual([id1]);
    write("xdg/sops/age/keys.txt", `${pq}\n`);
    const x = await loadIdentities({ ...empty, XDG_CONFIG_HOME: path.join(dir, "xdg") });
    expect(x.identities).toEqual([pq]);
    expect(x.sources).toEqual([path.join(dir, "xdg/sops/age/keys.txt")]);
    expect(await loadIdentities(empty)).toEqual({ identities: [], sources: [], problems: [] });
  });

  it("a broken source is dropped (as sops does) while the others count; all broken throws", async () => {
    const bad = write("bad.txt", `  ${id1}\n`);
    const good = write("good.txt", `${id2}\n`);
    const env = { ...base(), HOME: path.join(dir, "nohome"), SOPS_AGE_KEY_FILE: bad };
    const mixed = await loadIdentities({ ...env, SOPS_AGE_KEY_CMD: `cat ${good}` });
    expect(mixed.identities).toEqual([id2]);
    expect(mixed.problems).toEqual([
      `${bad}: line 1 is not an age identity (one identity per line, nothing before or after it)`,
    ]);
    let msg = "";
    try {
      await loadIdentities({
        ...env,
        SOPS_AGE_KEY: `${id1}x`,
        SOPS_AGE_KEY_CMD: "false",
      });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^failed to load age identities: /);
    expect(msg).toContain("SOPS_AGE_KEY_CMD failed");
    expect(msg).toContain(bad);
    expect(msg).not.toContain(id1.slice(16, 40));
    const missing = await loadIdentities({
      ...env,
      SOPS_AGE_KEY_FILE: path.join(dir, "nope.txt"),
      SOPS_AGE_KEY: id1,
    });
    expect(missing.problems[0]).toMatch(/SOPS_AGE_KEY_FILE: cannot read .*nope\.txt \(ENOENT\)/);
    const enc = write("pass.txt", "-----BEGIN AGE ENCRYPTED FILE-----\n");
    await expect(loadIdentities({ ...env, SOPS_AGE_KEY_FILE: enc })).rejects.toThrow(
      /passphrase-protected/,
    );
  });

  it("the default file location per platform (Go's os.UserConfigDir, sops' macOS XDG rule)", () => {
    const home = "/h";
    expect(userConfigDir({ HOME: home }, "linux")).toBe("/h/.config");
    expect(userConfigDir({ HOME: home, XDG_CONFIG_HOME: "/x" }, "linux")).toBe("/x");
    expect(userConfigDir({ HOME: home, XDG_CONFIG_HOME: "rel" }, "linux")).toBeUndefined();
    expect(userConfigDir({ HOME: home }, "darwin")).toBe("/h/Library/Application Support");
    expect(userConfigDir({ HOME: home, XDG_CONFIG_HOME: "/x" }, "darwin")).toBe("/x");
    expect(userConfigDir({ APPDATA: "C:\\A", XDG_CONFIG_HOME: "/x" }, "win32")).toBe("C:\\A");
    expect(userConfigDir({}, "linux")).toBeUndefined();
    expect(defaultKeysFile({ HOME: home }, "linux")).toBe("/h/.config/sops/age/keys.txt");
  });

  it("SOPS_AGE_KEY_CMD is split like shlex, never run through a shell", () => {
    expect(splitWords(`cmd 'a b' "c \\"d\\"" e\\ f '' # comment`)).toEqual([
      "cmd",
      "a b",
      'c "d"',
      "e f",
      "",
    ]);
    expect(splitWords("a#b $HOME `x` ;")).toEqual(["a#b", "$HOME", "`x`", ";"]);
    expect(() => splitWords("cmd 'open")).toThrow(/unterminated/);
    expect(() => splitWords("cmd \\")).toThrow(/backslash/);
  });
});
