/**
 * The Secret template shown in the editor, building a Secret from values
 * without an editor, and checking what comes back. Instruction lines start
 * with `#:` at the start of a line and are removed before anything else
 * (as git removes `#` lines from a commit message), so they never end up in
 * the repository, encrypted or not.
 */

import { Document, isMap, isScalar, parseAllDocuments, Scalar, YAMLMap } from "yaml";
import { resolvePlain } from "../sops/scalar.js";

export const YAML_OUT = { indent: 4, indentSeq: true, lineWidth: 0, minContentWidth: 0 } as const;

export function instructions(lines: string[]): string {
  return `${lines.map((l) => (l === "" ? "#:" : `#: ${l}`)).join("\n")}\n`;
}

export function stripInstructions(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/^#:/.test(l))
    .join("\n");
}

/** The keys the API server requires for the built-in Secret types (it refuses the Secret otherwise). */
export const REQUIRED_KEYS: Record<string, string[]> = {
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
};

const TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$/;
const LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Why TYPE cannot be a Secret type, or undefined. */
export function invalidType(type: string): string | undefined {
  return TYPE_RE.test(type)
    ? undefined
    : `"${type}" is not a Secret type (e.g. Opaque, kubernetes.io/tls, kubernetes.io/dockerconfigjson)`;
}

/** Why NS cannot be a namespace (an RFC 1123 label), or undefined. */
export function invalidNamespace(ns: string): string | undefined {
  return LABEL_RE.test(ns)
    ? undefined
    : `"${ns}" is not a namespace name (lowercase letters, digits and '-', at most 63)`;
}

/** The example values of the template, by type. */
function templateValues(type: string): string {
  switch (type) {
    case "kubernetes.io/tls":
      return [
        "stringData:",
        "  tls.crt: |",
        "    -----BEGIN CERTIFICATE-----",
        "    (the certificate chain, PEM)",
        "    -----END CERTIFICATE-----",
        "  tls.key: |",
        "    -----BEGIN PRIVATE KEY-----",
        "    (the private key, PEM)",
        "    -----END PRIVATE KEY-----",
        "",
      ].join("\n");
    case "kubernetes.io/dockerconfigjson":
      return [
        "stringData:",
        "  .dockerconfigjson: |",
        '    {"auths": {"registry.example.com": {"username": "robot", "password": "token"}}}',
        "",
      ].join("\n");
    case "kubernetes.io/basic-auth":
      return ["stringData:", '  username: "user"', '  password: "password"', ""].join("\n");
    case "kubernetes.io/ssh-auth":
      return [
        "stringData:",
        "  ssh-privatekey: |",
        "    -----BEGIN OPENSSH PRIVATE KEY-----",
        "    (the private key)",
        "    -----END OPENSSH PRIVATE KEY-----",
        "",
      ].join("\n");
    default:
      return ["stringData:", '  example-key: "example-value"', ""].join("\n");
  }
}

export function newTemplate(opts: {
  name: string;
  namespace: string;
  type?: string;
  target: string;
  ruleText: string;
}): string {
  const type = opts.type ?? "Opaque";
  return `${instructions([
    `New Secret ${opts.target},`,
    `to be encrypted with ${opts.ruleText}.`,
    "Put the values under stringData (plain text) or data (base64), for example:",
    '  database-url: "postgresql://user:pass@host:5432/db"',
    "Save and quit to encrypt it. An unchanged template or an empty file cancels.",
    "This file lives in a private temporary folder outside the repository and is",
    "deleted when secret-guard exits. Lines starting with '#:' are removed.",
  ])}apiVersion: v1
kind: Secret
metadata:
  name: ${opts.name}
  namespace: ${opts.namespace}
type: ${type}
${templateValues(type)}`;
}

export function editHeader(target: string, ruleText: string): string {
  return instructions([
    `Editing ${target} (decrypted; it is re-encrypted with ${ruleText}).`,
    "Unchanged values keep their ciphertexts. Save and quit to encrypt; leaving the",
    "file unchanged changes nothing. This file lives in a private temporary folder",
    "outside the repository and is deleted when secret-guard exits.",
    "Lines starting with '#:' are removed.",
  ]);
}

/** A string scalar that every YAML reader takes as a string (go-yaml resolves `017`, `0b1`, ...). */
export function stringScalar(text: string): Scalar {
  const s = new Scalar(text);
  s.type = "QUOTE_DOUBLE";
  return s;
}

