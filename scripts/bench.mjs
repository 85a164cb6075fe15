#!/usr/bin/env node
// Performance budgets of secret-guard, measured against floors taken in the
// same run on the same machine (see scripts/bench/*.mjs for the pieces).
//
//   npm run bench                 # build, then every scenario
//   node scripts/bench.mjs --quick            # small sizes, 2 runs: a smoke test
//   node scripts/bench.mjs --only S,M         # some scenarios
//   options: --runs N (every scenario), --keep (keep the temp repositories),
//            --no-profile (no --cpu-prof run for a missed budget), --json FILE
//
// Scenarios (synthetic repositories with the seed's layout, in temp folders):
//   S   `scan`, one staged encrypted Secret               budget: <= 1.5x `node -e 0`
//   M   `scan`, 500 staged files                          budget: <= 0.1x secretlint 12 on them
//   L   `scan`, 5,000 staged files (1,000 Secrets)        budget: <= 3x git diff --cached + cat-file
//   XL  `scan --all`, 50,000 tracked files                budget: <= 3x git ls-files + cat-file, < 200 MB
//   H   `history`, 5,000 commits                          budget: <= 3x the same `git log --raw` walk
// The table goes to stdout, progress to stderr, every sample to bench-results.json.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { topSelf } from "./bench/cpuprofile.mjs";
import { historyRepo, stagedRepo, trackedRepo } from "./bench/gen.mjs";
import { measure, measureSteps, median, memoryMethod, round } from "./bench/measure.mjs";
import { secretlint, secretlintConfig } from "./bench/peers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let BIN = path.join(root, "bin", "secret-guard.js");
const NODE = process.execPath;
const log = (s) => process.stderr.write(`bench: ${s}\n`);

// ---- options
const argv = process.argv.slice(2);
const opt = {
  quick: false,
  only: undefined,
  runs: undefined,
  keep: false,
  profile: true,
  json: "bench-results.json",
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    return v;
  };
  if (a === "--quick") opt.quick = true;
  else if (a === "--keep") opt.keep = true;
  else if (a === "--no-profile") opt.profile = false;
  else if (a.startsWith("--only")) opt.only = value().toUpperCase().split(",").filter(Boolean);
  else if (a.startsWith("--runs")) opt.runs = Number(value());
  else if (a.startsWith("--json")) opt.json = value();
  else if (a === "-h" || a === "--help") usage();
  else usage(`unknown argument ${a}`);
}
function usage(err) {
  const lines = readFileSync(fileURLToPath(import.meta.url), "utf8")
    .split("\n")
    .slice(1);
  const text = lines
    .slice(
      0,
      lines.findIndex((l) => !l.startsWith("//")),
    )
    .map((l) => l.replace(/^\/\/ ?/, ""))
    .join("\n");
  (err ? process.stderr : process.stdout).write(`${err ? `bench: ${err}\n\n` : ""}${text}\n`);
  process.exit(err ? 2 : 0);
}
const ALL = ["S", "M", "L", "XL", "H"];
const only = opt.only ?? ALL;
for (const s of only) if (!ALL.includes(s)) usage(`unknown scenario ${s} (${ALL.join(", ")})`);
if (opt.runs !== undefined && !(Number.isInteger(opt.runs) && opt.runs > 0))
  usage("--runs wants a positive integer");

const SIZE = opt.quick
  ? { M: 50, L: 500, LSecrets: 100, XL: 2_000, XLSecrets: 200, H: 200 }
  : { M: 500, L: 5_000, LSecrets: 1_000, XL: 50_000, XLSecrets: 5_000, H: 5_000 };
const runsFor = (id) => opt.runs ?? (opt.quick ? 2 : id === "S" || id === "M" ? 5 : 3);

