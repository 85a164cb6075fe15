/**
 * Shared types of secret-guard. A Finding has no field that could carry a
 * secret value: formatters cannot leak what they never receive.
 */

export type Severity = "error" | "warning";

export type RuleId =
  | "unencrypted"
  | "partially-encrypted"
  | "missing-sops-metadata"
  | "secret-outside-policy"
  | "recipient-mismatch"
  | "encryption-removed"
  | "unparseable"
  | "nothing-encrypted"
  | "possible-credential"
  | "decrypt-failed"
  | "mac-mismatch";

/** Every rule id, in the contract's order. */
export const RULE_IDS: readonly RuleId[] = [
  "unencrypted",
  "partially-encrypted",
  "missing-sops-metadata",
  "secret-outside-policy",
  "recipient-mismatch",
  "encryption-removed",
  "unparseable",
  "nothing-encrypted",
  "possible-credential",
  "decrypt-failed",
  "mac-mismatch",
];

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** Repository-relative (or cwd-relative for paths outside a repo), `/` separators. */
  path: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** 0-based YAML document index. */
  document?: number;
  kind?: string;
  name?: string;
  namespace?: string;
  /** Key names (never values). */
  keys?: string[];
  message: string;
  fixable?: boolean;
}

/** The sops store a file is read and written with, chosen from its name as sops does. */
export type Format = "yaml" | "json" | "dotenv" | "ini" | "binary";

export type SelectorField =
  | "unencrypted_suffix"
  | "encrypted_suffix"
  | "unencrypted_regex"
  | "encrypted_regex"
  | "unencrypted_comment_regex"
  | "encrypted_comment_regex";

/** Every selector field, in sops' order; at most one may be set. */
export const SELECTOR_FIELDS: readonly SelectorField[] = [
  "unencrypted_suffix",
  "encrypted_suffix",
  "unencrypted_regex",
  "encrypted_regex",
  "unencrypted_comment_regex",
  "encrypted_comment_regex",
];

/** Key types other than age that a sops metadata block can carry. */
export const OTHER_KEY_TYPES: readonly string[] = [
  "pgp",
  "kms",
  "gcp_kms",
  "azure_kv",
  "hc_vault",
  "hckms",
];

/** The one selector in force for a rule or a file (sops allows at most one). */
export interface Selector {
  field: SelectorField;
  value: string;
  /** True when no selector was written and sops' default `unencrypted_suffix: _unencrypted` applies. */
  isDefault?: boolean;
}

/** A compiled `.sops.yaml` creation rule. */
export interface CreationRule {
  /** 0-based index in `creation_rules`. */
  index: number;
  /** `path_regex` as written; undefined or "" matches every file (sops semantics). */
  pathRegex?: string;
  /** Age recipients in rule order (flat `age` field, or the single key group's `age`). */
  age: string[];
  /** PGP fingerprints (flat `pgp` or every key group's), upper case, when any. */
  pgp?: string[];
  /** Names of other key fields that are set (e.g. "pgp", "kms", "hc_vault_transit_uri"). */
  otherKeyTypes: string[];
  /** Number of key groups (0 when flat keys are used). */
  keyGroupCount: number;
  /**
   * Per key group, when `key_groups` is used: age recipients (deduplicated,
   * `merge` flattened) and other key types. With ≥2 groups `age` above is the
   * union of all groups' age recipients.
   */
  keyGroups?: { age: string[]; otherKeyTypes: string[] }[];
  shamirThreshold?: number;
  selector: Selector;
  macOnlyEncrypted: boolean;
}

export interface Policy {
  /** Absolute path of the `.sops.yaml`. */
  configPath: string;
  /** Absolute directory holding it (paths are matched relative to it). */
  configDir: string;
  /** False when the file has no `creation_rules` key (sops then behaves as if there were no config). */
  hasCreationRules: boolean;
  rules: CreationRule[];
  /** Non-fatal notes (unknown keys, `.sops.yml` ignored, ...). */
  warnings: string[];
}
