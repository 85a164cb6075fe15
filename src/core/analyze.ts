/**
 * One analysis per file, shared by every rule: the format, the parse (or why
 * it failed), the sops metadata, the selectors in force, per document the
 * values sops would encrypt and their state, the Secret objects as kustomize
 * and the API server would read them, and the kustomize generator literals.
 * Rules (src/core/rules/) only read it.
 *
 * Decided on the parsed document, never on the raw text: the only shortcut
 * (mayMatter) skips a file only when it PROVES no spelling can make it a
 * Secret; anything unsure is parsed, and a parse failure of a file that may
 * matter fails closed.
 */

import {
  hasSopsMetadata,
  isNestedSopsFile,
  looksSopsEncrypted,
  looksSopsEncryptedAny,
  type MetaView,
  metaView,
} from "../sops/detect.js";
import { encState } from "../sops/enc.js";
import { formatForPath } from "../sops/formats.js";
import { parseFile } from "../sops/parse.js";
import { DEFAULT_SELECTOR, shouldBeEncrypted } from "../sops/select.js";
import {
  type Leaf,
  type MapNode,
  type ParsedFile,
  ParseError,
  type Pos,
  type TreeDoc,
  type TreeNode,
} from "../sops/tree.js";
import { get, getString, mapItems, walkLeaves } from "../sops/walk.js";
import type { Format, Selector } from "../types.js";
import { credentialLike } from "./credential.js";
import { type DocInfo, docInfo } from "./describe.js";
import { type ExemptContext, exemptionOf, isExemptValue } from "./exempt.js";
import { type Intent, intentOf, isForeignCiphertext, isPublicPem } from "./intent.js";
import { kubeObjects, type Origin } from "./kube.js";
import {
  copiedConfigMapValues,
  credentialSubstitutes,
  isKustomizationPath,
  type LiteralGroup,
  literalGroups,
  substitutionConfigMapCredentials,
} from "./kustomize.js";
import {
  annotationLiterals,
  helmValues,
  maySignal,
  namedLiterals,
  type Signal,
  unpredictableBytes,
  urlPasswordLeaves,
} from "./signals.js";
import { isTemplateMarked, templateVariants } from "./template.js";
import type { JudgeInput, MustEncrypt, ValueState } from "./types.js";

/**
 * Could this YAML/JSON content be a Secret, a kustomization or hold one, in
 * any spelling go-yaml accepts? False only when that is impossible: the text
 * never says `secret` in any case (kind, `secretGenerator`, `SecretList`,
 * typos) nor `postBuild`/`flux-system` (Flux substitutions), has no backslash (escapes), no `!` (tags), no NUL and no UTF-16
 * byte order mark (other encodings), and names none of the extra kinds.
 * Linear: a byte scan, no backtracking.
 */
export function mayMatter(bytes: Uint8Array, extraKinds: readonly string[] = []): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (unpredictableBytes(buf)) return true;
  const text = buf.toString("latin1");
  if (/secret/i.test(text)) return true;
  // A Flux Kustomization's postBuild.substitute, a flux-system ConfigMap substituteFrom reads.
  if (text.includes("postBuild") || text.includes("flux-system")) return true;
  return extraKinds.some((k) => k !== "" && text.includes(k));
}

/** @deprecated kept for callers of the old pre-filter: same as mayMatter. */
export const mayHoldSecret = mayMatter;

/**
 * After a parse error: does the text look like a Secret or a kustomization
 * strongly enough to fail closed? A line scan (no regex over the whole text).
 */
function strongHint(bytes: Uint8Array): boolean {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  if (!/secret/i.test(text)) return false;
  // Escapes or tags with a kind: the guard cannot tell what go-yaml would make of it.
  if (/kind/i.test(text) && (text.includes("\\") || text.includes("!"))) return true;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim().replace(/^-\s+/, "");
    if (/^["']?kind["']?\s*:\s*["']?secret/i.test(line)) return true;
    if (/^secretGenerator\s*:/.test(line)) return true;
    if (/"kind"\s*:\s*"secret"/i.test(line)) return true;
  }
  return false;
}

/** A Secret object as kustomize/the API would see it. */
export interface SecretObject {
  node: TreeNode;
  prefix: string[];
  info: DocInfo;
  origin: Origin;
  /** Where it sits in the file (`spec.values.extraDeploy[0]`); "" for a document. */
  where: string;
  /** No selector reaches its values (read from a string, or synthesised from JSON 6902 operations). */
  opaque: boolean;
  /** Read from a string: that string's position in the file. */
  at?: Pos;
  /** Spelling mistakes that keep the API from reading it as intended (`Kind`, `secret`, `stringdata`). */
  typos: string[];
}

/** Key names holding plaintext, and where the first one is. */
export interface PlainKeys {
  keys: string[];
  first?: { line?: number; column?: number };
}

export interface DocAnalysis {
  doc: TreeDoc;
  info: DocInfo;
  /** Which values of this document must be encrypted (see pickerFor). */
  pick: PickFn;
  /** Values the selectors in force pick (empty when no selector judges the file). */
  values: MustEncrypt[];
  /** Secret objects with plaintext data the selectors leave alone. */
  secretsOutside: Array<{ object: SecretObject } & PlainKeys>;
  /** kustomize secretGenerator literals with plaintext values the selectors leave alone. */
  literalsOutside: PlainKeys;
  /**
   * Other literals kustomize delivers as Secret data (a builtin SecretGenerator config, inline or
   * not; a configMapGenerator literal `replacements:` copy into a Secret), plaintext, unpicked.
   */
  delivered: Array<
    PlainKeys & {
      via: LiteralGroup["via"] | "postbuild-substitute" | "substitution-configmap";
      name: string;
      inline?: boolean;
      fromResource?: boolean;
    }
  >;
  /** Under a broad rule, in a file that need not be encrypted: picked values that look like credentials. */
  credentials: Credential[];
  /**
   * Credentials nothing encrypts, whatever the rule (core/signals.ts): URL passwords, a Secret's
   * credential-named annotations, credential-named Helm values kept in the manifest. Warnings.
   */
  literals: Credential[];
}

