/**
 * The cluster's age key, set up as Flux's guide does it: one dedicated
 * identity that only the cluster (the flux-system/sops-age Secret) and its
 * keepers hold, never a developer's personal keyring. It lives outside git,
 * 0600, by default under the user's config folder, one per repository:
 *
 *   $XDG_CONFIG_HOME/secret-guard/<repo>-<hash>/age.agekey   (~/.config/... without XDG)
 *
 * (`--cluster-key FILE` picks another place; inside the work tree it must be
 * ignored by git.) The kubectl command given to the user always names a
 * file holding exactly that one identity.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { CryptoError, UsageError } from "../errors.js";
import { isIgnored } from "../git/tree.js";
import { shellQuote } from "../shell.js";

export const SOPS_AGE = "kubectl -n flux-system create secret generic sops-age";

/** A path as a shell word, `"$HOME/..."` when under the home folder (shorter, still exact). */
export function shellPath(file: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  if (home && home !== "/" && file.startsWith(`${home}/`) && /^[\w@%+=:,./-]+$/.test(file)) {
    return `"$HOME/${file.slice(home.length + 1)}"`;
  }
  return shellQuote(file);
}

/** A path for reading, `~/...` when under the home folder. */
export function displayPath(file: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  return home && home !== "/" && file.startsWith(`${home}/`)
    ? `~/${file.slice(home.length + 1)}`
    : file;
}

/** The one command that gives Flux the identity in `file`, on two lines (a `\` continuation). */
export function kubectlCommand(file: string, env: NodeJS.ProcessEnv = {}): string {
  const word = file.startsWith("<") ? shellQuote(file) : shellPath(file, env);
  return `${SOPS_AGE} \\\n    --from-file=age.agekey=${word}`;
}

/** The default place of a repository's cluster key. */
export async function defaultClusterKeyFile(top: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { userConfigDir } = await import("../crypto/identities.js");
  const home = env.HOME ?? "";
  const config = userConfigDir(env) ?? path.join(home, ".config");
  const hash = createHash("sha256").update(top).digest("hex").slice(0, 8);
  const repo = path.basename(top).replace(/[^A-Za-z0-9._-]/g, "_") || "repo";
  return path.join(config, "secret-guard", `${repo}-${hash}`, "age.agekey");
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CryptoError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** The identities of a key file (undefined when it does not exist). */
export async function identitiesIn(file: string): Promise<string[] | undefined> {
  const text = await readText(file);
  if (text === undefined) return undefined;
  const { parseIdentities } = await import("../crypto/age.js");
  return parseIdentities(text, file);
}

/** Refuse a key file inside the work tree that git would not ignore. */
async function checkOutsideGit(top: string, file: string, env: NodeJS.ProcessEnv): Promise<void> {
  const rel = path.relative(top, file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return;
  if (!(await isIgnored(top, env, rel.split(path.sep).join("/")))) {
    throw new UsageError(
      `--cluster-key ${rel} is inside the repository and not ignored: it could be committed`,
      `add ${rel} to .gitignore first, or keep the key outside the repository`,
    );
  }
}

async function writeIdentity(file: string, identity: string, recipient: string, note: string) {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const fh = await open(file, "wx", 0o600);
  try {
    await fh.chmod(0o600);
    const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await fh.writeFile(
      `# created: ${at} by secret-guard init (${note})\n# public key: ${recipient}\n${identity}\n`,
    );
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface ClusterKey {
  file: string;
  recipient: string;
  /** What happened: a new identity, or the one already in the file. */
  action: "generated" | "existing";
}

/** The cluster key in `file`: the one identity already there, or a new one written 0600. */
export async function ensureClusterKey(
  top: string,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<ClusterKey> {
  await checkOutsideGit(top, file, env);
  const { recipientOf } = await import("../crypto/age.js");
  const ids = await identitiesIn(file);
  if (ids !== undefined) {
    if (ids.length !== 1) {
      throw new CryptoError(
        `${file} holds ${ids.length} identities; the cluster key file must hold exactly one`,
        "give --cluster-key a file of its own (age-keygen -o FILE), or a path that does not exist yet",
      );
    }
    return { file, recipient: await recipientOf(ids[0]!), action: "existing" };
  }
  const { generateIdentity, identityToRecipient } = await import("age-encryption");
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  await writeIdentity(file, identity, recipient, "the cluster's key");
  return { file, recipient, action: "generated" };
}

export interface FoundIdentity {
  /** A file holding exactly this identity (possibly just extracted, see `extractedFrom`). */
  file: string;
  recipient: string;
  /** The keyring it was copied out of, when it shared a file with other identities. */
  extractedFrom?: string;
  others?: number;
}

/**
 * A local identity for one of `recipients` (in their order), looked for in
 * the repository's cluster key file, then where sops finds key files. When
 * it shares its file with other identities it is copied alone into the
 * repository's cluster key file (0600), so that the cluster gets that one
 * identity and not the whole keyring.
 */
export async function findClusterIdentity(
  top: string,
  recipients: readonly string[],
  env: NodeJS.ProcessEnv,
  extra: readonly string[] = [],
): Promise<FoundIdentity | undefined> {
  const { recipientOf } = await import("../crypto/age.js");
  const { defaultKeysFile } = await import("../crypto/identities.js");
  const own = await defaultClusterKeyFile(top, env);
  const files = [own, ...extra, env.SOPS_AGE_KEY_FILE, defaultKeysFile(env)].filter(
    (f, i, all): f is string => !!f && all.indexOf(f) === i,
  );
  const found: Array<{ file: string; recipient: string; identity: string; count: number }> = [];
  for (const file of files) {
    let ids: string[] | undefined;
    try {
      ids = await identitiesIn(file);
    } catch {
      continue; // unreadable or not a key file: not the one
    }
    for (const identity of ids ?? []) {
      let r: string;
      try {
        r = await recipientOf(identity);
      } catch {
        continue;
      }
      if (recipients.includes(r)) found.push({ file, recipient: r, identity, count: ids!.length });
    }
  }
  if (found.length === 0) return undefined;
  found.sort((a, b) => recipients.indexOf(a.recipient) - recipients.indexOf(b.recipient));
  const alone = found.find((f) => f.count === 1 && f.recipient === found[0]!.recipient);
  if (alone) return { file: alone.file, recipient: alone.recipient };
  const first = found[0]!;
  if ((await identitiesIn(own)) !== undefined) {
    // The repository's own key file exists but holds another identity: do not touch it.
    return { file: first.file, recipient: first.recipient, others: first.count - 1 };
  }
  await writeIdentity(own, first.identity, first.recipient, `copied from ${first.file}`);
  return {
    file: own,
    recipient: first.recipient,
    extractedFrom: first.file,
    others: first.count - 1,
  };
}
