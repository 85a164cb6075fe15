/**
 * The one place for user-facing rule text: for every rule id its default
 * severity, a title, what it means, why it matters and the command that fixes
 * it. `<path>` in a help text stands for the file a finding names.
 */
import { shellQuote as shellWord } from "../shell.js";
import type { Finding, RuleId, Severity } from "../types.js";

export interface RuleInfo {
  id: RuleId;
  /** Default severity (`recipient-mismatch` is a warning when only some recipients are missing). */
  severity: Severity;
  /** One line, no trailing period. */
  title: string;
  /** What it means, why it matters, how to fix it (with the exact command). Plain text; commands in backticks. */
  help: string;
  helpUri: string;
  /** Reported by `secret-guard verify` only. */
  verifyOnly?: boolean;
}

export const HOMEPAGE = "https://github.com/secret-guard/secret-guard";

export function helpUriFor(id: RuleId): string {
  return `${HOMEPAGE}#rule-${id}`;
}

const LEAK =
  "One plaintext commit is a durable leak: reverting it does not remove it from history, forks or CI logs, and every exposed value must then be rotated.";

const TEXT: Record<RuleId, Omit<RuleInfo, "id" | "helpUri">> = {
  unencrypted: {
    severity: "error",
    title: "Values the .sops.yaml creation rule requires encrypted are plaintext",
    help: [
      "A file covered by a creation rule in .sops.yaml holds values that the rule says sops would encrypt, and the file is not encrypted at all (no sops metadata, no ENC[...] value).",
      LEAK,
      "Fix: encrypt the file in place with `npx secret-guard encrypt <path>` (or `sops --encrypt --in-place <path>`) and stage it again with `git add <path>`; for staged files, `npx secret-guard scan --fix` encrypts exactly the staged content and re-stages it.",
    ].join(" "),
  },
  "partially-encrypted": {
    severity: "error",
    title: "Plaintext values inside an otherwise encrypted file",
    help: [
      "Some values the creation rule requires encrypted are ENC[...] (or the file has sops metadata) but others are plaintext: typically a key added by hand to an encrypted file.",
      "The added value is in git in the clear, and sops and Flux refuse the file (its MAC no longer matches).",
      "Fix, with an age identity that opens the file (SOPS_AGE_KEY_FILE): `npx secret-guard scan --fix` (staged files) or `npx secret-guard scan --fix <path>` (the file on disk) encrypts the plaintext values under the file's own data key and keeps the others; to add or change values later, use `npx secret-guard new <env> <name>`.",
      "Rotate the value if it was ever pushed.",
    ].join(" "),
  },
  "missing-sops-metadata": {
    severity: "error",
    title: "ENC[...] values without a valid sops metadata block",
    help: [
      "The values are encrypted but the document has no valid `sops` block (stripped, mangled, or missing from one document of a multi-document file).",
      "Without it nobody can decrypt the file, and Flux applies the ENC[...] text verbatim.",
      "Fix: restore the file from git history (`git log -p -- <path>`, then `git restore --source=<commit> -- <path>`), or re-create the secret with `npx secret-guard new <env> <name>`.",
    ].join(" "),
  },
  "secret-outside-policy": {
    severity: "error",
    title: "A Secret value the .sops.yaml policy leaves in plaintext",
    help: [
      "A `kind: Secret` value (or a kustomize secretGenerator literal) sits in a file no creation rule covers, or under a rule whose selector does not pick it (e.g. `literals` under a `^(data|stringData)$` rule), so sops would leave it in plaintext.",
      LEAK,
      "Fix: move the Secret under a path a creation rule covers (e.g. flux/secrets/<env>/) and run `npx secret-guard encrypt <path>`; put secretGenerator literals into an env file that a rule covers and encrypt it; or widen the rule's path_regex or encrypted_regex in .sops.yaml.",
      "Flux substitutions (`${VAR}`), templates (`{{ ... }}`) and empty values are not reported.",
    ].join(" "),
  },
  "recipient-mismatch": {
    severity: "error",
    title: "Encrypted for other age recipients than the creation rule lists",
    help: [
      "The file's age recipients share none with its creation rule's (encrypted to an old or wrong key): a cluster holding the rule's key cannot decrypt it, and the Flux Kustomization fails.",
      "A warning when the file opens with some of the rule's keys but others are missing.",
      "Fix: with an age identity that opens the file, `npx secret-guard updatekeys <path>` (or `sops updatekeys <path>`) re-wraps its data key for the rule's current recipients; values are untouched.",
    ].join(" "),
  },
  "encryption-removed": {
    severity: "error",
    title: "A decrypted copy of an encrypted file is about to be committed",
    help: [
      "The committed (HEAD) version of the file is sops-encrypted and the staged one is not: a decrypted copy (e.g. left by `sops --decrypt --in-place`) is about to be committed.",
      LEAK,
      "Fix: re-encrypt it with `npx secret-guard scan --fix` (staged) or `npx secret-guard encrypt <path>` then `git add <path>`; or discard the decrypted copy with `git restore --staged --worktree <path>`.",
    ].join(" "),
  },
  unparseable: {
    severity: "error",
    title: "A file the guard must check cannot be read or parsed",
    help: [
      "The file is covered by a creation rule or looks like a Secret manifest, but it cannot be read or parsed, so the guard cannot prove it holds no plaintext secret: it fails closed.",
      "The message gives the position of the error, never the source text.",
      "Fix the syntax or encoding, then check again with `npx secret-guard scan <path>`.",
    ].join(" "),
  },
  "nothing-encrypted": {
    severity: "warning",
    title: "sops metadata but not one encrypted value",
    help: [
      "The file carries sops metadata but no ENC[...] value: the creation rule's selector matched nothing (a typo such as `stringdata`, or a Helm values file under a data/stringData rule), so whatever the file holds is in the clear.",
      "Fix the selector in .sops.yaml (e.g. `encrypted_regex: ^(data|stringData)$`), then re-encrypt: `sops --decrypt --in-place <path> && npx secret-guard encrypt <path>`.",
      "Rotate any secret value that was pushed.",
    ].join(" "),
  },
  "possible-credential": {
    severity: "warning",
    title: "A value that looks like a credential, where nothing encrypts it",
    help: [
      "Under a broad creation rule (no path_regex, or any YAML file of a tree) a ConfigMap, HelmRelease, script or README need not be encrypted, but one of the values the rule's selector picks looks like a credential: a PEM private key block, an age secret key, an AWS, GitHub or Slack token, a JWT, or a long random token.",
      "Whatever the rule, a literal credential that nothing encrypts is flagged too: a password in a URL's userinfo (`https://user:PASSWORD@host`: use the source's `secretRef` or a `${VAR}` substituted from an encrypted Secret), a Secret annotation whose key names a credential (move it into the Secret's data), a credential-named value of a kustomization's `helmCharts[].valuesInline` or a HelmRelease's `spec.values` (give it to the chart from an encrypted Secret: `existingSecret`, `valuesFrom`).",
      "If it is a secret: move it into a Secret in a sops-encrypted file (`npx secret-guard new <env> <name>`), or list the file in `.secret-guard.yaml` `mustEncrypt` and encrypt it; then rotate the value if it was pushed.",
      "If it is not: accept it with an `allow` entry in `.secret-guard.yaml` (path, key, SHA-256 of the value).",
    ].join(" "),
  },
  "decrypt-failed": {
    severity: "error",
    verifyOnly: true,
    title: "No local age identity opens the file",
    help: [
      "`secret-guard verify` could not decrypt the file's data key with any local age identity: a cluster holding only this key would fail to decrypt it too, and the Flux Kustomization would fail.",
      "Fix: point sops at the cluster's key (`SOPS_AGE_KEY_FILE=<key file> npx secret-guard verify <path>`), or have someone who can open the file re-wrap it for the rule's recipients with `npx secret-guard updatekeys <path>`.",
    ].join(" "),
  },
  "mac-mismatch": {
    severity: "error",
    verifyOnly: true,
    title: "The sops MAC does not match the values",
    help: [
      "Values or keys were changed after encryption (a hand edit, a merge resolved by hand, or a missing MAC): sops refuses the file with `MAC mismatch`.",
      "Fix: if the current values are the intended ones, `sops edit --ignore-mac <path>` and save to recompute the MAC; otherwise restore the file from git history (`git restore --source=<commit> -- <path>`) or re-create it with `npx secret-guard new <env> <name>`.",
    ].join(" "),
  },
};