// ---- a clean environment: none of the caller's git settings (a hook's GIT_INDEX_FILE!)
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "secret-guard-bench-"));
const home = path.join(tmpRoot, "home");
mkdirSync(home);
writeFileSync(
  path.join(home, ".gitconfig"),
  "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n",
);
const env = {
  ...process.env,
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, ".config"),
  NO_COLOR: "1",
  GIT_CONFIG_NOSYSTEM: "1",
  LC_ALL: "C",
};
for (const k of Object.keys(env)) {
  if (
    /^(GIT_(?!CONFIG_NOSYSTEM$)\w+|SOPS_\w+|SECRET_GUARD_\w+|NODE_OPTIONS|EDITOR|VISUAL|PAGER|CI)$/.test(
      k,
    )
  )
    delete env[k];
}
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  if (opt.keep) log(`kept ${tmpRoot}`);
  else rmSync(tmpRoot, { recursive: true, force: true });
};
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    cleanup();
    process.exit(sig === "SIGINT" ? 130 : 143);
  });
}

// ---- a snapshot of the build (bin/ + the self-contained dist/bundle/), so a rebuild of
// dist/ by someone else during the run cannot swap chunks under the measured process
function snapshot() {
  const bundle = path.join(root, "dist", "bundle", "cli.js");
  if (!existsSync(bundle)) usage("no dist/bundle/cli.js: run `npm run build` (or `npm run bench`)");
  for (let attempt = 1; ; attempt++) {
    const dest = path.join(tmpRoot, "guard");
    rmSync(dest, { recursive: true, force: true });
    cpSync(path.join(root, "bin"), path.join(dest, "bin"), { recursive: true });
    cpSync(path.join(root, "dist", "bundle"), path.join(dest, "dist", "bundle"), {
      recursive: true,
    });
    const bin = path.join(dest, "bin", "secret-guard.js");
    const r = spawnSync(NODE, [bin, "scan", "--help"], { env: process.env, stdio: "ignore" });
    if (r.status === 0) return bin;
    if (attempt === 5) usage("the snapshot of dist/bundle does not run (a build in progress?)");
    spawnSync("sleep", ["2"]);
  }
}
BIN = snapshot();

// ---- the machine
const cpuModel = (() => {
  try {
    return (
      /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ??
      os.cpus()[0]?.model
    );
  } catch {
    return os.cpus()[0]?.model;
  }
})();
const gitVersion = spawnSync("git", ["--version"], { encoding: "utf8" })
  .stdout.trim()
  .replace(/^git version /, "");
const mem = memoryMethod();
const machine = {
  cpu: cpuModel,
  cores: os.availableParallelism?.() ?? os.cpus().length,
  memoryGB: round(os.totalmem() / 2 ** 30),
  node: process.version,
  git: gitVersion,
  platform: `${os.type()} ${os.release()}`,
  loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
  peakMemory: mem.method,
  ...(mem.note ? { note: mem.note } : {}),
};

// ---- floors
const nodeFloor = () => measure([NODE, "-e", "0"], { env });
const catFile = (cwd, ids) =>
  measure(["git", "cat-file", "--batch"], { cwd, env, input: `${ids.join("\n")}\n` });

/** `git diff --cached --raw -z --no-abbrev` + one cat-file --batch fed every staged blob. */
const stagedGitFloor = (cwd) =>
  measureSteps([
    () =>
      measure(["git", "diff", "--cached", "--raw", "-z", "--no-abbrev"], {
        cwd,
        env,
        keepStdout: true,
      }),
    (prev) => catFile(cwd, rawBlobIds(prev.stdout)),
  ]);

/** `git ls-files -s -z` + one cat-file --batch fed every tracked blob. */
const allGitFloor = (cwd) =>
  measureSteps([
    () => measure(["git", "ls-files", "-s", "-z"], { cwd, env, keepStdout: true }),
    (prev) => catFile(cwd, lsFilesIds(prev.stdout)),
  ]);

/** The walk `history` starts with (src/git/log.ts, built into dist/), over the same range. */
const { HISTORY_LOG_ARGS } = await import(new URL("../dist/git/log.js", import.meta.url).href);
const HISTORY_LOG = ["git", ...HISTORY_LOG_ARGS, "--end-of-options", "HEAD", "--"];
const historyGitFloor = (cwd) => measureSteps([() => measure(HISTORY_LOG, { cwd, env })]);

