/**
 * `secret-guard install` / `uninstall`: the hooks, put where git runs them,
 * and proven to run.
 *
 * Where: the folder git runs hooks from (`git rev-parse --git-path hooks`,
 * which honours core.hooksPath). husky 9 (core.hooksPath `.husky/_`): the
 * marked block goes into `.husky/<hook>`, which husky's wrapper runs. A
 * `.husky/` folder that git does not run (core.hooksPath unset) gets the block
 * too, for when husky is activated, but the hook git runs now is the one in
 * `.git/hooks`, and install says so. The pre-commit framework's hook is never
 * edited (its `pre-commit install` rewrites it): install refuses and prints
 * the `.pre-commit-config.yaml` entry instead.
 *
 * How: a foreign shell hook keeps its lines; the block goes where nothing can
 * skip it (hookfile.ts placeBlock). A foreign hook in another language is moved
 * aside to `<hook>.secret-guard-chained` and run by ours after the check.
 *
 * Proof: each hook is run once as git runs it (`git hook run <hook>`, git ≥ 2.36)
 * with SECRET_GUARD_PROBE set; the block answers and exits 0 before doing
 * anything else. A hook that does not answer is reported as not working, exit 1.
 *
 * No committed file gets a machine-specific path: the path of this copy (the
 * last resort, for `npx secret-guard install`) goes to `git config
 * secret-guard.path` in the repository's own config.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.js";
import { exists } from "../fsutil.js";
import { git } from "../git/exec.js";
import { bareGitDir, repoInfo } from "../git/repo.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";
import {
  CHAINED_SUFFIX,
  CLIENT_HOOKS,
  createdHook,
  type HookName,
  hookBlock,
  isOnlyOurs,
  isPreCommitFramework,
  isShellHook,
  PROBE_MARK,
  placeBlock,
  withoutBlock,
} from "./hookfile.js";

export { hookBlock, MARK_BEGIN, MARK_END } from "./hookfile.js";

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const BIN = path.join(PACKAGE_ROOT, "bin", "secret-guard.js");
const CONFIG_KEY = "secret-guard.path";

export type HookAction = "created" | "updated" | "appended" | "inserted" | "chained" | "unchanged";

export interface HookOutcome {
  hook: HookName;
  hookPath: string;
  action: HookAction;
  husky: boolean;
  /** What the probe proved (`<hook> <version>` git ran), or why it failed. */
  verified?: string;
  problem?: string;
  /** Written for later (an inactive `.husky/`): not run by git now, not probed. */
  dormant?: boolean;
}

export interface InstallResult {
  /** The pre-commit hook (or the first one installed), as `init` reports it. */
  hookPath: string;
  action: HookAction;
  husky: boolean;
  hooks: HookOutcome[];
  notes: string[];
  /** False when install refused or a hook did not prove to run. */
  ok: boolean;
  /** Set when install refused (the pre-commit framework): what to do instead. */
  refusal?: string;
}

export interface InstallOptions {
  hooks?: readonly HookName[];
  /** Inside a bare repository: the server's pre-receive hook. */
  server?: boolean;
  /** Skip running each hook once to prove git calls it. */
  noProbe?: boolean;
}

async function readOr(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, "utf8");
  } catch {
    return undefined;
  }
}

async function gitOut(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await git(args, { cwd, env, allowFail: true });
  return r.code === 0 ? r.stdout.toString("utf8").replace(/\n$/, "") : "";
}

interface Where {
  /** Where git runs hooks from now. */
  hooksDir: string;
  /** The work tree top level, or the git directory of a bare repository. */
  top: string;
  /** husky 9 active: the block goes into `.husky/<hook>` (run by `.husky/_/<hook>`). */
  huskyActive: boolean;
  /** `.husky/` exists but git does not run it. */
  huskyDormant: boolean;
  bare: boolean;
}

