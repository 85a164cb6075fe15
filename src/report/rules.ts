/** What each rule means, why it matters and how to fix it: the one place for rule text. */
import type { RuleId, Severity } from "../types.js";

export interface RuleInfo {
  id: RuleId;
  severity: Severity;
  title: string;
  help: string;
}

export const HELP_BASE = "https://github.com/secret-guard/secret-guard#rules";

export const RULES: RuleInfo[] = [
  {
    id: "unencrypted",
    severity: "error",
    title: "Values that the .sops.yaml rule requires encrypted are plaintext",
    help: "A file covered by a creation rule holds values the rule says sops would encrypt, and it is not encrypted. Committing it is a durable leak: reverting does not remove it from history, forks or CI logs. Fix: `npx secret-guard encrypt PATH` (or `sops --encrypt --in-place PATH`), or `npx secret-guard scan --fix` for staged files.",
  },
  {
    id: "partially-encrypted",
    severity: "error",
    title: "Plaintext values inside an otherwise encrypted file",
    help: "Some values are ENC[...] but others that must be encrypted are plaintext, typically a key added by hand to an encrypted file. The value is in git in the clear and sops and Flux refuse the file. Fix: `npx secret-guard scan --fix` (with an age identity that opens the file) or `sops edit PATH`, then rotate the value if it was ever pushed.",
  },
  {
    id: "missing-sops-metadata",
    severity: "error",
    title: "ENC[...] values without a valid sops block",
    help: "The values are encrypted but the document has no valid `sops` block (stripped, mangled, or missing in one document of a multi-document file). Nobody can decrypt it, and Flux applies the ENC[...] text verbatim. Fix: restore the block from git history, or re-create the secret with `secret-guard new`.",
  },
  {
    id: "secret-outside-policy",
    severity: "error",
    title: "A Secret value the policy leaves in plaintext",
    help: "A `kind: Secret` value (or a kustomize secretGenerator literal) sits in a file no creation rule covers, or under a rule whose selector does not pick it. Fix: move it under flux/secrets/<env>/ where a rule covers it and encrypt it, or widen the rule's selector. `${VAR}` substitutions, templates and empty values are not reported.",
  },
  {
    id: "recipient-mismatch",
    severity: "error",
    title: "Encrypted for other age recipients than the rule lists",
    help: "The file's age recipients share none with the creation rule's: a cluster holding the rule's key cannot decrypt it (a warning when only some of the rule's recipients are missing). Fix: `npx secret-guard updatekeys PATH` or `sops updatekeys PATH` with an identity that opens the file.",
  },
  {
    id: "encryption-removed",
    severity: "error",
    title: "A decrypted copy of an encrypted file is about to be committed",
    help: "HEAD has this file sops-encrypted and the staged version is not: a decrypted copy (for example left by `sops -d -i`) is about to be committed. Fix: `git restore --staged PATH && git checkout -- PATH`, or re-encrypt with `npx secret-guard encrypt PATH`.",
  },
  {
    id: "unparseable",
    severity: "error",
    title: "A file the guard must check cannot be parsed",
    help: "The file is covered by a rule or looks like a Secret manifest, but cannot be read or parsed, so the guard cannot prove it holds no plaintext secret: it fails closed. The message gives the position, never the source text. Fix the syntax (or the encoding), then commit again.",
  },
  {
    id: "nothing-encrypted",
    severity: "warning",
    title: "sops metadata but not one encrypted value",
    help: "The file carries sops metadata but no ENC[...] value: the rule's selector matched nothing (a typo such as `stringdata`, or a values file under a data/stringData rule), so whatever it holds is in the clear. Fix the selector in .sops.yaml and re-encrypt.",
  },
  {
    id: "decrypt-failed",
    severity: "error",
    title: "No local age identity opens the file",
    help: "None of the local age identities decrypts the data key: a cluster holding only these keys would fail to decrypt. Fix: load the right key (SOPS_AGE_KEY_FILE) or re-encrypt for the cluster's recipient.",
  },
  {
    id: "mac-mismatch",
    severity: "error",
    title: "The MAC does not match the values",
    help: "Values changed after encryption (hand edits): sops refuses the file with `MAC mismatch`. Fix: `sops edit PATH` and save, or re-create the secret.",
  },
];

export function ruleInfo(id: RuleId): RuleInfo {
  return RULES.find((r) => r.id === id)!;
}
