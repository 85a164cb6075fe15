/**
 * Must this file be encrypted? A creation rule says how sops would encrypt a
 * file, not that every file it covers must be (contract, "Which files must be
 * encrypted"). The judgement asks here, and explain prints the reason.
 *
 * Must, in this order of reasons:
 *  - `.secret-guard.yaml` `strict: true` (every covered file, the old reading);
 *  - `.secret-guard.yaml` `mustEncrypt` lists it;
 *  - it carries sops metadata (or its committed version did);
 *  - it holds a Secret (v1 Secret, List items, secretKinds);
 *  - its name marks it encrypted: `.sops.`, `.enc.`, or `secret` in the name
 *    or a `secrets/` folder (unless every document is a typed Kubernetes object,
 *    which says what it is — an ExternalSecret, a HelmRepository named
 *    `external-secrets` —, or the file is documentation, a script or a
 *    public certificate);
 *  - the covering rule is specific: its path_regex names a secrets folder, a
 *    marked name, a particular file name (`.*values.yaml$`), or dotenv files
 *    (`\.env$`: environment files are where credentials live by convention).
 * Otherwise, under a broad rule (no path_regex, `\.ya?ml$`, `kubernetes/.*\.ya?ml`,
 * `cluster/.*`), the file is judged for Secret content only.
 */
import type { CreationRule } from "../types.js";

export type IntentReason =
  | "strict"
  | "must-encrypt-glob"
  | "sops-metadata"
  | "holds-secret"
  | "marked-name"
  | "specific-rule"
  | "broad-rule"
  | "no-rule";

export interface Intent {
  must: boolean;
  reason: IntentReason;
  /** One line for explain and messages. */
  text: string;
}

export interface IntentInput {
  path: string;
  rule?: CreationRule;
  /** The file (or its committed version) carries sops metadata. */
  hasMetadata: boolean;
  /** The file holds `ENC[` markers (sops output, even with its metadata stripped). */
  hasEncMarkers?: boolean;
  /** A Secret-like document anywhere in the file. */
  holdsSecret: boolean;
  /** Kinds of every document that names one (undefined entries: no kind). */
  kinds?: Array<string | undefined>;
  /** `.secret-guard.yaml` `mustEncrypt` matched the path. */
  listed?: boolean;
  /** `.secret-guard.yaml` `strict: true`. */
  strict?: boolean;
  /** The content is only public PEM blocks (certificates, public keys): a name alone does not mark it. */
  publicPem?: boolean;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Only certificates and public keys in PEM form, nothing else (no private key, no other text). */
export function isPublicPem(text: string): boolean {
  if (!text.includes("-----BEGIN ") || /PRIVATE KEY/.test(text)) return false;
  let any = false;
  const rest = text.replace(PEM_BLOCK, (_m, label: string) => {
    if (!/^(CERTIFICATE|PUBLIC KEY|X509 CRL|TRUSTED CERTIFICATE)$/.test(label)) return "\u0000";
    any = true;
    return "";
  });
  return any && rest.trim() === "";
}

/** Extensions of files of any content: a rule naming only these names no particular file. */
const EXTENSION_WORDS = new Set(["yaml", "yml", "json", "ini", "txt", "conf", "toml"]);

/** Is the rule's path_regex specific (a secrets folder, a marked name, a named file)? */
export function ruleIsSpecific(rule: CreationRule): boolean {
  const re = rule.pathRegex ?? "";
  if (re === "") return false;
  const lower = re.replace(/\(\?[a-z]+\)/g, "").toLowerCase();
  if (/secret|sops|\\?\.enc\b|\\?\.sec\b|(^|[/_-])enc[/_.-]|(^|[/_-])sec[/_.-]/.test(lower))
    return true;
  // The file-name part: after the last `/` outside a character class.
  const name = lower.slice(lower.lastIndexOf("/") + 1);
  const literal = name
    .replace(/\\./g, (m) => (/[a-z0-9]/.test(m[1]!) ? " " : m[1]!)) // \d, \w, \s: classes
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/[a-z0-9]\?/g, (m) => m[0]!) // `ya?ml` → `yaml`
    .replace(/[.*+?^$(){}|]/g, " ");
  const words = literal.split(/[^a-z0-9]+/).filter((w) => w.length >= 2);
  return words.some((w) => !EXTENSION_WORDS.has(w));
}

