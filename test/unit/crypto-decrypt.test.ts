/**
 * Native decryption against real sops output: every upstream fixture, with
 * its published key (age) or its recorded data key (PGP files, whose key
 * wrapping is not native), decrypts to the recorded leaves and verifies its
 * MAC; and the deterministic vector of sops-format §10.1 is reproduced byte
 * for byte.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decryptValue, encryptValue } from "../../src/crypto/aes.js";
import { parseIdentities } from "../../src/crypto/age.js";
import { decryptFile, decryptTree, readSopsMeta } from "../../src/crypto/decrypt.js";
import { encryptMac, MacHasher } from "../../src/crypto/mac.js";
import { formatForPath } from "../../src/sops/formats.js";
import { parseFile } from "../../src/sops/parse.js";

const UP = path.resolve(__dirname, "../fixtures/sops-upstream");
interface Expected {
  format: string;
  via: string;
  ageIdentityFile?: string;
  dataKeyHex: string;
  leaves: Array<{
    path: string[];
    aad: string;
    type: string;
    plaintext?: string;
    encrypted?: boolean;
    value?: string;
  }>;
  computedMac: string;
  macVerifies: boolean;
}
const expected = JSON.parse(readFileSync(path.join(UP, "expected.json"), "utf8")) as Record<
  string,
  Expected
>;

function fmt(rel: string) {
  return formatForPath(rel);
}

describe("native decryption of upstream fixtures", () => {
  const ageFiles = Object.entries(expected).filter(
    ([, e]) => e.via.includes("age") && e.ageIdentityFile,
  );
  it.each(ageFiles.filter(([rel]) => !rel.endsWith("inside/secret.yaml")))(
    "%s opens with its published age key and its MAC verifies",
    async (rel, e) => {
      const ids = parseIdentities(readFileSync(path.join(UP, e.ageIdentityFile!), "utf8"), "key");
      const r = await decryptFile(readFileSync(path.join(UP, rel)), fmt(rel), ids);
      expect(r.problem).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.dataKey!.toString("hex")).toBe(e.dataKeyHex);
      const got = r.leaves.filter((l) => l.encrypted).map((l) => [l.aad, l.plain.toString("utf8")]);
      const want = e.leaves.filter((l) => l.encrypted !== false).map((l) => [l.aad, l.plaintext]);
      expect(got).toEqual(want);
    },
  );

  it("inside/secret.yaml: the sops file inside the Secret's data value opens too", async () => {
    const rel = "fluxcd-kustomize-controller/internal/controller/testdata/sops/inside/secret.yaml";
    const e = expected[rel]!;
    const outer = parseFile(readFileSync(path.join(UP, rel)), "yaml");
    const data = outer.docs[0]!.root.items.find((i) => i.kind === "item" && i.key === "data");
    const value =
      data?.kind === "item" && data.value.kind === "map" ? data.value.items[0] : undefined;
    const b64 = value?.kind === "item" && value.value.kind === "leaf" ? value.value.str! : "";
    const ids = parseIdentities(readFileSync(path.join(UP, e.ageIdentityFile!), "utf8"), "key");
    const r = await decryptFile(Buffer.from(b64, "base64"), "binary", ids);
    expect(r.ok).toBe(true);
    expect(r.dataKey!.toString("hex")).toBe(e.dataKeyHex);
  });

  const all = Object.entries(expected).filter(([rel]) => !rel.endsWith("inside/secret.yaml"));
  it.each(all)("%s decrypts with its recorded data key; MAC as recorded", (rel, e) => {
    const parsed = parseFile(readFileSync(path.join(UP, rel)), fmt(rel));
    const meta = readSopsMeta(parsed.docs[0]!.metadata);
    const r = decryptTree(parsed, meta, Buffer.from(e.dataKeyHex, "hex"));
    if (e.macVerifies) {
      expect(r.problem, r.detail).toBeUndefined();
      expect(r.macOk).toBe(true);
    } else {
      expect(r.problem).toBe("no-mac");
    }
    expect(r.leaves.map((l) => [l.path.join("/"), l.encrypted])).toEqual(
      e.leaves.map((l) => [l.path.join("/"), l.encrypted !== false]),
    );
    const plain = r.leaves.filter((l) => l.encrypted).map((l) => l.plain.toString("utf8"));
    expect(plain).toEqual(e.leaves.filter((l) => l.encrypted !== false).map((l) => l.plaintext));
  });

  it("a wrong data key or a moved value fails without printing the value", () => {
    const rel = "fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml";
    const parsed = parseFile(readFileSync(path.join(UP, rel)), "yaml");
    const meta = readSopsMeta(parsed.docs[0]!.metadata);
    const r = decryptTree(parsed, meta, Buffer.alloc(32, 7));
    expect(r.problem).toBe("bad-value");
    expect(r.detail).toContain("stringData:key:");
    expect(r.detail).not.toContain('value"');
  });
});

describe("deterministic vector (sops-format §10.1)", () => {
  const key = Buffer.from(
    "558e95c88337865c839703a4e892c03eed324ae6bbcb65c2989558e1a55825bb",
    "hex",
  );
  it("reproduces the value and the MAC byte for byte", () => {
    const enc = encryptValue(
      Buffer.from("value"),
      "str",
      key,
      "stringData:key:",
      Buffer.from("vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=", "base64"),
    );
    expect(enc).toBe(
      "ENC[AES256_GCM,data:mHeXsmQ=,iv:vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=,tag:IroV7hykADvD0IUaq6kikA==,type:str]",
    );
    const h = new MacHasher(false);
    for (const v of ["v1", "Secret", "age", "value"]) h.add(Buffer.from(v), true);
    const hex = h.hex();
    expect(hex).toBe(
      "5E6C78D06EF2D302C2DBC6DE95E8050A5DC5D24A5EE3F394BEC133BC432257EAD15A476AE609FE74379E7120853F13A1B080772BE5F162AD6945A25113B48862",
    );
    const mac = encryptMac(
      hex,
      key,
      "2024-11-12T13:33:42Z",
      Buffer.from("u5lhmtXMxyt+3Pw09wWvgBhmKLoOSpKNWUpu/LuCr3Y=", "base64"),
    );
    const file = readFileSync(
      path.join(
        UP,
        "fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
      ),
      "utf8",
    );
    expect(file).toContain(`mac: ${mac}\n`);
    expect(decryptValue(enc, key, "stringData:key:").plain.toString()).toBe("value");
  });
});
