/**
 * Credentials written where nothing encrypts them and no rule calls them Secret data: the
 * `possible-credential` signals that need no creation rule. Warnings only, by construction:
 * nothing here makes a file must-encrypt, unparseable or an error.
 *
 *  - a password in a URL's userinfo (`https://user:PASSWORD@host/…`), in any string value;
 *  - a literal value of a Secret's `metadata.annotations` whose key names a credential
 *    (`example.com/bootstrap-password`): sops leaves annotations in the clear and anyone who
 *    can list Secrets reads them;
 *  - a literal value under a credential-named key of Helm values kept in the manifest: a
 *    kustomization's `helmCharts[].valuesInline`, a builtin HelmChartInflationGenerator's
 *    `valuesInline`, a Flux HelmRelease's `spec.values` (the chart renders them into the
 *    cluster, often into a Secret).
 *
 * A key names a credential by its last word (namesCredential: `DB_PASSWORD`, `apiToken`,
 * `CLIENT_SECRET`), unless it names a reference to one (`existingSecret`, `existingSecretKey`,
 * `passwordSecretKey`, `passwordKey`, `secretName`). A value is a literal unless it is exempt
 * (core/exempt.ts), made only of variable references (`$(VAR)`, `$${VAR}`, `$var`,
 * `$__env{VAR}`, `os.environ/VAR`, `<placeholder>`, `%s`), a file path, a boolean or null
 * spelt as a string, or itself the name of a credential (`redis-password`, `JWT_SECRET`: the
 * key of a Secret or an environment variable, not its value). Pure; names keys, never values.
 */
import { encState } from "../sops/enc.js";
import type { Leaf, TreeNode } from "../sops/tree.js";
import { get, getString, mapItems, walkLeaves } from "../sops/walk.js";
import { type ExemptContext, exemptionOf, isTemplateOnly } from "./exempt.js";
import { namesCredential } from "./kustomize.js";

/** Which signal found it (the report names it; never the value). */
export type Signal = "url-password" | "annotation" | "helm-values";

/** Characters that end a URL's authority (RFC 3986 §3.2) or the URL itself. */
function endsAuthority(c: string): boolean {
  return c === "/" || c === "?" || c === "#" || /\s/.test(c);
}

const SCHEME = /[A-Za-z][A-Za-z0-9+.-]*$/;

/**
 * Does the text hold a URL whose userinfo carries a literal password
 * (`scheme://user:PASSWORD@host`)? Every `://` is looked at once; the authority runs to the
 * first `/`, `?`, `#` or white space and its userinfo to its last `@` (as WHATWG URL parsers
 * read `user:p@ss@host`). No password (`https://user@host`, `ssh://git@host`,
 * `git@github.com:org/repo`), an empty one, or one made only of substitutions, templates or
 * references is not a finding. Linear.
 */
export function hasUrlPassword(text: string, ctx: ExemptContext = {}): boolean {
  let i = text.indexOf("://");
  while (i !== -1) {
    let j = i + 3;
    while (j < text.length && !endsAuthority(text[j]!)) j++;
    if (SCHEME.test(text.slice(Math.max(0, i - 32), i))) {
      const authority = text.slice(i + 3, j);
      const at = authority.lastIndexOf("@");
      if (at !== -1) {
        const colon = userinfoColon(authority.slice(0, at));
        if (colon !== -1 && isLiteralSecret(authority.slice(colon + 1, at), ctx)) return true;
      }
    }
    // No `://` lies inside an authority (it holds no `/`): go on from its end.
    i = text.indexOf("://", j);
  }
  return false;
}

/** The first `:` of a userinfo outside `${…}`, `$(…)` and `{{…}}` (`${USER:=admin}:${PASS}`). */
function userinfoColon(userinfo: string): number {
  let depth = 0;
  for (let k = 0; k < userinfo.length; k++) {
    const c = userinfo[k]!;
    if (
      (c === "$" && (userinfo[k + 1] === "{" || userinfo[k + 1] === "(")) ||
      userinfo.startsWith("{{", k)
    ) {
      depth++;
      k++;
    } else if (depth > 0 && (c === "}" || c === ")")) {
      depth--;
      if (c === "}" && userinfo[k + 1] === "}") k++;
    } else if (depth === 0 && c === ":") return k;
  }
  return -1;
}

/**
 * One variable reference an application, the kubelet or a tool resolves at run time: a Flux
 * substitution escaped for the app (`$${VAR}`), the kubelet's `$(VAR)`, a shell `$var`, Grafana's
 * `$__env{VAR}`/`$__file{path}`, LiteLLM's `os.environ/VAR`, a `<placeholder>`, a printf `%s`.
 * `${…}` and `{{ … }}` are judged by core/exempt.ts (a literal default is a literal).
 */
