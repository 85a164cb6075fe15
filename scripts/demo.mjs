#!/usr/bin/env node
// The chapter in one run, on a throwaway repository in a temp folder: the
// repository set up with the seed's policy and layout, a secret created the
// safe way, a teammate's plaintext commit blocked by the installed hook,
// fixed, committed, and verified with the cluster's key, printed as a person
// would see it.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
const must = (status, what) => {
  if (status !== 0) {
    console.error(`\n✖ ${what} failed (exit ${status})`);
    code = 1;
  }
};
try {
  const git = simpleGit({ baseDir: dir }).env(env);
  await git.init(["-q", "-b", "main"]);

  step("Set the repository up: the chapter's .sops.yaml policy, the folders, the hook");
  // The cluster's own key, outside the repository; the demo then works with it as Flux would.
  const clusterKey = path.join(home, "cluster.agekey");
  const folders = "cloudflare,auth,observability,develop,staging,production";
  must(
    sh(
      [process.execPath, bin, "init", "--env", folders, "--cluster-key", clusterKey],
      `npx secret-guard init --env ${folders} --cluster-key ~/cluster.agekey`,
    ),
    "init",
  );
  env.SOPS_AGE_KEY_FILE = clusterKey;
  await git.add(".");
  await git.commit("Set up SOPS encryption for secrets");

  step("Create a secret the safe way (the editor is scripted here)");
  // What a person would type into the editor: the template replaced by real values.
  const editor = path.join(home, "editor.sh");
  writeFileSync(
    editor,
    `#!/bin/sh\ncat > "$1" <<'EOF'\napiVersion: v1\nkind: Secret\nmetadata:\n  name: backend-secrets\n  namespace: develop\ntype: Opaque\nstringData:\n  database-url: "postgresql://app:demo-password-1@db:5432/app"\n  api-key: "demo-api-key-2"\nEOF\n`,
    { mode: 0o755 },
  );
  show(`EDITOR=vi npx secret-guard new develop backend-secrets`);
  const created = spawnSync(process.execPath, [bin, "new", "develop", "backend-secrets"], {
    cwd: dir,
    env: { ...env, EDITOR: editor },
    stdio: "inherit",
  });
  must(created.status ?? 1, "new");
  sh(["git", "add", "flux/secrets/develop"]);
  must(
    sh(
      ["git", "commit", "-m", "Add backend-secrets for develop"],
      `git commit -m "Add backend-secrets for develop"`,
    ),
    "commit of the encrypted secret",
  );
  const shown = (await git.show(["HEAD:flux/secrets/develop/backend-secrets.yaml"]))
    .split("\n")
    .slice(0, 10)
    .join("\n");
  console.log(`\nwhat git holds (first lines):\n${shown}`);

  step("A teammate writes a plaintext Secret to fix a failing deploy, and commits it");
  write(
    "flux/secrets/staging/hotfix.yaml",
    [
      "apiVersion: v1",
      "kind: Secret",
      "metadata:",
      "  name: hotfix",
      "  namespace: staging",
      "type: Opaque",
      "stringData:",
      '  api-token: "demo-token-3"',
      "",
    ].join("\n"),
  );
  sh(["git", "add", "flux/secrets/staging/hotfix.yaml"]);
  const commit = sh(
    ["git", "commit", "-m", "Fix deploy: add token"],
    `git commit -m "Fix deploy: add token"`,
  );
  if (commit === 0) {
    console.error("\nUNEXPECTED: the plaintext commit went through");
    code = 1;
  } else {
    console.log(
      `\n${bold("✔ The commit was blocked")} (git commit exited ${commit}); the history is unchanged:`,
    );
    console.log((await git.raw(["log", "--oneline"])).trim());

    step("Encrypt what is staged, with the rule that covers it");
    must(sh([process.execPath, bin, "scan", "--fix"], "npx secret-guard scan --fix"), "scan --fix");
    // --fix listed it in the folder's kustomization.yaml (the working copy): stage that too.
    sh(["git", "add", "flux/secrets/staging/kustomization.yaml"]);

    step("Commit again: the hook lets the encrypted Secret through");
    must(
      sh(
        ["git", "commit", "-m", "Fix deploy: add token (encrypted)"],
        `git commit -m "Fix deploy: add token (encrypted)"`,
      ),
      "commit after the fix",
    );

    step("Did I get it? Prove the cluster's key decrypts everything (MAC checked)");
    must(sh([process.execPath, bin, "verify"], "npx secret-guard verify"), "verify");
  }
  console.log(
    `\n${code === 0 ? bold("✔ Set up, created, blocked, fixed, committed, verified.") : "✖ something went wrong above"}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
process.exit(code);
