/**
 * The judgement's public shapes: what goes in (JudgeInput) and what comes out
 * (Judgement). Neither can carry a secret value.
 */
import type { CreationRule, Finding, Format, Selector } from "../types.js";

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
  /**
   * Set when a kustomization's secretGenerator names this file as a source
   * (`envs:` or `files:`): kustomize turns its content into Secret data.
   */
  generatorSource?: GeneratorSource;
}

/** A kustomize secretGenerator source: which kustomization and generator name the file. */
export interface GeneratorSource {
  /** Repository-relative path of the kustomization file. */
  kustomization: string;
  /** The generator's `name`. */
  generator: string;
  /** `envs` (dotenv lines become keys) or `files` (the whole content is one value). */
  field: "envs" | "files";
  /** For `files`: the data key (`key=path`, else the file's base name). */
  key?: string;
}

/** `nested`: base64 of a whole sops-encrypted file, which Flux decrypts. */
export type ValueState =
  | "encrypted"
  | "plaintext"
  | "empty"
  | "nested"
  | "allowed"
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
  mustEncrypt: MustEncrypt[];
}
