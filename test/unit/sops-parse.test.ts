import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { looksSopsEncrypted, looksSopsEncryptedAny } from "../../src/sops/detect.js";
import { encState } from "../../src/sops/enc.js";
import { parseFile } from "../../src/sops/parse.js";
import { goFormatFloat, resolvePlain, resolvePlainFull } from "../../src/sops/scalar.js";
import {
  type Leaf,
  type MapItem,
  type MapNode,
  ParseError,
  type TreeNode,
} from "../../src/sops/tree.js";
import { walkLeaves } from "../../src/sops/walk.js";
import type { Format } from "../../src/types.js";

const CANARY = "canary-Zq8vX2-do-not-print";

function item(root: MapNode, key: string): MapItem {
  const found = root.items.find((i) => i.kind === "item" && i.key === key);
  if (found?.kind !== "item") throw new Error(`no key ${key}`);
  return found;
}

describe("go-yaml v3 scalar typing", () => {
  it.each([
    ["017", "int", "15"],
    ["1_000", "int", "1000"],
    ["0x1F", "int", "31"],
    ["0o17", "int", "15"],
    ["0b101", "int", "5"],
    ["-3", "int", "-3"],
    ["+12", "int", "12"],
    ["08", "float", "8"],
    ["1.0", "float", "1"],
    ["1e21", "float", "1000000000000000000000"],
    ["1.234568e9", "float", "1234568000"],
    ["25.4", "float", "25.4"],
    [".5", "float", "0.5"],
    [".inf", "float", "+Inf"],
    ["-.Inf", "float", "-Inf"],
    [".NaN", "float", "NaN"],
    ["true", "bool", "True"],
    ["FALSE", "bool", "False"],
    ["yes", "str", "yes"],
    ["on", "str", "on"],
    ["1.2.3", "str", "1.2.3"],
    ["2024-01-01", "time", "2024-01-01T00:00:00Z"],
    ["2024-1-2T3:04:05.500Z", "time", "2024-01-02T03:04:05.5Z"],
    ["2024-01-01 10:00:00", "time", "2024-01-01T10:00:00Z"],
    ["2024-11-12T13:33:42+02:00", "time", "2024-11-12T13:33:42+02:00"],
    ["2024-13-01", "str", "2024-13-01"],
  ])("%s → %s %s", (text, type, out) => {
    const r = resolvePlain(text);
    expect(r.type).toBe(type);
    if (r.type !== "null") expect(r.text).toBe(out);
  });

  it.each(["", "~", "null", "NULL"])("%j is null", (t) => {
    expect(resolvePlain(t).type).toBe("null");
  });

  it("resolves with its shortcuts exactly as without them", () => {
    const chars = fc.constantFrom(..."0123456789_+-.eExXoObBnNtTfFaAzZyY~:iI ".split(""));
    const texts = fc.oneof(
      fc.string({ maxLength: 24 }),
      fc.array(chars, { maxLength: 22 }).map((a) => a.join("")),
      fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }).map(String),
      fc.constantFrom(
        "",
        "0",
        "00",
        "9223372036854775807",
        "9223372036854775808",
        "123456789012345678",
        "1234567890123456789",
        "Null",
        "True",
        "FALSE",
        ".inf",
        "-.Inf",
        ".NaN",
      ),
    );
    fc.assert(
      fc.property(texts, (t) => {
        expect(resolvePlain(t)).toEqual(resolvePlainFull(t));
      }),
      { numRuns: 20000 },
    );
  });

  it("formats floats like Go without exponent", () => {
    expect(goFormatFloat(1e-7)).toBe("0.0000001");
    expect(goFormatFloat(-0)).toBe("-0");
    expect(goFormatFloat(123.456)).toBe("123.456");
  });
});

