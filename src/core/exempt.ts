/**
 * Values that are no leak although they are plaintext: the one place that
 * decides it, for every rule (required-encrypted values of unencrypted files,
 * Secret values outside the policy, secretGenerator literals, history).
 *
 * Exempt only when the WHOLE value (trimmed, block scalars included) is one of:
 *  - empty;
 *  - Flux post-build substitutions (drone/envsubst syntax) and nothing else but
 *    punctuation between them: `${NAME}`, `${A}/${B}`, `${NAME:=${OTHER}}`,
 *    `${NAME:-}`; a literal default (`${DB_PASSWORD:=hunter2}`) is plaintext;
 *  - an envsubst `$NAME` (upper-case name, the convention of envsubst templates);
 *  - a JSON object/array whose every string is itself exempt and that holds no
 *    number (`{"auth":"${AUTH}"}`);
 *  - one template expression `{{ … }}` (Helm, Go, Jinja, gomplate), unless it
 *    carries a literal: `{{ "x" }}`, `{{ .Values.p | default "x" }}`;
 *  - a secret reference resolved elsewhere: 1Password `op://vault/item/field`,
 *    vals/helmfile `ref+<backend>://…` (not `ref+echo://`, which is its own
 *    literal), argocd-vault-plugin `<path:…#key>` (and a bare `<placeholder>` in
 *    a document carrying the `avp.kubernetes.io/path` annotation), Bank-Vaults
 *    `vault:path#key`, argocd-secret-replacer `<secret:key|base64>`;
 *  - a scalar tagged as a reference (`!env_var NAME`, `!ENV NAME`).
 */

export type Exemption = "empty" | "substitution" | "template" | "reference";