/** A value that looks like a credential (its key path, where, and which format; never the value). */
export interface Credential {
  key: string;
  line?: number;
  column?: number;
  label: string;
  /** For `literals`: which signal found it. */
  signal?: Signal;
}

export interface Analysis {
  input: JudgeInput;
  path: string;
  format: Format;
  /** HEAD's version of the file carries sops metadata (any store's spelling). */
  headEncrypted: boolean;
  /** False when the file was skipped before parsing (it cannot matter). */
  parsed: boolean;
  /** Why parsing failed, when it did and the file must be checked. */
  parseError?: ParseError;
  file?: ParsedFile;
  meta?: MetaView;
  metaDoc?: TreeDoc;
  /** A selector judges the values: a rule covers the file or it carries metadata. */
  judged: boolean;
  /** The selector reported (the rule's, else the stored one). */
  selector?: Selector;
  /** Every selector in force: a value is picked when any of them picks it (rule ∪ metadata). */
  selectors: Selector[];
  /**
   * A document was judged by its stored selector plus the baseline, in place of the rule's
   * default (the rule states no selector and the document's sops block is complete).
   */
  trustsStoredSelector?: boolean;
  multi: boolean;
  docs: DocAnalysis[];
  mustEncrypt: MustEncrypt[];
  /** Counts over mustEncrypt. */
  encrypted: number;
  plaintext: number;
  malformed: number;
  /** A secretGenerator source that is not sops-encrypted: the keys kustomize would make plaintext. */
  generatorPlain?: PlainKeys;
  /** Must the file be encrypted, and why (core/intent.ts; set when a rule or metadata applies). */
  intent?: Intent;
  /** What the selectors pick is REQUIRED encrypted: judged, and the intent says must. */
  required: boolean;
  /** Read as a template (core/template.ts), or recognised as another tool's ciphertext. */
  readWith?: "template" | "foreign-ciphertext";
  /** The file did not parse as YAML but reads as a template: judge these variants instead. */
  templateVariants?: string[];
  /** A file that need not be encrypted and does not parse: a credential format seen in its text. */
  rawCredential?: string;
}

function leafText(leaf: Leaf): string {
  return leaf.str ?? leaf.plain.toString("utf8");
}

/** Does a selector (or the judgement's combination of them) pick this leaf? */
export type PickFn = (path: readonly string[], comments?: readonly string[]) => boolean;

/** Picked by any selector in force (no selector at all: sops' "every value"). */
export function picked(
  path: readonly string[],
  selectors: readonly Selector[],
  comments: readonly string[] = [],
): boolean {
  if (selectors.length === 0) return true;
  return selectors.some((s) => shouldBeEncrypted(path, s, comments));
}

/** The store to read the file with: by name, unless the content is sops YAML/JSON under another name. */
function sniffFormat(path: string, bytes: Uint8Array): Format {
  const byName = formatForPath(path);
  if (byName !== "binary") return byName;
  const lower = path.toLowerCase();
  // `secret.sops.yaml.j2`, `x.enc.yaml.bak`: sops-encrypted YAML/JSON kept under another suffix.
  if (/\.(ya?ml|json)\./.test(lower)) {
    for (const f of [lower.includes(".json.") ? "json" : "yaml"] as const) {
      if (!looksSopsEncrypted(bytes, f)) continue;
      try {
        const p = parseFile(bytes, f);
        if (p.docs.some((d) => d.metadata !== undefined)) return f;
      } catch {
        // not that store: binary
      }
    }
  }
  return byName;
}

/**
 * Could these bytes (of a file whose name says neither YAML nor JSON, and that no
 * kustomization is known to list) be YAML holding a Secret or a SecretGenerator config? False
 * only when provably not: a NUL byte without a UTF-16 byte order mark (go-yaml refuses control
 * characters in UTF-8 input); no `kind` in any case while nothing (a backslash escape, a `!`
 * tag) could spell it otherwise (every such object needs its kind); or mayMatter's proof.
 * Linear byte scans.
 */
export function maySniffAsYaml(bytes: Uint8Array, extraKinds: readonly string[] = []): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const bom =
    buf.length >= 2 &&
    ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff));
  if (bom) return true;
  if (buf.includes(0)) return false;
  if (!buf.includes(0x5c) && !buf.includes(0x21) && !/kind/i.test(buf.toString("latin1")))
    return false;
  return mayMatter(bytes, extraKinds);
}

/**
 * A proof that the YAML reader refuses these bytes (a Dockerfile, a shell script, HTML, prose):
 * after blank and comment lines, the first line starts at column 0 with a letter, a digit or
 * one of `<($/`, holds no `: ` and does not end with `:`. That line is no implicit key (a key
 * and its `:` share one line), no collection starts there, so the first document is a plain
 * scalar or a syntax error: refused either way (a document must be a mapping, or a sequence
 * for kustomize). False whenever unsure: a byte outside printable ASCII (tab, lone CR, a byte
 * order mark, UTF-8) up to the end of that line. One scan of the file's first lines.
 */
