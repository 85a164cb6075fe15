/**
 * The judgement: bytes, a path and the covering creation rule in, findings
 * out. Pure: no file system, git or process access, so it serves the hook,
 * CI, history audits and the library API alike. It decides, exactly as sops
 * would, which values must be encrypted (the rule's selector, or the one
 * stored in the file's metadata) and compares that with what is encrypted.
 */

import {
  isEncValue,
  isNestedSopsFile,
  looksSopsEncrypted,
  type MetaView,
  metaView,
} from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import { parseFile } from "../sops/parse.js";
import { DEFAULT_SELECTOR, shouldBeEncrypted } from "../sops/select.js";
import {
  type Leaf,
  type ParsedFile,
  ParseError,
  type TreeDoc,
  type TreeNode,
} from "../sops/tree.js";
import { get, getString, mapItems, walkLeaves } from "../sops/walk.js";
import type { CreationRule, Finding, Format, Selector } from "../types.js";
import { credentialLike } from "./credential.js";
import { type ExemptContext, exemptionOf } from "./exempt.js";
import { type Intent, intentOf, isForeignCiphertext } from "./intent.js";
import { isTemplateMarked, templateVariants } from "./template.js";

export { isExemptValue } from "./exempt.js";
export type { Intent } from "./intent.js";

export interface JudgeInput {
  /** Display path (repository-relative, `/` separators). */
  path: string;
  bytes: Uint8Array;
  /** The creation rule that covers the path, if any. */
  rule?: CreationRule;
  /** The committed (HEAD) content of the same file, for `encryption-removed`. */
  headBytes?: Uint8Array;
  /** Extra kinds to treat like `v1/Secret` (from the config file). */
  secretKinds?: readonly string[];
  /**
   * An allowlist check: true when this plaintext value at this key path
   * (mapping keys joined with ".") is accepted. The value never leaves memory.
   */
  isAllowed?: (keyPath: string, value: Uint8Array) => boolean;
  /** `.secret-guard.yaml` `mustEncrypt` lists this path. */
  listed?: boolean;
  /** `.secret-guard.yaml` `strict: true`: every covered file must be encrypted. */
  strict?: boolean;
  /** Internal: the bytes are a template variant (see template.ts). */
  templated?: boolean;
}

/** `nested`: base64 of a whole sops-encrypted file, which Flux decrypts. */
export type ValueState =
  | "encrypted"
  | "plaintext"
  | "empty"
  | "nested"
  | "allowed"
  /** A substitution, template expression or reference, in a file without sops metadata. */
  | "exempt";

/** One value that sops would encrypt, and what it is now. */
export interface MustEncrypt {
  document: number;
  path: string[];
  line?: number;
  column?: number;
  state: ValueState;
}

export interface Judgement {
  path: string;
  format: Format;
  findings: Finding[];
  /** False when the file was skipped before parsing (cannot hold a Secret, not covered). */
  parsed: boolean;
  /** The file carries a sops metadata block. */
  hasMetadata: boolean;
  /** The selector used to decide which values must be encrypted. */
  selector?: Selector;
  mustEncrypt: MustEncrypt[];
  /** Whether the file must be encrypted, and why (set when a rule or metadata applies). */
  intent?: Intent;
  /** How the file was read when it is not plain YAML: a template, or another tool's ciphertext. */
  readAs?: "template" | "foreign-ciphertext";
}

// A Secret manifest names its kind (YAML block or flow style, JSON); a kustomization its generator.
const SECRET_HINT = /kind["']?\s*:\s*["']?Secret["']?(?![\w-])|secretGenerator/;

