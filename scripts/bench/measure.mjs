// Wall time and peak memory of one process (or a short pipeline of them).
//
// Peak memory is the maximum resident set size: GNU time's %M (wait4 rusage of the
// child, i.e. the largest process of its tree) when /usr/bin/time exists, otherwise
// VmHWM polled from /proc/<pid>/status while the process runs.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const TIME = "/usr/bin/time";
let method;
let note;
const scratch = mkdtempSync(path.join(tmpdir(), "secret-guard-bench-time-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));

/** Pick the memory method once; installs GNU time with apt-get when it can. */
export function memoryMethod() {
  if (method) return { method, note };
  if (!existsSync(TIME) && existsSync("/usr/bin/apt-get")) {
    const asRoot = process.getuid?.() === 0;
    const run = (args) =>
      spawnSync(asRoot ? "apt-get" : "sudo", asRoot ? args : ["-n", "apt-get", ...args], {
        stdio: "ignore",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    run(["update", "-qq"]);
    const r = run(["install", "-y", "-qq", "time"]);
    if (r.status === 0 && existsSync(TIME)) note = "installed Debian package `time` with apt-get";
  }
  method = existsSync(TIME) ? "gnu-time" : "proc-vmhwm";
  if (method === "proc-vmhwm")
    note = "no /usr/bin/time: peak RSS polled from /proc/<pid>/status VmHWM";
  return { method, note };
}

/**
 * Run argv once. Returns { ms, rssKB, code, stdout }. `input` goes to stdin.
 * With `rss: false` the process is spawned directly (no GNU time in between, no
 * /proc polling): the wall time of short runs then holds nothing but the process
 * itself and the spawn; rssKB is undefined.
 */
export async function measure(argv, { cwd, env, input, keepStdout = false, rss = true } = {}) {
  if (!rss) return direct(argv, { cwd, env, input, keepStdout });
  memoryMethod();
  return method === "gnu-time"
    ? viaTime(argv, { cwd, env, input, keepStdout })
    : viaProc(argv, { cwd, env, input, keepStdout });
}

function direct(argv, { cwd, env, input, keepStdout }) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd,
    env,
    input,
    maxBuffer: 1 << 30,
    stdio: [input === undefined ? "ignore" : "pipe", keepStdout ? "pipe" : "ignore", "pipe"],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return {
    ms,
    rssKB: undefined,
    code: r.status,
    stdout: keepStdout ? r.stdout : undefined,
    stderr: r.status !== 0 && r.status !== 1 ? r.stderr.toString().slice(0, 2000) : undefined,
  };
}

function viaTime(argv, { cwd, env, input, keepStdout }) {
  const out = path.join(scratch, "m");
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ["-f", "%M %U %S", "-o", out, ...argv], {
    cwd,
    env,
    input,
    maxBuffer: 1 << 30,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  const [rssKB, user, sys] = readFileSync(out, "utf8")
    .trim()
    .split("\n")
    .pop()
    .split(" ")
    .map(Number);
  return {
    ms,
    rssKB,
    cpuMs: Math.round((user + sys) * 1000),
    code: r.status,
    stdout: keepStdout ? r.stdout : undefined,
    stderr: r.status !== 0 && r.status !== 1 ? r.stderr.toString().slice(0, 2000) : undefined,
  };
}

function viaProc(argv, { cwd, env, input, keepStdout }) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let hwm = 0;
    const poll = () => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        // exited
      }
    };
    const timer = setInterval(poll, 2);
    const chunks = [];
    const errs = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.stderr.on("data", (c) => errs.push(c));
    child.on("error", reject);
    child.on("exit", () => poll());
    child.on("close", (code) => {
      clearInterval(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({
        ms,
        rssKB: hwm,
        code,
        stdout: keepStdout ? Buffer.concat(chunks) : undefined,
        stderr:
          code !== 0 && code !== 1 ? Buffer.concat(errs).toString().slice(0, 2000) : undefined,
      });
    });
    child.stdin.end(input);
  });
}

/** Sequential steps measured as one: time summed, peak = the largest step's. */
export async function measureSteps(steps) {
  let ms = 0;
  let rssKB = 0;
  let cpuMs = 0;
  const parts = [];
  let prev;
  for (const step of steps) {
    const r = await step(prev);
    ms += r.ms;
    rssKB = Math.max(rssKB, r.rssKB);
    cpuMs += r.cpuMs ?? Number.NaN;
    parts.push({ ms: round(r.ms), rssKB: r.rssKB, cpuMs: r.cpuMs, code: r.code });
    if (r.code !== 0) throw new Error(`floor step failed (${r.code}): ${r.stderr ?? ""}`);
    prev = r;
  }
  return { ms, rssKB, cpuMs: Number.isNaN(cpuMs) ? undefined : cpuMs, code: 0, parts };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The q-quantile (0..1) with linear interpolation between order statistics. */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}

/** Median and spread of wall times: p10/p90 from 10 samples on, else min/max. */
export function stats(xs) {
  const wide = xs.length >= 10;
  return {
    n: xs.length,
    median: median(xs),
    lo: wide ? quantile(xs, 0.1) : Math.min(...xs),
    hi: wide ? quantile(xs, 0.9) : Math.max(...xs),
    spread: wide ? "p10–p90" : "min–max",
  };
}

export const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