function rawBlobIds(buf) {
  const f = buf.toString("latin1").split("\0");
  const ids = [];
  for (let i = 0; i < f.length; i++) {
    if (!f[i].startsWith(":")) continue;
    const [, , , dst, status] = f[i].slice(1).split(" ");
    i += status[0] === "R" || status[0] === "C" ? 2 : 1;
    if (!/^0+$/.test(dst)) ids.push(dst);
  }
  return ids;
}

function lsFilesIds(buf) {
  return buf
    .toString("latin1")
    .split("\0")
    .filter(Boolean)
    .map((e) => e.split(" ")[1]);
}

// ---- scenarios
const historyAvailable =
  spawnSync(NODE, [BIN, "history", "--help"], { env, stdio: "ignore" }).status === 0;
let peer;
const getPeer = () => {
  peer ??= secretlint(log);
  if (peer.error) log(`secretlint unavailable: ${peer.error}`);
  return peer;
};

const SCENARIOS = {
  S: {
    what: "scan: 1 staged Secret",
    setup: (dir) =>
      stagedRepo(dir, env, {
        seed: 11,
        baseApps: 250,
        baseSecrets: 30,
        staged: 1,
        stagedSecrets: 1,
        onDisk: true,
      }),
    guard: ["scan"],
    expectFiles: (info) => info.staged.length,
    gitFloor: stagedGitFloor,
    peer: true,
    budget: { vs: "node", max: 1.5, label: "≤1.5× node -e 0" },
  },
  M: {
    what: `scan: ${SIZE.M} staged files`,
    setup: (dir) =>
      stagedRepo(dir, env, {
        seed: 12,
        baseApps: 2_000,
        baseSecrets: 200,
        staged: SIZE.M,
        stagedSecrets: SIZE.M / 10,
        stagedModified: SIZE.M / 5,
        onDisk: true,
      }),
    guard: ["scan"],
    expectFiles: (info) => info.staged.length,
    gitFloor: stagedGitFloor,
    peer: true,
    budget: { vs: "secretlint", max: 0.1, label: "≤0.1× secretlint" },
  },
  L: {
    what: `scan: ${SIZE.L} staged (${SIZE.LSecrets} Secrets)`,
    setup: (dir) =>
      stagedRepo(dir, env, {
        seed: 13,
        baseApps: SIZE.L,
        baseSecrets: SIZE.L / 10,
        staged: SIZE.L,
        stagedSecrets: SIZE.LSecrets,
        stagedModified: SIZE.L / 5,
      }),
    guard: ["scan"],
    expectFiles: (info) => info.staged.length,
    gitFloor: stagedGitFloor,
    budget: { vs: "git", max: 3, label: "≤3× git" },
  },
  XL: {
    what: `scan --all: ${SIZE.XL} tracked`,
    setup: (dir) => trackedRepo(dir, env, { seed: 14, files: SIZE.XL, secrets: SIZE.XLSecrets }),
    guard: ["scan", "--all"],
    expectFiles: (info) => info.files,
    gitFloor: allGitFloor,
    budget: { vs: "git", max: 3, label: "≤3× git, <200 MB", maxMB: 200 },
  },
  H: {
    what: `history: ${SIZE.H} commits`,
    setup: (dir) => historyRepo(dir, env, { seed: 15, commits: SIZE.H }),
    guard: historyAvailable ? ["history"] : undefined,
    gitFloor: historyGitFloor,
    budget: { vs: "git", max: 3, label: "≤3× git log" },
  },
};