async function where(cwd: string, env: NodeJS.ProcessEnv, server: boolean): Promise<Where> {
  if (server) {
    const dir = await bareGitDir(cwd, { env });
    if (!dir)
      throw new UsageError(
        "install --server works inside a bare repository (the one a server pushes go to)",
        "run it in the repository's directory on the server, e.g. `cd /srv/git/team.git && secret-guard install --server`",
      );
    const hooks = await gitOut(["rev-parse", "--git-path", "hooks"], dir, env);
    return {
      hooksDir: path.resolve(dir, hooks || "hooks"),
      top: dir,
      huskyActive: false,
      huskyDormant: false,
      bare: true,
    };
  }
  const info = await repoInfo(cwd, { env });
  const top = info.topLevel;
  // `git rev-parse --git-path hooks` prints core.hooksPath when set (relative to the top
  // level), else <git dir>/hooks (relative to cwd): resolved from the top level we ran it in.
  const hooks = path.resolve(top, await gitOut(["rev-parse", "--git-path", "hooks"], top, env));
  const huskyDir = path.join(top, ".husky");
  const huskyActive = hooks === path.join(huskyDir, "_");
  const huskyDormant = !huskyActive && !hooks.startsWith(huskyDir) && (await exists(huskyDir));
  return { hooksDir: hooks, top, huskyActive, huskyDormant, bare: false };
}

/** The `.pre-commit-config.yaml` entry that runs secret-guard under the pre-commit framework. */
export function preCommitEntry(): string {
  return `repos:
  - repo: https://github.com/secret-guard/secret-guard
    rev: v0.1.0
    hooks:
      - id: secret-guard
`;
}

/** Write our block into `file` (created, updated, placed or chained). */
async function writeHook(
  hook: HookName,
  file: string,
  opts: { shebang: boolean; executable: boolean },
): Promise<HookAction> {
  const current = await readOr(file);
  let next: string;
  let action: HookAction;
  if (current === undefined) {
    next = createdHook(hook, opts.shebang);
    action = "created";
  } else if (
    isOnlyOurs(current) ||
    current.startsWith("#!/bin/sh\n# secret-guard pre-commit hook")
  ) {
    const chained = await exists(`${file}${CHAINED_SUFFIX}`);
    next = createdHook(hook, opts.shebang, chained ? file : undefined);
    action = next === current ? "unchanged" : "updated";
  } else if (!isShellHook(current)) {
    // Not a shell script: our hook runs first, then hands over to it, moved aside.
    await rename(file, `${file}${CHAINED_SUFFIX}`);
    next = createdHook(hook, true, file);
    action = "chained";
  } else {
    const placed = placeBlock(current, hookBlock(hook));
    next = placed.text;
    action =
      next === current
        ? "unchanged"
        : withoutBlock(current) !== undefined
          ? "updated"
          : placed.at === "top"
            ? "inserted"
            : "appended";
  }
  if (action !== "unchanged") {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, next);
  }
  if (opts.executable) await chmod(file, 0o755);
  return action;
}

/**
 * Run `hook` as git runs it, with the probe set: the block answers `secret-guard-probe:
 * <hook> <version>` and exits 0 before anything else happens.
 *
 *   git hook run <hook>          (git ≥ 2.36; stdin is /dev/null, output goes to stderr)
 */
