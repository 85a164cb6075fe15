/**
 * Editing an encrypted file as `sops edit` does: decrypt it (local age
 * identity) to plain YAML, and after the edit encrypt it again under the SAME
 * data key, keeping the file's recipients and selector, and reusing the old
 * ENC string wherever the value at the same key path (same AAD) is unchanged
 * (sops keeps the IV of unchanged values, which gives the same ciphertext).
 * Unchanged values and comments therefore keep their ciphertexts byte for
 * byte, and the diff shows only what was edited.
 *
 * How: the edited YAML gets the old ENC strings put back for unchanged values
 * and the old `sops` block, and goes through the native engine's existing-key
 * mode (which keeps ENC values as they are, encrypts the plaintext ones and
 * recomputes the MAC over all of them). Plaintext stays in memory.
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  Scalar,
  type YAMLMap,
  type Node as YamlNode,
} from "yaml";
import { decryptValue } from "../crypto/aes.js";
import { decryptFile } from "../crypto/decrypt.js";
import { encryptNative } from "../crypto/encrypt.js";
import { CryptoError } from "../errors.js";
import { parseFile, scalarKey, scalarToLeaf } from "../sops/parse.js";
import { resolvePlain } from "../sops/scalar.js";
import { DEFAULT_SELECTOR, shouldBeEncrypted } from "../sops/select.js";
import { walkLeaves } from "../sops/walk.js";
import type { CreationRule, Selector } from "../types.js";
import { utf8, YAML_OUT } from "./template.js";

const PARSE = {
  schema: "failsafe",
  merge: false,
  uniqueKeys: true,
  strict: true,
  prettyErrors: false,
} as const;

export interface EditSession {
  /** The decrypted file as YAML, without the sops block. */
  rendered: string;
  dataKey: Buffer;
  /** The file's sops metadata (first document), put back for re-encryption. */
  metadata: unknown;
  selector: Selector;
  recipients: string[];
  /** doc, AAD, type, plaintext → the old ENC strings. */
  values: Map<string, string[]>;
  /** doc, AAD, comment text → the old ENC lines. */
  comments: Map<string, string[]>;
}

const aadOf = (path: readonly string[]) => `${path.join(":")}:`;
const vKey = (doc: number, aad: string, type: string, plain: Buffer) =>
  `${doc}\0${aad}\0${type}\0${plain.toString("base64")}`;
const cKey = (doc: number, aad: string, text: string) => `${doc}\0${aad}\0${text}`;

interface Visitor {
  scalar(s: Scalar, path: string[], replace: (n: Scalar) => void): void;
  comment(text: string | null | undefined, containerPath: string[]): string | null | undefined;
}

/** The same walk (and comment positions) as the native engine's. */
function walk(node: YamlNode | null, path: string[], v: Visitor): void {
  if (node === null) return;
  if (isMap(node)) {
    node.commentBefore = v.comment(node.commentBefore, path) ?? null;
    for (const pair of node.items) {
      const key = scalarKey(pair.key, undefined);
      const keyNode = pair.key as YamlNode & { commentBefore?: string | null };
      keyNode.commentBefore = v.comment(keyNode.commentBefore, path) ?? null;
      const childPath = [...path, key];
      const value = pair.value as YamlNode | null;
      if (value === null || value === undefined) continue;
      if (isScalar(value)) {
        value.comment = v.comment(value.comment, path) ?? null;
        v.scalar(value, childPath, (n) => {
          n.comment = value.comment ?? null;
          if (value.commentBefore) n.commentBefore = value.commentBefore;
          pair.value = n;
        });
      } else {
        walk(value, childPath, v);
      }
    }
    node.comment = v.comment(node.comment, path) ?? null;
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const it = item as YamlNode | null;
      if (it === null) return;
      if (isScalar(it)) v.scalar(it, path, (n) => (node.items[i] = n));
      else walk(it, path, v);
    });
  }
}

function walkDocs(docs: Document.Parsed[], visitor: (doc: number) => Visitor): void {
  docs.forEach((d, i) => {
    const v = visitor(i);
    d.commentBefore = v.comment(d.commentBefore, []) ?? null;
    walk(d.contents as YamlNode | null, [], v);
  });
}

function parseDocs(text: string): Document.Parsed[] {
  const docs = parseAllDocuments(text, PARSE);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) {
    throw new CryptoError("the YAML could not be parsed");
  }
  return docs;
}

function stringify(docs: Document.Parsed[]): string {
  return docs
    .map((d) => {
      const s = d.toString(YAML_OUT);
      return s.startsWith("---\n") ? s.slice(4) : s;
    })
    .join("---\n");
}

function renderScalar(plain: Buffer, type: string, aad: string, quoted: boolean): Scalar {
  let text: string;
  let style: Scalar.Type = "PLAIN";
  switch (type) {
    case "str": {
      const t = utf8(plain);
      if (t === undefined) {
        throw new CryptoError(`the value at "${aad}" is binary; edit this file with \`sops edit\``);
      }
      text = t;
      style = !quoted && t.includes("\n") ? "BLOCK_LITERAL" : "QUOTE_DOUBLE";
      break;
    }
    case "bool":
      text = plain.toString() === "True" ? "true" : "false";
      break;
    case "float": {
      const f = plain.toString();
      text = f === "+Inf" ? ".inf" : f === "-Inf" ? "-.inf" : f === "NaN" ? ".nan" : f;
      break;
    }
    default:
      text = plain.toString();
  }
  if (style === "PLAIN") {
    const r = resolvePlain(text);
    if (r.type !== type) {
      throw new CryptoError(
        `the ${type} value at "${aad}" cannot be shown as plain YAML; use \`sops edit\``,
      );
    }
  }
  const s = new Scalar(text);
  s.type = style;
  return s;
}

