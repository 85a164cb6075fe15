/**
 * `secret-guard install`: the pre-commit hook, husky-aware and idempotent.
 *
 * - husky (a `.husky/` folder, or core.hooksPath pointing into one): a marked
 *   block in `.husky/pre-commit`, added once;
 * - otherwise the hook file in the folder git runs hooks from
 *   (core.hooksPath or `.git/hooks`): ours is written or refreshed, a foreign
 *   hook is kept and the marked block appended to it.
 * The hook looks for secret-guard in node_modules/.bin, then on PATH, then at
 * the path this copy was installed from (for `npx secret-guard install`), and
 * blocks the commit when it finds none.
 */
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exists } from "../fsutil.js";
import { hooksDir, hooksPathConfig, repoInfo } from "../git/repo.js";
import { shellQuote } from "../shell.js";

const shq = (s: string) => shellQuote(s, { always: true });

import type { CommandResult, Io, ParsedArgs } from "./context.js";

export const MARK_BEGIN = "# >>> secret-guard >>>";
export const MARK_END = "# <<< secret-guard <<<";

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(PACKAGE_ROOT, "bin", "secret-guard.js");

/** The block added to husky and foreign hooks: no `exec`, so later lines still run. */
export function hookBlock(fallback: string): string {
  const q = shq(fallback);
  return `${MARK_BEGIN}
# Blocks commits that would add plaintext Kubernetes Secret values.
if [ -x ./node_modules/.bin/secret-guard ]; then
  ./node_modules/.bin/secret-guard scan --hook || exit $?
elif command -v secret-guard >/dev/null 2>&1; then
  secret-guard scan --hook || exit $?
elif [ -f ${q} ] && command -v node >/dev/null 2>&1; then
  node ${q} scan --hook || exit $?
else
  echo "secret-guard: not found (looked in ./node_modules/.bin and on PATH); commit blocked." >&2
  echo "  install it: npm install --save-dev secret-guard" >&2
  exit 1
fi
${MARK_END}
`;
}

async function readOr(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch {
    return undefined;
  }
}

/** Our standalone hook (hooks/pre-commit) with this copy's path as the last resort. */
async function standaloneHook(): Promise<string> {
  const template = await readFile(path.join(PACKAGE_ROOT, "hooks", "pre-commit"), "utf8");
  return template.replace('SECRET_GUARD_FALLBACK=""', `SECRET_GUARD_FALLBACK=${shq(BIN)}`);
}

export interface InstallResult {
  hookPath: string;
  action: "created" | "updated" | "appended" | "unchanged";
  husky: boolean;
}

export async function install(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InstallResult> {
  const info = await repoInfo(cwd, { env });
  const top = info.topLevel;
  const hooksPathCfg = await hooksPathConfig(top, env);
  const huskyDir = path.join(top, ".husky");
  const husky = (await exists(huskyDir)) || /(^|[/\\])\.husky([/\\]_)?[/\\]?$/.test(hooksPathCfg);
  if (husky) {
    const file = path.join(huskyDir, "pre-commit");
    const current = await readOr(file);
    const block = hookBlock(BIN);
    if (current === undefined) {
      await mkdir(huskyDir, { recursive: true });
      await writeFile(file, block, { mode: 0o755 });
      return { hookPath: file, action: "created", husky };
    }
    const next = replaceBlock(current, block);
    if (next === current) return { hookPath: file, action: "unchanged", husky };
    await writeFile(file, next);
    return { hookPath: file, action: current.includes(MARK_BEGIN) ? "updated" : "appended", husky };
  }
  const hooksFolder = hooksPathCfg ? path.resolve(top, hooksPathCfg) : await hooksDir(top, env);
  const file = path.join(hooksFolder, "pre-commit");
  const current = await readOr(file);
  const ours = await standaloneHook();
  let action: InstallResult["action"];
  let next: string;
  if (current === undefined) {
    next = ours;
    action = "created";
  } else if (current.startsWith("#!/bin/sh\n# secret-guard pre-commit hook")) {
    next = ours;
    action = current === ours ? "unchanged" : "updated";
  } else {
    next = replaceBlock(current, hookBlock(BIN));
    action = next === current ? "unchanged" : current.includes(MARK_BEGIN) ? "updated" : "appended";
  }
  if (action !== "unchanged") {
    await mkdir(hooksFolder, { recursive: true });
    await writeFile(file, next);
  }
  await chmod(file, 0o755);
  return { hookPath: file, action, husky };
}

function replaceBlock(current: string, block: string): string {
  const start = current.indexOf(MARK_BEGIN);
  const end = current.indexOf(MARK_END);
  if (start !== -1 && end > start) {
    return (
      current.slice(0, start) + block + current.slice(end + MARK_END.length).replace(/^\n/, "")
    );
  }
  const sep = current === "" || current.endsWith("\n") ? "" : "\n";
  return `${current}${sep}${current ? "\n" : ""}${block}`;
}

export async function installCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const cwd = path.resolve(io.cwd, typeof args.values.cwd === "string" ? args.values.cwd : ".");
  const r = await install(cwd, io.env);
  const rel = path.relative(cwd, r.hookPath) || r.hookPath;
  const what = {
    created: "installed",
    updated: "updated",
    appended: "added to the existing hook",
    unchanged: "already installed, nothing changed",
  }[r.action];
  return {
    exitCode: 0,
    output: `secret-guard: pre-commit hook ${what}: ${rel}${r.husky ? " (husky)" : ""}\n`,
  };
}
