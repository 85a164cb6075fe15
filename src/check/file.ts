/**
 * Judge one file as the guard would: the judgement of src/core under the
 * guard's settings (`secretKinds`, `allow`, `severity`; `ignore` is applied by
 * whoever lists the files, see `isIgnored`). Every command and the library
 * judge through here, so a file gets the same findings wherever it is judged.
 */
import { type Judgement, judge } from "../core/judge.js";
import type { GeneratorSource } from "../core/types.js";
import type { CreationRule } from "../types.js";
import {
  allowCheck,
  applySeverity,
  type GuardConfig,
  globMatcher,
  ignoreMatcher,
  placeholderCheck,
} from "./settings.js";

/** The guard's settings with the ignore and mustEncrypt globs compiled. */
export interface Settings extends GuardConfig {
  isIgnored(path: string): boolean;
  isMustEncrypt?(path: string): boolean;
  isPlaceholder?: (text: string) => boolean;
}

export async function prepareSettings(cfg: GuardConfig): Promise<Settings> {
  const ignored = await ignoreMatcher(cfg);
  const listed = await globMatcher(cfg.mustEncrypt ?? []);
  return {
    ...cfg,
    isIgnored: ignored,
    isMustEncrypt: listed,
    isPlaceholder: placeholderCheck(cfg),
  };
}

export interface CheckInput {
  /** Repository-relative, `/` separators. */
  path: string;
  bytes: Uint8Array;
  /** The creation rule covering the path, if any. */
  rule?: CreationRule;
  /** HEAD's content of the same file (staged scans), for `encryption-removed`. */
  headBytes?: Uint8Array;
  /** Where headBytes come from when that is another path (a rename, or a deleted encrypted file). */
  headPath?: string;
  /** A kustomization's secretGenerator names this file as a source. */
  generatorSource?: GeneratorSource;
}

const CONFIG_NAMES = new Set([".sops.yaml", ".sops.yml", ".secret-guard.yaml"]);

/**
 * `.sops.yaml`, `.sops.yml` and `.secret-guard.yaml` are configuration: never
 * judged by creation rules (a catch-all rule matches them too) and never
 * encrypted. They are still read for Secret manifests, since kustomize applies
 * any file a kustomization lists, whatever its name.
 */
export function isGuardConfigPath(p: string): boolean {
  return CONFIG_NAMES.has(p.slice(p.lastIndexOf("/") + 1));
}

export function checkFile(input: CheckInput, settings: GuardConfig | Settings): Judgement {
  const config = isGuardConfigPath(input.path);
  const j = judge({
    path: input.path,
    bytes: input.bytes,
    rule: config ? undefined : input.rule,
    headBytes: input.headBytes,
    ...(input.headPath ? { headPath: input.headPath } : {}),
    ...(input.generatorSource ? { generatorSource: input.generatorSource } : {}),
    secretKinds: settings.secretKinds,
    isAllowed: allowCheck(settings, input.path),
    listed: !config && "isMustEncrypt" in settings && settings.isMustEncrypt?.(input.path) === true,
    strict: settings.strict === true,
    isPlaceholder:
      "isPlaceholder" in settings ? settings.isPlaceholder : placeholderCheck(settings),
  });
  j.findings = applySeverity(j.findings, settings);
  if (config) for (const f of j.findings) f.fixable = false;
  return j;
}
