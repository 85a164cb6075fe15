/**
 * Typed errors. Commands throw these; src/cli/ alone maps them to exit codes.
 * Every one of them means "could not check" (exit 2). Messages must never
 * contain a secret value: name files, rules, fields and positions only.
 */

export class GuardError extends Error {
  readonly exitCode: number = 2;
  /** Optional follow-up line telling the user the exact fix. */
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Bad command-line usage. */
export class UsageError extends GuardError {}

/** `.sops.yaml` (or `.secret-guard.yaml`) missing where required, unreadable or invalid. */
export class ConfigError extends GuardError {}

/** Not inside a git repository where one is needed. */
export class NotARepoError extends GuardError {}

/** A git command failed. */
export class GitError extends GuardError {}

/** Encryption/decryption could not be done (engine refused, no identity, ...). */
export class CryptoError extends GuardError {}