/** The warm-up run doubles as a check that the guard saw what the scenario holds. */
function check(id, def, dir, info) {
  const args = [...def.guard, "--format", "json"];
  const r = spawnSync(NODE, [BIN, ...args], {
    cwd: dir,
    env,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(
      `${id}: secret-guard ${args.join(" ")} exited ${r.status} without a JSON report: ${r.stderr.slice(0, 500)}`,
    );
  }
  if (id === "H")
    return { exit: r.status, exposures: report.exposures?.length, planted: info.leaks * 2 };
  const got = report.summary?.filesScanned;
  const want = def.expectFiles(info);
  if (r.status !== 0 || got !== want) {
    throw new Error(
      `${id}: expected a clean scan of ${want} files, got exit ${r.status}, ${got} files, ${report.summary?.errors} errors`,
    );
  }
  return { exit: r.status, filesScanned: got };
}

async function runScenario(id) {
  const def = SCENARIOS[id];
  const dir = path.join(tmpRoot, id);
  const t0 = Date.now();
  log(`${id}: building the repository…`);
  const info = def.setup(dir);
  log(
    `${id}: built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify({ ...info, staged: info.staged?.length })}`,
  );

  const cmds = { node: nodeFloor, git: () => def.gitFloor(dir) };
  const out = {
    id,
    what: def.what,
    repo: { ...info, staged: info.staged?.length },
    runs: runsFor(id),
    budget: def.budget,
  };
  if (def.guard) {
    out.check = check(id, def, dir, info);
    cmds.guard = () => measure([NODE, BIN, ...def.guard], { cwd: dir, env });
    out.command = `secret-guard ${def.guard.join(" ")}`;
  } else {
    out.guardNA = "n/a (history not implemented)";
  }
  if (def.peer) {
    const p = getPeer();
    if (p.error) out.peerNA = `n/a (${p.error})`;
    else {
      secretlintConfig(dir);
      out.peer = {
        name: "secretlint",
        version: p.version,
        preset: p.presetVersion,
        command: "secretlint <staged paths>",
      };
      cmds.secretlint = () => measure([NODE, p.bin, ...info.staged], { cwd: dir, env });
    }
  }
  // One warm-up of each (page cache, compile cache), then the runs, interleaved.
  for (const fn of Object.values(cmds)) await fn();
  const samples = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (let i = 0; i < out.runs; i++) {
    for (const [k, fn] of Object.entries(cmds)) {
      const r = await fn();
      if (r.stderr) throw new Error(`${id}: ${k} exited ${r.code}: ${r.stderr}`);
      samples[k].push({
        ms: round(r.ms, 2),
        cpuMs: r.cpuMs,
        rssKB: r.rssKB,
        exit: r.code,
        ...(r.parts ? { parts: r.parts } : {}),
      });
    }
    log(
      `${id}: run ${i + 1}/${out.runs}: ${Object.entries(samples)
        .map(([k, v]) => `${k} ${v.at(-1).ms.toFixed(0)} ms`)
        .join(", ")}`,
    );
  }
  out.samples = samples;
  out.median = Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, round(median(v.map((s) => s.ms)), 1)]),
  );
  out.peakMB = Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [
      k,
      round(Math.max(...v.map((s) => s.rssKB)) / 1024, 1),
    ]),
  );
  const b = def.budget;
  const floor = out.median[b.vs];
  if (out.median.guard !== undefined && floor !== undefined) {
    out.ratio = round(out.median.guard / floor, 3);
    out.pass = out.ratio <= b.max && (b.maxMB === undefined || out.peakMB.guard < b.maxMB);
  }
  if (out.pass === false && opt.profile) out.profile = profile(def, dir);
  if (!opt.keep) rmSync(dir, { recursive: true, force: true });
  return out;
}

/** One `node --cpu-prof` run of the guard: the top self-time functions. */
function profile(def, dir) {
  const profDir = path.join(tmpRoot, "prof");
  rmSync(profDir, { recursive: true, force: true });
  spawnSync(NODE, ["--cpu-prof", "--cpu-prof-dir", profDir, BIN, ...def.guard], {
    cwd: dir,
    env,
    stdio: "ignore",
  });
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return undefined;
  const top = topSelf(path.join(profDir, file), 12);
  if (opt.keep) top.file = path.join(profDir, file);
  return top;
}

// ---- the report
function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padStart(n) : s.padEnd(n);
}
const ms = (x) =>
  x === undefined
    ? "—"
    : x >= 1000
      ? `${(x / 1000).toFixed(2)} s`
      : `${x.toFixed(x < 100 ? 1 : 0)} ms`;

