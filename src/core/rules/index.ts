/**
 * The rules of the judgement, in report order. Adding a rule: one module in
 * this folder (its check and its message), one line here, and its help text
 * in src/report/rules.ts.
 */
import { encryptionRemoved } from "./encryption-removed.js";
import { missingSopsMetadata } from "./missing-sops-metadata.js";
import { nothingEncrypted } from "./nothing-encrypted.js";
import { partiallyEncrypted } from "./partially-encrypted.js";
import { recipientMismatch } from "./recipient-mismatch.js";
import type { JudgeRule } from "./rule.js";
import { secretOutsidePolicy } from "./secret-outside-policy.js";
import { unencrypted } from "./unencrypted.js";
import { unparseable } from "./unparseable.js";

export const JUDGE_RULES: readonly JudgeRule[] = [
  unparseable,
  encryptionRemoved,
  unencrypted,
  partiallyEncrypted,
  missingSopsMetadata,
  nothingEncrypted,
  recipientMismatch,
  secretOutsidePolicy,
];

export type { JudgeRule };
