#!/usr/bin/env node
// The chapter in one run, on a throwaway repository in a temp folder with the
// seed's layout: a teammate stages a plaintext Secret and `git commit` is
// blocked by the installed hook, exactly as they would see it.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { simpleGit } from "simple-git";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "secret-guard.js");
const dir = mkdtempSync(path.join(tmpdir(), "secret-guard-demo-"));
const home = mkdtempSync(path.join(tmpdir(), "secret-guard-demo-home-"));
const env = {
  ...process.env,
  // A temp HOME keeps the caller's global git config (hooksPath, signing, ...) out.
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, ".config"),
  NO_COLOR: process.stdout.isTTY ? undefined : "1",
};
// A clean environment: none of the caller's git settings, editors or pagers.
for (const k of Object.keys(env)) {
  if (env[k] === undefined || /^(EDITOR|VISUAL|PAGER|GIT_\w+|SSH_ASKPASS)$/.test(k)) delete env[k];
}

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s) => console.log(`\n${bold(`▶ ${s}`)}`);
const show = (cmd) => console.log(`$ ${cmd}`);

function write(rel, text) {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function sh(args, label) {
  show(label ?? args.join(" "));
  const r = spawnSync(args[0], args.slice(1), { cwd: dir, env, stdio: "inherit" });
  return r.status ?? 1;
}

writeFileSync(
  path.join(home, ".gitconfig"),
  "[user]\n\tname = Demo\n\temail = demo@example.com\n[init]\n\tdefaultBranch = main\n",
);

let code = 0;
try {
  const git = simpleGit({ baseDir: dir }).env(env);
  step("The cluster's age key (what Flux holds in its sops-age Secret)");
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const keyFile = path.join(home, "cluster.agekey");
  writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
  console.log(`recipient: ${recipient}`);

  step("A GitOps repository with the chapter's .sops.yaml policy");
  await git.init(["-q", "-b", "main"]);
  const rules = ["cloudflare", "auth", "observability", "develop", "staging", "production"]
    .map(
      (f) =>
        `  - path_regex: flux/secrets/${f}/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`,
    )
    .join("");
  write(".sops.yaml", `creation_rules:\n${rules}`);
  write(
    "flux/secrets/develop/kustomization.yaml",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - backend-secrets.yaml\n",
  );
  await git.add(".");
  await git.commit("Add the secrets policy", { "--no-verify": null });
  console.log(`repository: ${dir}`);

  step("Install the pre-commit hook");
  sh([process.execPath, bin, "install"], "npx secret-guard install");

  step("A teammate writes a plaintext Secret to fix a failing deploy, and commits it");
  write(
    "flux/secrets/develop/backend-secrets.yaml",
    [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: backend-secrets",
      "  namespace: develop",
      "type: Opaque",
      "stringData:",
      '  database-url: "postgresql://app:demo-password-1@db:5432/app"',
      '  api-key: "demo-api-key-2"',
      "",
    ].join("\n"),
  );
  sh(["git", "add", "flux/secrets/develop/backend-secrets.yaml"]);
  const commit = sh(
    ["git", "commit", "-m", "Fix deploy: add backend secrets"],
    `git commit -m "Fix deploy: add backend secrets"`,
  );
  if (commit === 0) {
    console.error("\nUNEXPECTED: the plaintext commit went through");
    code = 1;
  } else {
    const log = await git.raw(["log", "--oneline"]);
    console.log(
      `\n${bold("✔ The commit was blocked")} (git commit exited ${commit}); history still holds only:`,
    );
    console.log(log.trim());

    step("Encrypt what is staged, with the rule that covers it");
    if (sh([process.execPath, bin, "scan", "--fix"], "npx secret-guard scan --fix") !== 0) code = 1;

    step("Commit again: the hook lets the encrypted Secret through");
    if (
      sh(
        ["git", "commit", "-m", "Add backend secrets (encrypted)"],
        `git commit -m "Add backend secrets (encrypted)"`,
      ) !== 0
    )
      code = 1;
    const shown = (await git.show([`HEAD:flux/secrets/develop/backend-secrets.yaml`]))
      .split("\n")
      .slice(0, 10)
      .join("\n");
    console.log(`\nwhat git now holds (first lines):\n${shown}`);

    step("Did I get it? Prove the cluster's key decrypts it (MAC checked)");
    show("SOPS_AGE_KEY_FILE=cluster.agekey npx secret-guard verify");
    const verified = spawnSync(process.execPath, [bin, "verify"], {
      cwd: dir,
      env: { ...env, SOPS_AGE_KEY_FILE: keyFile },
      stdio: "inherit",
    });
    if (verified.status !== 0) code = 1;
    console.log(
      `\n${code === 0 ? bold("✔ Blocked, fixed, committed, verified.") : "✖ something went wrong above"}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
process.exit(code);
