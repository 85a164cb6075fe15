/**
 * Reading the policy from disk as sops does: `--config`, else `SOPS_CONFIG`,
 * else the `.sops.yaml` found from the working directory upward. The only
 * file read of the policy layer; parsing itself is pure (parse.ts).
 */
import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import { notRegularFile } from "../fsutil.js";
import type { Policy } from "../types.js";
import { cachedPolicy } from "./cache.js";
import { lookupConfig } from "./find.js";
import { parsePolicy } from "./parse.js";

export interface LoadOptions {
  /** Directory sops would run in (the search starts here; relative paths resolve against it). */
  cwd: string;
  /** `--config PATH`: disables the search; missing/unreadable is an error. */
  configPath?: string;
  /** Environment (default `process.env`); `SOPS_CONFIG` acts like `--config`. */
  env?: Record<string, string | undefined>;
  /** Receives discovery warnings when no config is found (otherwise they are in `policy.warnings`). */
  warnings?: string[];
}

function display(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel !== "" && !isAbsolute(rel) ? rel : abs;
}

function readPolicy(abs: string, cwd: string): Policy {
  const shown = display(cwd, abs);
  const odd = notRegularFile(abs);
  if (odd) throw new ConfigError(`${shown}: is ${odd}, not a regular file; refusing to read it`);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "read error";
    throw new ConfigError(`${shown}: could not read config file (${code})`);
  }
  return cachedPolicy(abs, shown, text, () => parsePolicy(text, abs, { displayPath: shown }));
}

/**
 * The policy sops would use when run in `opts.cwd`: `--config`, else
 * `SOPS_CONFIG`, else the `.sops.yaml` found from cwd upwards. Undefined when
 * none is found; ConfigError when an explicit file is missing or any file is invalid.
 */
export function loadPolicy(opts: LoadOptions): Policy | undefined {
  const cwd = resolve(opts.cwd);
  const env = opts.env ?? process.env;
  const explicit = opts.configPath || env.SOPS_CONFIG;
  if (explicit) return readPolicy(resolve(cwd, explicit), cwd);
  const found = lookupConfig(cwd);
  if (!found.path) {
    opts.warnings?.push(...found.warnings);
    return undefined;
  }
  const policy = readPolicy(found.path, cwd);
  policy.warnings.unshift(...found.warnings);
  return policy;
}
