/**
 * `secret-guard init`: set a repository up for SOPS + age + Flux, or finish
 * setting it up. It creates only what is missing and says what it kept.
 *
 * - Folders: --env when given; else the flux/secrets/<folder>/ folders that
 *   exist; else those the kept `.sops.yaml` names; else the seed's
 *   environments (develop, staging, production). Nothing else is created: no
 *   shared folders the repository never had.
 * - `.sops.yaml`: an existing one is kept (replaced only with --force) and
 *   *its* recipients are used; a folder it does not cover gets a rule
 *   appended with those recipients (the rest of the file untouched). A new
 *   one has the seed's rule per folder (`encrypted_regex:
 *   ^(data|stringData)$`), encrypting for the cluster key and the team's
 *   personal recipients (--age, repeatable).
 * - The cluster key (src/scaffold/clusterkey.ts): a dedicated identity,
 *   0600, outside git, and the one kubectl command that gives exactly it to
 *   Flux. With a kept `.sops.yaml`, the local identity of one of its
 *   recipients (copied alone out of a keyring that holds others).
 * - Each folder's kustomization.yaml, when it has none and holds no other
 *   manifest (Flux generates one from every manifest otherwise).
 * - The pre-commit hook, through `install` (husky-aware, see below).
 *
 * Exit 0 when the repository ends up set up (also: nothing to do, said so);
 * 1 when a kept `.sops.yaml` leaves a folder uncovered that init could not
 * add safely, or does not use the --age recipients asked for; 2 for bad
 * usage or an unreadable `.sops.yaml` (fail closed; --force replaces it).
 */
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, UsageError } from "../errors.js";
import { exists } from "../fsutil.js";
import { hooksPathConfig, repoInfo } from "../git/repo.js";
import { parsePolicy } from "../policy/index.js";
import { emptyKustomization, otherManifests } from "../scaffold/kustomization.js";
import { envFolders, SECRETS_DIR, shq } from "../scaffold/names.js";
import {
  appendRules,
  checkFolder,
  comparePolicy,
  DEFAULT_ENVS,
  foldersFor,
  foldersNamedBy,
  policyText,
  rulesSnippet,
  X25519,
} from "../scaffold/setup.js";
import type { Policy } from "../types.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";

async function readOr(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch {
    return undefined;
  }
}

const list = (v: unknown): string[] | undefined =>
  v === undefined
    ? undefined
    : (Array.isArray(v) ? v : [v])
        .flatMap((e) => String(e).split(","))
        .map((e) => e.trim())
        .filter(Boolean);

function checkRecipients(rs: string[]): void {
  if (rs.length === 0) throw new UsageError("--age needs a recipient (age1...)");
  for (const r of rs) {
    if (X25519.test(r)) continue;
    throw new UsageError(
      r.startsWith("age1")
        ? `--age: "${r.slice(0, 16)}…" is not an X25519 age recipient (age1 and 58 characters)`
        : "--age: that is not an age recipient (age1 followed by 58 characters)",
      /^AGE-SECRET-KEY/i.test(r)
        ? "that is a private identity: never pass one on a command line (consider it exposed)"
        : undefined,
    );
  }
}

const short = (r: string) => `${r.slice(0, 12)}…${r.slice(-6)}`;