async function probe(
  hook: HookName,
  top: string,
  env: NodeJS.ProcessEnv,
): Promise<{ ok: boolean; said: string }> {
  const r = await git(["hook", "run", hook], {
    cwd: top,
    env: { ...env, SECRET_GUARD_PROBE: "1", LC_ALL: "C" },
    allowFail: true,
  });
  const text = `${r.stdout.toString("utf8")}\n${r.stderr}`;
  const line = text.split("\n").find((l) => l.startsWith(`${PROBE_MARK} ${hook} `));
  if (r.code === 0 && line) return { ok: true, said: line.slice(PROBE_MARK.length + 1).trim() };
  if (/is not a git command|unknown subcommand|usage: git hook/i.test(text))
    return {
      ok: false,
      said: "this git cannot run hooks on request (`git hook run` needs git 2.36 or later)",
    };
  if (/cannot find a hook named/i.test(text))
    return { ok: false, said: "git finds no runnable hook there (missing, or not executable)" };
  if (/not found \(looked in/.test(text))
    return { ok: false, said: "git runs the hook, but it cannot find secret-guard" };
  return {
    ok: false,
    said:
      r.code === 0
        ? "git ran the hook, but it stopped before reaching secret-guard's block"
        : `git ran the hook and it failed (exit code ${r.code}) before secret-guard answered`,
  };
}

export async function install(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: InstallOptions = {},
): Promise<InstallResult> {
  const w = await where(cwd, env, opts.server === true);
  const hooks: readonly HookName[] = opts.server ? ["pre-receive"] : (opts.hooks ?? CLIENT_HOOKS);
  const notes: string[] = [];

  // The pre-commit framework owns its hook files: refuse rather than edit what it rewrites.
  const owned: string[] = [];
  for (const hook of hooks) {
    const text = await readOr(path.join(w.hooksDir, hook));
    if (text !== undefined && isPreCommitFramework(text)) owned.push(hook);
  }
  if (owned.length > 0) {
    const rel = path.relative(w.top, path.join(w.hooksDir, owned[0]!));
    const others = CLIENT_HOOKS.filter((h) => !owned.includes(h));
    const refusal = [
      `${rel} is the pre-commit framework's hook (\`pre-commit install\` rewrites it): nothing was changed.`,
      "Add secret-guard to .pre-commit-config.yaml instead:",
      "",
      ...preCommitEntry()
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
      "",
      `then: pre-commit install${owned.includes("pre-merge-commit") ? " --hook-type pre-commit --hook-type pre-merge-commit" : ""}`,
      ...(others.includes("pre-push")
        ? [
            "The push check (every commit being pushed, also those made with --no-verify) is not part of the framework's hook:",
            `  secret-guard install --hooks ${others.join(",")}`,
          ]
        : []),
    ].join("\n");
    return {
      hookPath: path.join(w.hooksDir, owned[0]!),
      action: "unchanged",
      husky: false,
      hooks: [],
      notes,
      ok: false,
      refusal,
    };
  }

  // This copy's path, for hooks that find secret-guard neither in node_modules nor on PATH.
  if (await exists(BIN)) {
    await git(["config", "--local", CONFIG_KEY, BIN], { cwd: w.top, env });
  }

  const outcomes: HookOutcome[] = [];
  const huskyDir = path.join(w.top, ".husky");
  for (const hook of hooks) {
    if (w.huskyActive) {
      const file = path.join(huskyDir, hook);
      // husky 9 runs `.husky/<hook>` with `sh -e` from its wrapper: no #! or mode needed.
      const action = await writeHook(hook, file, { shebang: false, executable: false });
      outcomes.push({ hook, hookPath: file, action, husky: true });
      continue;
    }
    const file = path.join(w.hooksDir, hook);
    const action = await writeHook(hook, file, { shebang: true, executable: true });
    // husky 4-8 point core.hooksPath at `.husky` itself: git runs those files directly.
    outcomes.push({
      hook,
      hookPath: file,
      action,
      husky: file.startsWith(`${huskyDir}${path.sep}`),
    });
    if (w.huskyDormant) {
      const hf = path.join(huskyDir, hook);
      const a = await writeHook(hook, hf, { shebang: false, executable: false });
      outcomes.push({ hook, hookPath: hf, action: a, husky: true, dormant: true });
    }
  }
  if (w.huskyDormant) {
    notes.push(
      "note: .husky/ is here but git does not run it (core.hooksPath is unset; husky sets it when `npx husky` runs, usually from npm's prepare script).",
      `  git runs ${path.relative(w.top, w.hooksDir) || w.hooksDir}/ now: secret-guard is installed there, and in .husky/ for when husky is active.`,
    );
  }

  let ok = true;
  if (!opts.noProbe) {
    for (const o of outcomes) {
      if (o.dormant) continue;
      const p = await probe(o.hook, w.top, env);
      if (p.ok) o.verified = p.said;
      else {
        o.problem = p.said;
        ok = false;
      }
    }
  }
  const main =
    outcomes.find((o) => o.hook === "pre-commit" && (o.husky || !w.huskyDormant)) ?? outcomes[0]!;
  return {
    hookPath: main.hookPath,
    action: main.action,
    husky: main.husky,
    hooks: outcomes,
    notes,
    ok,
  };
}

export interface UninstallOutcome {
  hookPath: string;
  action: "removed" | "block-removed" | "restored";
}

/** Take out exactly what install added: blocks, files it created, the moved-aside hook, the config key. */
export async function uninstall(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: { server?: boolean } = {},
): Promise<UninstallOutcome[]> {
  const w = await where(cwd, env, opts.server === true);
  const dirs = [w.hooksDir];
  if (!w.bare)
    dirs.push(
      path.join(w.top, ".husky"),
      path.resolve(w.top, await gitOut(["rev-parse", "--git-common-dir"], w.top, env), "hooks"),
    );
  const all: HookName[] = [...CLIENT_HOOKS, "pre-receive"];
  const out: UninstallOutcome[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    for (const hook of all) {
      const file = path.join(dir, hook);
      if (seen.has(file)) continue;
      seen.add(file);
      const text = await readOr(file);
      if (text === undefined) continue;
      const rest = withoutBlock(text);
      if (rest === undefined) continue;
      const chained = `${file}${CHAINED_SUFFIX}`;
      if (isOnlyOurs(text)) {
        await rm(file);
        if (await exists(chained)) {
          await rename(chained, file);
          out.push({ hookPath: file, action: "restored" });
        } else out.push({ hookPath: file, action: "removed" });
      } else {
        await writeFile(file, rest);
        out.push({ hookPath: file, action: "block-removed" });
      }
    }
  }
  await git(["config", "--local", "--unset-all", CONFIG_KEY], { cwd: w.top, env, allowFail: true });
  return out;
}

const HOOK_NAMES = new Set<string>([...CLIENT_HOOKS, "pre-receive"]);

function hooksOption(v: ParsedArgs["values"]): HookName[] | undefined {
  if (typeof v.hooks !== "string") return undefined;
  const list = v.hooks
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const h of list)
    if (!HOOK_NAMES.has(h) || h === "pre-receive")
      throw new UsageError(
        `--hooks: unknown hook "${h}"`,
        "choose from pre-commit, pre-merge-commit, pre-push (the server's pre-receive: install --server)",
      );
  if (list.length === 0) throw new UsageError("--hooks needs at least one hook name");
  return [...new Set(list)] as HookName[];
}

