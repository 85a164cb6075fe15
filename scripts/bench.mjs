#!/usr/bin/env node
// Performance budgets of secret-guard, measured against floors taken in the
// same run on the same machine (see scripts/bench/*.mjs for the pieces).
//
//   npm run bench                       # build, then every scenario
//   node scripts/bench.mjs --quick      # small sizes, few runs: a smoke test
//   node scripts/bench.mjs --scenario S # one scenario (--only S,M: some)
//   options: --runs N (every scenario), --rounds N (S: interleaved rounds, default 31),
//            --keep (keep the temp repositories), --no-profile (no --cpu-prof run for a
//            missed budget), --no-peers (no secretlint / git-secrets), --json FILE
//
// Scenarios (synthetic repositories with the seed's layout, in temp folders):
//   S   hooks/pre-commit as git runs it (`scan --hook`, git's listing handed in),
//       one staged encrypted Secret;                    budget: <= 1.5x clean `node -e 0`
//       and one staged `.ts` file (two rows)
//   M   `scan`, 500 staged files                        budget: <= 0.1x secretlint 12 on them
//   L   `scan`, 5,000 staged files (1,000 Secrets)      budget: <= 3x its shell floor
//   XL  `scan --all`, 50,000 tracked files              budget: <= 3x its shell floor, < 200 MB
//   H   `history`, 5,000 commits                        budget: <= 3x its shell floor
//
// Every process (guard, floors, peers) runs with one environment: the caller's minus
// every NODE_* variable (NODE_EXTRA_CA_CERTS alone costs ~50 ms per Node start on some
// machines; its effect here is printed on a line of its own), npm_*, GIT_*, SOPS_* and
// SECRET_GUARD_*. Floors are what a shell does: `sh -c 'git … | git cat-file --batch
// >/dev/null'`, no Node in between. The table goes to stdout, progress to stderr, every
// sample to bench-results.json.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { breakdown } from "./bench/breakdown.mjs";
import { topSelf } from "./bench/cpuprofile.mjs";
import { historyRepo, stagedRepo, trackedRepo } from "./bench/gen.mjs";
import { measure, memoryMethod, round, stats } from "./bench/measure.mjs";
import { gitSecrets, gitSecretsConfig, secretlint, secretlintConfig } from "./bench/peers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NODE = process.execPath;
const log = (s) => process.stderr.write(`bench: ${s}\n`);

// ---- options
const argv = process.argv.slice(2);
const opt = {
  quick: false,
  only: undefined,
  runs: undefined,
  rounds: undefined,
  keep: false,
  profile: true,
  peers: true,
  json: "bench-results.json",
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => {
    const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    return v;
  };
  const is = (name) => a === name || a.startsWith(`${name}=`);
  if (a === "--quick") opt.quick = true;
  else if (a === "--keep") opt.keep = true;
  else if (a === "--no-profile") opt.profile = false;
  else if (a === "--no-peers") opt.peers = false;
  else if (is("--only") || is("--scenario"))
    opt.only = [...(opt.only ?? []), ...value().toUpperCase().split(",").filter(Boolean)];
  else if (is("--runs")) opt.runs = Number(value());
  else if (is("--rounds")) opt.rounds = Number(value());
  else if (is("--json")) opt.json = value();
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
for (const k of ["runs", "rounds"])
  if (opt[k] !== undefined && !(Number.isInteger(opt[k]) && opt[k] > 0))
    usage(`--${k} wants a positive integer`);

const SIZE = opt.quick
  ? { M: 50, L: 500, LSecrets: 100, XL: 2_000, XLSecrets: 200, H: 200 }
  : { M: 500, L: 5_000, LSecrets: 1_000, XL: 50_000, XLSecrets: 5_000, H: 5_000 };
const runsFor = (id) =>
  opt.runs ??
  (id === "S" ? (opt.rounds ?? (opt.quick ? 10 : 31)) : opt.quick ? 2 : id === "M" ? 7 : 5);

// ---- one clean environment for everything measured
const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "secret-guard-bench-"));
const home = path.join(tmpRoot, "home");
mkdirSync(home);
writeFileSync(
  path.join(home, ".gitconfig"),
  "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n",
);
const REMOVED = /^(NODE(_\w+)?|npm_\w+|GIT_\w+|SOPS_\w+|SECRET_GUARD_\w+|EDITOR|VISUAL|PAGER|CI)$/i;
const env = {};
for (const [k, v] of Object.entries(process.env)) if (!REMOVED.test(k)) env[k] = v;
Object.assign(env, {
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, ".config"),
  XDG_CACHE_HOME: path.join(home, ".cache"),
  NO_COLOR: "1",
  GIT_CONFIG_NOSYSTEM: "1",
  LC_ALL: "C",
});
// hooks/pre-commit starts secret-guard through its `#!/usr/bin/env node` line: this Node.
env.PATH = `${path.dirname(NODE)}${path.delimiter}${env.PATH ?? ""}`;
/** The machine's own NODE_* settings (names only are ever printed). */
const machineNodeVars = Object.keys(process.env).filter((k) => /^NODE_/.test(k));

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