/** Set values on a Secret document: UTF-8 text under stringData, other bytes base64 under data. */
export function setValues(doc: Document, values: Map<string, Buffer>): void {
  const root = doc.contents as YAMLMap;
  for (const [key, value] of values) {
    const text = utf8(value);
    const target = text === undefined ? "data" : "stringData";
    const other = target === "data" ? "stringData" : "data";
    const o = root.get(other, true);
    if (isMap(o)) o.delete(key);
    const found = root.get(target, true);
    let m: YAMLMap;
    if (isMap(found)) m = found as YAMLMap;
    else {
      m = new YAMLMap();
      root.set(target, m);
    }
    const scalar = text === undefined ? stringScalar(value.toString("base64")) : stringScalar(text);
    m.set(key, scalar);
  }
}

export function buildSecret(
  name: string,
  namespace: string,
  values: Map<string, Buffer>,
  type = "Opaque",
): string {
  const doc = new Document({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace },
    type,
  });
  setValues(doc, values);
  return doc.toString({ indent: 2, lineWidth: 0, minContentWidth: 0 });
}

export function utf8(b: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    return undefined;
  }
}

export interface SecretCheck {
  /** Why it cannot be encrypted (nothing is written). */
  errors: string[];
  /** Worth telling, but not blocking. */
  notes: string[];
  name?: string;
  namespace?: string;
  keys: string[];
}

/** Check an edited Secret (instructions already removed). Messages name keys, never values. */
export function checkSecret(text: string, name: string): SecretCheck {
  const r: SecretCheck = { errors: [], notes: [], keys: [] };
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) {
    r.errors.push("the file is not YAML");
    return r;
  }
  const real = docs.filter((d) => d.contents !== null);
  for (const d of docs) {
    for (const e of d.errors) {
      const at = e.linePos?.[0];
      r.errors.push(
        `YAML error${at ? ` at line ${at.line}, column ${at.col}` : ""}: ${e.code.toLowerCase().replaceAll("_", " ")}`,
      );
    }
  }
  if (r.errors.length) return r;
  if (real.length !== 1) {
    r.errors.push(`expected one YAML document (a Secret), found ${real.length}`);
    return r;
  }
  const root = real[0]!.contents;
  if (!isMap(root)) {
    r.errors.push("the document is not a mapping");
    return r;
  }
  const str = (v: unknown) => (isScalar(v) && v.value !== null ? String(v.value) : undefined);
  if (str(root.get("kind", true)) !== "Secret" || str(root.get("apiVersion", true)) !== "v1") {
    r.errors.push("the document is not a v1 Secret (apiVersion: v1, kind: Secret)");
  }
  if (root.has("sops")) r.errors.push("the top-level key sops is reserved for sops' metadata");
  const meta = root.get("metadata", true);
  r.name = isMap(meta) ? str(meta.get("name", true)) : undefined;
  r.namespace = isMap(meta) ? str(meta.get("namespace", true)) : undefined;
  if (r.name !== name) {
    r.notes.push(
      `metadata.name is ${r.name === undefined ? "missing" : `"${r.name}"`}, not "${name}" like the file`,
    );
  }
  if (!r.namespace) r.notes.push("metadata.namespace is missing");
  for (const field of ["data", "stringData"]) {
    const m = root.get(field, true);
    if (m === undefined || m === null || (isScalar(m) && m.value === null)) continue;
    if (!isMap(m)) {
      r.errors.push(`${field} is not a mapping`);
      continue;
    }
    for (const pair of m.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "?";
      r.keys.push(key);
      const v = pair.value;
      if (!isScalar(v)) {
        r.errors.push(`${field}.${key} is not a single value`);
        continue;
      }
      if (field === "stringData" && v.type === "PLAIN" && v.value !== null) {
        const t = resolvePlain(v.source ?? String(v.value)).type;
        if (t !== "str" && t !== "null") {
          r.errors.push(`stringData.${key} is read as ${t}, not text: put it in quotes`);
        }
      }
      if (field === "data") {
        const b = String(v.value ?? "").replace(/\s+/g, "");
        if (!/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b)) {
          r.errors.push(`data.${key} is not base64 (put plain text under stringData)`);
        }
      }
    }
  }
  const type = str(root.get("type", true)) ?? "Opaque";
  const missing = (REQUIRED_KEYS[type] ?? []).filter((k) => !r.keys.includes(k));
  if (missing.length > 0) {
    r.errors.push(
      `a ${type} Secret needs ${missing.map((k) => `"${k}"`).join(" and ")} (the API server refuses it otherwise)`,
    );
  }
  if (r.keys.includes("example-key")) {
    r.notes.push("the template's example-key is still there");
  }
  if (r.keys.length === 0) r.notes.push("the Secret has no values");
  return r;
}