const REFERENCE_TOKEN = new RegExp(
  [
    /\$\$\{[A-Za-z_][A-Za-z0-9_]*\}/,
    /\$\([A-Za-z_][A-Za-z0-9_]*\)/,
    /\$__(?:env|file|vault)\{[^{}\s]+\}/,
    /\$\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}/,
    /\$[A-Za-z_][A-Za-z0-9_]*/,
    /os\.environ\/[A-Za-z_][A-Za-z0-9_]*/,
    /<[^<>\s]+>/,
    /%(?:\([A-Za-z_]+\))?[sv]/,
    /\{\{(?:(?!\}\})[\s\S])*\}\}/,
  ]
    .map((r) => r.source)
    .join("|"),
  "y",
);

/** The text is one or more reference tokens and nothing else (a `${…}`/`{{…}}` token must be exempt itself). */
function referencesOnly(t: string): boolean {
  let i = 0;
  while (i < t.length) {
    REFERENCE_TOKEN.lastIndex = i;
    const m = REFERENCE_TOKEN.exec(t);
    if (!m) return false;
    const tok = m[0];
    if (tok.startsWith("${") && exemptionOf(tok) === undefined) return false;
    if (tok.startsWith("{{") && !isTemplateOnly(tok)) return false;
    i += tok.length;
  }
  return i > 0;
}

const NOT_A_SECRET = /^(?:true|false|yes|no|on|off|null|none|~|\*+)$/i;
/** An absolute file path: where the credential is read from (`/run/secrets/db`), not the credential. */
const FILE_PATH = /^\/[\w.\-/]+$/;
/** A bare name (`redis-password`, `JWT_SECRET`): what may name a Secret's key or a variable. */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * Is this text a literal credential rather than a reference to one? Not when empty, exempt
 * (substitution, template, reference), made of variable references only, a file path, a
 * boolean/null/mask spelt as text, or itself a credential's name (the key it is read from).
 */
export function isLiteralSecret(text: string, ctx: ExemptContext = {}): boolean {
  const t = text.trim();
  if (t === "" || exemptionOf(text, ctx) !== undefined) return false;
  if (referencesOnly(t) || NOT_A_SECRET.test(t) || FILE_PATH.test(t)) return false;
  if (IDENTIFIER.test(t) && namesCredential(t)) return false;
  return true;
}

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

/** Word endings that make `<word>SecretKey` the name of a Secret's key (`passwordSecretKey`). */
const REFERRING = /(?:PASSWORD|PASSWD|PASS|PWD|PASSPHRASE|TOKEN|KEY|SECRET|CREDENTIALS)$/;

/**
 * Does a mapping key (an annotation key's name part, a Helm values key) say its value is a
 * credential? ASCII only (annotation keys are; a chart reads its keys by exact spelling), by
 * namesCredential, and not when it names a reference: `existing…` (`existingSecretKey`), or
 * `<credential word>SecretKey` (`passwordSecretKey`, `masterkeySecretKey`: the key in a Secret).
 */
export function namesCredentialField(key: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(key)) return false;
  const name = key.slice(key.lastIndexOf("/") + 1);
  if (!namesCredential(name)) return false;
  const w = words(name);
  if (w.includes("EXISTING")) return false;
  const n = w.length;
  if (n >= 3 && w[n - 1] === "KEY" && w[n - 2] === "SECRET" && REFERRING.test(w[n - 3]!))
    return false;
  return true;
}

/** A sibling naming the Secret a `…Key` value is read from (`existingSecret`, `secretName`, `secretRef`). */
function refersToSecret(map: TreeNode): boolean {
  return mapItems(map).some((it) => /existingsecret|secretname$|secretref$/i.test(it.key));
}

/** Is the node a Helm values tree kept in this document, and where? */
export function helmValues(root: TreeNode): Array<{ node: TreeNode; prefix: string[] }> {
  const out: Array<{ node: TreeNode; prefix: string[] }> = [];
  const charts = get(root, "helmCharts");
  if (charts?.kind === "seq") {
    for (const c of charts.items) {
      if (c.kind !== "map") continue;
      const v = get(c, "valuesInline");
      if (v?.kind === "map") out.push({ node: v, prefix: ["helmCharts", "valuesInline"] });
    }
  }
  const kind = getString(root, "kind");
  if (kind === "HelmChartInflationGenerator") {
    const v = get(root, "valuesInline");
    if (v?.kind === "map") out.push({ node: v, prefix: ["valuesInline"] });
  }
  if (
    kind === "HelmRelease" &&
    (getString(root, "apiVersion") ?? "").startsWith("helm.toolkit.fluxcd.io/")
  ) {
    const v = get(get(root, "spec"), "values");
    if (v?.kind === "map") out.push({ node: v, prefix: ["spec", "values"] });
  }
  return out;
}

