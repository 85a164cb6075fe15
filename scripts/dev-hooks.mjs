#!/usr/bin/env node
// This repository's own git hooks (husky), for developing secret-guard only.
//
// `prepare` runs `npm run build && node scripts/dev-hooks.mjs`. npm runs
// `prepare` in a checkout of this repository (`npm ci`, `npm install`) and
// ALSO when someone installs secret-guard from a git URL: npm clones it into a
// temporary folder under its cache, installs the dev dependencies there, runs
// `prepare` to build dist/, packs the result and installs that; and the
// pre-commit framework packs its own clone (under ~/.cache/pre-commit) the
// same way. Husky has no business in those clones (nor in any user's
// project), so this script sets the hooks up only in a development checkout:
// the top of its own git work tree, with .husky/pre-commit, outside
// node_modules, npm's cache and pre-commit's, not in CI, and HUSKY not 0. It
// never fails the install: at worst it says why it did nothing. Everything
// goes to stderr (the pre-commit framework reads npm's stdout).
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = realpathSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."));

function reasonToSkip() {
  if (process.env.HUSKY === "0") return "HUSKY=0";
  if (process.env.CI && process.env.CI !== "false") return "CI";
  if (!existsSync(path.join(root, ".husky", "pre-commit"))) return "no .husky/pre-commit";
  const parts = root.split(path.sep);
  if (parts.includes("node_modules")) return "installed as a dependency";
  // npm prepares git dependencies in <cache>/_cacache/tmp/git-clone…
  if (parts.includes("_cacache") || parts.some((p) => p.startsWith("git-clone"))) {
    return "a git dependency being prepared by npm";
  }
  const preCommitHome = process.env.PRE_COMMIT_HOME;
  const inPreCommit =
    (preCommitHome && root.startsWith(path.resolve(preCommitHome) + path.sep)) ||
    parts.some((p, i) => p === "pre-commit" && parts[i - 1] === ".cache");
  if (inPreCommit) return "a clone of the pre-commit framework";
  const cache = process.env.npm_config_cache;
  if (cache && existsSync(cache) && root.startsWith(`${realpathSync(cache)}${path.sep}`)) {
    return "a git dependency being prepared by npm";
  }
  const top = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: root, encoding: "utf8" });
  if (top.status !== 0) return "not a git work tree";
  if (realpathSync(top.stdout.trim()) !== root) return "not the top of its own git repository";
  const husky = path.join(root, "node_modules", "husky", "bin.js");
  if (!existsSync(husky)) return "husky is not installed";
  return undefined;
}

const why = reasonToSkip();
if (why) {
  console.error(`dev-hooks: this repository's own git hooks not set up (${why})`);
} else {
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "husky", "bin.js")], {
    cwd: root,
    stdio: ["ignore", process.stderr, process.stderr],
  });
  if (r.status !== 0) console.error("dev-hooks: husky failed; run `npx husky` by hand");
}
