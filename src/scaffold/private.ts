/**
 * The one place a plaintext Secret may live while it is edited: a private
 * folder (0700) made with mkdtemp OUTSIDE the repository, holding NAME.yaml
 * (0600; the real extension, so editors highlight YAML), on a RAM-backed
 * file system where there is one, so the plaintext never reaches a disk:
 *
 *   1. $XDG_RUNTIME_DIR (per user, 0700; tmpfs on systemd systems),
 *   2. /dev/shm when it is a tmpfs,
 *   3. else the system temp folder ($TMPDIR or os.tmpdir()).
 *
 * Editors put their swap and backup files beside the file, so the whole
 * folder is removed on every exit path: normal return, thrown error,
 * `process.exit`, and SIGINT/SIGTERM/SIGHUP (the handler stops the editor,
 * waits for it to exit so it cannot write after the folder is gone, removes
 * the folder and exits 128+signal). Folders left by a process that was
 * SIGKILLed or crashed are swept by the next run of any command (the owning
 * pid is part of the folder name; only this user's folders whose process is
 * gone are touched).
 */
import type { ChildProcess } from "node:child_process";
import {
  accessSync,
  constants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { chmod, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export const TEMP_PREFIX = "secret-guard-new-";

export interface PrivateFile {
  dir: string;
  file: string;
  /** True when the folder is on a tmpfs/ramfs (never written to a disk). */
  ram: boolean;
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

/** How long a signalled editor may take to exit before it is killed outright. */
const EDITOR_GRACE_MS = 3000;

/** The file system type of the mount holding `dir` (Linux /proc/self/mounts), if known. */
function fsTypeOf(dir: string): string | undefined {
  let mounts: string;
  try {
    mounts = readFileSync("/proc/self/mounts", "utf8");
  } catch {
    return undefined;
  }
  let best: { at: string; type: string } | undefined;
  for (const line of mounts.split("\n")) {
    const [, at, type] = line.split(" ");
    if (!at || !type) continue;
    // Mount points escape spaces as \040.
    const mp = at.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    );
    if (dir === mp || dir.startsWith(mp.endsWith("/") ? mp : `${mp}/`)) {
      if (!best || mp.length >= best.at.length) best = { at: mp, type };
    }
  }
  return best?.type;
}

const isRam = (dir: string) => ["tmpfs", "ramfs"].includes(fsTypeOf(dir) ?? "");

function usableDir(dir: string | undefined): dir is string {
  if (!dir || !path.isAbsolute(dir)) return false;
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const systemTemp = (env: NodeJS.ProcessEnv) =>
  env.TMPDIR && env.TMPDIR.trim() !== "" ? env.TMPDIR : tmpdir();

/** Every folder a private folder may be made in (also the ones swept). */
export function privateBases(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const d of [env.XDG_RUNTIME_DIR, "/dev/shm", systemTemp(env)]) {
    if (usableDir(d) && !out.includes(d)) out.push(d);
  }
  return out;
}

/** Where the next private folder goes, and whether it is RAM-backed. */
export function pickBase(env: NodeJS.ProcessEnv): { dir: string; ram: boolean } {
  const runtime = env.XDG_RUNTIME_DIR;
  if (usableDir(runtime)) return { dir: runtime, ram: isRam(runtime) };
  if (usableDir("/dev/shm") && isRam("/dev/shm")) return { dir: "/dev/shm", ram: true };
  const tmp = systemTemp(env);
  return { dir: tmp, ram: isRam(tmp) };
}

/** What a run says on stderr of a folder sweepStale() removed. */
export function staleSweptLine(dir: string): string {
  return `secret-guard: removed ${dir}, left behind by an interrupted \`new\`\n`;
}

/**
 * Remove folders of ours whose process is gone (left behind by SIGKILL or a
 * crash); returns the folders removed.
 */
export function sweepStale(env: NodeJS.ProcessEnv): string[] {
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const base of privateBases(env)) {
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.startsWith(TEMP_PREFIX)) continue;
      const m = /^(\d+)-/.exec(n.slice(TEMP_PREFIX.length));
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid) continue;
      const full = path.join(base, n);
      try {
        const st = statSync(full);
        if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
        process.kill(pid, 0);
        continue; // still running: not ours to touch
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") continue;
      }
      try {
        rmSync(full, { recursive: true, force: true });
        removed.push(full);
      } catch {
        // left for the next run
      }
    }
  }
  return removed;
}

export async function makePrivateFile(name: string, env: NodeJS.ProcessEnv): Promise<PrivateFile> {
  const base = pickBase(env);
  const dir = mkdtempSync(path.join(base.dir, `${TEMP_PREFIX}${process.pid}-`));
  await chmod(dir, 0o700);
  const file = path.join(dir, name);
  let child: ChildProcess | undefined;
  let disposed = false;
  let stopping = false;

  const removeSync = () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // nothing more we can do synchronously
    }
  };
  const onExit = () => removeSync();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const handlers = SIGNALS.map(([sig, code]) => {
    const h = () => {
      const finish = () => {
        removeSync();
        process.stderr.write(
          `\nsecret-guard: interrupted (${sig}); the editor was closed, the plaintext deleted, nothing was written\n`,
        );
        process.exit(code);
      };
      if (stopping) {
        // A second signal: do not wait any longer.
        if (running()) child?.kill("SIGKILL");
        finish();
        return;
      }
      stopping = true;
      if (!running()) {
        finish();
        return;
      }
      // End the editor and wait for it: it must not write into the folder after it is removed.
      const c = child!;
      const timer = setTimeout(() => {
        if (running()) c.kill("SIGKILL");
      }, EDITOR_GRACE_MS);
      c.once("exit", () => {
        clearTimeout(timer);
        finish();
      });
      try {
        c.kill("SIGTERM");
      } catch {
        clearTimeout(timer);
        finish();
      }
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
    ram: base.ram,
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