export async function initCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length > 0) {
    throw new UsageError("init takes no arguments", "run `secret-guard init --help`");
  }
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const top = (await repoInfo(cwd, { env: io.env })).topLevel;
  const envFlag = list(v.env);
  for (const e of envFlag ?? []) {
    const why = checkFolder(e);
    if (why) throw new UsageError(`--env: ${why}`);
  }
  const ageFlag = list(v.age);
  if (ageFlag) checkRecipients(ageFlag);
  const keyFlag =
    typeof v["cluster-key"] === "string" ? path.resolve(cwd, v["cluster-key"]) : undefined;
  const force = v.force === true;

  const lines: string[] = [];
  const warnings: string[] = [];
  let exitCode = 0;
  let changed = 0;
  const done = (line: string) => {
    changed++;
    lines.push(line);
  };
  const configPath = path.join(top, ".sops.yaml");
  const existingText = await readOr(configPath);
  let existing: Policy | undefined;
  if (existingText !== undefined && !force) {
    try {
      existing = parsePolicy(existingText, configPath);
    } catch (e) {
      if (e instanceof ConfigError) {
        throw new ConfigError(
          e.message,
          "fix it, or replace it with `secret-guard init --force` (existing secrets then need `secret-guard updatekeys`)",
        );
      }
      throw e;
    }
  }

  // Which folders: asked for, present, named by the kept policy, or the seed's environments.
  const present = await envFolders(top);
  const folders = foldersFor(
    envFlag ??
      (present.length > 0
        ? present
        : existing && foldersNamedBy(existing).length > 0
          ? foldersNamedBy(existing)
          : DEFAULT_ENVS),
  );
  const origin = envFlag
    ? "--env"
    : present.length > 0
      ? `the folders under ${SECRETS_DIR}/`
      : existing && foldersNamedBy(existing).length > 0
        ? "the rules of .sops.yaml"
        : "the seed's environments";
  lines.push(`Folders: ${folders.join(", ")} (${origin})`);

  // .sops.yaml and the key.
  const ck = await import("../scaffold/clusterkey.js");
  const { defaultClusterKeyFile, ensureClusterKey, findClusterIdentity, kubectlCommand } = ck;
  const shown = (p: string) => ck.displayPath(p, io.env);
  const { writeAtomic } = await import("../fsutil.js");
  const keyLines: string[] = [];
  if (existing && existingText !== undefined) {
    const cmp = comparePolicy(existingText, configPath, top, folders, undefined);
    const recipients = cmp.recipients;
    lines.push(
      `- .sops.yaml: kept; it encrypts for ${recipients.map(short).join(", ") || "no age recipient"}`,
    );
    if (cmp.uncovered.length > 0) {
      const addable = recipients.length > 0;
      const text = addable
        ? appendRules(existingText, configPath, top, cmp.uncovered, recipients)
        : undefined;
      if (text !== undefined) {
        await writeAtomic(configPath, Buffer.from(text, "utf8"));
        done(`✔ .sops.yaml: rules added for ${cmp.uncovered.join(", ")} (same recipients)`);
      } else {
        exitCode = 1;
        lines.push(
          `✖ .sops.yaml: no rule covers ${cmp.uncovered.map((f) => `${SECRETS_DIR}/${f}/`).join(", ")}`,
          addable
            ? "  and init cannot add one without rewriting the file; add to creation_rules:"
            : "  and it names no age recipient to add a rule with; pass --age, or add:",
          ...rulesSnippet(cmp.uncovered, recipients.length > 0 ? recipients : ["age1..."])
            .split("\n")
            .map((l) => `  ${l}`),
        );
      }
    }
    if (ageFlag) {
      const ruleRecipients = new Set(recipients);
      const missing = ageFlag.filter((r) => !ruleRecipients.has(r));
      if (missing.length > 0) {
        exitCode = 1;
        lines.push(
          `✖ .sops.yaml does not encrypt for ${missing.map(short).join(", ")} (--age); it is kept:`,
          "  add the recipients to its rules' age lists, then re-wrap the existing secrets:",
          "  npx secret-guard updatekeys",
        );
      }
    }
    const found =
      recipients.length > 0
        ? await findClusterIdentity(top, recipients, io.env, keyFlag ? [keyFlag] : [])
        : undefined;
    if (found) {
      if (found.extractedFrom) {
        done(
          `✔ cluster key: the identity for ${short(found.recipient)} copied alone to ${shown(found.file)} (0600)`,
        );
        keyLines.push(
          `  (it is one of ${found.others! + 1} in ${shown(found.extractedFrom)}; the cluster gets only it)`,
        );
      } else if (!found.others) {
        keyLines.push(
          `Cluster key: ${shown(found.file)} holds the identity for ${short(found.recipient)}.`,
        );
      }
      if (found.others && !found.extractedFrom) {
        keyLines.push(
          `The identity for ${short(found.recipient)} is in ${shown(found.file)} with ${found.others} others;`,
          "the cluster must get it alone: put that one line in a file of its own (0600), then:",
          `  ${kubectlCommand("<that file>")}`,
        );
      } else {
        keyLines.push(
          "Give it to Flux (once per cluster) as the sops-age Secret:",
          `  ${kubectlCommand(found.file, io.env)}`,
        );
      }
    } else if (recipients.length > 0) {
      keyLines.push(
        `No local identity opens ${recipients.map(short).join(" or ")} (the .sops.yaml recipients).`,
        "Flux needs the cluster's one as the sops-age Secret, from the file that holds it alone:",
        `  ${kubectlCommand("<that file>")}`,
      );
    }
  } else {
    const keyFile = keyFlag ?? (await defaultClusterKeyFile(top, io.env));
    const key = await ensureClusterKey(top, keyFile, io.env);
    const recipients = [key.recipient, ...(ageFlag ?? []).filter((r) => r !== key.recipient)];
    const wanted = policyText(folders, recipients);
    if (existingText === wanted) {
      lines.push("- .sops.yaml: unchanged");
    } else {
      await writeAtomic(configPath, Buffer.from(wanted, "utf8"));
      done(
        existingText === undefined
          ? `✔ .sops.yaml: created, ${folders.length} rules, for the cluster key${ageFlag ? ` and ${ageFlag.length} personal recipient(s)` : ""}`
          : `✔ .sops.yaml: replaced (--force), ${folders.length} rules`,
      );
      if (existingText !== undefined) {
        lines.push(
          "  secrets encrypted for the old recipients: re-wrap them with `npx secret-guard updatekeys`",
        );
      }
    }
    if (key.action === "generated") {
      done(`✔ cluster key: a new identity (0600) in ${shown(key.file)}`);
      lines.push(`  public key ${key.recipient}`);
      keyLines.push("Back it up (your team's vault): without it nobody can decrypt these secrets.");
    } else {
      lines.push(`- cluster key: ${shown(key.file)} (exists)`, `  public key ${key.recipient}`);
    }
    keyLines.push(
      "Give it to Flux (once per cluster) as the sops-age Secret:",
      `  ${kubectlCommand(key.file, io.env)}`,
      "To edit and verify secrets on this machine with it:",
      `  export SOPS_AGE_KEY_FILE=${ck.shellPath(key.file, io.env)}`,
    );
    if (!ageFlag) {
      keyLines.push("  (or give each teammate's key with --age age1... when setting up)");
    }
  }

  // Folders and their kustomization.yaml.
  for (const f of folders) {
    const dir = path.join(top, ...SECRETS_DIR.split("/"), f);
    const rel = `${SECRETS_DIR}/${f}/kustomization.yaml`;
    const abs = path.join(dir, "kustomization.yaml");
    if (await exists(abs)) continue;
    const others = await otherManifests(dir, "");
    if (others.length > 0) {
      lines.push(
        `- ${SECRETS_DIR}/${f}/: no kustomization.yaml; Flux generates one from its ${others.length} manifests (kept)`,
      );
      continue;
    }
    await mkdir(dir, { recursive: true });
    await writeAtomic(
      abs,
      Buffer.from(
        emptyKustomization(
          `Encrypted Secrets of this folder: add one with \`secret-guard new ${f} NAME\``,
        ),
        "utf8",
      ),
    );
    done(`✔ ${rel}: created`);
  }

  // The hook: husky when package.json uses it, else plain git.
  const notes: string[] = [];
  const pkgText = await readOr(path.join(top, "package.json"));
  const huskyDir = path.join(top, ".husky");
  if (pkgText !== undefined && !(await exists(huskyDir))) {
    let usesHusky = false;
    try {
      const pkg = JSON.parse(pkgText) as Record<string, Record<string, string> | undefined>;
      usesHusky =
        !!pkg.dependencies?.husky ||
        !!pkg.devDependencies?.husky ||
        /\bhusky\b/.test(pkg.scripts?.prepare ?? "");
    } catch {
      notes.push("package.json could not be parsed; the hook goes to git's hooks folder");
    }
    if (usesHusky) await mkdir(huskyDir, { recursive: true });
    else if (notes.length === 0) {
      notes.push(
        "package.json does not use husky: the hook is in git's hooks folder, not shared;",
        "  to share it: npm install --save-dev husky && npx husky init && npx secret-guard install",
      );
    }
  }
  const { install } = await import("./install.js");
  const hook = await install(top, io.env);
  const hookRel = path.relative(top, hook.hookPath) || hook.hookPath;
  if (hook.action === "unchanged") {
    lines.push(`- pre-commit hook: already installed (${hookRel})`);
  } else {
    done(
      `✔ pre-commit hook: ${hook.action === "appended" ? "added to" : hook.action} ${hookRel}${hook.husky ? " (husky)" : ""}`,
    );
  }
  if (hook.husky) {
    const hp = await hooksPathConfig(top, io.env);
    if (!/\.husky/.test(hp)) {
      notes.push(
        "git does not run .husky/ hooks yet: run `npm install` (husky's prepare script) or `npx husky`",
      );
    }
  }
  for (const n of notes) warnings.push(`note: ${n}`);

  if (changed === 0 && exitCode === 0) {
    lines.push("", "Nothing to do: this repository is already set up.");
    if (keyLines.length > 0) lines.push("", ...keyLines);
    return { exitCode, output: `${lines.join("\n")}\n`, warnings };
  }
  if (keyLines.length > 0) lines.push("", ...keyLines);
  lines.push(
    "Each Flux Kustomization that applies flux/secrets/<folder> needs:",
    "  spec:",
    "    decryption:",
    "      provider: sops",
    "      secretRef:",
    "        name: sops-age",
    "",
    "Next steps:",
    `  git add .sops.yaml ${SECRETS_DIR}${hook.husky ? ` ${hookRel}` : ""}`,
    `  git commit -m ${shq("Set up SOPS encryption for secrets")}`,
    `  npx secret-guard new ${folders.find((f) => !["cloudflare", "auth", "observability"].includes(f)) ?? folders[0] ?? "develop"} NAME     # an encrypted Secret`,
  );
  return { exitCode, output: `${lines.join("\n")}\n`, warnings };
}
