/**
 * Writing files without ever losing them: a private temp file (0600) in the
 * same folder, fsync, then rename over the target, keeping its mode. On any
 * failure the temp file is removed and the original is untouched.
 */
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { chmod, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

let injected: { step: string; mode?: string } | undefined;

/**
 * Test-only failure injection, set once by the command line from the Io seam
 * (tests pass SECRET_GUARD_TEST_FAIL_AT / _MODE to the process they start).
 */
export function injectFailure(at: { step: string; mode?: string } | undefined): void {
  injected = at;
}

/** Fail here when a test asked for it (see injectFailure). */
export function failpoint(step: string): void {
  if (!injected || injected.step !== step) return;
  const mode = injected.mode;
  if (mode === "kill") process.kill(process.pid, "SIGKILL");
  if (mode === "int") {
    // Ctrl-C at this step: the signal arrives while the step is in progress.
    process.kill(process.pid, "SIGINT");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  throw new Error(`injected failure at ${step}`);
}

export async function writeAtomic(file: string, data: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.secret-guard-${randomBytes(6).toString("hex")}.tmp`,
  );
  let mode = 0o644;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch {
    // new file
  }
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(data);
    failpoint("write-temp");
    await fh.sync();
    await fh.close();
    await chmod(tmp, mode);
    failpoint("before-rename");
    await rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}

/** True when something exists at `p`. */
export async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a path is when it is not a regular file (following symlinks): "a FIFO", "a socket",
 * "a device", "a folder", "something other than a regular file"; undefined for a regular
 * file or when it cannot be stat'ed (the read that follows then reports the error). Check
 * before reading a config file: reading a FIFO blocks forever, a device never ends.
 */
export function notRegularFile(p: string): string | undefined {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (!st || st.isFile()) return undefined;
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isDirectory()) return "a folder";
  return "something other than a regular file";
}
