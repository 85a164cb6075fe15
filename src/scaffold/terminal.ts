/**
 * The interactive parts of `new`: the editor ($VISUAL, $EDITOR, else vi;
 * plain words are started directly, anything with shell syntax through
 * `sh -c` as git runs it; "code --wait" works either way) started so that it
 * leaves nothing behind, and the yes/no question, asked on /dev/tty
 * (SECRET_GUARD_TTY is the test seam) and read asynchronously so a signal
 * handler can still run while it waits.
 *
 * What each editor would otherwise keep of the plaintext outside the private
 * folder, and what is passed on its command line (after the user's own
 * configuration is read, so a vimrc or nanorc cannot turn it back on):
 *
 * - vim (also `vi` when it resolves to vim): yanked/deleted lines and search
 *   history in ~/.viminfo, undo files in 'undodir', swap files in
 *   'directory', backups in 'backupdir' → `-i NONE -n -c 'set noundofile
 *   nobackup nowritebackup'`.
 * - nvim: the same in ShaDa and ~/.local/state → `-i NONE -n --cmd … -c 'set
 *   shada= noundofile noswapfile nobackup nowritebackup'`.
 * - nano: search and replace history (historylog, in $XDG_DATA_HOME/nano or
 *   ~/.local/share/nano) and backups in a nanorc 'backupdir' →
 *   `--ignorercfiles` (nano has no option to switch them off one by one).
 * - emacs: backups (`file~`), auto-save and lock files, savehist →
 *   `--eval` switching them off before the file is visited.
 * - VS Code / VSCodium (`code`): `--wait` added when missing; its Local
 *   History keeps copies of saved files and cannot be switched off from the
 *   command line: a note says so.
 * Every editor also gets TMPDIR pointing into the private folder, for the
 * temporary files of filters and plugins.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { shellQuote } from "../shell.js";

export function editorFor(env: NodeJS.ProcessEnv): string {
  if (env.VISUAL && env.VISUAL.trim() !== "") return env.VISUAL;
  if (env.EDITOR && env.EDITOR.trim() !== "") return env.EDITOR;
  return "vi";
}

export type EditorKind = "vim" | "nvim" | "nano" | "emacs" | "vscode" | "other";

export interface EditorPlan {
  kind: EditorKind;
  /** Extra arguments, put between the editor command and the file. */
  args: string[];
  /** Worth telling the user before the editor opens. */
  notes: string[];
}

/** The program the editor command starts: its first word, found on PATH, links resolved. */
function programOf(editor: string, env: NodeJS.ProcessEnv): string {
  const first = editor.trim().split(/\s+/)[0] ?? "";
  const unquoted = first.replace(/^['"]|['"]$/g, "");
  const candidates = unquoted.includes("/")
    ? [unquoted]
    : (env.PATH ?? "")
        .split(":")
        .filter(Boolean)
        .map((d) => path.join(d, unquoted));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return path.basename(realpathSync(c));
    } catch {
      // not here
    }
  }
  return path.basename(unquoted);
}

export function kindOf(program: string): EditorKind {
  const p = program.toLowerCase().replace(/\.exe$/, "");
  if (p === "nvim" || p.startsWith("nvim-")) return "nvim";
  if (/^(g|r|m)?vim(\.[a-z0-9]+)?$/.test(p) || p === "vimdiff" || p === "view") return "vim";
  if (p === "nano" || p === "rnano") return "nano";
  if (/^emacs(-[a-z0-9.]+)?$/.test(p)) return "emacs";
  if (["code", "code-insiders", "codium", "code-oss"].includes(p)) return "vscode";
  return "other";
}

const VIM_AFTER = "silent! set noundofile | set nobackup nowritebackup";

export function editorPlan(editor: string, env: NodeJS.ProcessEnv): EditorPlan {
  const program = programOf(editor, env);
  const kind = kindOf(program);
  const words = editor.trim().split(/\s+/);
  switch (kind) {
    case "vim":
      return { kind, args: ["-i", "NONE", "-n", "-c", VIM_AFTER], notes: [] };
    case "nvim":
      return {
        kind,
        args: [
          "-i",
          "NONE",
          "-n",
          "--cmd",
          "set shada= noundofile",
          "-c",
          "set shada= noundofile noswapfile nobackup nowritebackup",
        ],
        notes: [],
      };
    case "nano":
      return { kind, args: ["--ignorercfiles"], notes: [] };
    case "emacs":
      return {
        kind,
        args: [
          "--eval",
          "(progn (setq make-backup-files nil backup-inhibited t auto-save-default nil create-lockfiles nil) (when (fboundp 'savehist-mode) (savehist-mode -1)))",
        ],
        notes: [],
      };
    case "vscode":
      return {
        kind,
        args: words.includes("--wait") || words.includes("-w") ? [] : ["--wait"],
        notes: [
          `${program} keeps copies of saved files in its Local History: set`,
          '  "workbench.localHistory.enabled": false (it cannot be switched off from here)',
        ],
      };
    default:
      return {
        kind,
        args: [],
        notes: [
          `${program}: secret-guard cannot switch off its history, undo, swap or backup files;`,
          "  those it writes beside the file are deleted with the private folder",
        ],
      };
  }
}

export interface EditorOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Could not be started at all. */
  error?: string;
}

export function runEditor(
  editor: string,
  plan: EditorPlan,
  file: string,
  env: NodeJS.ProcessEnv,
  onStart: (child: ChildProcess) => void,
): Promise<EditorOutcome> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    const childEnv = { ...env, TMPDIR: path.dirname(file) };
    try {
      const words = editor.trim().split(/\s+/);
      if (/^[\w@%+:,./ -]+$/.test(editor.trim())) {
        // Plain words: started directly, so a signal sent to it reaches the editor itself.
        child = spawn(words[0]!, [...words.slice(1), ...plan.args, file], {
          stdio: "inherit",
          env: childEnv,
        });
      } else {
        // Shell syntax (quotes, variables): through sh, as git runs $EDITOR.
        const extra = plan.args.map((a) => shellQuote(a, { always: true })).join(" ");
        const script = `${editor}${extra ? ` ${extra}` : ""} "$@"`;
        child = spawn("sh", ["-c", script, editor, file], { stdio: "inherit", env: childEnv });
      }
    } catch (e) {
      resolve({ code: null, signal: null, error: (e as Error).message });
      return;
    }
    onStart(child);
    child.on("error", (e) => resolve({ code: null, signal: null, error: e.message }));
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Ask `question` on the terminal; the answer line, or undefined when there
 * is no terminal to ask on.
 */
export async function askTerminal(
  question: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const tty = env.SECRET_GUARD_TTY ?? "/dev/tty";
  let w: Awaited<ReturnType<typeof open>>;
  let r: Awaited<ReturnType<typeof open>>;
  try {
    w = await open(tty, "a");
  } catch {
    return undefined;
  }
  try {
    r = await open(tty, "r");
  } catch {
    await w.close();
    return undefined;
  }
  try {
    await w.write(question);
    const buf = Buffer.alloc(1);
    const bytes: number[] = [];
    for (;;) {
      const { bytesRead } = await r.read(buf, 0, 1, null);
      if (bytesRead !== 1 || buf[0] === 0x0a) break;
      bytes.push(buf[0]!);
    }
    return Buffer.from(bytes).toString("utf8");
  } catch {
    return undefined;
  } finally {
    await r.close().catch(() => {});
    await w.close().catch(() => {});
  }
}

export const isYes = (answer: string | undefined): boolean =>
  answer !== undefined && /^\s*y(es)?\s*$/i.test(answer);