// ---- a snapshot of the build (bin/ + dist/), so a rebuild of dist/ by someone else
// during the run cannot swap files under the measured process
function snapshot() {
  if (!existsSync(path.join(root, "dist")))
    usage("no dist/: run `npm run build` (or `npm run bench`)");
  for (let attempt = 1; ; attempt++) {
    const dest = path.join(tmpRoot, "guard");
    rmSync(dest, { recursive: true, force: true });
    cpSync(path.join(root, "bin"), path.join(dest, "bin"), { recursive: true });
    cpSync(path.join(root, "dist"), path.join(dest, "dist"), { recursive: true });
    cpSync(path.join(root, "package.json"), path.join(dest, "package.json"));
    cpSync(path.join(root, "hooks"), path.join(dest, "hooks"), { recursive: true });
    const bin = path.join(dest, "bin", "secret-guard.js");
    const r = spawnSync(NODE, [bin, "scan", "--help"], { env, stdio: "ignore" });
    if (r.status === 0) return bin;
    if (attempt === 5) usage("the snapshot of dist/ does not run (a build in progress?)");
    spawnSync("sleep", ["2"]);
  }
}
const BIN = snapshot();
/** The snapshot's hooks/pre-commit: S runs it as git does (`sh`, in the work tree's top level). */
const HOOK = path.join(path.dirname(path.dirname(BIN)), "hooks", "pre-commit");

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
const sq = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${String(s).replaceAll("'", `'\\''`)}'`);
const sh = (script) => ["sh", "-c", script];

/** Starting Node at all, with the clean environment. */
const NODE_FLOOR = [NODE, "-e", "0"];

// `-z` raw records become `:<modes> <src> <dst> <status>` lines followed by their path
// line(s); awk prints the dst blob id. (No generated path starts with ":".)
const RAW_DST = `tr '\\0' '\\n' | awk '/^:/ { print $4 }'`;

/** The staged listing the guard asks for (src/sources/staged.ts), then every listed blob. */
const STAGED_FLOOR = sh(
  `git -c core.quotepath=false diff-index --cached -z --raw --no-abbrev -M -C --diff-filter=ACMRT HEAD -- | ${RAW_DST} | git cat-file --batch >/dev/null`,
);

/** Every tracked blob: `<mode> <blob> <stage>\t<path>` → the blob id. */
const ALL_FLOOR = sh(
  `git -c core.quotepath=false ls-files -s -z | tr '\\0' '\\n' | cut -d' ' -f2 | git cat-file --batch >/dev/null`,
);

/** The walk `history` starts with, from the built source (wherever it lives after a move). */
function findHistoryLogArgs() {
  const dist = path.join(root, "dist");
  const stack = [dist];
  while (stack.length) {
    const d = stack.pop();
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "bundle") stack.push(p);
      } else if (
        e.name.endsWith(".js") &&
        readFileSync(p, "utf8").includes("export const HISTORY_LOG_ARGS")
      )
        return p;
    }
  }
  return undefined;
}
const historyLogModule = findHistoryLogArgs();
const HISTORY_LOG_ARGS = historyLogModule
  ? (await import(pathToFileURL(historyLogModule).href)).HISTORY_LOG_ARGS
  : undefined;
/**
 * History's log walk, then the blobs it judges: every distinct blob the walk lists at a
 * YAML/JSON path (the generated history's rule-covered files are YAML too).
 */
