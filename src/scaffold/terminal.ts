/**
 * The interactive parts of `new`: the editor ($VISUAL, $EDITOR, else vi, run
 * through `sh -c` as git runs it, so "code --wait" works) and the yes/no
 * question, asked on /dev/tty (SECRET_GUARD_TTY is the test seam) and read
 * asynchronously so a signal handler can still run while it waits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { open } from "node:fs/promises";

export function editorFor(env: NodeJS.ProcessEnv): string {
  if (env.VISUAL && env.VISUAL.trim() !== "") return env.VISUAL;
  if (env.EDITOR && env.EDITOR.trim() !== "") return env.EDITOR;
  return "vi";
}

export interface EditorOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Could not be started at all. */
  error?: string;
}

export function runEditor(
  editor: string,
  file: string,
  env: NodeJS.ProcessEnv,
  onStart: (child: ChildProcess) => void,
): Promise<EditorOutcome> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn("sh", ["-c", `${editor} "$@"`, editor, file], { stdio: "inherit", env });
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