describe("YAML store", () => {
  it("reads documents, positions, quoted vs plain typing and the sops block", () => {
    const src = [
      "apiVersion: v1",
      "kind: Secret",
      "stringData:",
      '  a: "017"',
      "  b: 017",
      "  c:",
      "sops:",
      "  mac: x",
      "---",
      "kind: ConfigMap",
      "",
    ].join("\n");
    const f = parseFile(Buffer.from(src), "yaml");
    expect(f.docs).toHaveLength(2);
    const d0 = f.docs[0]!;
    expect(d0.metadata).toEqual({ mac: "x" });
    const sd = item(d0.root, "stringData").value as MapNode;
    const a = item(sd, "a");
    expect((a.value as Leaf).type).toBe("str");
    expect(a.keyPos).toEqual({ line: 4, column: 3 });
    expect((item(sd, "b").value as Leaf).plain.toString()).toBe("15");
    expect(item(sd, "c").value.kind).toBe("null");
    expect(f.docs[1]!.metadata).toBeUndefined();
  });

  it("expands aliases and keeps << as a key", () => {
    const f = parseFile(Buffer.from("base: &b {x: 1}\nother:\n  <<: *b\n"), "yaml");
    const other = item(f.docs[0]!.root, "other").value as MapNode;
    expect(item(other, "<<").value.kind).toBe("map");
  });

  it.each([
    ["duplicate key", `a: 1\na: ${CANARY}\n`],
    ["non-string key", `true: ${CANARY}\n`],
    ["sequence document", `- ${CANARY}\n`],
    ["unterminated quote", `a: "${CANARY}\n`],
    ["bad indentation", `a:\n  b: 1\n c: ${CANARY}\n`],
    ["NUL byte", `a: ${CANARY}\u0000\n`],
  ])("fails closed on %s without quoting the source", (_name, src) => {
    let err: unknown;
    try {
      parseFile(Buffer.from(src), "yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect(String((err as Error).message)).not.toContain(CANARY);
    expect((err as ParseError).line).toBeGreaterThan(0);
  });

  it("rejects invalid UTF-8 and bounds alias bombs", () => {
    expect(() => parseFile(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe]), "yaml")).toThrow(/UTF-8/);
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(",")}]`);
    }
    const t0 = Date.now();
    expect(() => parseFile(Buffer.from(lines.join("\n")), "yaml")).toThrow(/too many nodes/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe("JSON, dotenv, INI and binary stores", () => {
  it("JSON keeps key order and positions", () => {
    const f = parseFile(
      Buffer.from('{\n\t"2": 1,\n\t"1": "x",\n\t"sops": {"mac": "m"}\n}\n'),
      "json",
    );
    const keys = f.docs[0]!.root.items.map((i) => (i.kind === "item" ? i.key : ""));
    expect(keys).toEqual(["2", "1"]);
    expect(item(f.docs[0]!.root, "1").keyPos).toEqual({ line: 3, column: 2 });
    expect(f.docs[0]!.metadata).toEqual({ mac: "m" });
    expect(() => parseFile(Buffer.from(`{"a": "${CANARY}", "a": 1}`), "json")).toThrow(/duplicate/);
  });

  it("dotenv splits at the first = without trimming and unflattens metadata", () => {
    const src =
      "foo = bar\n#c\nx=a\\nb\nsops_age__list_0__map_recipient=age1x\nsops_version=3.9.0\n";
    const f = parseFile(Buffer.from(src), "dotenv");
    const d = f.docs[0]!;
    expect((item(d.root, "foo ").value as Leaf).str).toBe(" bar");
    expect((item(d.root, "x").value as Leaf).str).toBe("a\nb");
    expect(d.metadata).toEqual({ age: [{ recipient: "age1x" }], version: "3.9.0" });
  });

  it("INI sections become keys", () => {
    const f = parseFile(Buffer.from("[db]\nuser = me\n[sops]\nversion = 3.13.2\n"), "ini");
    const db = item(f.docs[0]!.root, "db").value as MapNode;
    expect((item(db, "user").value as Leaf).str).toBe("me");
    expect(f.docs[0]!.metadata).toEqual({ version: "3.13.2" });
  });

  it("binary: plaintext is one data value, an envelope is JSON", () => {
    const plain = parseFile(Buffer.from([0, 1, 2, 255]), "binary");
    expect((item(plain.docs[0]!.root, "data").value as Leaf).plain).toEqual(
      Buffer.from([0, 1, 2, 255]),
    );
    const env = parseFile(Buffer.from('{"data": "ENC[x]", "sops": {"mac": "m"}}'), "binary");
    expect(env.docs[0]!.metadata).toEqual({ mac: "m" });
  });
});

/** The walk as first written (nested generators), the reference for the one-stack walk. */
function* walkReference(
  node: TreeNode,
  path: string[] = [],
  comments: string[] = [],
): Generator<{ leaf: Leaf; path: string[]; comments: string[] }> {
  if (node.kind === "leaf") {
    yield { leaf: node, path, comments };
    return;
  }
  if (node.kind === "null") return;
  let pending: string[] = [];
  for (const item of node.items) {
    if (item.kind === "comment") {
      pending.push(item.text);
      continue;
    }
    if (item.kind === "item")
      yield* walkReference(item.value, [...path, item.key], [...comments, ...pending]);
    else yield* walkReference(item, path, [...comments, ...pending]);
    pending = [];
  }
}

describe("walkLeaves", () => {
  it("visits the leaves, paths and comments of the reference walk", () => {
    const leaf = fc
      .string({ maxLength: 3 })
      .map((t): TreeNode => ({ kind: "leaf", type: "str", str: t, plain: Buffer.from(t) }));
    const comment = fc.string({ maxLength: 3 }).map((text) => ({ kind: "comment" as const, text }));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.constant<TreeNode>({ kind: "null" }),
        fc
          .array(
            fc.oneof(
              comment,
              fc.record({
                kind: fc.constant("item" as const),
                key: fc.string({ maxLength: 3 }),
                value: tie("tree") as fc.Arbitrary<TreeNode>,
              }),
            ),
            { maxLength: 5 },
          )
          .map((items): TreeNode => ({ kind: "map", items })),
        fc
          .array(fc.oneof(comment, tie("tree") as fc.Arbitrary<TreeNode>), { maxLength: 5 })
          .map((items): TreeNode => ({ kind: "seq", items })),
      ),
    }));
    fc.assert(
      fc.property(tree, fc.array(fc.string({ maxLength: 2 }), { maxLength: 2 }), (t, start) => {
        const got = [...walkLeaves(t, start, [])];
        const want = [...walkReference(t, start, [])];
        expect(got.length).toBe(want.length);
        for (let i = 0; i < got.length; i++) {
          expect(got[i]!.leaf).toBe(want[i]!.leaf);
          expect(got[i]!.path).toEqual(want[i]!.path);
          expect(got[i]!.comments).toEqual(want[i]!.comments);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

/** The marker test as first written: every store's regexes over the latin1 text. */
function markerReference(bytes: Uint8Array, format: Format): boolean {
  const text = Buffer.from(bytes).toString("latin1");
  switch (format) {
    case "yaml":
      return /(^|\n)sops:[ \t]*\r?\n/.test(text) && /\n[ \t]+(mac|lastmodified):/.test(text);
    case "json":
    case "binary":
      return /"sops"\s*:\s*\{/.test(text) && /"(mac|lastmodified)"\s*:/.test(text);
    case "dotenv":
      return /(^|\n)sops_(mac|lastmodified|version)=/.test(text);
    case "ini":
      return /(^|\n)\[sops\][ \t]*\r?\n/.test(text);
  }
}

describe("looksSopsEncrypted", () => {
  it("answers as the marker regexes do, with its byte search first", () => {
    const piece = fc.constantFrom(
      "sops:\n",
      "sops:",
      "  mac: x\n",
      "\n lastmodified:",
      '"sops": {',
      '"mac":',
      "sops_mac=",
      "sops_version=",
      "[sops]\r\n",
      "[sops]\n",
      "\n",
      "a: b\n",
      "SOPS:\n",
      "sop",
      "s",
      "\u00e9",
    );
    const bytes = fc.oneof(
      fc.array(piece, { maxLength: 8 }).map((a) => Buffer.from(a.join(""), "utf8")),
      fc.uint8Array({ maxLength: 40 }),
    );
    const formats: Format[] = ["yaml", "json", "dotenv", "ini", "binary"];
    fc.assert(
      fc.property(bytes, (b) => {
        const sub = new Uint8Array(b.buffer, b.byteOffset, b.length);
        for (const f of formats) expect(looksSopsEncrypted(sub, f)).toBe(markerReference(sub, f));
        expect(looksSopsEncryptedAny(sub)).toBe(
          (["yaml", "json", "dotenv", "ini"] as Format[]).some((f) => markerReference(sub, f)),
        );
      }),
      { numRuns: 5000 },
    );
  });
});

describe("encState, remembering ciphertext", () => {
  const enc = (data: number, iv: number, tag: number, type = "str") =>
    `ENC[AES256_GCM,data:${Buffer.alloc(data, 7).toString("base64")},iv:${Buffer.alloc(iv, 1).toString("base64")},tag:${Buffer.alloc(tag, 2).toString("base64")},type:${type}]`;
  it("answers each text as the first time, before and after the memo fills", () => {
    for (let round = 0; round < 3; round++) {
      for (let n = 1; n < 5000; n += 7) {
        expect(encState(enc(n, 32, 16))).toBe("encrypted");
        expect(encState(enc(n, 32, 15))).toBe("malformed");
        expect(encState(enc(n, 31, 16))).toBe("malformed");
        expect(encState(`${enc(n, 32, 16)} `)).toBe("plaintext");
        expect(encState(enc(n, 32, 16, "nope"))).toBe("malformed");
      }
    }
    expect(encState("ENC[]")).toBe("malformed");
    expect(encState("plain")).toBe("plaintext");
  });
});