export function provablyNotYamlObject(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  for (;;) {
    // One line from i: blank, a comment, or the first content line.
    let j = i;
    while (j < n && bytes[j] === 0x20) j++;
    if (j >= n) return false; // no content line
    const c = bytes[j]!;
    if (c === 0x0a || (c === 0x0d && bytes[j + 1] === 0x0a)) {
      i = j + (c === 0x0d ? 2 : 1);
      continue;
    }
    if (c === 0x23 /* # */) {
      // A comment: the line's bytes do not matter to YAML, but they must be ASCII (no NEL).
      while (j < n && bytes[j] !== 0x0a) {
        const b = bytes[j]!;
        if (b >= 0x80 || (b < 0x20 && b !== 0x09 && !(b === 0x0d && bytes[j + 1] === 0x0a)))
          return false;
        j++;
      }
      i = j + 1;
      continue;
    }
    if (j !== i) return false; // indented content
    const first =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x3c ||
      c === 0x28 ||
      c === 0x24 ||
      c === 0x2f;
    if (!first) return false;
    let last = c;
    for (j = i + 1; j < n; j++) {
      const b = bytes[j]!;
      if (b === 0x0a || (b === 0x0d && bytes[j + 1] === 0x0a)) break;
      if (b < 0x20 || b >= 0x7f) return false;
      if (b === 0x20 && last === 0x3a) return false; // `: `
      if (b !== 0x20) last = b;
    }
    return last !== 0x3a; // ends with `:` (trailing spaces aside)
  }
}

/** The first non-string mapping key inside a node (placeholders of a `keepNonStringKeys` parse). */
function nonStringKeyIn(node: TreeNode): Pos | undefined {
  const stack: TreeNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === "map") {
      for (const it of n.items) {
        if (it.kind !== "item") continue;
        if (it.nonStringKey) return it.keyPos ?? { line: 0, column: 0 };
        stack.push(it.value);
      }
    } else if (n.kind === "seq") {
      for (const it of n.items) if (it.kind !== "comment") stack.push(it);
    }
  }
  return undefined;
}

/**
 * Parse as kustomize reads a file sops does not: non-string keys (a HelmRelease's `tcp: {22: …}`)
 * are fine there, except inside a Secret, whose data sops would be asked to encrypt; a
 * sequence document is read as a List of its items (an Argo CD app list is no error, a Secret
 * in it is still judged).
 */
function parseForKustomize(bytes: Uint8Array, kinds: readonly string[] | undefined): ParsedFile {
  const parsed = parseFile(bytes, "yaml", undefined, {
    keepNonStringKeys: true,
    sequenceRoots: true,
  });
  for (const d of parsed.docs) {
    for (const s of secretObjects(d, kinds)) {
      const p = nonStringKeyIn(s.node);
      if (p)
        throw new ParseError(
          "mapping key is not a string inside a Secret (sops refuses non-string keys)",
          p.line || undefined,
          p.column || undefined,
        );
    }
  }
  return parsed;
}

/**
 * A file sops reads with another store than YAML (by its name: binary, dotenv, INI) that
 * kustomize may read as YAML: a kustomization, a listed resource or generator config, or
 * content that may sniff as a YAML Secret. Such a file is judged both ways (judge.ts).
 */
export function kustomizeReadsOtherwise(input: JudgeInput): boolean {
  if (input.kustomizeView || input.templated) return false;
  const format = sniffFormat(input.path, input.bytes);
  if (format === "yaml" || format === "json") return false;
  const g = input.generatorSource;
  if (g?.field === "envs" || g?.field === "files") return false;
  const sopsReads =
    input.rule !== undefined ||
    looksSopsEncryptedAny(input.bytes) ||
    (input.headBytes !== undefined && looksSopsEncryptedAny(input.headBytes));
  if (!sopsReads) return false;
  return (
    isKustomizationPath(input.path) ||
    g?.field === "resources" ||
    g?.field === "generators" ||
    maySniffAsYaml(input.bytes, input.secretKinds)
  );
}

