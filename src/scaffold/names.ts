/**
 * Checking what `new ENV NAME` is given: ENV must be one of the folders that
 * already exist under flux/secrets/, NAME a Kubernetes object name (RFC 1123
 * subdomain). Neither can then reach outside its folder.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { ConfigError, UsageError } from "../errors.js";

export const SECRETS_DIR = "flux/secrets";

const DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

/** Why NAME is not a valid Secret name, or undefined when it is. */
export function invalidName(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (name.length > 253) return `it is ${name.length} characters long (at most 253)`;
  if (!SUBDOMAIN.test(name)) {
    return "Kubernetes names are lowercase letters, digits, '-' and '.', and start and end with a letter or digit (RFC 1123)";
  }
  return undefined;
}

/** The folders under flux/secrets/, sorted. */
export async function envFolders(top: string): Promise<string[]> {
  try {
    const entries = await readdir(path.join(top, ...SECRETS_DIR.split("/")), {
      withFileTypes: true,
    });
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export async function checkTarget(top: string, env: string, name: string): Promise<void> {
  const folders = await envFolders(top);
  if (folders.length === 0) {
    throw new ConfigError(
      `no ${SECRETS_DIR}/ folders in ${top}`,
      "set the repository up with `secret-guard init` (or create flux/secrets/<env>/)",
    );
  }
  if (!folders.includes(env)) {
    throw new UsageError(
      `unknown environment "${env}": there is no ${SECRETS_DIR}/${env}/ folder`,
      `available: ${folders.join(", ")}`,
    );
  }
  const why = invalidName(name);
  if (why) throw new UsageError(`"${name}" is not a valid Secret name: ${why}`);
}

export { shellQuote as shq } from "../shell.js";