/** Cheap test before parsing a file no rule covers: could it hold a Secret value at all? */
export function mayHoldSecret(bytes: Uint8Array, extraKinds: readonly string[] = []): boolean {
  const text = asLatin1(bytes, 1 << 20);
  return SECRET_HINT.test(text) || extraKinds.some((k) => text.includes(k));
}
const STRONG_SECRET_HINT =
  /(^|\n)\s*kind\s*:\s*["']?Secret["']?\s*(#.*)?(\r?\n|$)|"kind"\s*:\s*"Secret"|(^|\n)secretGenerator\s*:/;

interface DocInfo {
  kind?: string;
  name?: string;
  namespace?: string;
}

function docInfo(root: TreeNode): DocInfo {
  const md = get(root, "metadata");
  return {
    kind: getString(root, "kind"),
    name: getString(md, "name"),
    namespace: getString(md, "namespace"),
  };
}

function withInfo(f: Finding, info: DocInfo | undefined): Finding {
  if (!info) return f;
  if (info.kind) f.kind = info.kind;
  if (info.name) f.name = info.name;
  if (info.namespace) f.namespace = info.namespace;
  return f;
}

function describe(info: DocInfo | undefined, doc?: number): string {
  if (!info?.kind) return doc === undefined ? "the file" : `document ${doc}`;
  const id = [info.namespace, info.name].filter(Boolean).join("/");
  return id ? `${info.kind} ${id}` : info.kind;
}

function ruleLabel(rule: CreationRule): string {
  return `creation_rules[${rule.index}]${rule.pathRegex ? ` (path_regex ${rule.pathRegex})` : " (matches every path)"}`;
}

/** Exemption context of a document: argocd-vault-plugin placeholders need its annotation. */
function exemptContext(root: TreeNode): ExemptContext {
  const ann = get(get(root, "metadata"), "annotations");
  return get(ann, "avp.kubernetes.io/path") !== undefined ? { avp: true } : {};
}

/** Is this plaintext leaf no leak (substitution, template, reference, empty)? */
function leafExempt(leaf: Leaf, ctx: ExemptContext, templated: boolean): boolean {
  const text = leafText(leaf);
  if (templated && isTemplateMarked(text)) return true;
  return exemptionOf(text, leaf.tag ? { ...ctx, tag: leaf.tag } : ctx) !== undefined;
}

function keyName(path: string[], prefixLen: number): string {
  return path.slice(prefixLen).join(".") || path.join(".");
}

function leafText(leaf: Leaf): string {
  return leaf.str ?? leaf.plain.toString("utf8");
}

/** Judge one file. Never throws for bad content: that is an `unparseable` finding. */
export function judge(input: JudgeInput): Judgement {
  const { path, bytes, rule } = input;
  const format = formatForPath(path);
  const out: Judgement = {
    path,
    format,
    findings: [],
    parsed: false,
    hasMetadata: false,
    mustEncrypt: [],
  };
  const headEncrypted =
    input.headBytes !== undefined && looksSopsEncrypted(input.headBytes, formatForPath(path));
  const selfEncrypted = looksSopsEncrypted(bytes, format);
  const canHoldSecret =
    (format === "yaml" || format === "json") && mayHoldSecret(bytes, input.secretKinds);
  if (!rule && !headEncrypted && !selfEncrypted && !canHoldSecret) return out;
  if (!selfEncrypted && isForeignCiphertext(bytes)) {
    out.readAs = "foreign-ciphertext";
    return out;
  }

  let parsed: ParsedFile;
  try {
    parsed = parseFile(bytes, format);
  } catch (e) {
    // Templates (Helm, Jinja, gomplate) are read through the template-aware reader.
    if (format === "yaml" && !input.templated) {
      const variants = templateVariants(asUtf8(bytes));
      if (variants) return judgeTemplate(input, variants);
    }
    const preIntent = intentOf({
      path,
      rule,
      hasMetadata: selfEncrypted || headEncrypted,
      holdsSecret: false,
      listed: input.listed,
      strict: input.strict,
    });
    if (rule) out.intent = preIntent;
    const mustCheck =
      (rule !== undefined && preIntent.must) ||
      headEncrypted ||
      selfEncrypted ||
      STRONG_SECRET_HINT.test(asLatin1(bytes, 1 << 20));
    if (!mustCheck) {
      // Not a file that must be encrypted: unreadable as a store, still looked at for credentials.
      if (rule)
        pushCredentialWarning(out, rule, undefined, [], asLatin1(bytes, 1 << 22), undefined);
      return out;
    }
    const pe = e instanceof ParseError ? e : new ParseError("could not be parsed");
    const reason = pe instanceof ParseError ? pe.message : "could not be parsed";
    out.findings.push({
      rule: "unparseable",
      severity: "error",
      path,
      ...(pe.line ? { line: pe.line } : {}),
      ...(pe.column ? { column: pe.column } : {}),
      message: `cannot be parsed as ${format.toUpperCase()} (${reason}); a file the guard must check is blocked until it parses`,
    });
    return out;
  }
  out.parsed = true;

  const metaDoc = parsed.docs.find((d) => d.metadata !== undefined);
  const meta: MetaView | undefined = metaDoc ? metaView(metaDoc.metadata) : undefined;
  out.hasMetadata = meta !== undefined;
  // Binary files: every selector is ignored (sops ≥3.11), the whole content is one value.
  const selector: Selector | undefined =
    format === "binary" ? undefined : (meta?.selector ?? rule?.selector);
  const judged = rule !== undefined || meta !== undefined;
  if (judged) out.selector = selector ?? (format === "binary" ? undefined : DEFAULT_SELECTOR);
  if (input.templated) out.readAs = "template";
  const intent = intentOf({
    path,
    rule,
    hasMetadata: meta !== undefined || headEncrypted,
    holdsSecret: parsed.docs.some((d) => secretObjects(d, input.secretKinds).length > 0),
    kinds: parsed.docs.map((d) => getString(d.root, "kind")),
    listed: input.listed,
    strict: input.strict,
  });
  if (judged) out.intent = intent;
  // Values sops would encrypt are REQUIRED encrypted only when the file must be encrypted.
  const required = judged && intent.must;

  // Values sops would encrypt, per document.
  const perDoc = new Map<number, MustEncrypt[]>();
  if (judged && !required && rule) {
    // A broad rule over a file that need not be encrypted: credential-looking values warn.
    for (const doc of parsed.docs) {
      const hits: Array<{ key: string; line?: number; column?: number; label: string }> = [];
      const ctx = exemptContext(doc.root);
      for (const v of walkLeaves(doc.root)) {
        if (!shouldBeEncrypted(v.path, selector, v.comments)) continue;
        if (v.leaf.type !== "str" || leafExempt(v.leaf, ctx, input.templated === true)) continue;
        const label = credentialLike(leafText(v.leaf));
        if (!label || input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
        hits.push({
          key: v.path.join("."),
          line: v.leaf.pos?.line,
          column: v.leaf.pos?.column,
          label,
        });
      }
      if (hits.length > 0) {
        const multiDoc = parsed.docs.length > 1 ? doc.index : undefined;
        pushCredentialWarning(out, rule, docInfo(doc.root), hits, undefined, multiDoc);
      }
    }
  }
  if (required) {
    for (const doc of parsed.docs) {
      const list: MustEncrypt[] = [];
      const ctx = exemptContext(doc.root);
      for (const v of walkLeaves(doc.root)) {
        if (!shouldBeEncrypted(v.path, selector, v.comments)) continue;
        const text = v.leaf.type === "str" ? leafText(v.leaf) : undefined;
        let state: ValueState;
        if (text !== undefined && isEncValue(text)) state = "encrypted";
        else if (text !== undefined && isNestedSopsFile(v.path, text)) state = "nested";
        else if (v.leaf.plain.length === 0) state = "empty";
        else if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) state = "allowed";
        // Inside an encrypted file a plaintext `${VAR}` stays an error: Flux's decryption fails on it.
        else if (!meta && leafExempt(v.leaf, ctx, input.templated === true)) state = "exempt";
        else state = "plaintext";
        list.push({
          document: doc.index,
          path: v.path,
          line: v.leaf.pos?.line,
          column: v.leaf.pos?.column,
          state,
        });
      }
      perDoc.set(doc.index, list);
      for (const m of list) out.mustEncrypt.push(m);
    }
  }
  const encCount = out.mustEncrypt.filter((m) => m.state === "encrypted").length;
  const plainCount = out.mustEncrypt.filter((m) => m.state === "plaintext").length;
  const multi = parsed.docs.length > 1;

  // encryption-removed: committed encrypted, about to commit a decrypted copy.
  if (headEncrypted && !meta) {
    const plain = out.mustEncrypt.filter((m) => m.state === "plaintext");
    const keys = plain.length > 0 ? plain.map((m) => m.path.join(".")) : secretKeysOf(parsed);
    const first = plain[0];
    const info = docInfo(parsed.docs[first?.document ?? 0]!.root);
    out.findings.push(
      withInfo(
        {
          rule: "encryption-removed",
          severity: "error",
          path,
          ...(first?.line ? { line: first.line, column: first.column } : {}),
          ...(multi && first ? { document: first.document } : {}),
          ...(keys.length ? { keys: unique(keys) } : {}),
          message:
            "the committed version of this file is sops-encrypted but the staged one is not: a decrypted copy is about to be committed",
          fixable: rule !== undefined,
        },
        info,
      ),
    );
  }

  for (const doc of parsed.docs) {
    const list = perDoc.get(doc.index) ?? [];
    const info = docInfo(doc.root);
    const plain = list.filter((m) => m.state === "plaintext");
    const enc = list.filter((m) => m.state === "encrypted");
    const docTag = multi ? { document: doc.index } : {};
    if (plain.length > 0 && !(headEncrypted && !meta)) {
      const first = plain[0]!;
      const prefix = secretPrefix(doc.root, first.path);
      const keys = unique(plain.map((m) => keyName(m.path, prefix)));
      const partially = meta !== undefined || encCount > 0;
      const where = rule ? ruleLabel(rule) : "the selector stored in its sops metadata";
      const what = describe(info, multi ? doc.index : undefined);
      out.findings.push(
        withInfo(
          {
            rule: partially ? "partially-encrypted" : "unencrypted",
            severity: "error",
            path,
            ...(first.line ? { line: first.line, column: first.column } : {}),
            ...docTag,
            keys,
            message: partially
              ? `${what}: ${plain.length} of ${plain.length + enc.length} values that ${where} requires encrypted are plaintext in an otherwise encrypted file (sops and Flux will refuse it)`
              : `${what}: ${plain.length} plaintext value${plain.length === 1 ? "" : "s"} that ${where} requires encrypted (${intent.text})`,
            fixable: true,
          },
          info,
        ),
      );
    }
    if (enc.length > 0 && doc.metadata === undefined) {
      const first = enc[0]!;
      out.findings.push(
        withInfo(
          {
            rule: "missing-sops-metadata",
            severity: "error",
            path,
            ...(first.line ? { line: first.line, column: first.column } : {}),
            ...docTag,
            message: meta
              ? `${describe(info)}: this document has ENC[...] values but no sops block of its own; Flux decrypts each resource separately and would apply the ENC[...] text verbatim`
              : `${describe(info)}: ENC[...] values but no sops metadata block: nobody can decrypt this file (restore the sops block from git history or re-create the secret)`,
            fixable: false,
          },
          info,
        ),
      );
    }
  }

  if (meta && meta.problems.length > 0) {
    out.findings.push({
      rule: "missing-sops-metadata",
      severity: "error",
      path,
      ...(metaDoc?.metadataPos
        ? { line: metaDoc.metadataPos.line, column: metaDoc.metadataPos.column }
        : {}),
      message: `the sops metadata block is invalid (${meta.problems.join("; ")}): sops and Flux cannot decrypt this file`,
      fixable: false,
    });
  }

  if (meta && encCount === 0 && plainCount === 0 && (rule !== undefined || format !== "binary")) {
    out.findings.push({
      rule: "nothing-encrypted",
      severity: "warning",
      path,
      ...(metaDoc?.metadataPos
        ? { line: metaDoc.metadataPos.line, column: metaDoc.metadataPos.column }
        : {}),
      message: `the file carries sops metadata but not one ENC[...] value: its selector (${describeSelector(selector)}) matched nothing, so whatever it holds is in the clear`,
    });
  }

  if (rule && meta && rule.age.length > 0) {
    const fileAge = new Set(meta.ageRecipients);
    const shared = rule.age.filter((r) => fileAge.has(r));
    const missing = rule.age.filter((r) => !fileAge.has(r));
    if (shared.length === 0 || missing.length > 0) {
      out.findings.push({
        rule: "recipient-mismatch",
        severity: shared.length === 0 ? "error" : "warning",
        path,
        ...(metaDoc?.metadataPos
          ? { line: metaDoc.metadataPos.line, column: metaDoc.metadataPos.column }
          : {}),
        message:
          shared.length === 0
            ? `encrypted for ${meta.ageRecipients.length ? meta.ageRecipients.map(short).join(", ") : "no age recipient"}, but ${ruleLabel(rule)} requires ${rule.age.map(short).join(", ")}: a cluster holding the rule's key cannot decrypt it`
            : `not encrypted for ${missing.map(short).join(", ")}, which ${ruleLabel(rule)} lists`,
        fixable: false,
      });
    }
  }

  // Secret values the policy would leave in plaintext.
  for (const doc of parsed.docs) {
    const docCtx = exemptContext(doc.root);
    for (const s of secretObjects(doc, input.secretKinds)) {
      const keys: string[] = [];
      let first: { line?: number; column?: number } | undefined;
      const ctx = { ...docCtx, ...exemptContext(s.node) };
      for (const field of ["data", "stringData"]) {
        for (const it of mapItems(get(s.node, field))) {
          const full = [...s.prefix, field, it.key];
          if (required && shouldBeEncrypted(full, selector, [])) continue;
          for (const v of walkLeaves(it.value, full)) {
            const text = leafText(v.leaf);
            if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
            if (leafExempt(v.leaf, ctx, input.templated === true)) continue;
            if (isEncValue(text) || isNestedSopsFile(full, text)) continue;
            keys.push(it.key);
            first ??= { line: it.line, column: it.column };
            break;
          }
        }
      }
      if (keys.length > 0) {
        const info = docInfo(s.node);
        out.findings.push(
          withInfo(
            {
              rule: "secret-outside-policy",
              severity: "error",
              path,
              ...(first?.line ? { line: first.line, column: first.column } : {}),
              ...(multi ? { document: doc.index } : {}),
              keys: unique(keys),
              message: rule
                ? `${describe(info)}: values the selector of ${ruleLabel(rule)} (${describeSelector(selector)}) leaves in plaintext`
                : `${describe(info)} with plaintext values in a file that no creation rule in .sops.yaml covers`,
              fixable: false,
            },
            info,
          ),
        );
      }
    }
    // kustomize secretGenerator literals: `KEY=VALUE` strings.
    const keys: string[] = [];
    let first: { line?: number; column?: number } | undefined;
    for (const gen of seqMaps(get(doc.root, "secretGenerator"))) {
      const lits = get(gen, "literals");
      if (lits?.kind !== "seq") continue;
      for (const lit of lits.items) {
        if (lit.kind !== "leaf") continue;
        const text = leafText(lit);
        const eq = text.indexOf("=");
        if (eq === -1) continue;
        if (required && shouldBeEncrypted(["secretGenerator", "literals"], selector, [])) continue;
        if (exemptionOf(text.slice(eq + 1)) !== undefined) continue;
        if (input.templated && isTemplateMarked(text.slice(eq + 1))) continue;
        const literalKey = `secretGenerator.literals.${text.slice(0, eq)}`;
        if (input.isAllowed?.(literalKey, Buffer.from(text.slice(eq + 1), "utf8"))) continue;
        keys.push(text.slice(0, eq));
        first ??= { line: lit.pos?.line, column: lit.pos?.column };
      }
    }
    if (keys.length > 0) {
      out.findings.push({
        rule: "secret-outside-policy",
        severity: "error",
        path,
        ...(first?.line ? { line: first.line, column: first.column } : {}),
        ...(multi ? { document: doc.index } : {}),
        kind: "secretGenerator",
        keys: unique(keys),
        message:
          "kustomize secretGenerator literals carry secret values in plaintext; move them into a sops-encrypted env file (secretGenerator.envs) that a creation rule covers",
        fixable: false,
      });
    }
  }
  return out;
}

/** Judge each readable variant of a template; findings of all variants, once each. */
function judgeTemplate(input: JudgeInput, variants: string[]): Judgement {
  const results = variants.map((v) =>
    judge({ ...input, bytes: Buffer.from(v, "utf8"), templated: true }),
  );
  const out = results[0]!;
  const seen = new Set(out.findings.map((f) => JSON.stringify(f)));
  for (const r of results.slice(1)) {
    for (const f of r.findings) {
      const k = JSON.stringify(f);
      if (!seen.has(k)) out.findings.push(f);
      seen.add(k);
    }
  }
  // A template that still cannot be read in any variant stays unparseable (when it must be checked).
  if (results.some((r) => r.parsed)) {
    out.findings = out.findings.filter((f) => f.rule !== "unparseable");
    out.parsed = true;
  }
  out.readAs = "template";
  return out;
}

/** The credential-looking-values warning of a file under a broad rule. */
function pushCredentialWarning(
  out: Judgement,
  rule: CreationRule,
  info: DocInfo | undefined,
  hits: Array<{ key: string; line?: number; column?: number; label: string }>,
  rawText: string | undefined,
  doc: number | undefined,
): void {
  let labels: string[];
  let first: { line?: number; column?: number } | undefined;
  if (rawText !== undefined) {
    const label = credentialLike(rawText, { entropy: false });
    if (!label) return;
    labels = [label];
  } else {
    labels = unique(hits.map((h) => h.label));
    first = hits[0];
  }
  out.findings.push(
    withInfo(
      {
        rule: "possible-credential",
        severity: "warning",
        path: out.path,
        ...(first?.line ? { line: first.line, column: first.column } : {}),
        ...(doc !== undefined ? { document: doc } : {}),
        ...(hits.length ? { keys: unique(hits.map((h) => h.key)) } : {}),
        message: `${describe(info, doc)}: ${hits.length ? "a value" : "the content"} looks like a credential (${labels.join(", ")}); ${ruleLabel(rule)} is broad, so this file need not be encrypted: move the value into an encrypted Secret, or list the file in .secret-guard.yaml mustEncrypt`,
        fixable: false,
      },
      info,
    ),
  );
}

/** Shorthand used by callers that only need the findings. */
export function judgeFile(input: JudgeInput): Finding[] {
  return judge(input).findings;
}

function asLatin1(bytes: Uint8Array, max: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString(
    "latin1",
  );
}

function asUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function short(recipient: string): string {
  return recipient.length > 20 ? `${recipient.slice(0, 12)}…${recipient.slice(-6)}` : recipient;
}

export function describeSelector(s: Selector | undefined): string {
  if (!s || s.value === "") return "every value";
  return `${s.field}: ${s.value}${s.isDefault ? " (sops default)" : ""}`;
}

function seqMaps(node: TreeNode | undefined): TreeNode[] {
  if (node?.kind !== "seq") return [];
  return node.items.filter((i): i is TreeNode => i.kind === "map");
}

interface SecretObject {
  node: TreeNode;
  prefix: string[];
}

/** `kind: Secret` (apiVersion v1) at the top of a document or inside a `kind: List`'s items. */
function secretObjects(doc: TreeDoc, extraKinds: readonly string[] = []): SecretObject[] {
  const isSecret = (n: TreeNode) => {
    const kind = getString(n, "kind");
    if (kind === "Secret") return (getString(n, "apiVersion") ?? "v1") === "v1";
    return kind !== undefined && extraKinds.includes(kind);
  };
  const out: SecretObject[] = [];
  if (isSecret(doc.root)) out.push({ node: doc.root, prefix: [] });
  const kind = getString(doc.root, "kind");
  if (kind === "List" || kind?.endsWith("List")) {
    for (const item of seqMaps(get(doc.root, "items"))) {
      if (isSecret(item)) out.push({ node: item, prefix: ["items"] });
    }
  }
  return out;
}

/** Length of the path prefix up to and including `data`/`stringData` of a Secret, for key names. */
function secretPrefix(root: TreeNode, path: string[]): number {
  const i = path.findIndex((k) => k === "data" || k === "stringData");
  if (i !== -1 && (getString(root, "kind") !== undefined || path[0] === "items")) return i + 1;
  return 0;
}

function secretKeysOf(parsed: ParsedFile): string[] {
  const keys: string[] = [];
  for (const doc of parsed.docs) {
    for (const s of secretObjects(doc)) {
      for (const field of ["data", "stringData"])
        for (const it of mapItems(get(s.node, field))) keys.push(it.key);
    }
  }
  return keys;
}