/** Analyse one file. Never throws for bad content. */
export function analyze(input: JudgeInput): Analysis {
  const { path, bytes, rule } = input;
  const format = sniffFormat(path, bytes);
  const a: Analysis = {
    input,
    path,
    format,
    headEncrypted:
      input.headBytes !== undefined && hasSopsMetadata(input.headPath ?? path, input.headBytes),
    parsed: false,
    judged: false,
    selectors: [],
    multi: false,
    docs: [],
    mustEncrypt: [],
    encrypted: 0,
    plaintext: 0,
    malformed: 0,
    required: false,
  };
  const selfEncrypted = looksSopsEncryptedAny(bytes);
  const gen = input.generatorSource;
  /** A secretGenerator source: its content is Secret data whatever it holds. */
  const source = gen?.field === "envs" || gen?.field === "files";
  // sops reads the file (a rule covers it, or it carries metadata): its store, by name, decides.
  const sopsReads =
    !input.kustomizeView && (rule !== undefined || selfEncrypted || a.headEncrypted);
  const byName = format === "yaml" || format === "json";
  // kustomize reads a kustomization, and what one lists as a resource, patch or generator
  // config, as YAML whatever the name; any other file may still sniff as a YAML Secret.
  const asManifest =
    !byName &&
    !sopsReads &&
    (isKustomizationPath(path) || gen?.field === "resources" || gen?.field === "generators");
  const sniffed =
    !byName && !sopsReads && !asManifest && !gen && maySniffAsYaml(bytes, input.secretKinds);
  const canMatter =
    ((byName || asManifest) && (mayMatter(bytes, input.secretKinds) || maySignal(bytes))) ||
    sniffed ||
    (gen?.copied?.length ?? 0) > 0;
  if (!rule && !a.headEncrypted && !selfEncrypted && !canMatter && !source) return a;
  if (!selfEncrypted && isForeignCiphertext(bytes)) {
    a.readWith = "foreign-ciphertext";
    return a;
  }
  if (input.templated) a.readWith = "template";

  // A generator's env file is read as kustomize reads it (dotenv), whatever its name.
  const readAs: Format =
    asManifest || sniffed
      ? "yaml"
      : gen?.field === "envs" && format === "binary"
        ? "dotenv"
        : format;
  if (asManifest) a.format = "yaml";
  // Sniffed, and the parse would fail (provably): a file that does not read as YAML is just a file.
  if (sniffed && provablyNotYamlObject(bytes)) return a;
  let parsed: ParsedFile;
  try {
    parsed =
      readAs === "yaml" && !sopsReads
        ? parseForKustomize(bytes, input.secretKinds)
        : parseFile(bytes, readAs);
  } catch (e) {
    // Sniffed, not named or listed as YAML: a file that does not read as YAML is just a file.
    if (sniffed) return a;
    // Templates (Helm, Jinja, gomplate) are read through the template-aware reader.
    if (readAs === "yaml" && !input.templated) {
      const variants = templateVariants(Buffer.from(bytes).toString("utf8"));
      if (variants) {
        a.templateVariants = variants;
        return a;
      }
    }
    const preIntent = intentOf({
      path,
      rule,
      hasMetadata: selfEncrypted || a.headEncrypted,
      hasEncMarkers: Buffer.from(bytes).includes("ENC["),
      holdsSecret: false,
      listed: input.listed,
      strict: input.strict,
    });
    if (rule) a.intent = preIntent;
    const mustCheck =
      (rule !== undefined && preIntent.must) ||
      a.headEncrypted ||
      selfEncrypted ||
      source ||
      // A listed resource of another name that is not YAML fails kustomize too; a `patches`
      // path may be a JSON 6902 list of operations, which is no manifest (not sops-readable).
      (asManifest && gen?.generator !== "patches") ||
      strongHint(bytes);
    if (mustCheck)
      a.parseError = e instanceof ParseError ? e : new ParseError("could not be parsed");
    // Need not be encrypted and not a store sops reads: still looked at for credentials.
    else if (rule)
      a.rawCredential = credentialLike(
        Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1 << 22)).toString(
          "latin1",
        ),
        { entropy: false },
      );
    return a;
  }
  a.parsed = true;
  if (sniffed) a.format = "yaml";
  a.file = parsed;
  a.multi = parsed.docs.length > 1;

  a.metaDoc = parsed.docs.find((d) => d.metadata !== undefined);
  a.meta = a.metaDoc ? metaView(a.metaDoc.metadata) : undefined;
  a.judged = rule !== undefined || a.meta !== undefined;
  // Binary files: every selector is ignored (sops ≥3.11), the whole content is one value.
  if (readAs !== "binary" && a.judged) {
    // Metadata cannot vouch for plaintext: what the rule picks must be encrypted too.
    if (rule) a.selectors.push(rule.selector);
    if (a.meta && !a.selectors.some((s) => sameSelector(s, a.meta!.selector)))
      a.selectors.push(a.meta.selector);
    a.selector = a.meta?.selector ?? rule?.selector ?? DEFAULT_SELECTOR;
    if (rule) a.selector = rule.selector;
  }
  const intent = intentOf({
    path,
    rule,
    hasMetadata: a.meta !== undefined || a.headEncrypted,
    hasEncMarkers: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).includes("ENC["),
    publicPem: readAs === "binary" && isPublicPem(Buffer.from(bytes).toString("latin1")),
    // A Secret the file carries where sops encrypts it; one in a string or a patch is
    // judged as its own (secretsOutside): it does not make the enclosing file a Secret.
    holdsSecret: parsed.docs.some((d) => carriesSecret(d, input)),
    kinds: parsed.docs.map((d) => getString(d.root, "kind")),
    listed: input.listed,
    strict: input.strict,
  });
  if (a.judged) a.intent = intent;
  // What the selectors pick is REQUIRED encrypted only in a file that must be encrypted;
  // a file under a broad rule is judged for Secret content only.
  a.required = a.judged && intent.must;

  for (const doc of parsed.docs) {
    // Must only because it holds a Secret (a plaintext `helm template` output): the Secret
    // documents are required encrypted, the ConfigMaps beside them are not leaks.
    const docRequired =
      a.required && (intent.reason !== "holds-secret" || carriesSecret(doc, input));
    // Binary stores ignore selectors: the whole content is one value.
    const picker =
      readAs === "binary"
        ? { pick: () => true, trusted: false }
        : pickerFor(doc, a.selectors, rule, input.secretKinds);
    const pick: PickFn = picker.pick;
    if (picker.trusted) a.trustsStoredSelector = true;
    const values = docRequired
      ? valuesToEncrypt(doc, pick, input, readAs, a.meta !== undefined)
      : [];
    for (const m of values) a.mustEncrypt.push(m);
    a.docs.push({
      doc,
      info: docInfo(doc.root),
      pick,
      values,
      secretsOutside:
        readAs === "yaml" || readAs === "json" ? secretsOutside(doc, a, pick, input) : [],
      literalsOutside: literalsOutside(doc, a, pick, input),
      delivered:
        readAs === "yaml" || readAs === "json" ? deliveredOutside(doc, a, pick, input) : [],
      credentials: a.judged && !a.required && rule ? credentials(doc, pick, input) : [],
      literals: [],
    });
    const d = a.docs[a.docs.length - 1]!;
    // A manifest by its name or its kustomization's listing (not a file only sniffed as YAML).
    if ((readAs === "yaml" || readAs === "json") && (byName || asManifest))
      d.literals = literalCredentials(doc, docRequired, pick, input, d.credentials);
  }
  a.encrypted = a.mustEncrypt.filter((m) => m.state === "encrypted").length;
  a.plaintext = a.mustEncrypt.filter((m) => m.state === "plaintext").length;
  a.malformed = a.mustEncrypt.filter((m) => m.state === "malformed").length;
  if (source && !a.meta && a.plaintext === 0) a.generatorPlain = generatorPlain(a, parsed, input);
  return a;
}