export interface ExemptContext {
  /** `.secret-guard.yaml` `placeholders`: whole-value patterns of the repository's own tools. */
  isPlaceholder?: (text: string) => boolean;
  /** The document carries `avp.kubernetes.io/path`: `<key>` placeholders are references. */
  avp?: boolean;
  /** The scalar's explicit YAML tag, when it is not a core schema tag. */
  tag?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
/** Characters allowed between substitutions: punctuation only, never a literal word. */
const SEPARATORS = new Set(["/", ":", ".", "_", "-", "@", ",", " "]);

/** Index after a `${…}` starting at `i` whose default (if any) is substitutions only; -1 otherwise. */
function substitution(s: string, i: number): number {
  if (!s.startsWith("${", i)) return -1;
  const m = NAME.exec(s.slice(i + 2));
  if (!m) return -1;
  let j = i + 2 + m[0].length;
  if (s[j] === "}") return j + 1;
  // drone/envsubst defaults: `:=`, `:-`, `=`, `-` (and `:?`/`?` error messages, no value).
  const op = [":=", ":-", ":?", "=", "-", "?"].find((o) => s.startsWith(o, j));
  if (!op) return -1;
  j += op.length;
  const end = sequence(s, j, "}");
  return end === -1 ? -1 : end + 1;
}

/** Substitutions and separators from `i` up to `stop` (or the end); the index of `stop`, or -1. */
function sequence(s: string, i: number, stop?: string): number {
  let j = i;
  while (j < s.length) {
    if (stop !== undefined && s[j] === stop) return j;
    if (s[j] === "$") {
      const next = substitution(s, j);
      if (next === -1) return -1;
      j = next;
      continue;
    }
    if (!SEPARATORS.has(s[j]!)) return -1;
    j++;
  }
  return stop === undefined ? j : -1;
}

/** The whole text is Flux substitutions (at least one) with punctuation between them. */
export function isSubstitutionOnly(t: string): boolean {
  return t.includes("${") && sequence(t, 0) === t.length;
}

const ONE_TEMPLATE = /^\{\{(?:(?!\}\})[\s\S])*\}\}$/;
const QUOTED = /"(?:[^"\\]|\\.)+"|'[^']+'|`[^`]+`/;
const ONLY_LITERAL = /^\{\{-?\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`)\s*-?\}\}$/;
const LITERAL_DEFAULT = new RegExp(`\\bdefault\\b\\s*\\(?\\s*(?:${QUOTED.source})`);

/** Exactly one `{{ … }}` expression that does not carry a literal value of its own. */
export function isTemplateOnly(t: string): boolean {
  return ONE_TEMPLATE.test(t) && !ONLY_LITERAL.test(t) && !LITERAL_DEFAULT.test(t);
}

const REFERENCES: RegExp[] = [
  // 1Password: op://<vault>/<item>[/<section>]/<field>[?attribute=…]
  /^op:\/\/[^\s/]+\/[^\s/]+(?:\/[^\s/]+)+$/,
  // vals / helmfile: ref+<backend>://… (ref+echo:// is the literal itself: not a reference)
  /^ref\+(?!echo:)[a-z][a-z0-9]*:\/\/\S+$/,
  // argocd-vault-plugin: <path:secret/data/x#key[#version]> [| modifier ...]
  /^<path:[^<>\s#|]+#[^<>\s#|]+(?:#[^<>\s#|]+)?(?:\s*\|\s*[A-Za-z0-9]+(?:\s+[^|<>]+)?)*\s*>$/,
  // Bank-Vaults: vault:secret/data/x#key[#version]
  /^vault:[^\s#]+#[^\s#]+(?:#\d+)?$/,
  // argocd-secret-replacer: <secret:key[|modifier…]> (the value comes from a sops file at deploy time)
  /^<secret:[A-Za-z0-9_./-]+(?:\|[A-Za-z0-9]+)*>$/,
];
const AVP_PLACEHOLDER = /^<[A-Za-z0-9_.-]+(?:\s*\|\s*[A-Za-z0-9]+(?:\s+[^|<>]+)?)*\s*>$/;
const ENVSUBST_BARE = /^\$[A-Z_][A-Z0-9_]*$/;
/** YAML tags whose scalar names an environment variable read at run time. */
const REFERENCE_TAGS = new Set(["!env_var", "!ENV", "!env", "!secret"]);

export function isReference(t: string, ctx: ExemptContext = {}): boolean {
  if (REFERENCES.some((re) => re.test(t))) return true;
  return ctx.avp === true && AVP_PLACEHOLDER.test(t);
}

/** Why a plaintext value is no leak, or undefined when it is plaintext. */
export function exemptionOf(text: string, ctx: ExemptContext = {}): Exemption | undefined {
  const t = text.trim();
  if (t === "") return "empty";
  if (ctx.tag && REFERENCE_TAGS.has(ctx.tag) && /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(t))
    return "reference";
  if (isSubstitutionOnly(t) || ENVSUBST_BARE.test(t)) return "substitution";
  if (isTemplateOnly(t)) return "template";
  if (isReference(t, ctx)) return "reference";
  if (ctx.isPlaceholder?.(t)) return "reference";
  if ((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]"))) {
    const inner = jsonExemption(t, ctx);
    if (inner) return inner;
  }
  // A multi-line text, or a whole file of one `key: value` line (binary store: a file is one value).
  if (text.includes("\n")) return linesExemption(t, ctx);
  return undefined;
}

const LINE_KEY = /^(?:export\s+)?[\w.-]+\s*[:=]\s?(.*)$/;

/**
 * A text of `key: value`, `KEY=value` or `- value` lines (an envsubst values
 * template kept as one file, a block scalar of settings) whose every value is
 * itself exempt, and at least one is not merely empty. Any other line: not exempt.
 */
function linesExemption(t: string, ctx: ExemptContext): Exemption | undefined {
  let found: Exemption | undefined;
  for (const raw of t.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line === "---") continue;
    const m = LINE_KEY.exec(line) ?? /^-\s+(.*)$/.exec(line);
    if (!m) return undefined;
    let v = (m[1] ?? "").trim();
    if (v.length >= 2 && /^(["']).*\1$/.test(v)) v = v.slice(1, -1);
    if (v === "" || v === "|" || v === "|-" || v === ">") continue;
    const e = exemptionOf(v, ctx);
    if (!e) return undefined;
    if (e !== "empty") found = e;
  }
  return found;
}

export function isExemptValue(text: string, ctx: ExemptContext = {}): boolean {
  return exemptionOf(text, ctx) !== undefined;
}

/** A JSON blob whose every string is exempt (and at least one is not merely empty). */
function jsonExemption(t: string, ctx: ExemptContext): Exemption | undefined {
  let data: unknown;
  try {
    data = JSON.parse(t);
  } catch {
    return undefined;
  }
  const kinds = new Set<Exemption>();
  const ok = (v: unknown): boolean => {
    if (typeof v === "string") {
      const e = exemptionOf(v, ctx);
      if (e) kinds.add(e);
      return e !== undefined;
    }
    if (Array.isArray(v)) return v.every(ok);
    if (v && typeof v === "object") return Object.values(v).every(ok);
    // Booleans and null carry no secret text; a number may (a PIN): not exempt.
    return typeof v !== "number";
  };
  if (!ok(data)) return undefined;
  kinds.delete("empty");
  return [...kinds][0] ?? "empty";
}
