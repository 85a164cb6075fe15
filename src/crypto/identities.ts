/**
 * Where sops finds age identities (sops-format §6.4, S:age/keysource.go
 * loadIdentities), all combined: SOPS_AGE_KEY (several per line allowed),
 * SOPS_AGE_KEY_FILE, the output of SOPS_AGE_KEY_CMD (split into words with
 * shell-like quoting, not run through a shell) and the default keys.txt.
 * Like sops, a source that fails is dropped and the others still count; only
 * when nothing at all loads are the failures an error. Identity text is never
 * logged or put in a message; sources are named by variable or path.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir, platform as osPlatform } from "node:os";
import path from "node:path";
import { CryptoError } from "../errors.js";
import { parseIdentities } from "./age.js";

export interface LoadedIdentities {
  identities: string[];
  /** Where they came from (names, never contents), one entry per source that gave identities. */
  sources: string[];
  /** Sources that were set but could not be used (names and reasons, never contents). */
  problems: string[];
}

/**
 * Go's os.UserConfigDir as sops uses it (S:age/keysource.go getUserConfigDir):
 * macOS prefers a non-empty $XDG_CONFIG_HOME, else ~/Library/Application
 * Support; Linux and other Unixes $XDG_CONFIG_HOME when set (it must be
 * absolute), else $HOME/.config; Windows %AppData%. Undefined when Go fails.
 */
export function userConfigDir(
  env: NodeJS.ProcessEnv = process.env,
  plat: NodeJS.Platform = osPlatform(),
): string | undefined {
  const xdg = env.XDG_CONFIG_HOME;
  if (plat === "win32") return env.APPDATA || undefined;
  if (plat === "darwin") {
    if (xdg) return xdg;
    return env.HOME ? path.join(env.HOME, "Library", "Application Support") : undefined;
  }
  if (xdg) return path.isAbsolute(xdg) ? xdg : undefined;
  return env.HOME ? path.join(env.HOME, ".config") : undefined;
}

/** The default keys file sops reads: `<UserConfigDir>/sops/age/keys.txt` (always a path, for writing). */
export function defaultKeysFile(
  env: NodeJS.ProcessEnv = process.env,
  plat: NodeJS.Platform = osPlatform(),
): string {
  const dir =
    userConfigDir(env, plat) ??
    (plat === "darwin"
      ? path.join(env.HOME || homedir(), "Library", "Application Support")
      : path.join(env.HOME || homedir(), ".config"));
  return path.join(dir, "sops", "age", "keys.txt");
}

/**
 * Split a command line into words like sops (github.com/google/shlex): blanks
 * are space, tab, CR and LF; `'…'` is literal; in `"…"` a backslash escapes
 * the next character; outside quotes a backslash escapes the next character;
 * a `#` at the start of a word comments out the rest of the line. No
 * expansion of any kind.
 */
export function splitWords(cmd: string): string[] {
  const words: string[] = [];
  const blank = (c: string) => c === " " || c === "\t" || c === "\r" || c === "\n";
  let i = 0;
  while (i < cmd.length) {
    while (i < cmd.length && blank(cmd[i]!)) i++;
    if (i >= cmd.length) break;
    if (cmd[i] === "#") {
      while (i < cmd.length && cmd[i] !== "\n") i++;
      continue;
    }
    let word = "";
    while (i < cmd.length && !blank(cmd[i]!)) {
      const ch = cmd[i++]!;
      if (ch === "\\") {
        if (i >= cmd.length) throw new CryptoError("SOPS_AGE_KEY_CMD ends with a backslash");
        word += cmd[i++];
      } else if (ch === "'") {
        const end = cmd.indexOf("'", i);
        if (end === -1) throw new CryptoError("SOPS_AGE_KEY_CMD has an unterminated quote");
        word += cmd.slice(i, end);
        i = end + 1;
      } else if (ch === '"') {
        for (;;) {
          if (i >= cmd.length) throw new CryptoError("SOPS_AGE_KEY_CMD has an unterminated quote");
          const c = cmd[i++]!;
          if (c === '"') break;
          if (c === "\\") {
            if (i >= cmd.length)
              throw new CryptoError("SOPS_AGE_KEY_CMD has an unterminated quote");
            word += cmd[i++];
          } else word += c;
        }
      } else {
        word += ch;
      }
    }
    words.push(word);
  }
  return words;
}