/** What kustomize makes Secret data of, from a source file that sops did not encrypt. */
function generatorPlain(a: Analysis, parsed: ParsedFile, input: JudgeInput): PlainKeys | undefined {
  const gen = input.generatorSource!;
  if (gen.field === "files") {
    const text = Buffer.from(input.bytes).toString("utf8");
    if (input.bytes.length === 0 || isExemptValue(text)) return undefined;
    if (input.isAllowed?.(gen.key ?? "", input.bytes)) return undefined;
    return {
      keys: [gen.key ?? a.path.slice(a.path.lastIndexOf("/") + 1)],
      first: { line: 1, column: 1 },
    };
  }
  const keys: string[] = [];
  let first: PlainKeys["first"];
  for (const doc of parsed.docs) {
    for (const v of walkLeaves(doc.root)) {
      const text = leafText(v.leaf);
      if (v.leaf.plain.length === 0 || isExemptValue(text) || encState(text) !== "plaintext")
        continue;
      if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
      // A configMapGenerator's env file: only the keys replacements copy into a Secret.
      if (gen.copied && !gen.copied.some((c) => c.key === v.path.join("."))) continue;
      keys.push(v.path.join("."));
      first ??= { line: v.leaf.pos?.line, column: v.leaf.pos?.column };
    }
  }
  return keys.length > 0 ? { keys, first } : undefined;
}

/** What names a Kubernetes object for kustomize and the API server: sops must leave it readable. */
const IDENTITY_FIELDS = new Set(["apiVersion", "kind", "metadata"]);
/** Fields of a v1 Secret besides its data that hold no value (the API defines them). */
const SECRET_PLAIN_FIELDS = new Set(["type", "immutable"]);

/**
 * Which values of one document must be encrypted. Normally every selector in
 * force (the rule's and the stored one: metadata cannot vouch for plaintext).
 *
 * One exception, for real files written with `sops --encrypted-regex …` under
 * a rule that states no selector (the Flux guide's way): when the covering
 * rule states none and THIS document carries a complete sops block (mac,
 * version, lastmodified, a key stanza with its wrapped key: what sops needs to
 * decrypt it), the document is judged by its stored selector plus a baseline
 * that trusts no metadata: every value the rule picks except, in a Kubernetes
 * object, its identity (`apiVersion`, `kind`, `metadata`) and, in a Secret,
 * `type` and `immutable`. So a stored selector can leave a Secret's name
 * readable, never its data nor a ConfigMap's; and a rule that states a
 * selector is never narrowed. Incomplete metadata, or a block over a document
 * without one ENC value, is trusted for nothing.
 */
function pickerFor(
  doc: TreeDoc,
  selectors: readonly Selector[],
  rule: JudgeInput["rule"],
  secretKinds: readonly string[] | undefined,
): { pick: PickFn; trusted: boolean } {
  const union = {
    pick: (path: readonly string[], comments?: readonly string[]) =>
      picked(path, selectors, comments),
    trusted: false,
  };
  if (!rule?.selector.isDefault || doc.metadata === undefined) return union;
  const own = metaView(doc.metadata);
  if (own.problems.length > 0) return union;
  // A block over a document with not one ENC value its selector picks vouches for nothing.
  let sealed = false;
  for (const v of walkLeaves(doc.root)) {
    if (v.leaf.type !== "str" || !shouldBeEncrypted(v.path, own.selector, v.comments)) continue;
    if (encState(leafText(v.leaf)) === "encrypted") {
      sealed = true;
      break;
    }
  }
  if (!sealed) return union;
  const root = doc.root;
  const kube = getString(root, "kind") !== undefined && getString(root, "apiVersion") !== undefined;
  const secret =
    kube &&
    secretObjects(doc, secretKinds).some((o) => o.origin === "document" && o.prefix.length === 0);
  const readable = (path: readonly string[]): boolean => {
    const top = path[0];
    if (top === undefined || !kube) return false;
    return IDENTITY_FIELDS.has(top) || (secret && SECRET_PLAIN_FIELDS.has(top));
  };
  const pick: PickFn = (path, comments) =>
    shouldBeEncrypted(path, own.selector, comments) ||
    (shouldBeEncrypted(path, rule.selector, comments) && !readable(path));
  return { pick, trusted: true };
}

function sameSelector(x: Selector, y: Selector): boolean {
  return x.field === y.field && x.value === y.value;
}

/** The state of one string value sops would encrypt. */
function stateOf(
  path: string[],
  text: string | undefined,
  leaf: Leaf,
  input: JudgeInput,
  exempt: () => boolean,
): ValueState {
  if (text !== undefined) {
    const s = encState(text);
    if (s === "encrypted") return "encrypted";
    if (s === "malformed") return "malformed";
    if (isNestedSopsFile(path, text)) return "nested";
  }
  if (leaf.plain.length === 0) return "empty";
  if (input.isAllowed?.(path.join("."), leaf.plain)) return "allowed";
  if (exempt()) return "exempt";
  return "plaintext";
}