/** `.sops.`, `.enc.` or `secret` in the file name, or a `secrets` folder on the way to it. */
export function markedName(path: string): "sops-or-enc" | "secret" | undefined {
  const parts = path.toLowerCase().split("/");
  const base = parts.pop() ?? "";
  if (/\.(sops|enc)\./.test(`${base}.`) || /\.(sops|enc)$/.test(base)) return "sops-or-enc";
  if (base.includes("secret") || parts.some((d) => /^[._]?secrets?$/.test(d))) return "secret";
  return undefined;
}

/** Documentation, scripts and public certificates: a `secret` in their name names a topic. */
const NOT_A_STORE =
  /\.(md|markdown|rst|adoc|sh|bash|zsh|py|ps1|rb|go|js|ts|j2|tpl|crt|cert|pub|png|jpe?g|gif|svg)$/i;

function ruleText(rule: CreationRule): string {
  return `creation_rules[${rule.index}]${rule.pathRegex ? ` (path_regex ${rule.pathRegex})` : " (no path_regex)"}`;
}

export function intentOf(input: IntentInput): Intent {
  const { rule } = input;
  const covered = rule !== undefined;
  if (covered && input.strict)
    return {
      must: true,
      reason: "strict",
      text: "must be encrypted: .secret-guard.yaml strict: true (every covered file)",
    };
  if (input.listed)
    return {
      must: true,
      reason: "must-encrypt-glob",
      text: "must be encrypted: listed by .secret-guard.yaml mustEncrypt",
    };
  if (input.hasMetadata || input.hasEncMarkers)
    return {
      must: true,
      reason: "sops-metadata",
      text: input.hasMetadata
        ? "must be encrypted: it carries sops metadata"
        : "must be encrypted: it holds ENC[...] values (sops output)",
    };
  if (input.holdsSecret)
    return { must: true, reason: "holds-secret", text: "must be encrypted: it holds a Secret" };
  const marked = markedName(input.path);
  const kinds = input.kinds ?? [];
  // Kubernetes objects say what they are: a HelmRepository `external-secrets.yaml`, an
  // ExternalSecret, a Kustomization in a `secrets/` folder are no Secret (a Secret is caught above).
  const typed = kinds.length > 0 && kinds.every((k) => k !== undefined);
  const topic = NOT_A_STORE.test(input.path) || input.publicPem === true;
  if (covered && (marked === "sops-or-enc" || (marked === "secret" && !typed && !topic)))
    return {
      must: true,
      reason: "marked-name",
      text: `must be encrypted: its name marks it (${marked === "secret" ? "secret in its name or folder" : ".sops. / .enc."})`,
    };
  if (!rule) return { must: false, reason: "no-rule", text: "no creation rule covers it" };
  if (ruleIsSpecific(rule))
    return {
      must: true,
      reason: "specific-rule",
      text: `must be encrypted: ${ruleText(rule)} is specific (names a secrets folder, a marked name or a file name)`,
    };
  return {
    must: false,
    reason: "broad-rule",
    text: `need not be encrypted: ${ruleText(rule)} is broad (any file of a tree), so it is judged for Secret content only`,
  };
}

const GIT_CRYPT = Buffer.from("\u0000GITCRYPT\u0000", "latin1");

/** Ciphertext of another tool (git-crypt): never plaintext, nothing for sops to encrypt. */
export function isForeignCiphertext(bytes: Uint8Array): boolean {
  if (bytes.length < GIT_CRYPT.length) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset, GIT_CRYPT.length).equals(GIT_CRYPT);
}