const HISTORY_FLOOR = HISTORY_LOG_ARGS
  ? sh(
      `git ${[...HISTORY_LOG_ARGS, "--end-of-options", "HEAD", "--"].map(sq).join(" ")} | tr '\\0' '\\n' | awk '/^:/ { id = $4; if ((getline p) > 0 && p ~ /\\.(ya?ml|json)$/ && id !~ /^0+$/) print id }' | sort -u | git cat-file --batch >/dev/null`,
    )
  : undefined;

// ---- peers
let peer;
const getPeer = () => {
  peer ??= opt.peers ? secretlint(log) : { error: "--no-peers" };
  if (peer.error && !peer.logged) {
    log(`secretlint unavailable: ${peer.error}`);
    peer.logged = true;
  }
  return peer;
};
let gs;
const getGitSecrets = () => {
  gs ??= opt.peers ? gitSecrets(env, log) : { error: "--no-peers" };
  if (gs.error && !gs.logged) {
    log(`git-secrets unavailable: ${gs.error}`);
    gs.logged = true;
  }
  return gs;
};

// ---- scenarios
const historyAvailable =
  spawnSync(NODE, [BIN, "history", "--help"], { env, stdio: "ignore" }).status === 0;

// S stages its file with `git add` (a loose object), as a real commit does.
const S_BASE = { seed: 11, baseApps: 250, baseSecrets: 30, staged: 1, onDisk: true, gitAdd: true };
const SCENARIOS = {
  S: {
    rows: [
      {
        key: "secret",
        what: "scan --hook: 1 staged Secret",
        setup: (dir) => stagedRepo(dir, env, { ...S_BASE, stagedSecrets: 1 }),
        peers: true,
      },
      {
        key: "ts",
        what: "scan --hook: 1 staged .ts file",
        setup: (dir) => stagedRepo(dir, env, { ...S_BASE, stagedSecrets: 0, stagedTs: 1 }),
      },
    ],
    guard: ["scan", "--hook"],
    // Timed as git runs it: hooks/pre-commit, which finds ./node_modules/.bin/secret-guard
    // (the npm bin link to the snapshot) and hands it git's staged listing.
    hookScript: true,
    expectFiles: (info) => info.staged.length,
    floor: { name: "node -e 0", argv: NODE_FLOOR },
    // guard, floor, guard, floor…: every guard run has a floor run next to it
    interleave: true,
    rungs: true,
    budget: { vs: "floor", max: 1.5, label: "≤1.5× node -e 0" },
  },
  M: {
    rows: [
      {
        key: "m",
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
        peers: true,
      },
    ],
    guard: ["scan"],
    expectFiles: (info) => info.staged.length,
    floor: { name: "shell git", argv: STAGED_FLOOR },
    budget: { vs: "secretlint", max: 0.1, label: "≤0.1× secretlint" },
  },
  L: {
    rows: [
      {
        key: "l",
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
      },
    ],
    guard: ["scan"],
    expectFiles: (info) => info.staged.length,
    floor: { name: "shell git", argv: STAGED_FLOOR },
    budget: { vs: "floor", max: 3, label: "≤3× shell floor" },
  },
  XL: {
    rows: [
      {
        key: "xl",
        what: `scan --all: ${SIZE.XL} tracked`,
        setup: (dir) =>
          trackedRepo(dir, env, { seed: 14, files: SIZE.XL, secrets: SIZE.XLSecrets }),
      },
    ],
    guard: ["scan", "--all"],
    expectFiles: (info) => info.files,
    floor: { name: "shell git", argv: ALL_FLOOR },
    budget: { vs: "floor", max: 3, label: "≤3× shell floor, <200 MB", maxMB: 200 },
  },
  H: {
    rows: [
      {
        key: "h",
        what: `history: ${SIZE.H} commits`,
        setup: (dir) => historyRepo(dir, env, { seed: 15, commits: SIZE.H }),
      },
    ],
    guard: historyAvailable ? ["history"] : undefined,
    floor: HISTORY_FLOOR ? { name: "shell git", argv: HISTORY_FLOOR } : undefined,
    budget: { vs: "floor", max: 3, label: "≤3× shell floor" },
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

const COLD = { recursive: true, force: true };

/** The guard's peak RSS without slowing its timed runs: a few runs under GNU time. */
const RSS_RUNS = 3;

async function runScenario(id) {
  const def = SCENARIOS[id];
  const runs = runsFor(id);
  // Short runs are timed without GNU time in between; their RSS comes from extra runs.
  const timedRss = id !== "S";
  const cmds = []; // { key, label, row?, argv, cwd, role }
  const rows = [];
  for (const row of def.rows) {
    const dir = path.join(tmpRoot, `${id}-${row.key}`);
    const t0 = Date.now();
    log(`${id}/${row.key}: building the repository…`);
    const info = row.setup(dir);
    log(
      `${id}/${row.key}: built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify({ ...info, staged: info.staged?.length })}`,
    );
    const r = {
      id,
      key: row.key,
      what: row.what,
      dir,
      repo: { ...info, staged: info.staged?.length },
      runs,
      budget: def.budget,
      peers: [],
    };
    rows.push(r);
    if (def.guard) {
      r.check = check(id, def, dir, info);
      r.command = `secret-guard ${def.guard.join(" ")}`;
      if (def.hookScript) {
        mkdirSync(path.join(dir, "node_modules", ".bin"), { recursive: true });
        symlinkSync(BIN, path.join(dir, "node_modules", ".bin", "secret-guard"));
        r.command = `hooks/pre-commit (${r.command})`;
      }
      cmds.push({
        key: `guard:${row.key}`,
        row: r,
        role: "guard",
        argv: def.hookScript ? ["/bin/sh", HOOK] : [NODE, BIN, ...def.guard],
        cwd: dir,
      });
    } else r.guardNA = "n/a (history not implemented)";
    // S's ladder, for the breakdown: the bin with nothing to do, and git's own processes of
    // the staged path run from a shell.
    if (def.rungs) {
      cmds.push({
        key: `rung:version:${row.key}`,
        row: r,
        role: "rung",
        argv: [NODE, BIN, "--version"],
        cwd: dir,
      });
      // The staged path's git processes as the guard runs them now (the listing, one cat-file
      // run; the repository and its index are read from files), from a shell.
      cmds.push({ key: `rung:git:${row.key}`, row: r, role: "rung", argv: STAGED_FLOOR, cwd: dir });
    }
    // The floor runs right after its guard; interleaved rows pool their floor samples.
    if (def.floor)
      cmds.push({ key: `floor:${row.key}`, row: r, role: "floor", argv: def.floor.argv, cwd: dir });
    else r.floorNA = "n/a (no floor)";
    if (row.peers) {
      const p = getPeer();
      if (p.error) r.peers.push({ name: "secretlint", na: p.error });
      else {
        secretlintConfig(dir);
        const name = `secretlint ${p.version}`;
        r.peers.push({ name, key: `peer:secretlint:${row.key}` });
        cmds.push({
          key: `peer:secretlint:${row.key}`,
          row: r,
          role: "peer",
          argv: [NODE, p.bin, ...info.staged],
          cwd: dir,
        });
      }
      const g = getGitSecrets();
      if (g.error) r.peers.push({ name: "git-secrets", na: g.error });
      else {
        gitSecretsConfig(dir, env);
        r.peers.push({ name: `git-secrets ${g.version}`, key: `peer:git-secrets:${row.key}` });
        cmds.push({
          key: `peer:git-secrets:${row.key}`,
          row: r,
          role: "peer",
          argv: ["git", "secrets", "--pre_commit_hook"],
          cwd: dir,
        });
      }
    }
  }
  // Floors that budget M: node -e 0 too, for scale.
  if (id === "M")
    cmds.push({ key: "node:m", row: rows[0], role: "node", argv: NODE_FLOOR, cwd: rows[0].dir });

  // Every guard run is cold: its verdict cache (<git dir>/secret-guard) is emptied first, so
  // no run profits from the one before (a commit's blobs are new; the budgets are cold).
  const cold = (c) => {
    if (c.role === "guard") rmSync(path.join(c.cwd, ".git", "secret-guard"), COLD);
  };
  // One warm-up of each (page cache, the user's policy cache), then the runs, interleaved.
  for (const c of cmds) {
    cold(c);
    const w = await measure(c.argv, { cwd: c.cwd, env, rss: true });
    if (w.stderr) throw new Error(`${id}: ${c.key} exited ${w.code}: ${w.stderr}`);
  }
  const samples = Object.fromEntries(cmds.map((c) => [c.key, []]));
  const peaks = Object.fromEntries(cmds.map((c) => [c.key, 0]));
  for (let i = 0; i < runs; i++) {
    for (const c of cmds) {
      cold(c);
      const r = await measure(c.argv, { cwd: c.cwd, env, rss: timedRss });
      if (r.stderr) throw new Error(`${id}: ${c.key} exited ${r.code}: ${r.stderr}`);
      samples[c.key].push(round(r.ms, 2));
      if (r.rssKB) peaks[c.key] = Math.max(peaks[c.key], r.rssKB);
    }
    if (i === runs - 1 || runs <= 10 || (i + 1) % 10 === 0)
      log(
        `${id}: run ${i + 1}/${runs}: ${cmds.map((c) => `${c.key} ${samples[c.key].at(-1).toFixed(0)} ms`).join(", ")}`,
      );
  }
  if (!timedRss) {
    for (const c of cmds) {
      if (c.role !== "guard") continue;
      for (let i = 0; i < RSS_RUNS; i++) {
        cold(c);
        const r = await measure(c.argv, { cwd: c.cwd, env, rss: true });
        peaks[c.key] = Math.max(peaks[c.key], r.rssKB ?? 0);
      }
    }
  }
  // Floor samples shared by the rows of an interleaved scenario are pooled.
  const floorSamples = cmds
    .filter((c) => c.role === "floor")
    .flatMap((c) => (def.interleave ? samples[c.key] : []));
  for (const r of rows) {
    const g = samples[`guard:${r.key}`];
    const f = def.interleave ? floorSamples : samples[`floor:${r.key}`];
    r.samples = {
      ...(g ? { guard: g } : {}),
      ...(f ? { floor: f } : {}),
    };
    if (g) r.guard = { ...stats(g), peakMB: round(peaks[`guard:${r.key}`] / 1024, 1) };
    if (f && def.floor) r.floor = { name: def.floor.name, ...stats(f) };
    for (const p of r.peers) {
      if (p.na) continue;
      r.samples[p.name] = samples[p.key];
      Object.assign(p, stats(samples[p.key]));
    }
    if (id === "M") {
      r.node = stats(samples["node:m"]);
      r.samples.node = samples["node:m"];
    }
    if (def.rungs) {
      r.ladder = {
        version: stats(samples[`rung:version:${r.key}`]),
        git3: stats(samples[`rung:git:${r.key}`]),
      };
      if (def.guard) r.phases = markedPhases(def, r.dir, r.guard.median);
      if (opt.profile && def.guard) r.breakdown = profiledBreakdown(def, r.dir, r.guard.median);
    }
    const b = def.budget;
    const base =
      b.vs === "floor" ? r.floor?.median : r.peers.find((p) => p.name.startsWith(b.vs))?.median;
    if (r.guard && base !== undefined) {
      r.ratio = round(r.guard.median / base, 3);
      r.pass = r.ratio <= b.max && (b.maxMB === undefined || r.guard.peakMB < b.maxMB);
    }
    if (r.pass === false && opt.profile) r.profile = profile(def, r.dir);
    if (!opt.keep) rmSync(r.dir, { recursive: true, force: true });
    delete r.dir;
  }
  return rows;
}

/**
 * One profiled run of the guard as it is timed. A hook script's run finds, for once, a
 * ./node_modules/.bin/secret-guard that starts Node with the profiler's flags (Node refuses
 * them in NODE_OPTIONS); profiled runs are never timed.
 */
function profiledRun(def, dir, flags) {
  if (!def.hookScript) {
    spawnSync(NODE, [...flags, BIN, ...def.guard], { cwd: dir, env, stdio: "ignore" });
    return;
  }
  const link = path.join(dir, "node_modules", ".bin", "secret-guard");
  const q = (a) => `'${a.replace(/'/g, "'\\''")}'`;
  rmSync(link);
  writeFileSync(link, `#!/bin/sh\nexec ${[NODE, ...flags, BIN].map(q).join(" ")} "$@"\n`, {
    mode: 0o755,
  });
  try {
    spawnSync("/bin/sh", [HOOK], { cwd: dir, env, stdio: "ignore" });
  } finally {
    rmSync(link);
    symlinkSync(BIN, link);
  }
}

/** One `node --cpu-prof` run of the guard: the top self-time functions. */
function profile(def, dir) {
  const profDir = path.join(tmpRoot, "prof");
  rmSync(profDir, { recursive: true, force: true });
  rmSync(path.join(dir, ".git", "secret-guard"), COLD);
  profiledRun(def, dir, ["--cpu-prof", "--cpu-prof-dir", profDir]);
  if (!existsSync(profDir)) return undefined;
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return undefined;
  const top = topSelf(path.join(profDir, file), 12);
  if (opt.keep) top.file = path.join(profDir, file);
  return top;
}

/**
 * The phases of a few guard runs as bin/secret-guard.js marks them (SECRET_GUARD_TIMINGS: when
 * each ended, in ms since the process started), medians per mark. No profiler: a CPU profile
 * logs every function the code cache holds and so doubles its deserialization. What lies
 * before Node's clock starts and after the last mark (the shell and the hook script, starting
 * the process, its teardown) is the timed median's rest.
 */
const MARKED_RUNS = 15;
const MARK_NAMES = {
  node: "Node's own start (until bin/secret-guard.js runs)",
  "bundle read": "the hook's bundle: file read",
  "code cache read": "its code cache: file read",
  "code deserialized": "its code cache: deserialized (vm.Script)",
  "code compiled": "its code: compiled (no usable cache)",
  "top level": "its top level run",
  ready: "caches set up",
  scan: "the scan: listing, index, policy, blob, YAML, judgement, output",
  exit: "after the scan: cache refresh, exit handlers",
};
function markedPhases(def, dir, medianMs) {
  const runs = [];
  const file = path.join(tmpRoot, "timings.json");
  for (let i = 0; i < MARKED_RUNS; i++) {
    rmSync(file, { force: true });
    const argv = def.hookScript ? ["/bin/sh", HOOK] : [NODE, BIN, ...def.guard];
    spawnSync(argv[0], argv.slice(1), {
      cwd: dir,
      env: { ...env, SECRET_GUARD_TIMINGS: file },
      stdio: "ignore",
    });
    try {
      runs.push(JSON.parse(readFileSync(file, "utf8")));
    } catch {
      // a run that wrote none is left out
    }
  }
  if (runs.length === 0) return undefined;
  const names = runs[0].map(([n]) => n);
  if (!runs.every((r) => r.length === names.length && r.every(([n], i) => n === names[i])))
    return undefined;
  const at = names.map((_, i) => stats(runs.map((r) => r[i][1])).median);
  const phases = names.map((n, i) => ({
    name: MARK_NAMES[n] ?? n,
    ms: round(at[i] - (i === 0 ? 0 : at[i - 1]), 1),
  }));
  phases.push({
    name: "the rest: shell and hook script, process start and teardown",
    ms: round(medianMs - at[at.length - 1], 1),
  });
  return { runs: runs.length, phases };
}

/** CPU profiles of a few guard runs: where the milliseconds go, scaled to the median. */
const BREAKDOWN_RUNS = 7;
function profiledBreakdown(def, dir, medianMs) {
  const profDir = path.join(tmpRoot, "prof-breakdown");
  rmSync(profDir, { recursive: true, force: true });
  for (let i = 0; i < BREAKDOWN_RUNS; i++) {
    rmSync(path.join(dir, ".git", "secret-guard"), COLD);
    profiledRun(def, dir, ["--cpu-prof", "--cpu-prof-interval", "100", "--cpu-prof-dir", profDir]);
  }
  const files = existsSync(profDir)
    ? readdirSync(profDir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => path.join(profDir, f))
    : [];
  if (files.length === 0) return undefined;
  const b = breakdown(files);
  rmSync(profDir, { recursive: true, force: true });
  for (const p of b.phases) p.scaledMs = round(p.share * medianMs, 1);
  return b;
}

/** node -e 0 with the machine's NODE_* variables and without, interleaved. */
async function nodeEnvEffect(rounds) {
  if (machineNodeVars.length === 0) return undefined;
  const withVars = { ...env };
  for (const k of machineNodeVars) withVars[k] = process.env[k];
  const clean = [];
  const dirty = [];
  await measure(NODE_FLOOR, { env, rss: false });
  await measure(NODE_FLOOR, { env: withVars, rss: false });
  for (let i = 0; i < rounds; i++) {
    clean.push((await measure(NODE_FLOOR, { env, rss: false })).ms);
    dirty.push((await measure(NODE_FLOOR, { env: withVars, rss: false })).ms);
  }
  return { vars: machineNodeVars, clean: stats(clean), with: stats(dirty) };
}

/** What the harness itself costs per measured process: spawning /bin/true. */
async function harness(rounds) {
  const xs = [];
  for (let i = 0; i < rounds; i++) xs.push((await measure(["true"], { env, rss: false })).ms);
  return stats(xs);
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
const spread = (s) => (s ? `${ms(s.lo)}–${ms(s.hi)}` : "");

function table(rows) {
  const head = [
    "",
    "scenario",
    "guard",
    "spread",
    "peak RSS",
    "floor",
    "floor time",
    "spread",
    "ratio",
    "budget",
    "result",
  ];
  const lines = rows.map((r) => [
    r.id,
    r.what,
    r.guardNA ?? ms(r.guard?.median),
    r.guard ? spread(r.guard) : "",
    r.guard ? `${r.guard.peakMB.toFixed(0)} MB` : "—",
    r.floor?.name ?? r.floorNA ?? "",
    ms(r.floor?.median),
    spread(r.floor),
    r.ratio !== undefined
      ? `${r.ratio.toFixed(2)}× ${r.budget.vs === "floor" ? "floor" : r.budget.vs}`
      : "n/a",
    r.budget.label,
    r.pass === undefined ? "n/a" : r.pass ? "PASS" : "MISS",
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...lines.map((row) => String(row[i]).length)),
  );
  const right = new Set([2, 3, 4, 6, 7, 8]);
  const line = (cells) =>
    cells
      .map((c, i) => pad(c, widths[i], right.has(i)))
      .join("  ")
      .trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(line)].join("\n");
}

const started = new Date();
log(`environment: the caller's minus NODE_*, npm_*, GIT_*, SOPS_*, SECRET_GUARD_*`);
const harnessCost = await harness(opt.quick ? 10 : 31);
const nodeEffect = await nodeEnvEffect(opt.quick ? 10 : 21);
const results = [];
const errors = [];
for (const id of only) {
  try {
    results.push(...(await runScenario(id)));
  } catch (err) {
    log(`${id} failed: ${err.stack ?? err}`);
    errors.push({ id, error: String(err.message ?? err) });
    if (!opt.keep)
      for (const d of readdirSync(tmpRoot))
        if (d.startsWith(`${id}-`)) rmSync(path.join(tmpRoot, d), { recursive: true, force: true });
  }
}
cleanup();
machine.loadavgAtEnd = os.loadavg().map((x) => round(x, 2));

const lines = [];
lines.push(`secret-guard bench ${opt.quick ? "(--quick) " : ""}${started.toISOString()}`);
lines.push(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB; ${machine.platform}; Node ${machine.node}; git ${machine.git}; load ${machine.loadavgAtStart.join(" ")} → ${machine.loadavgAtEnd.join(" ")}`,
);
lines.push(
  "environment: the caller's minus NODE_*, npm_*, GIT_*, SOPS_*, SECRET_GUARD_* for guard, floors and peers alike",
);
if (nodeEffect)
  lines.push(
    `this machine's ${nodeEffect.vars.join(", ")} (excluded above): node -e 0 ${ms(nodeEffect.with.median)} with, ${ms(nodeEffect.clean.median)} without (+${ms(nodeEffect.with.median - nodeEffect.clean.median)} per Node start; medians of ${nodeEffect.clean.n} interleaved pairs)`,
  );
else lines.push("this machine sets no NODE_* variable");
lines.push(
  `harness: spawning /bin/true costs ${ms(harnessCost.median)} (in every time below, guard and floor alike)`,
);
lines.push(
  `peak memory: ${mem.method === "gnu-time" ? "GNU time %M (max RSS)" : "VmHWM from /proc"}${mem.note ? ` (${mem.note})` : ""}; S is timed without it (RSS from ${RSS_RUNS} extra runs)`,
);
const otherRuns = [...new Set(results.filter((r) => r.id !== "S").map((r) => r.runs))];
lines.push(
  `wall-time medians after one warm-up of each command, floors and peers interleaved with the guard in the same run; every guard run cold (its verdict cache emptied first)${results.some((r) => r.id === "S") ? `; S: ${runsFor("S")} rounds of guard, floor, guard, floor… (spread p10–p90)` : ""}${otherRuns.length ? `; others: ${otherRuns.join("/")} runs (spread ${otherRuns.every((n) => n >= 10) ? "p10–p90" : "min–max"})` : ""}`,
);
lines.push("");
lines.push(table(results));
for (const e of errors) lines.push(`${e.id}: ERROR ${e.error.split("\n")[0]}`);
const peerLines = [];
for (const r of results) {
  for (const p of r.peers ?? []) {
    peerLines.push(
      `  ${r.id} (${r.what}): ${p.name}: ${p.na ? `n/a (${p.na})` : `${ms(p.median)} (${spread(p)})${r.guard ? `, guard ${(r.guard.median / p.median).toFixed(2)}× of it` : ""}`}`,
    );
  }
  if (r.node)
    peerLines.push(`  ${r.id} (${r.what}): node -e 0: ${ms(r.node.median)} (${spread(r.node)})`);
}
if (peerLines.length) lines.push("", "peers (same run, same environment):", ...peerLines);
lines.push("", "floors:");
lines.push("  S: node -e 0");
lines.push(`  M/L: ${STAGED_FLOOR[2]}`);
lines.push(`  XL: ${ALL_FLOOR[2]}`);
lines.push(
  `  H: ${HISTORY_FLOOR ? HISTORY_FLOOR[2] : "n/a (HISTORY_LOG_ARGS not found in dist/)"}`,
);
for (const r of results) {
  if (!r.ladder) continue;
  lines.push(
    `\n${r.id} (${r.what}): node -e 0 ${ms(r.floor?.median)} → \`secret-guard --version\` ${ms(r.ladder.version.median)} → the scan ${ms(r.guard?.median)}; git's processes of the staged path (diff-index, cat-file) from a shell: ${ms(r.ladder.git3.median)}`,
  );
  if (r.phases) {
    lines.push(
      `  where the ${ms(r.guard.median)} go (the phases bin/secret-guard.js marks, medians of ${r.phases.runs} runs):`,
    );
    for (const p of r.phases.phases) lines.push(`  ${pad(p.ms.toFixed(1), 7, true)} ms  ${p.name}`);
  }
  if (!r.breakdown) continue;
  lines.push(
    `  and by CPU profile (${r.breakdown.runs} \`node --cpu-prof\` runs, ${ms(r.breakdown.profiledMs)} profiled on average, shares scaled to the median; the profiler slows the code cache down):`,
  );
  for (const p of r.breakdown.phases)
    if (p.share >= 0.005)
      lines.push(
        `  ${pad(p.scaledMs.toFixed(1), 7, true)} ms ${pad((p.share * 100).toFixed(0), 3, true)}%  ${p.name}`,
      );
}
for (const r of results) {
  if (r.id === "H" && r.check)
    lines.push(
      `\nH: ${r.check.exposures} exposures found (${r.check.planted} planted: 2 keys in each of ${r.repo.leaks} plaintext Secrets), exit ${r.check.exit}`,
    );
  if (!r.profile) continue;
  lines.push(
    `\n${r.id} (${r.what}) missed its budget; top self time of one \`node --cpu-prof\` run (${r.profile.totalMs} ms profiled):`,
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

const json = {
  tool: "secret-guard bench",
  date: started.toISOString(),
  quick: opt.quick,
  machine,
  environment: {
    removed: REMOVED.source,
    machineNodeVars,
    nodeEffect,
    harness: harnessCost,
  },
  floors: {
    S: NODE_FLOOR.join(" "),
    staged: STAGED_FLOOR[2],
    all: ALL_FLOOR[2],
    history: HISTORY_FLOOR?.[2],
  },
  sizes: SIZE,
  scenarios: results,
};
if (errors.length) json.errors = errors;
writeFileSync(path.resolve(opt.json), `${JSON.stringify(json, null, 2)}\n`);
log(`wrote ${path.resolve(opt.json)}`);
if (errors.length) process.exitCode = 2;