function table(results) {
  const head = [
    "",
    "scenario",
    "guard",
    "peak RSS",
    "node -e 0",
    "git floor",
    "secretlint",
    "ratio",
    "budget",
    "result",
  ];
  const rows = results.map((r) => {
    const m = r.median;
    const vsLabel = { node: "node", git: "git", secretlint: "secretlint" }[r.budget.vs];
    return [
      r.id,
      r.what,
      r.guardNA ?? ms(m.guard),
      r.guardNA ? "—" : `${r.peakMB.guard.toFixed(0)} MB`,
      ms(m.node),
      ms(m.git),
      r.peerNA ? "n/a" : m.secretlint !== undefined ? ms(m.secretlint) : "",
      r.ratio !== undefined ? `${r.ratio.toFixed(2)}× ${vsLabel}` : "n/a",
      r.budget.label,
      r.pass === undefined ? "n/a" : r.pass ? "PASS" : "MISS",
    ];
  });
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => String(row[i]).length)),
  );
  const right = new Set([2, 3, 4, 5, 6, 7]);
  const line = (cells) =>
    cells
      .map((c, i) => pad(c, widths[i], right.has(i)))
      .join("  ")
      .trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const started = new Date();
const results = [];
const errors = [];
for (const id of only) {
  try {
    results.push(await runScenario(id));
  } catch (err) {
    log(`${id} failed: ${err.stack ?? err}`);
    errors.push({ id, error: String(err.message ?? err) });
    if (!opt.keep) rmSync(path.join(tmpRoot, id), { recursive: true, force: true });
  }
}
cleanup();

const lines = [];
lines.push(`secret-guard bench ${opt.quick ? "(--quick) " : ""}${started.toISOString()}`);
lines.push(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB; Node ${machine.node}; git ${machine.git}; load ${machine.loadavgAtStart.join(" ")} → ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
lines.push(
  `peak memory: ${mem.method === "gnu-time" ? "GNU time %M (max RSS)" : "VmHWM from /proc"}${mem.note ? ` (${mem.note})` : ""}`,
);
if (peer && !peer.error)
  lines.push(`peer: secretlint ${peer.version} + preset-recommend ${peer.presetVersion}`);
lines.push(
  `wall-time medians of ${[...new Set(results.map((r) => r.runs))].join("/")} run(s) after one warm-up, floors interleaved in the same run; peak RSS = max over runs`,
);
lines.push("");
lines.push(table(results));
for (const e of errors) lines.push(`${e.id}: ERROR ${e.error.split("\n")[0]}`);
for (const r of results) {
  if (r.id === "H" && r.check)
    lines.push(
      `\nH: ${r.check.exposures} exposures found (${r.check.planted} planted: 2 keys in each of ${r.repo.leaks} plaintext Secrets), exit ${r.check.exit}`,
    );
  if (!r.profile) continue;
  lines.push(
    `\n${r.id} missed its budget; top self time of one \`node --cpu-prof\` run (${r.profile.totalMs} ms profiled):`,
  );
  for (const p of r.profile.rows.slice(0, 10))
    lines.push(
      `  ${pad(p.selfMs.toFixed(1), 8, true)} ms ${pad(p.pct.toFixed(1), 5, true)}%  ${p.fn}  ${p.where}`,
    );
  lines.push(
    `  by origin: ${r.profile.byOrigin
      .slice(0, 8)
      .map((o) => `${o.origin} ${o.pct.toFixed(0)}%`)
      .join(", ")}`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);

machine.loadavgAtEnd = os.loadavg().map((x) => round(x, 2));
const json = {
  tool: "secret-guard bench",
  date: started.toISOString(),
  quick: opt.quick,
  machine,
  sizes: SIZE,
  scenarios: results,
};
if (errors.length) json.errors = errors;
writeFileSync(path.resolve(opt.json), `${JSON.stringify(json, null, 2)}\n`);
log(`wrote ${path.resolve(opt.json)}`);
if (errors.length) process.exitCode = 2;
