/**
 * Where sops finds age identities (sops-format §6.4), combined: SOPS_AGE_KEY
 * (whitespace-separated), SOPS_AGE_KEY_FILE, the output of SOPS_AGE_KEY_CMD
 * (split into words, not run through a shell) and the default keys.txt path.
 * Identity text is never logged; sources are named by variable or path.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir, platform } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { CryptoError } from "../errors.js";
import { parseIdentities } from "./age.js";

const run = promisify(execFile);

export interface LoadedIdentities {
  identities: string[];
  /** Where they came from (names, never contents). */
  sources: string[];
}

/** The default keys file: $XDG_CONFIG_HOME/sops/age/keys.txt, else the platform's config folder. */
export function defaultKeysFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, "sops", "age", "keys.txt");
  const home = env.HOME || homedir();
  if (platform() === "darwin")
    return path.join(home, "Library", "Application Support", "sops", "age", "keys.txt");
  if (platform() === "win32" && env.APPDATA)
    return path.join(env.APPDATA, "sops", "age", "keys.txt");
  return path.join(home, ".config", "sops", "age", "keys.txt");
}

/** Split a command line into words with simple shell-like quoting (no expansion). */
export function splitWords(cmd: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < cmd.length) cur += cmd[++i];
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      has = true;
    } else if (ch === "\\" && i + 1 < cmd.length) {
      cur += cmd[++i];
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = "";
      has = false;
    } else {
      cur += ch;
    }
  }
  if (quote) throw new CryptoError("SOPS_AGE_KEY_CMD has an unterminated quote");
  if (has || cur) words.push(cur);
  return words;
}

export async function loadIdentities(
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedIdentities> {
  const out: LoadedIdentities = { identities: [], sources: [] };
  const add = (ids: string[], source: string) => {
    if (ids.length === 0) return;
    out.identities.push(...ids);
    out.sources.push(source);
  };
  if (env.SOPS_AGE_KEY) {
    add(
      parseIdentities(env.SOPS_AGE_KEY.split(/\s+/).filter(Boolean).join("\n"), "SOPS_AGE_KEY"),
      "SOPS_AGE_KEY",
    );
  }
  if (env.SOPS_AGE_KEY_FILE) {
    let text: string;
    try {
      text = await readFile(env.SOPS_AGE_KEY_FILE, "utf8");
    } catch (e) {
      throw new CryptoError(
        `SOPS_AGE_KEY_FILE: cannot read ${env.SOPS_AGE_KEY_FILE} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    add(
      parseIdentities(text, env.SOPS_AGE_KEY_FILE),
      `SOPS_AGE_KEY_FILE (${env.SOPS_AGE_KEY_FILE})`,
    );
  }
  if (env.SOPS_AGE_KEY_CMD) {
    const [cmd, ...args] = splitWords(env.SOPS_AGE_KEY_CMD);
    if (!cmd) throw new CryptoError("SOPS_AGE_KEY_CMD is empty");
    let stdout: string;
    try {
      ({ stdout } = await run(cmd, args, { env, maxBuffer: 1 << 20 }));
    } catch {
      throw new CryptoError(
        "SOPS_AGE_KEY_CMD failed (the command exited with an error or could not be run)",
      );
    }
    add(parseIdentities(stdout, "SOPS_AGE_KEY_CMD output"), "SOPS_AGE_KEY_CMD");
  }
  const file = defaultKeysFile(env);
  try {
    const text = await readFile(file, "utf8");
    add(parseIdentities(text, file), file);
  } catch (e) {
    if (e instanceof CryptoError) throw e;
    // a missing default file is not an error
  }
  return out;
}