/** Credential-named keys holding literal strings in a mapping tree (at any depth), with their paths. */
export function* namedLiterals(
  node: TreeNode,
  prefix: string[],
  ctx: ExemptContext,
): Generator<{ path: string[]; leaf: Leaf }> {
  if (node.kind === "seq") {
    for (const it of node.items) if (it.kind !== "comment") yield* namedLiterals(it, prefix, ctx);
    return;
  }
  if (node.kind !== "map") return;
  let refers: boolean | undefined;
  for (const it of node.items) {
    if (it.kind !== "item") continue;
    const v = it.value;
    if (v.kind === "map" || v.kind === "seq") {
      yield* namedLiterals(v, [...prefix, it.key], ctx);
      continue;
    }
    if (v.kind !== "leaf" || v.type !== "str" || !namesCredentialField(it.key)) continue;
    const text = v.str ?? v.plain.toString("utf8");
    if (
      encState(text) !== "plaintext" ||
      !isLiteralSecret(text, v.tag ? { ...ctx, tag: v.tag } : ctx)
    )
      continue;
    if (/KEY$/i.test(it.key)) {
      refers ??= refersToSecret(node);
      if (refers) continue;
    }
    yield { path: [...prefix, it.key], leaf: v };
  }
}

/** `walkLeaves` string leaves (outside the `sops` block) whose text carries a URL password. */
export function* urlPasswordLeaves(
  root: TreeNode,
  skipSops: boolean,
  ctx: ExemptContext,
): Generator<{ path: string[]; leaf: Leaf }> {
  for (const v of walkLeaves(root)) {
    if (v.leaf.type !== "str") continue;
    if (skipSops && v.path[0] === "sops") continue;
    const text = v.leaf.str ?? v.leaf.plain.toString("utf8");
    if (!text.includes("://") || encState(text) !== "plaintext") continue;
    if (hasUrlPassword(text, ctx)) yield { path: v.path, leaf: v.leaf };
  }
}

/** A Secret's annotations with credential-named keys and literal values. */
export function* annotationLiterals(
  secret: TreeNode,
  prefix: string[],
  ctx: ExemptContext,
): Generator<{ path: string[]; leaf: Leaf }> {
  const ann = get(get(secret, "metadata"), "annotations");
  for (const it of mapItems(ann)) {
    const v = it.value;
    if (v.kind !== "leaf" || v.type !== "str" || !namesCredentialField(it.key)) continue;
    const text = v.str ?? v.plain.toString("utf8");
    if (encState(text) !== "plaintext" || !isLiteralSecret(text, ctx)) continue;
    yield { path: [...prefix, "metadata", "annotations", it.key], leaf: v };
  }
}

/**
 * Bytes whose parse a plain byte scan cannot predict: a UTF-16 byte order mark (another
 * encoding), a backslash (escapes), `!` (tags) or NUL. Both pre-filters (maySignal here,
 * mayMatter in analyze.ts) give up on these and let the parse decide.
 */
export function unpredictableBytes(buf: Buffer): boolean {
  if (
    buf.length >= 2 &&
    ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))
  )
    return true;
  return buf.includes(0x5c) || buf.includes(0x21) || buf.includes(0);
}

/**
 * Could a YAML/JSON text carry one of these signals outside a Secret (whose `secret` mayMatter
 * already sees)? False only when impossible: no backslash, `!`, NUL or UTF-16 byte order mark
 * (an escape, a tag or another encoding could spell anything: the caller's mayMatter parses
 * those), and neither a `://` whose authority (up to ASCII white space, `/`, `?`, `#`) holds a
 * `:` and after it an `@` (a userinfo with a password part) nor a Helm values holder (`helmCharts`, `valuesInline`, `HelmRelease`) together with a
 * credential word (every key namesCredentialField accepts is ASCII and contains one of them,
 * in some case). What a parse makes of the text is a subsequence of it, escapes aside, and
 * folding only adds white space: so the raw scan finds every authority the parsed one does,
 * or a longer one. Linear byte scans.
 */
export function maySignal(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (unpredictableBytes(buf)) return true;
  const text = buf.toString("latin1");
  let i = text.indexOf("://");
  while (i !== -1) {
    let j = i + 3;
    let colon = false;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      // ASCII only: a UTF-8 continuation byte read as latin1 (0x85, 0xA0) never ends it here.
      if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x20 || (c >= 0x09 && c <= 0x0d)) break;
      if (c === 0x3a) colon = true;
      else if (c === 0x40 && colon) return true;
    }
    i = text.indexOf("://", j);
  }
  if (
    !text.includes("helmCharts") &&
    !text.includes("valuesInline") &&
    !text.includes("HelmRelease")
  )
    return false;
  return /pass|pwd|token|key|secret|credential/i.test(text);
}
