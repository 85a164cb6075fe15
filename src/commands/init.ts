/**
 * `secret-guard init`: set a repository up for SOPS + age + Flux.
 *
 * - `.sops.yaml` at the top level with the seed's rule set: one rule per
 *   flux/secrets/<folder>/ (shared cloudflare, auth, observability, then the
 *   environments: --env, default develop, staging, production),
 *   `encrypted_regex: ^(data|stringData)$`. An existing `.sops.yaml` is never
 *   overwritten without --force; init says how it differs instead.
 * - Each folder with a kustomization.yaml (existing ones are left alone).
 * - The pre-commit hook, through `install`. Husky: when package.json lists
 *   husky (a dependency, or a `prepare` script running it) but `.husky/` does
 *   not exist yet, `.husky/` is created so the hook goes there and is shared
 *   through git; without husky in package.json the hook goes to .git/hooks
 *   (it works at once; a `.husky/` folder nothing runs would not).
 * - The age recipient: --age, else the local identity (as sops finds it),
 *   else the recipients an existing `.sops.yaml` already uses, else a new
 *   identity generated into the default sops keys file (0600). Then the exact
 *   commands to give it to Flux as the `sops-age` Secret. Identities are never
 *   printed, only public recipients and file paths.
 *
 * Exit 0 when every folder ends up covered by a rule with an age recipient;
 * 1 when an existing `.sops.yaml` (kept) leaves a folder uncovered or does
 * not use the --age recipient asked for.
 */
import { mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { CryptoError, UsageError } from "../errors.js";
import { exists } from "../fsutil.js";
import { hooksPathConfig, repoInfo } from "../git/repo.js";
import { emptyKustomization } from "../scaffold/kustomization.js";
import { SECRETS_DIR, shq } from "../scaffold/names.js";
import {
  checkFolder,
  comparePolicy,
  DEFAULT_ENVS,
  foldersFor,
  policyText,
  X25519,
} from "../scaffold/setup.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";

async function readOr(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch {
    return undefined;
  }
}

interface KeyPlan {
  recipients: string[];
  /** How the recipients were chosen, for the report. */
  origin: "flag" | "local" | "policy" | "generated";
  /** Lines telling how to give the identity to Flux. */
  cluster: string[];
}

const SOPS_AGE = "kubectl -n flux-system create secret generic sops-age";

async function localKey(env: NodeJS.ProcessEnv): Promise<KeyPlan | undefined> {
  const { loadIdentities, defaultKeysFile } = await import("../crypto/identities.js");
  const { recipientOf } = await import("../crypto/age.js");
  const ids = await loadIdentities(env);
  const first = ids.identities[0];
  if (!first) return undefined;
  let recipient: string;
  try {
    recipient = await recipientOf(first);
  } catch {
    throw new CryptoError("the first local age identity is not usable (no recipient derived)");
  }
  const source = ids.sources[0] ?? "";
  let command: string;
  let file: string | undefined;
  if (source === "SOPS_AGE_KEY") {
    command = `printf '%s\\n' "$SOPS_AGE_KEY" | ${SOPS_AGE} --from-file=age.agekey=/dev/stdin`;
  } else if (source === "SOPS_AGE_KEY_CMD") {
    command = `$SOPS_AGE_KEY_CMD | ${SOPS_AGE} --from-file=age.agekey=/dev/stdin`;
  } else {
    file = source.startsWith("SOPS_AGE_KEY_FILE") ? env.SOPS_AGE_KEY_FILE : defaultKeysFile(env);
    command = `${SOPS_AGE} --from-file=age.agekey=${shq(file ?? "")}`;
  }
  const cluster = [
    `Age key: the local identity for ${recipient} (from ${source}).`,
    "Give it to Flux (once per cluster) so it can decrypt:",
    `  ${command}`,
  ];
  if (ids.identities.length > 1) {
    cluster.push(
      `  (the source holds ${ids.identities.length} identities; the cluster needs only the one for ${recipient})`,
    );
  }
  return { recipients: [recipient], origin: "local", cluster };
}

async function generateKey(env: NodeJS.ProcessEnv): Promise<KeyPlan> {
  const { generateIdentity, identityToRecipient } = await import("age-encryption");
  const { defaultKeysFile } = await import("../crypto/identities.js");
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const file = defaultKeysFile(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const fh = await open(file, "a", 0o600);
  try {
    await fh.chmod(0o600);
    const size = (await fh.stat()).size;
    const before = size > 0 ? "\n" : "";
    await fh.writeFile(
      `${before}# created: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")} by secret-guard init\n# public key: ${recipient}\n${identity}\n`,
    );
    await fh.sync();
  } finally {
    await fh.close();
  }
  return {
    recipients: [recipient],
    origin: "generated",
    cluster: [
      `Age key: generated a new identity in ${file} (0600), public key ${recipient}.`,
      "Back it up (password manager or your team's vault): without it nobody can decrypt these secrets.",
      "Give it to Flux (once per cluster) so it can decrypt:",
      `  ${SOPS_AGE} --from-file=age.agekey=${shq(file)}`,
    ],
  };
}

export async function initCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length > 0) {
    throw new UsageError("init takes no arguments", "run `secret-guard init --help`");
  }
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const top = (await repoInfo(cwd, { env: io.env })).topLevel;
  const envs = Array.isArray(v.env)
    ? (v.env as string[])
        .flatMap((e) => e.split(","))
        .map((e) => e.trim())
        .filter(Boolean)
    : DEFAULT_ENVS;
  for (const e of envs) {
    const why = checkFolder(e);
    if (why) throw new UsageError(`--env: ${why}`);
  }
  const folders = foldersFor(envs);
  const flagAge =
    typeof v.age === "string"
      ? v.age
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  if (flagAge) {
    if (flagAge.length === 0) throw new UsageError("--age needs a recipient (age1...)");
    for (const r of flagAge) {
      if (!X25519.test(r)) {
        throw new UsageError(
          r.startsWith("age1")
            ? `--age: "${r.slice(0, 16)}…" is not an X25519 age recipient (age1 followed by 58 characters)`
            : "--age: that is not an age recipient (age1 followed by 58 characters)",
          /^AGE-SECRET-KEY/i.test(r)
            ? "that looks like a private identity: never pass one on a command line (and consider it exposed in your shell history)"
            : undefined,
        );
      }
    }
  }

  const lines: string[] = [];
  let exitCode = 0;
  const configPath = path.join(top, ".sops.yaml");
  const existingPolicy = await readOr(configPath);

  // Recipients: --age, the local identity, the existing policy's, or a new identity.
  let plan: KeyPlan | undefined = flagAge
    ? {
        recipients: flagAge,
        origin: "flag",
        cluster: [
          `Age key: ${flagAge.join(", ")} (from --age).`,
          "Give its identity to Flux (once per cluster) so it can decrypt:",
          `  ${SOPS_AGE} --from-file=age.agekey=<the file holding the identity for ${flagAge[0]}>`,
        ],
      }
    : await localKey(io.env);
  const { writeAtomic } = await import("../fsutil.js");
  if (existingPolicy !== undefined) {
    if (!plan) {
      const cmp = comparePolicy(existingPolicy, configPath, top, folders, undefined);
      if (cmp.recipients.length > 0) {
        plan = {
          recipients: cmp.recipients,
          origin: "policy",
          cluster: [
            `Age key: the existing .sops.yaml encrypts for ${cmp.recipients.join(", ")}; no local identity was found.`,
            "Set SOPS_AGE_KEY_FILE to its identity file to edit and verify secrets; Flux needs it as the sops-age Secret:",
            `  ${SOPS_AGE} --from-file=age.agekey=<the identity file>`,
          ],
        };
      }
    }
  }
  if (!plan) {
    if (existingPolicy !== undefined && v.force !== true) {
      // Nothing to write the policy with and no permission to replace it: no new key either.
      plan = {
        recipients: [],
        origin: "policy",
        cluster: [
          "Age key: none found (no --age, no local identity, no recipient in .sops.yaml).",
          "Pass --age RECIPIENT, or --force to generate an identity and rewrite .sops.yaml.",
        ],
      };
      exitCode = 1;
    } else {
      plan = await generateKey(io.env);
    }
  }
  const keys = plan;

  const wanted = policyText(folders, keys.recipients);
  if (existingPolicy === undefined) {
    await writeAtomic(configPath, Buffer.from(wanted, "utf8"));
    lines.push(`✔ .sops.yaml: created (${folders.length} rules: ${folders.join(", ")})`);
  } else if (existingPolicy === wanted) {
    lines.push("- .sops.yaml: unchanged");
  } else {
    const cmp = comparePolicy(
      existingPolicy,
      configPath,
      top,
      folders,
      keys.recipients.length > 0 ? keys.recipients : undefined,
    );
    if (v.force === true) {
      await writeAtomic(configPath, Buffer.from(wanted, "utf8"));
      lines.push(
        `✔ .sops.yaml: replaced (--force) with ${folders.length} rules: ${folders.join(", ")}`,
      );
      for (const d of cmp.differences) lines.push(`    was: ${d}`);
      if (cmp.recipients.some((r) => !keys.recipients.includes(r))) {
        lines.push(
          "    secrets encrypted for the old recipients: re-wrap them with `secret-guard updatekeys` (needs the old identity)",
        );
      }
    } else {
      lines.push("- .sops.yaml: exists and differs from what init would write; left as it is:");
      if (cmp.differences.length === 0)
        lines.push("    same rules; only comments or layout differ");
      for (const d of cmp.differences) lines.push(`    ${d}`);
      lines.push("    run `secret-guard init --force` to replace it");
      if (cmp.uncovered.length > 0) exitCode = 1;
      if (keys.origin === "flag" && cmp.differences.some((d) => d.includes("init would use"))) {
        exitCode = 1;
      }
    }
  }

  for (const f of folders) {
    const rel = `${SECRETS_DIR}/${f}/kustomization.yaml`;
    const abs = path.join(top, ...rel.split("/"));
    if (await exists(abs)) {
      lines.push(`- ${rel}: already there`);
      continue;
    }
    await mkdir(path.dirname(abs), { recursive: true });
    await writeAtomic(
      abs,
      Buffer.from(
        emptyKustomization(
          `Encrypted Secrets of this folder: add one with \`secret-guard new ${f} NAME\``,
        ),
        "utf8",
      ),
    );
    lines.push(`✔ ${rel}: created`);
  }

  // The hook: husky when package.json uses it (see the header), else plain git.
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
        "package.json does not use husky, so the hook is in git's hooks folder (not shared through git);",
        "  to share it: npm install --save-dev husky && npx husky init && npx secret-guard install",
      );
    }
  }
  const { install } = await import("./install.js");
  const hook = await install(top, io.env);
  const hookRel = path.relative(top, hook.hookPath) || hook.hookPath;
  lines.push(
    hook.action === "unchanged"
      ? `- pre-commit hook: already installed (${hookRel})`
      : `✔ pre-commit hook: ${hook.action === "appended" ? "added to" : hook.action} ${hookRel}${hook.husky ? " (husky)" : ""}`,
  );
  if (hook.husky) {
    const hp = await hooksPathConfig(top, io.env);
    if (!/\.husky/.test(hp)) {
      notes.push(
        "git does not run .husky/ hooks yet: run `npm install` (husky's prepare script) or `npx husky`",
      );
    }
  }
  for (const n of notes) lines.push(`note: ${n}`);

  lines.push("", ...keys.cluster);
  lines.push(
    "Each Flux Kustomization that applies flux/secrets/<folder> needs:",
    "  spec:",
    "    decryption:",
    "      provider: sops",
    "      secretRef:",
    "        name: sops-age",
    "",
    "Next steps:",
    `  git add .sops.yaml ${SECRETS_DIR}${hook.husky ? ` ${hookRel}` : ""} && git commit -m ${shq("Set up SOPS encryption for secrets")}`,
    `  secret-guard new ${envs[0] ?? "develop"} NAME     # create an encrypted Secret`,
  );
  return { exitCode, output: `${lines.join("\n")}\n` };
}