/**
 * The values sops would encrypt in one document, with their state; and the
 * comment lines it would encrypt (those inside a container it encrypts,
 * sops-format §4.4): a plaintext comment there is exposed text too.
 */
function valuesToEncrypt(
  doc: TreeDoc,
  pick: PickFn,
  input: JudgeInput,
  format: Format,
  hasMetadata: boolean,
): MustEncrypt[] {
  const list: MustEncrypt[] = [];
  const ctx = exemptContext(doc.root, input);
  // Inside an encrypted file a plaintext `${VAR}` stays an error: Flux's decryption fails on it.
  const exempt = (leaf: Leaf) => () => !hasMetadata && leafExempt(leaf, ctx, input);
  for (const v of walkLeaves(doc.root)) {
    if (!pick(v.path, v.comments)) continue;
    const text = v.leaf.type === "str" ? leafText(v.leaf) : undefined;
    list.push({
      document: doc.index,
      path: v.path,
      line: v.leaf.pos?.line,
      column: v.leaf.pos?.column,
      state: stateOf(v.path, text, v.leaf, input, exempt(v.leaf)),
    });
  }
  commentsToEncrypt(doc.root, [], pick, doc.index, list, format === "dotenv" || format === "ini");
  return list;
}

/**
 * Comments of YAML/JSON documents count from the first nested container on:
 * sops before 3.x left top-level comments in the clear (its own fixture
 * comments_unencrypted_comments.yaml), and those are file documentation; a
 * dotenv or INI file is all top level, so its comment lines count there.
 */
function commentsToEncrypt(
  node: TreeNode,
  path: string[],
  picks: PickFn,
  document: number,
  out: MustEncrypt[],
  rootCounts: boolean,
): void {
  if (node.kind !== "map" && node.kind !== "seq") return;
  const pick = picks(path) && (path.length > 0 || rootCounts);
  for (const item of node.items) {
    if (item.kind === "comment") {
      const t = item.text.trim();
      if (!pick || t === "" || encState(t) === "encrypted") continue;
      out.push({
        document,
        path: [...path, "#comment"],
        line: item.pos?.line,
        column: item.pos?.column,
        state: encState(t) === "malformed" ? "malformed" : "plaintext",
        comment: true,
      });
    } else if (item.kind === "item") {
      commentsToEncrypt(item.value, [...path, item.key], picks, document, out, rootCounts);
    } else {
      commentsToEncrypt(item, path, picks, document, out, rootCounts);
    }
  }
}

const DATA_FIELDS = ["data", "stringData"];
/** The other top-level fields of a v1 Secret (and the sops block): never Secret data. */
const SECRET_FIELDS = new Set([
  "apiVersion",
  "kind",
  "metadata",
  "type",
  "immutable",
  "sops",
  "status",
]);

/**
 * The data field a Secret's top-level key means: itself, or — for a key the API server
 * would reject or drop (`stringdata`, `Data`, `stringDate`) — the nearer of data/stringData
 * (noted as a typo). A mapping under any unknown top-level key holds values committed in the
 * clear, whatever was meant.
 */
function dataFieldOf(key: string): string | undefined {
  if (DATA_FIELDS.includes(key)) return key;
  if (SECRET_FIELDS.has(key)) return undefined;
  const k = key.toLowerCase();
  return distance(k, "data") <= distance(k, "stringdata") ? "data" : "stringData";
}

/** Levenshtein distance of two short strings (key names), bounded by their lengths. */
function distance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[b.length]!;
}