function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { env, maxBuffer: 1 << 20, encoding: "utf8", windowsHide: true },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
    // Go runs the command with stdin from /dev/null.
    child.stdin?.end();
  });
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? "error";
}

/** Load every age identity sops would find in `env`. */
export async function loadIdentities(
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedIdentities> {
  const out: LoadedIdentities = { identities: [], sources: [], problems: [] };
  const seen = new Set<string>();
  const add = (ids: string[], source: string) => {
    if (ids.length === 0) return;
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      out.identities.push(id);
    }
    out.sources.push(source);
  };
  const parse = (text: string, source: string, multiplePerLine = false): string[] => {
    if (text.startsWith("age-encryption") || text.startsWith("-----BEGIN AGE")) {
      out.problems.push(`${source}: passphrase-protected identity files are not supported`);
      return [];
    }
    try {
      return parseIdentities(text, source, { multiplePerLine });
    } catch (e) {
      out.problems.push((e as Error).message);
      return [];
    }
  };

  if (env.SOPS_AGE_KEY) add(parse(env.SOPS_AGE_KEY, "SOPS_AGE_KEY", true), "SOPS_AGE_KEY");

  const keyFile = env.SOPS_AGE_KEY_FILE;
  if (keyFile) {
    try {
      const text = await readFile(keyFile, "utf8");
      add(parse(text, keyFile), `SOPS_AGE_KEY_FILE (${keyFile})`);
    } catch (e) {
      out.problems.push(`SOPS_AGE_KEY_FILE: cannot read ${keyFile} (${errCode(e)})`);
    }
  }

  if (env.SOPS_AGE_KEY_CMD) {
    try {
      const [cmd, ...args] = splitWords(env.SOPS_AGE_KEY_CMD);
      if (!cmd) throw new CryptoError("SOPS_AGE_KEY_CMD is empty");
      let stdout: string;
      try {
        stdout = await runCommand(cmd, args, env);
      } catch {
        throw new CryptoError(
          "SOPS_AGE_KEY_CMD failed (the command exited with an error or could not be run)",
        );
      }
      add(parse(stdout, "SOPS_AGE_KEY_CMD output"), "SOPS_AGE_KEY_CMD");
    } catch (e) {
      out.problems.push((e as Error).message);
    }
  }

  const dir = userConfigDir(env);
  if (dir) {
    const file = path.join(dir, "sops", "age", "keys.txt");
    let text: string | undefined;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      // A missing default file is not an error (sops reads it only if it exists).
      if (errCode(e) !== "ENOENT" && errCode(e) !== "ENOTDIR")
        out.problems.push(`cannot read ${file} (${errCode(e)})`);
    }
    if (text !== undefined) add(parse(text, file), file);
  }

  if (out.identities.length === 0 && out.problems.length > 0) {
    throw new CryptoError(`failed to load age identities: ${out.problems.join("; ")}`);
  }
  return out;
}

/**
 * Only the identities in `file` (`verify --identity`: the cluster's `sops-age` key), none of
 * the environment's or the default keys.txt. Throws CryptoError naming the file, never its text.
 */
export async function loadIdentityFile(file: string): Promise<LoadedIdentities> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new CryptoError(`--identity: cannot read ${file} (${errCode(e)})`);
  }
  if (text.startsWith("age-encryption") || text.startsWith("-----BEGIN AGE"))
    throw new CryptoError(
      `--identity ${file}: passphrase-protected identity files are not supported`,
    );
  const identities = parseIdentities(text, file);
  if (identities.length === 0) throw new CryptoError(`--identity ${file}: no age identity in it`);
  return { identities, sources: [`--identity ${file} (only)`], problems: [] };
}