/** Every rule id, in the order of the contract (scan rules, then verify-only rules). */
export const RULE_IDS: readonly RuleId[] = Object.keys(TEXT) as RuleId[];

export const RULES: readonly RuleInfo[] = RULE_IDS.map((id) => ({
  id,
  ...TEXT[id],
  helpUri: helpUriFor(id),
}));

export function ruleInfo(id: RuleId): RuleInfo {
  const info = RULES.find((r) => r.id === id);
  if (!info) throw new Error(`unknown rule id: ${id}`);
  return info;
}

export { shellWord };

/** The command that fixes a finding; `scope: "all"` when it names no path (one command fixes every file). */
export interface FixCommand {
  command: string;
  scope: "file" | "all";
}

/**
 * The command that fixes a finding, when one command does; undefined when the
 * fix is an edit (the rule's help says which). In `staged` mode the fix must
 * act on the index, which `scan --fix` does for every staged file at once.
 */
export function fixCommandFor(f: Finding, mode: string): FixCommand | undefined {
  const p = shellWord(f.path);
  const staged: FixCommand = { command: "npx secret-guard scan --fix", scope: "all" };
  switch (f.rule) {
    case "unencrypted":
    case "encryption-removed":
      if (!f.fixable) return undefined;
      return mode === "staged"
        ? staged
        : { command: `npx secret-guard encrypt ${p}`, scope: "file" };
    case "partially-encrypted":
      if (!f.fixable) return undefined;
      return mode === "staged"
        ? staged
        : { command: `npx secret-guard scan --fix ${p}`, scope: "file" };
    case "recipient-mismatch":
      return { command: `npx secret-guard updatekeys ${p}`, scope: "file" };
    default:
      return undefined;
  }
}
