/**
 * The judgement's public shapes: what goes in (JudgeInput) and what comes out
 * (Judgement). Neither can carry a secret value.
 */
import type { CreationRule, Finding, Format, Selector } from "../types.js";
import type { Intent } from "./intent.js";
import type { CopiedIntoSecret } from "./kustomize.js";

export interface JudgeInput {
  /** Display path (repository-relative, `/` separators). */
  path: string;
  bytes: Uint8Array;
  /** The creation rule that covers the path, if any. */
  rule?: CreationRule;
  /** The committed (HEAD) content of the same file, for `encryption-removed`. */
  headBytes?: Uint8Array;
  /** The path headBytes were committed under, when not this one (renamed, or deleted in this commit). */
  headPath?: string;
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
  /** `.secret-guard.yaml` `placeholders`: a whole value another tool replaces at deploy time. */
  isPlaceholder?: (text: string) => boolean;
  /** Internal: the bytes are a readable variant of a template (see template.ts). */
  templated?: boolean;
  /**
   * Internal: judge the file as kustomize reads it (YAML), not with the store sops picks by its
   * name; for a covered or encrypted file of another name that kustomize reads (see judge.ts).
   */
  kustomizeView?: boolean;
  /**
   * Set when a kustomization names this file: as a secretGenerator source (`envs:` or
   * `files:`: kustomize turns its content into Secret data), or as a resource, patch or
   * generator config (`resources`, `generators`: kustomize reads it as YAML, whatever its name).
   */
  generatorSource?: GeneratorSource;
}

/** A kustomize secretGenerator source: which kustomization and generator name the file. */
export interface GeneratorSource {
  /** Repository-relative path of the kustomization file. */
  kustomization: string;
  /** The generator's `name`. */
  generator: string;
  /**
   * `envs` (dotenv lines become keys) or `files` (the whole content is one value): a source.
   * `resources` (also `components`, `patches[].path`, `patchesStrategicMerge`) or `generators`
   * (a generator config): a file kustomize parses as YAML manifests, whatever its name.
   */
  field: "envs" | "files" | "resources" | "generators";
  /** For `files`: the data key (`key=path`, else the file's base name). */
  key?: string;
  /**
   * For `resources`: ConfigMap values the kustomization's `replacements:` copy into a Secret.
   * For `envs`/`files` of a configMapGenerator (not a secretGenerator): the only keys that
   * become Secret data, copied by `replacements:`.
   */
  copied?: CopiedIntoSecret[];
}

/** `nested`: base64 of a whole sops-encrypted file, which Flux decrypts. */
export type ValueState =
  | "encrypted"
  | "plaintext"
  | "empty"
  | "nested"
  | "allowed"
  /** A substitution, template expression or reference, in a file without sops metadata. */
  | "exempt"
  /** `ENC[...]` that is not a value sops wrote (a placeholder, `ENC[]`): broken, not exposed. */
  | "malformed";

/** One value that sops would encrypt, and what it is now. */
export interface MustEncrypt {
  document: number;
  path: string[];
  line?: number;
  column?: number;
  state: ValueState;
  /** A comment line inside a container the selector encrypts (sops encrypts it too). */
  comment?: boolean;
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
  /** The selector stored in the file's sops metadata, when it has some. */
  storedSelector?: Selector;
  /**
   * The rule states no selector and the sops block is complete: judged by the stored
   * selector plus a baseline no metadata narrows (a Secret's data, every non-identity value).
   */
  trustsStoredSelector?: boolean;
  mustEncrypt: MustEncrypt[];
  /** Whether the file must be encrypted, and why (set when a rule or metadata applies). */
  intent?: Intent;
  /** How the file was read when it is not plain YAML: a template, or another tool's ciphertext. */
  readAs?: "template" | "foreign-ciphertext";
}