/** Secret data/stringData keys holding plaintext that no selector in force picks. */
function secretsOutside(
  doc: TreeDoc,
  a: Analysis,
  pick: PickFn,
  input: JudgeInput,
): DocAnalysis["secretsOutside"] {
  const out: DocAnalysis["secretsOutside"] = [];
  const docCtx = exemptContext(doc.root, input);
  for (const s of secretObjects(doc, input.secretKinds, input.path)) {
    const keys: string[] = [];
    let first: PlainKeys["first"];
    const ctx = { ...docCtx, ...exemptContext(s.node, input) };
    // Inside a string (a patch, an annotation, a ConfigMap value) no selector reaches the values.
    const embedded = s.opaque;
    for (const it of mapItems(s.node)) {
      const field = dataFieldOf(it.key);
      if (!field || it.value.kind !== "map") continue;
      for (const entry of mapItems(it.value)) {
        const full = [...s.prefix, it.key, entry.key];
        if (!embedded && a.required && field === it.key && pick(full)) continue;
        for (const v of walkLeaves(entry.value, full)) {
          const text = leafText(v.leaf);
          if (input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
          if (leafExempt(v.leaf, ctx, input) || encState(text) !== "plaintext") continue;
          if (isNestedSopsFile([...s.prefix, field, entry.key], text)) continue;
          keys.push(entry.key);
          if (field !== it.key && !s.typos.includes(`${it.key} (did you mean ${field}?)`))
            s.typos.push(`${it.key} (did you mean ${field}?)`);
          // Inside a string the positions are the string's own: point at the string.
          first ??= s.at ?? { line: entry.line, column: entry.column };
          break;
        }
      }
    }
    if (keys.length > 0) out.push({ object: s, keys, first });
  }
  return out;
}

/** kustomize secretGenerator literals: `KEY=VALUE` strings no selector in force picks. */
function literalsOutside(doc: TreeDoc, a: Analysis, pick: PickFn, input: JudgeInput): PlainKeys {
  const out: PlainKeys = { keys: [] };
  // Picked by a selector: encrypted, or reported as unencrypted/partially-encrypted.
  if (a.required && pick(["secretGenerator", "literals"])) return out;
  for (const gen of seqMaps(get(doc.root, "secretGenerator"))) {
    const lits = get(gen, "literals");
    if (lits?.kind !== "seq") continue;
    plainLiterals(
      lits.items.filter((l): l is Leaf => l.kind === "leaf"),
      "secretGenerator.literals",
      doc,
      input,
      out,
    );
  }
  return out;
}

/** `KEY=VALUE` literals holding plaintext (not exempt, not allowed), added to `out`. */
function plainLiterals(
  lits: readonly Leaf[],
  allowPrefix: string,
  doc: TreeDoc,
  input: JudgeInput,
  out: PlainKeys,
  onlyKey?: string,
): void {
  for (const lit of lits) {
    const text = leafText(lit);
    // kustomize splits at the first `=`; the value may hold more of them.
    const eq = text.indexOf("=");
    if (eq === -1) continue;
    const key = text.slice(0, eq);
    if (onlyKey !== undefined && key !== onlyKey) continue;
    let value = text.slice(eq + 1);
    // kustomize strips one pair of matching quotes around the value.
    if (/^(["']).*\1$/s.test(value) && value.length >= 2) value = value.slice(1, -1);
    if (isExemptValue(value, exemptContext(doc.root, input))) continue;
    if (input.templated && isTemplateMarked(value)) continue;
    if (input.isAllowed?.(`${allowPrefix}.${key}`, Buffer.from(value, "utf8"))) continue;
    out.keys.push(key);
    out.first ??= { line: lit.pos?.line, column: lit.pos?.column };
  }
}

/** The literals of builtin SecretGenerator configs and Secret-bound replacements, plaintext and unpicked. */
function deliveredOutside(
  doc: TreeDoc,
  a: Analysis,
  pick: PickFn,
  input: JudgeInput,
): DocAnalysis["delivered"] {
  const out: DocAnalysis["delivered"] = [];
  for (const g of literalGroups(doc.root)) {
    if (a.required && pick(g.path)) continue;
    const found: PlainKeys = { keys: [] };
    plainLiterals(g.literals, g.path.join("."), doc, input, found, g.onlyKey);
    if (found.keys.length === 0) continue;
    out.push({
      keys: found.keys,
      first: g.at ?? found.first,
      via: g.via,
      name: g.name,
      ...(g.inline ? { inline: true } : {}),
    });
  }
  // Flux postBuild.substitute values named like credentials: written into the applied manifests.
  for (const [subst, via] of [
    [credentialSubstitutes(doc.root), "postbuild-substitute"],
    [substitutionConfigMapCredentials(doc.root), "substitution-configmap"],
  ] as const) {
    if (!subst) continue;
    const ctx = exemptContext(doc.root, input);
    const found: PlainKeys = { keys: [] };
    for (const { key, leaf } of subst.values) {
      const text = leafText(leaf);
      if (leaf.plain.length === 0 || leafExempt(leaf, ctx, input)) continue;
      if (encState(text) !== "plaintext") continue;
      const at = via === "postbuild-substitute" ? "spec.postBuild.substitute" : "data";
      if (input.isAllowed?.(`${at}.${key}`, leaf.plain)) continue;
      found.keys.push(key);
      found.first ??= { line: leaf.pos?.line, column: leaf.pos?.column };
    }
    if (found.keys.length > 0) out.push({ ...found, via, name: subst.name });
  }
  // A ConfigMap in this resource whose value the listing kustomization copies into a Secret.
  const copied = input.generatorSource?.copied;
  if (copied && copied.length > 0) {
    const ctx = exemptContext(doc.root, input);
    for (const c of copiedConfigMapValues(doc.root, copied)) {
      const text = leafText(c.leaf);
      if (c.leaf.plain.length === 0 || leafExempt(c.leaf, ctx, input)) continue;
      if (encState(text) !== "plaintext") continue;
      if (input.isAllowed?.(`data.${c.key}`, c.leaf.plain)) continue;
      out.push({
        keys: [c.key],
        first: { line: c.leaf.pos?.line, column: c.leaf.pos?.column },
        via: "replacement",
        name: c.name,
        fromResource: true,
      });
    }
  }
  return out;
}

/** Values the selectors pick that look like credentials (for a file that need not be encrypted). */
function credentials(doc: TreeDoc, pick: PickFn, input: JudgeInput): Credential[] {
  const out: Credential[] = [];
  const ctx = exemptContext(doc.root, input);
  for (const v of walkLeaves(doc.root)) {
    if (v.leaf.type !== "str" || !pick(v.path, v.comments) || leafExempt(v.leaf, ctx, input))
      continue;
    const label = credentialLike(leafText(v.leaf));
    if (!label || input.isAllowed?.(v.path.join("."), v.leaf.plain)) continue;
    out.push({ key: v.path.join("."), line: v.leaf.pos?.line, column: v.leaf.pos?.column, label });
  }
  return out;
}

const SIGNAL_LABELS: Record<Signal, string> = {
  "url-password": "a password in a URL",
  annotation: "a Secret annotation named like a credential",
  "helm-values": "a Helm value named like a credential",
};

/**
 * Credentials nothing encrypts (core/signals.ts), one per value: not a value the selectors
 * require encrypted (that is an error already), nor a Secret's data (judged as a Secret value),
 * nor one the broad-rule check found, nor an allowed one. Never the value, only its key path.
 */
function literalCredentials(
  doc: TreeDoc,
  required: boolean,
  pick: PickFn,
  input: JudgeInput,
  already: readonly Credential[],
): Credential[] {
  const out: Credential[] = [];
  const seen = new Set(already.map((c) => c.key));
  const ctx = exemptContext(doc.root, input);
  const secrets = secretObjects(doc, input.secretKinds, input.path);
  const data: string[][] = [];
  for (const s of secrets) {
    if (s.opaque) continue;
    for (const it of mapItems(s.node)) if (dataFieldOf(it.key)) data.push([...s.prefix, it.key]);
  }
  const inData = (path: readonly string[]) =>
    data.some((p) => p.length <= path.length && p.every((k, i) => path[i] === k));
  const add = (path: string[], leaf: Leaf, signal: Signal, at?: Pos) => {
    const key = path.join(".");
    if (seen.has(key) || inData(path) || (required && pick(path))) return;
    const text = leafText(leaf);
    if (input.templated && isTemplateMarked(text)) return;
    if (input.isAllowed?.(key, leaf.plain)) return;
    seen.add(key);
    const p = at ?? leaf.pos;
    out.push({ key, line: p?.line, column: p?.column, label: SIGNAL_LABELS[signal], signal });
  };
  for (const s of secrets) {
    const sctx = { ...ctx, ...exemptContext(s.node, input) };
    for (const v of annotationLiterals(s.node, s.prefix, sctx))
      add(v.path, v.leaf, "annotation", s.opaque ? s.at : undefined);
  }
  for (const h of helmValues(doc.root))
    for (const v of namedLiterals(h.node, h.prefix, ctx)) add(v.path, v.leaf, "helm-values");
  for (const v of urlPasswordLeaves(doc.root, doc.metadata !== undefined, ctx))
    add(v.path, v.leaf, "url-password");
  return out;
}

/** Exemption context of an object: argocd-vault-plugin placeholders need its annotation. */
function exemptContext(root: TreeNode, input?: JudgeInput): ExemptContext {
  const ann = get(get(root, "metadata"), "annotations");
  const ctx: ExemptContext = get(ann, "avp.kubernetes.io/path") !== undefined ? { avp: true } : {};
  if (input?.isPlaceholder) ctx.isPlaceholder = input.isPlaceholder;
  return ctx;
}

/** Is this plaintext leaf no leak (substitution, template, reference, empty)? */
function leafExempt(leaf: Leaf, ctx: ExemptContext, input: JudgeInput): boolean {
  const text = leafText(leaf);
  if (input.templated && isTemplateMarked(text)) return true;
  return exemptionOf(text, leaf.tag ? { ...ctx, tag: leaf.tag } : ctx) !== undefined;
}

export function seqMaps(node: TreeNode | undefined): TreeNode[] {
  if (node?.kind !== "seq") return [];
  return node.items.filter((i): i is TreeNode => i.kind === "map");
}

/** The value of `kind`, also when misspelt as `Kind`/`KIND`; with the typo noted. */
function kindOf(n: MapNode): { kind?: string; typo?: string } {
  const exact = getString(n, "kind");
  if (exact !== undefined) return { kind: exact };
  for (const it of mapItems(n)) {
    if (it.key.toLowerCase() === "kind" && it.value.kind === "leaf" && it.value.type === "str")
      return { kind: it.value.str, typo: `${it.key} (did you mean kind?)` };
  }
  return {};
}

/**
 * `kind: Secret` (apiVersion v1) wherever kustomize or the API server would
 * find one (see kube.ts), and near misses that still hold plaintext Secret
 * data (`kind: secret`, `Kind: Secret`).
 */
export function secretObjects(
  doc: TreeDoc,
  extraKinds: readonly string[] = [],
  path?: string,
): SecretObject[] {
  const out: SecretObject[] = [];
  const opts = {
    kinds: extraKinds,
    kustomizationFile: path !== undefined && isKustomizationPath(path),
  };
  for (const o of kubeObjects(doc.root, opts)) {
    const { kind, typo } = kindOf(o.node);
    if (kind === undefined) continue;
    const typos: string[] = typo ? [typo] : [];
    let isSecret = false;
    if (kind === "Secret") isSecret = (getString(o.node, "apiVersion") ?? "v1") === "v1";
    else if (extraKinds.includes(kind)) isSecret = true;
    else if (kind.toLowerCase() === "secret") {
      isSecret = true;
      typos.push(`kind: ${kind} (did you mean Secret?)`);
    }
    if (!isSecret) continue;
    out.push({
      node: o.node,
      prefix: o.prefix,
      info: docInfo(o.node),
      origin: o.origin,
      where: o.where,
      opaque: o.opaque,
      ...(o.at ? { at: o.at } : {}),
      typos,
    });
  }
  return out;
}

/** Does the document carry a Secret whose values encrypting the file would protect? */
function carriesSecret(doc: TreeDoc, input: JudgeInput): boolean {
  return secretObjects(doc, input.secretKinds, input.path).some((s) => !s.opaque);
}

/** Length of the path prefix up to and including `data`/`stringData` of a Secret, for key names. */
export function secretPrefix(root: TreeNode, path: string[]): number {
  const i = path.findIndex((k) => k === "data" || k === "stringData");
  if (i !== -1 && (getString(root, "kind") !== undefined || path[0] === "items")) return i + 1;
  return 0;
}

/** Key names of every Secret's data, for `encryption-removed` when no value is picked. */
export function secretKeysOf(a: Analysis): string[] {
  const keys: string[] = [];
  for (const d of a.docs) {
    for (const s of secretObjects(d.doc, a.input.secretKinds, a.path)) {
      for (const field of DATA_FIELDS)
        for (const it of mapItems(get(s.node, field))) keys.push(it.key);
    }
  }
  return keys;
}

export function keyName(path: string[], prefixLen: number): string {
  return path.slice(prefixLen).join(".") || path.join(".");
}

export type { Pos };
