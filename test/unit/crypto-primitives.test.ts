/**
 * The crypto primitives on their own: the ENC value format as sops parses
 * it, the deterministic vector of sops-format §10.1 reproduced byte for byte
 * through the IV/clock seam, Go's typed decoding behind the MAC bytes, the
 * MAC walk, and the metadata reader.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  decryptValue,
  encryptValue,
  goParseFloat,
  isWellFormedEnc,
  macBytesFor,
  parseEnc,
} from "../../src/crypto/aes.js";
import {
  computeMac,
  decryptMac,
  encryptMac,
  formatLastModified,
  goRfc3339,
  walkTree,
} from "../../src/crypto/mac.js";
import { isValidSopsMetadata, readMetadata } from "../../src/crypto/metadata.js";
import {
  now,
  randomBytes,
  setClockForTests,
  setRandomSourceForTests,
} from "../../src/crypto/random.js";
import { parseFile } from "../../src/sops/parse.js";
import type { CommentItem, MapItem, MapNode, TreeNode } from "../../src/sops/tree.js";

const UP = path.resolve(__dirname, "../fixtures/sops-upstream");
const AGE_YAML = path.join(
  UP,
  "fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
);
const KEY = Buffer.from("558e95c88337865c839703a4e892c03eed324ae6bbcb65c2989558e1a55825bb", "hex");
const VALUE_IV = "vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=";
const MAC_IV = "u5lhmtXMxyt+3Pw09wWvgBhmKLoOSpKNWUpu/LuCr3Y=";
const VALUE_ENC = `ENC[AES256_GCM,data:mHeXsmQ=,iv:${VALUE_IV},tag:IroV7hykADvD0IUaq6kikA==,type:str]`;
const MAC_HEX =
  "5E6C78D06EF2D302C2DBC6DE95E8050A5DC5D24A5EE3F394BEC133BC432257EAD15A476AE609FE74379E7120853F13A1B080772BE5F162AD6945A25113B48862";

let restore: Array<() => void> = [];
afterEach(() => {
  for (const r of restore.reverse()) r();
  restore = [];
});

describe("(3) deterministic vector, sops-format §10.1", () => {
  it("value, MAC and stored mac byte for byte, through the IV and clock seams", () => {
    const ivs = [Buffer.from(VALUE_IV, "base64"), Buffer.from(MAC_IV, "base64")];
    restore.push(
      setRandomSourceForTests((n) => {
        const iv = ivs.shift()!;
        expect(n).toBe(32);
        return iv;
      }),
      setClockForTests(() => new Date("2024-11-12T13:33:42.987Z")),
    );
    const enc = encryptValue(Buffer.from("value"), "str", KEY, "stringData:key:");
    expect(enc).toBe(VALUE_ENC);

    const parsed = parseFile(readFileSync(AGE_YAML), "yaml");
    const meta = readMetadata(parsed.docs[0]!.metadata);
    const hex = computeMac(
      parsed.docs,
      (leaf, p) =>
        p[0] === "stringData" ? decryptValue(leaf.str!, KEY, `${p.join(":")}:`).plain : leaf.plain,
      { selector: meta.selector, macOnlyEncrypted: meta.macOnlyEncrypted },
    );
    expect(hex).toBe(MAC_HEX);

    const lastmodified = formatLastModified(now());
    expect(lastmodified).toBe("2024-11-12T13:33:42Z");
    const mac = encryptMac(hex, KEY, lastmodified);
    expect(readFileSync(AGE_YAML, "utf8")).toContain(`  mac: ${mac}\n`);
    expect(mac).toBe(meta.mac);
    expect(decryptMac(mac, KEY, lastmodified)).toBe(MAC_HEX);
    expect(ivs).toHaveLength(0);
  });

  it("the default IV is 32 fresh random bytes", () => {
    const a = parseEnc(encryptValue(Buffer.from("x"), "str", KEY, "a:"))!;
    const b = parseEnc(encryptValue(Buffer.from("x"), "str", KEY, "a:"))!;
    expect(a.iv).toHaveLength(32);
    expect(a.tag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(randomBytes(32)).toHaveLength(32);
  });
});

describe("ENC values as sops parses them", () => {
  it("strict padded standard base64; anchored at the start only", () => {
    expect(parseEnc(VALUE_ENC)?.type).toBe("str");
    expect(isWellFormedEnc(VALUE_ENC)).toBe(true);
    expect(isWellFormedEnc(`${VALUE_ENC} trailing`)).toBe(true); // only the start is anchored
    expect(isWellFormedEnc(` ${VALUE_ENC}`)).toBe(false);
    expect(isWellFormedEnc(VALUE_ENC.replace("mHeXsmQ=", "mHeXsmQ"))).toBe(false); // unpadded
    const withMacIv = VALUE_ENC.replace(VALUE_IV, MAC_IV);
    expect(isWellFormedEnc(withMacIv)).toBe(true);
    const urlSafe = VALUE_ENC.replace(VALUE_IV, MAC_IV.replaceAll("/", "_").replaceAll("+", "-"));
    expect(isWellFormedEnc(urlSafe)).toBe(false);
    expect(isWellFormedEnc(VALUE_ENC.replace("data:mHeXsmQ=", "data:"))).toBe(false);
    expect(isWellFormedEnc(VALUE_ENC.replace(",type:str", ""))).toBe(false);
    expect(isWellFormedEnc(VALUE_ENC.replace("AES256_GCM", "AES128_GCM"))).toBe(false);
    expect(isWellFormedEnc(VALUE_ENC.replace("mHeXsmQ=", "mHe\nXsmQ="))).toBe(false); // Go `.` stops at \n
    expect(isWellFormedEnc("")).toBe(false);
  });

  it("round trip; AAD binds the path; errors name the path only", () => {
    const enc = encryptValue(Buffer.from("p4ss"), "str", KEY, "data:pw:");
    expect(decryptValue(enc, KEY, "data:pw:").plain.toString()).toBe("p4ss");
    expect(() => decryptValue(enc, KEY, "data:other:")).toThrow(/"data:other:" does not decrypt/);
    expect(() => decryptValue(enc, Buffer.alloc(32), "data:pw:")).toThrow(/does not decrypt/);
    expect(() => decryptValue("p4ss", KEY, "data:pw:")).toThrow(/not a well-formed/);
    try {
      decryptValue(enc, KEY, "data:other:");
    } catch (e) {
      expect((e as Error).message).not.toContain("p4ss");
    }
    expect(decryptValue("", KEY, "x:").plain).toHaveLength(0); // sops: "" stays ""
  });

  it("never encrypts an empty value", () => {
    expect(() => encryptValue(Buffer.alloc(0), "str", KEY, "a:")).toThrow(/empty/);
  });

  it("Go splits data+tag itself: a shifted split still decrypts", () => {
    const p = parseEnc(VALUE_ENC)!;
    const all = Buffer.concat([p.data, p.tag]);
    const shifted = `ENC[AES256_GCM,data:${all.subarray(0, 8).toString("base64")},iv:${VALUE_IV},tag:${all.subarray(8).toString("base64")},type:str]`;
    expect(decryptValue(shifted, KEY, "stringData:key:").plain.toString()).toBe("value");
  });

  it("typed plaintext decodes like Go (ToBytes of the decoded value)", () => {
    const mb = (s: string, t: string) => macBytesFor(Buffer.from(s), t)?.toString();
    expect(mb("True", "bool")).toBe("True");
    expect(mb("t", "bool")).toBe("True");
    expect(mb("0", "bool")).toBe("False");
    expect(mb("yes", "bool")).toBeUndefined();
    expect(mb("-0012", "int")).toBe("-12");
    expect(mb("+5", "int")).toBe("5");
    expect(mb("0x10", "int")).toBeUndefined();
    expect(mb("1_000", "int")).toBeUndefined();
    expect(mb("9223372036854775808", "int")).toBeUndefined();
    expect(mb("1e21", "float")).toBe("1000000000000000000000");
    expect(mb("1234568000", "float")).toBe("1234568000");
    expect(mb("25.40", "float")).toBe("25.4");
    expect(mb("+Inf", "float")).toBe("+Inf");
    expect(mb("nan", "float")).toBe("NaN");
    expect(mb("1e400", "float")).toBeUndefined();
    expect(mb("1_0.5", "float")).toBe("10.5");
    expect(mb("_1", "float")).toBeUndefined();
    expect(mb("0x1p-2", "float")).toBe("0.25");
    expect(mb("abc", "float")).toBeUndefined();
    expect(mb("2024-01-01T00:00:00Z", "time")).toBe("2024-01-01T00:00:00Z");
    expect(mb("2024-01-01T10:00:00.1200+02:00", "time")).toBe("2024-01-01T10:00:00.12+02:00");
    expect(mb("2024-01-01", "time")).toBeUndefined();
    expect(mb("x", "comment")).toBe("x");
    expect(mb("x", "mystery")).toBeUndefined();
    expect(goParseFloat("-.5e1")).toBe(-5);
  });
});

describe("lastmodified as Go formats it", () => {
  it("RFC 3339 re-formatted for the MAC AAD; UTC whole seconds for new files", () => {
    expect(goRfc3339("2024-11-12T13:33:42Z")).toBe("2024-11-12T13:33:42Z");
    expect(goRfc3339("2024-11-12T13:33:42.5Z")).toBe("2024-11-12T13:33:42Z");
    expect(goRfc3339("2024-11-12T13:33:42+00:00")).toBe("2024-11-12T13:33:42Z");
    expect(goRfc3339("2024-11-12T13:33:42+02:00")).toBe("2024-11-12T13:33:42+02:00");
    expect(() => goRfc3339("2024-11-12 13:33:42Z")).toThrow();
    expect(() => goRfc3339("2024-11-12t13:33:42z")).toThrow();
    expect(() => goRfc3339("2024-02-30T00:00:00Z")).toThrow();
    expect(formatLastModified(new Date("2026-01-02T03:04:05.678Z"))).toBe("2026-01-02T03:04:05Z");
  });
});

describe("the MAC walk", () => {
  it("comment stacks per level, cleared by the next value; nulls skipped", () => {
    const leaf = (s: string): TreeNode => ({
      kind: "leaf",
      type: "str",
      str: s,
      plain: Buffer.from(s),
    });
    const c = (text: string): CommentItem => ({ kind: "comment", text });
    const item = (key: string, value: TreeNode): MapItem => ({ kind: "item", key, value });
    const root: MapNode = {
      kind: "map",
      items: [
        c(" top"),
        item("a", leaf("1")),
        item("b", {
          kind: "map",
          items: [
            c(" inner"),
            c(" inner2"),
            item("c", leaf("x")),
            item("d", { kind: "null" }),
            c(" tail"),
            item("e", { kind: "map", items: [item("f", leaf("y"))] }),
          ],
        }),
        item("g", { kind: "seq", items: [leaf("one"), c(" in list"), leaf("two"), leaf("three")] }),
      ],
    };
    const seen = [...walkTree(root)].map((v) =>
      v.kind === "leaf"
        ? `L ${v.path.join(".")} [${v.comments.join("|")}]`
        : `C ${v.path.join(".")}${v.comment.text} [${v.comments.join("|")}]`,
    );
    expect(seen).toEqual([
      "C  top []",
      "L a [ top]",
      "C b inner []",
      "C b inner2 [ inner]",
      "L b.c [ inner| inner2]",
      "C b tail []",
      "L b.e.f [ tail]",
      "L g []",
      "C g in list []",
      "L g [ in list]",
      "L g []",
    ]);
  });

  it("computeMac hashes every leaf's bytes, or only encrypted ones after the prefix", () => {
    const doc = parseFile(Buffer.from("a: x\nb_unencrypted: y\n"), "yaml").docs;
    const sel = { field: "unencrypted_suffix" as const, value: "_unencrypted" };
    const all = computeMac(doc, (l) => l.plain, { selector: sel, macOnlyEncrypted: false });
    expect(all).toBe(createHash("sha512").update("xy").digest("hex").toUpperCase());
    const only = computeMac(doc, (l) => l.plain, { selector: sel, macOnlyEncrypted: true });
    const prefix = createHash("sha256").update("sops").digest();
    expect(only).toBe(createHash("sha512").update(prefix).update("x").digest("hex").toUpperCase());
  });
});

describe("metadata as sops loads it", () => {
  const age = [{ recipient: "age1abc", enc: "-----BEGIN AGE ENCRYPTED FILE-----\n" }];
  it("3.9 layout with empty lists, 3.13 layout, selector default", () => {
    const old = readMetadata({
      kms: [],
      gcp_kms: [],
      azure_kv: null,
      hc_vault: [],
      age,
      lastmodified: "2024-11-12T13:33:42Z",
      mac: "ENC[...]",
      pgp: [],
      encrypted_regex: "^(data|stringData)$",
      version: "3.9.0",
    });
    expect(old.problems).toEqual([]);
    expect(old.selector).toEqual({ field: "encrypted_regex", value: "^(data|stringData)$" });
    expect(old.selectorStored).toBe(true);
    expect(old.age).toEqual(age);
    expect(old.otherKeyTypes).toEqual([]);
    const none = readMetadata({ age, lastmodified: "2024-11-12T13:33:42Z", version: "3.13.2" });
    expect(none.selector).toMatchObject({ field: "unencrypted_suffix", value: "_unencrypted" });
    expect(none.selector.isDefault).toBe(true);
    expect(none.selectorStored).toBe(false);
    expect(none.mac).toBeUndefined();
    expect(none.problems).toEqual([]);
  });

  it("dotenv/INI strings are decoded weakly, as mapstructure does", () => {
    const m = readMetadata({
      age,
      lastmodified: "2024-11-12T13:33:42Z",
      mac_only_encrypted: "true",
      shamir_threshold: "1",
      unencrypted_suffix: "",
      version: "3.13.2",
    });
    expect(m.problems).toEqual([]);
    expect(m.macOnlyEncrypted).toBe(true);
    expect(m.shamirThreshold).toBe(1);
    expect(m.selector.isDefault).toBe(true);
  });

  it("problems: bad lastmodified, no keys, two selectors, bad created_at, not a mapping", () => {
    expect(readMetadata({ age, lastmodified: "2024-11-12T13:33:42.000" }).problems).toEqual([
      "lastmodified is missing or not an RFC 3339 time",
    ]);
    expect(readMetadata({ lastmodified: "2024-11-12T13:33:42Z" }).problems[0]).toMatch(/no keys/);
    expect(
      readMetadata({
        age,
        lastmodified: "2024-11-12T13:33:42Z",
        encrypted_regex: "a",
        unencrypted_regex: "b",
      }).problems,
    ).toEqual(["more than one selector (unencrypted_regex, encrypted_regex)"]);
    expect(
      readMetadata({
        pgp: [{ fp: "X", enc: "y", created_at: "yesterday" }],
        lastmodified: "2024-11-12T13:33:42Z",
      }).problems,
    ).toEqual(["pgp[0].created_at is not an RFC 3339 time"]);
    expect(readMetadata("nope").problems).toEqual(["the sops entry is not a mapping"]);
    expect(readMetadata({ age: "x", lastmodified: "2024-11-12T13:33:42Z" }).problems).toContain(
      "age is not a list",
    );
    expect(isValidSopsMetadata({ age, lastmodified: "2024-11-12T13:33:42Z" })).toBe(true);
  });

  it("flat lists win over key_groups; key groups are counted", () => {
    const flat = readMetadata({
      age,
      key_groups: [{ age: [{ recipient: "age1zzz", enc: "" }] }],
      lastmodified: "2024-11-12T13:33:42Z",
    });
    expect(flat.keyGroups).toBe(0);
    expect(flat.age.map((a) => a.recipient)).toEqual(["age1abc"]);
    const groups = readMetadata({
      key_groups: [
        { age: [{ recipient: "age1one", enc: "" }], hc_vault: [] },
        { pgp: [{ fp: "F", enc: "e", created_at: "2024-11-12T13:33:42Z" }] },
      ],
      shamir_threshold: 2,
      lastmodified: "2024-11-12T13:33:42Z",
    });
    expect(groups.problems).toEqual([]);
    expect(groups.keyGroups).toBe(2);
    expect(groups.groups.map((g) => g.otherKeyTypes)).toEqual([[], ["pgp"]]);
    expect(groups.age.map((a) => a.recipient)).toEqual(["age1one"]);
    expect(groups.otherKeyTypes).toEqual(["pgp"]);
  });
});
