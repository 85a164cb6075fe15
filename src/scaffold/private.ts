/**
 * The one place a plaintext Secret may live while it is edited: a private
 * folder (0700) made with mkdtemp under os.tmpdir(), OUTSIDE the repository,
 * holding NAME.yaml (0600; the real extension, so editors highlight YAML).
 * Editors put their swap and backup files beside it, so the whole folder is
 * removed on every exit path: normal return, thrown error, `process.exit`,
 * and SIGINT/SIGTERM/SIGHUP (handlers remove it, stop the editor and exit
 * 128+signal). Folders left by a process that was SIGKILLed are swept by the
 * next run (the owning pid is part of the folder name).
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { chmod, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export const TEMP_PREFIX = "secret-guard-new-";

export interface PrivateFile {
  dir: string;
  file: string;
  /** Write the content (the file is created 0600 on first write). */
  write(text: string): Promise<void>;
  /** The editor process to stop when a signal arrives. */
  setChild(child: ChildProcess | undefined): void;
  /** Remove the folder and uninstall the handlers; safe to call twice. */
  dispose(): Promise<void>;
}

const SIGNALS: Array<[NodeJS.Signals, number]> = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
];

/** Remove folders of ours whose process is gone (left behind by SIGKILL or a crash). */
export function sweepStale(tmp: string = os.tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const n of names) {
    const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    const full = path.join(tmp, n);
    try {
      const st = statSync(full);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      process.kill(pid, 0);
      continue; // still running: not ours to touch
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") continue;
    }
    rmSync(full, { recursive: true, force: true });
  }
}

export async function makePrivateFile(name: string): Promise<PrivateFile> {
  sweepStale();
  const dir = mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  await chmod(dir, 0o700);
  const file = path.join(dir, name);
  let child: ChildProcess | undefined;
  let disposed = false;

  const removeSync = () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // nothing more we can do synchronously
    }
  };
  const onExit = () => removeSync();
  const handlers = SIGNALS.map(([sig, code]) => {
    const h = () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
      }
      removeSync();
      process.stderr.write(
        `\nsecret-guard: interrupted (${sig}); the plaintext was deleted, nothing was written\n`,
      );
      process.exit(code);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  process.on("exit", onExit);

  const uninstall = () => {
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off("exit", onExit);
  };

  return {
    dir,
    file,
    async write(text) {
      const fh = await open(file, "w", 0o600);
      try {
        await fh.chmod(0o600);
        await fh.writeFile(text, "utf8");
      } finally {
        await fh.close();
      }
    },
    setChild(c) {
      child = c;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        await rm(dir, { recursive: true, force: true });
      } finally {
        removeSync();
        uninstall();
      }
    },
  };
}
