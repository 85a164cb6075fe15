/**
 * `.sops.yaml` discovery exactly as the sops CLI does it (sops-format §1.1,
 * S:config/config.go:55-94): from the CURRENT WORKING DIRECTORY upwards (not
 * from the file's directory), at most 100 levels, only the exact name
 * `.sops.yaml`. A `.sops.yml` seen on the way is ignored with a warning
 * (sops ≥ 3.10).
 */
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const CONFIG_FILE_NAME = ".sops.yaml";
const ALTERNATE_NAME = ".sops.yml";
const MAX_DEPTH = 100;

export interface ConfigLookup {
  /** Absolute path of the `.sops.yaml` found, if any. */
  path?: string;
  /** Warnings (a `.sops.yml` that sops ignores). */
  warnings: string[];
}

/** Like Go's `os.Stat(p) == nil`: any entry (following symlinks), any error = absent. */
function exists(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/** Search `startDir` and its parents for `.sops.yaml`; report an ignored `.sops.yml`. */
export function lookupConfig(startDir: string): ConfigLookup {
  let dir = resolve(startDir);
  let alternate: string | undefined;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (exists(candidate)) {
      const warnings = alternate
        ? [
            `ignoring "${alternate}": the sops config file must be called ${CONFIG_FILE_NAME}; using "${candidate}" instead`,
          ]
        : [];
      return { path: candidate, warnings };
    }
    if (alternate === undefined) {
      const alt = join(dir, ALTERNATE_NAME);
      if (exists(alt)) alternate = alt;
    }
    const parent = dirname(dir);
    // Go keeps joining ".." past the root, which re-checks the root: stop instead.
    if (parent === dir) break;
    dir = parent;
  }
  const warnings = alternate
    ? [
        `ignoring "${alternate}": the sops config file must be called ${CONFIG_FILE_NAME} (sops ignores this file)`,
      ]
    : [];
  return { warnings };
}

/**
 * Absolute path of the `.sops.yaml` sops would use when run in `startDir`, or
 * undefined. Warnings (ignored `.sops.yml`) are appended to `warnings` if given.
 */
export function findConfig(startDir: string, warnings?: string[]): string | undefined {
  const found = lookupConfig(startDir);
  warnings?.push(...found.warnings);
  return found.path;
}
