// The peer: secretlint 12 with the recommended preset, installed once into
// os.tmpdir()/secret-guard-bench-peers and reused by later runs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const PEERS_DIR = path.join(tmpdir(), "secret-guard-bench-peers");
const PRESET = "@secretlint/secretlint-rule-preset-recommend";

function version(dir, name) {
  try {
    return JSON.parse(readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8"))
      .version;
  } catch {
    return undefined;
  }
}

function npmInstall(specs, log) {
  log(`installing ${specs.join(" ")} into ${PEERS_DIR} (cached for later runs)`);
  const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], {
    cwd: PEERS_DIR,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (r.status !== 0)
    throw new Error(`npm install failed: ${(r.stderr || r.error?.message || "").slice(0, 400)}`);
}

/**
 * { bin, version, presetVersion } or { error }. npm picks the newest 12.x whose
 * `engines` fits this Node (12.0.0 on Node 20: 12.1+ want Node 22); the preset is then
 * pinned to the same version.
 */
export function secretlint(log = () => {}) {
  try {
    mkdirSync(PEERS_DIR, { recursive: true });
    const pkg = path.join(PEERS_DIR, "package.json");
    if (!existsSync(pkg)) writeFileSync(pkg, '{ "private": true }\n');
    const bin = path.join(PEERS_DIR, "node_modules", "secretlint", "bin", "secretlint.js");
    let v = version(PEERS_DIR, "secretlint");
    if (!v?.startsWith("12.") || !existsSync(bin)) {
      npmInstall(["secretlint@12", `${PRESET}@12`], log);
      v = version(PEERS_DIR, "secretlint");
    }
    if (!v?.startsWith("12.")) throw new Error(`secretlint ${v ?? "missing"} after install`);
    if (version(PEERS_DIR, PRESET) !== v) npmInstall([`${PRESET}@${v}`], log);
    const pv = version(PEERS_DIR, PRESET);
    if (pv !== v) throw new Error(`preset ${pv ?? "missing"} does not match secretlint ${v}`);
    if (!existsSync(bin)) throw new Error(`no ${bin}`);
    return { bin, version: v, presetVersion: pv };
  } catch (err) {
    return { error: err.message };
  }
}

/** The config a repository using the peer would hold. */
export function secretlintConfig(dir) {
  writeFileSync(
    path.join(dir, ".secretlintrc.json"),
    `${JSON.stringify({ rules: [{ id: PRESET }] })}\n`,
  );
}

/**
 * git-secrets (awslabs) as its pre-commit hook runs it: `git secrets --pre_commit_hook`
 * scans the staged content with the patterns in git config. Optional: taken from the
 * Debian package (installed with apt-get when running as root or with passwordless sudo).
 * { version } or { error }.
 */
export function gitSecrets(env, log = () => {}) {
  const has = () =>
    existsSync("/usr/bin/git-secrets") ||
    spawnSync("sh", ["-c", "command -v git-secrets"], { env, stdio: "ignore" }).status === 0;
  if (!has() && existsSync("/usr/bin/apt-get")) {
    const asRoot = process.getuid?.() === 0;
    const run = (args) =>
      spawnSync(asRoot ? "apt-get" : "sudo", asRoot ? args : ["-n", "apt-get", ...args], {
        stdio: "ignore",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    log("installing git-secrets with apt-get (optional peer)");
    if (run(["install", "-y", "-qq", "git-secrets"]).status !== 0) {
      run(["update", "-qq"]);
      run(["install", "-y", "-qq", "git-secrets"]);
    }
  }
  if (!has()) return { error: "git-secrets not installed (apt-get install git-secrets)" };
  const q = spawnSync("dpkg-query", ["-W", "-f=${Version}", "git-secrets"], { encoding: "utf8" });
  return { version: q.status === 0 ? q.stdout.trim() : "unknown" };
}

/** The patterns a repository using git-secrets registers (the AWS set), in its .git/config. */
export function gitSecretsConfig(dir, env) {
  const r = spawnSync("git", ["secrets", "--register-aws"], { cwd: dir, env, stdio: "ignore" });
  if (r.status !== 0) throw new Error("git secrets --register-aws failed");
}