const ACTION_TEXT: Record<HookAction, string> = {
  created: "installed",
  updated: "updated",
  appended: "added to the existing hook (at its end: it always runs to the end)",
  inserted: "added to the existing hook (at its top, before its exit/exec)",
  chained: "installed; the existing hook was moved aside and runs after the check",
  unchanged: "already installed, nothing changed",
};

export async function installCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const server = v.server === true;
  if (server && v.hooks !== undefined)
    throw new UsageError("--server installs the pre-receive hook only; leave out --hooks");
  const r = await install(cwd, io.env, {
    hooks: hooksOption(v),
    server,
    noProbe: v["no-probe"] === true,
  });
  if (r.refusal) return { exitCode: 1, messages: [`secret-guard: ${r.refusal}`] };
  const lines: string[] = [];
  for (const o of r.hooks) {
    const rel = path.relative(cwd, o.hookPath) || o.hookPath;
    lines.push(
      `secret-guard: ${o.hook} hook ${ACTION_TEXT[o.action]}: ${rel}${o.husky ? " (husky)" : ""}${o.dormant ? " (not run by git until husky is active)" : ""}`,
    );
    if (o.verified) lines.push(`  ✔ verified: git runs it (answered: ${o.verified})`);
    if (o.problem) lines.push(`  ✖ not working: ${o.problem}`);
  }
  lines.push(...r.notes);
  if (!r.ok)
    lines.push(
      "secret-guard: a hook above does not run as installed; fix what it says and run `secret-guard install` again",
    );
  else if (v["no-probe"] === true)
    lines.push("note: --no-probe: not checked that git runs the hooks");
  return { exitCode: r.ok ? 0 : 1, output: `${lines.join("\n")}\n` };
}

export async function uninstallCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const r = await uninstall(cwd, io.env, { server: v.server === true });
  const text = {
    removed: "removed (install had created it)",
    "block-removed": "secret-guard's block removed, the rest kept",
    restored: "removed; the hook install had moved aside is back",
  };
  const lines = r.map(
    (o) => `secret-guard: ${path.relative(cwd, o.hookPath) || o.hookPath}: ${text[o.action]}`,
  );
  if (lines.length === 0)
    lines.push("secret-guard: no hook of secret-guard's found; nothing changed");
  return { exitCode: 0, output: `${lines.join("\n")}\n` };
}