/** Every leaf of a plaintext YAML file as `doc:path=type:base64` (for the round-trip check). */
function leafList(bytes: Buffer): string[] {
  const out: string[] = [];
  for (const doc of parseFile(bytes, "yaml").docs) {
    for (const v of walkLeaves(doc.root)) {
      out.push(
        `${doc.index}:${v.path.join(":")}=${v.leaf.type}:${v.leaf.plain.toString("base64")}`,
      );
    }
  }
  return out;
}

/** Decrypt an encrypted YAML file for editing. Throws CryptoError naming why it cannot. */
export async function openForEdit(
  bytes: Buffer,
  identities: readonly string[],
): Promise<EditSession> {
  const r = await decryptFile(bytes, "yaml", identities);
  if (!r.ok || !r.dataKey || !r.meta || !r.parsed) {
    const why =
      r.problem === "no-identity-matched"
        ? "no local age identity opens it"
        : r.problem === "no-metadata"
          ? "it has no sops metadata (it is not encrypted)"
          : (r.detail ?? r.problem ?? "it does not decrypt");
    throw new CryptoError(`cannot open the existing secret for editing: ${why}`);
  }
  if (r.meta.otherKeyTypes.length > 0 || r.meta.keyGroups > 1) {
    throw new CryptoError(
      `the existing secret also uses ${r.meta.otherKeyTypes.join(", ") || "key groups"}; edit it with \`sops edit\``,
    );
  }
  const dataKey = r.dataKey;
  const selector = r.meta.selector ?? DEFAULT_SELECTOR;
  const want = r.leaves.map(
    (l) => `${l.document}:${l.path.join(":")}=${l.type}:${l.plain.toString("base64")}`,
  );
  for (const quoted of [false, true]) {
    const values = new Map<string, string[]>();
    const comments = new Map<string, string[]>();
    const push = (m: Map<string, string[]>, k: string, v: string) => {
      const list = m.get(k);
      if (list) list.push(v);
      else m.set(k, [v]);
    };
    const docs = parseDocs(bytes.toString("utf8").replace(/^\uFEFF/, ""));
    for (const d of docs) if (isMap(d.contents)) (d.contents as YAMLMap).delete("sops");
    walkDocs(docs, (doc) => ({
      scalar(s, path, replace) {
        const str = typeof s.value === "string" ? s.value : undefined;
        if (!str?.startsWith("ENC[")) return;
        const aad = aadOf(path);
        const d = decryptValue(str, dataKey, aad);
        push(values, vKey(doc, aad, d.type, d.plain), str);
        replace(renderScalar(d.plain, d.type, aad, quoted));
      },
      comment(text, path) {
        if (!text) return text;
        const aad = aadOf(path);
        return text
          .split("\n")
          .map((line) => {
            if (!line.startsWith("ENC[")) return line;
            try {
              const plain = decryptValue(line, dataKey, aad).plain.toString("utf8");
              push(comments, cKey(doc, aad, plain), line);
              return plain;
            } catch {
              return line; // not ours to decrypt: shown (and kept) as it is
            }
          })
          .join("\n");
      },
    }));
    const rendered = stringify(docs);
    const got = leafList(Buffer.from(rendered, "utf8"));
    if (got.length === want.length && got.every((g, i) => g === want[i])) {
      return {
        rendered,
        dataKey,
        metadata: r.parsed.docs[0]!.metadata,
        selector,
        recipients: r.meta.age.map((a) => a.recipient),
        values,
        comments,
      };
    }
  }
  throw new CryptoError("the decrypted file does not round-trip as YAML; use `sops edit`");
}

export interface Sealed {
  bytes: Buffer;
  /** Encrypted values whose ciphertext was kept. */
  kept: number;
  /** Encrypted values that are new or changed. */
  changed: number;
}

/** Encrypt the edited plaintext under the session's data key, reusing unchanged ciphertexts. */
export async function sealEdited(
  text: string,
  s: EditSession,
  rule: CreationRule,
): Promise<Sealed> {
  const docs = parseDocs(text);
  const real = docs.filter((d) => d.contents !== null);
  if (real.length === 0) throw new CryptoError("the edited file is empty");
  const values = new Map([...s.values].map(([k, v]) => [k, [...v]]));
  const comments = new Map([...s.comments].map(([k, v]) => [k, [...v]]));
  let kept = 0;
  let changed = 0;
  walkDocs(docs, (doc) => ({
    scalar(node, path, replace) {
      if (!shouldBeEncrypted(path, s.selector)) return;
      const leaf = scalarToLeaf(node);
      if (leaf.kind !== "leaf" || leaf.plain.length === 0) return;
      const old = values.get(vKey(doc, aadOf(path), leaf.type, leaf.plain))?.shift();
      if (old === undefined) {
        if (leaf.type === "str" && leaf.str?.startsWith("ENC[")) {
          throw new CryptoError(`the value at "${aadOf(path)}" looks like an ENC[...] value`);
        }
        changed++;
        return;
      }
      kept++;
      const n = new Scalar(old);
      n.type = "PLAIN";
      replace(n);
    },
    comment(t, path) {
      if (!t || !shouldBeEncrypted(path, s.selector)) return t;
      const aad = aadOf(path);
      return t
        .split("\n")
        .map((line) => comments.get(cKey(doc, aad, line))?.shift() ?? line)
        .join("\n");
    },
  }));
  const first = real[0]!;
  if (!isMap(first.contents)) throw new CryptoError("every YAML document must be a mapping");
  (first.contents as YAMLMap).set("sops", first.createNode(s.metadata));
  const input = Buffer.from(stringify(docs), "utf8");
  const bytes = await encryptNative(input, "yaml", rule, { existing: { dataKey: s.dataKey } });
  return { bytes, kept, changed };
}
