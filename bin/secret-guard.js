#!/usr/bin/env node
// secret-guard command-line entry; this runs on every `git commit`.
//
// CommonJS (bin/package.json), so Node starts it without its ES module loader.
// It loads the one-file bundle dist/bundle/cli.cjs through a V8 code cache:
// compiled code from an earlier `scan`, kept next to the bundle (or, when dist/
// is read-only, in $XDG_CACHE_HOME/secret-guard or ~/.cache/secret-guard) and
// keyed by the bundle's SHA-256 (its first line), the Node version and the CPU
// architecture; parsed `.sops.yaml` policies are kept in that user cache folder
// too (src/policy/cache.ts). A stale or rejected cache is rebuilt after the run; a cache
// that cannot be read or written only makes the start slower, never the run fail.
//
// `scan --hook` exactly (the hook's command line) loads dist/bundle/hook.cjs instead, a
// smaller bundle (src/cli/entry-hook.ts) with its own code cache: it keeps only a run that
// exits 0 and hands anything else to the full command line, loaded then in this process.
// SECRET_GUARD_FULL_CLI=1 skips it.
//
// It guards the import: a missing or broken build, or any error that escapes the
// command line's own boundary, exits 2 ("could not check") with one line and the
// --debug hint, never 1 (the findings code) and never a stack trace unless --debug.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const argv = process.argv.slice(2);
const debug = argv.includes("--debug");

// SECRET_GUARD_TIMINGS=FILE (the bench's S breakdown): when each phase of this run ended, in
// milliseconds since the process started, written to FILE as JSON at exit. Times only.
const timingsFile = process.env.SECRET_GUARD_TIMINGS;
const marks = timingsFile ? [["node", performance.now()]] : undefined;
const mark = marks ? (name) => marks.push([name, performance.now()]) : () => {};
if (marks)
  process.on("exit", () => {
    try {
      mark("exit");
      fs.writeFileSync(timingsFile, JSON.stringify(marks));
    } catch {
      // no timings: nothing else changes
    }
  });

function die(what, err) {
  try {
    process.stderr.write(`secret-guard: ${what}${debug && err ? `: ${err?.stack ?? err}` : ""}\n`);
    if (!debug) process.stderr.write("  run again with --debug for details\n");
  } catch {
    // stderr gone: the exit code still tells
  }
  process.exit(2);
}

process.on("uncaughtException", (err) => die(`internal error: ${err?.name || "Error"}`, err));
process.on("unhandledRejection", (err) => die(`internal error: ${err?.name || "Error"}`, err));

const bundleDir = path.join(__dirname, "..", "dist", "bundle");
const MAGIC = "secret-guard-v8-cache 1\n";
const LOAD_FAILED = "cannot load its build (dist/ is missing or broken: run `npm run build`)";

/** The user's cache folder for secret-guard: $XDG_CACHE_HOME/secret-guard or ~/.cache/secret-guard. */
function userCacheDir() {
  const base =
    process.env.XDG_CACHE_HOME || (process.env.HOME && path.join(process.env.HOME, ".cache"));
  return base && path.isAbsolute(base) ? path.join(base, "secret-guard") : undefined;
}

function cacheFiles(bundleFile, name, hash) {
  const files = [`${bundleFile}.cache`];
  const user = userCacheDir();
  if (user) files.push(path.join(user, `${name}-${hash.slice(0, 16)}.cache`));
  return files;
}

// A cache written by a run that loaded the `yaml` package (the first run after a build parses
// `.sops.yaml` with it, before the policy cache has it) holds that package's compiled code,
// which every later run would then deserialise for nothing (549 against 400 KB; about 1 ms
// of a 52 ms commit, near this machine's noise). Its key line ends in " yaml1": the next run
// compiles afresh instead of using it and writes the cache again. A run that loads the
// package again writes " yaml2", kept for good: where commits need the package, its code
// belongs in the cache.
const YAML_USED = Symbol.for("secret-guard.yaml-used");

/** The cached code for `key`, from the first place that has a fresh one, with its mark. */
function readCache(files, key) {
  const head = Buffer.from(`${MAGIC}${key}`, "latin1");
  for (const file of files) {
    let buf;
    try {
      buf = fs.readFileSync(file);
    } catch {
      continue;
    }
    if (buf.length <= head.length + 8 || !buf.subarray(0, head.length).equals(head)) continue;
    const rest = buf.toString("latin1", head.length, head.length + 7);
    if (rest[0] === "\n") return { file, data: buf.subarray(head.length + 1), yaml: 0 };
    if (rest === " yaml1\n" || rest === " yaml2\n")
      return { file, data: buf.subarray(head.length + 7), yaml: Number(rest[5]) };
  }
  return undefined;
}

/** Write the cache to the first place that takes it (atomically: temp file + rename). */
function writeCache(files, key, data, yaml) {
  const line = `${MAGIC}${key}${yaml ? ` yaml${yaml}` : ""}\n`;
  for (const file of files) {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(tmp, Buffer.concat([Buffer.from(line, "latin1"), data]));
      fs.renameSync(tmp, file);
      return;
    } catch {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // nothing written
      }
    }
  }
}

/** The SHA-256 on the first line of dist/bundle/<name>.cjs, or "none". */
function bundleHash(name) {
  let fd;
  try {
    fd = fs.openSync(path.join(bundleDir, `${name}.cjs`), "r");
    const head = Buffer.alloc(120);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const m = /^\/\/ secret-guard-bundle sha256:([0-9a-f]{64})\n/.exec(
      head.toString("latin1", 0, n),
    );
    return m ? m[1] : "none";
  } catch {
    return "none";
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The bundle dist/bundle/<name>.cjs through its code cache; undefined when there is none. */
function loadBundle(name) {
  const bundleFile = path.join(bundleDir, `${name}.cjs`);
  let source;
  try {
    source = fs.readFileSync(bundleFile, "latin1");
    mark("bundle read");
  } catch (err) {
    if (err && err.code === "ENOENT") return undefined;
    throw err;
  }
  const m = /^\/\/ secret-guard-bundle sha256:([0-9a-f]{64})\n/.exec(source.slice(0, 120));
  const vm = require("node:vm");
  const key = m ? `${m[1]} ${process.version} ${process.arch}` : undefined;
  const files = key ? cacheFiles(bundleFile, name, m[1]) : [];
  const found = key ? readCache(files, key) : undefined;
  const cached = found?.yaml === 1 ? undefined : found;
  mark("code cache read");
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) {${source}\n})`,
    { filename: bundleFile, cachedData: cached?.data },
  );
  mark(cached && !script.cachedDataRejected ? "code deserialized" : "code compiled");
  const mod = { exports: {} };
  script
    .runInThisContext()
    .call(mod.exports, mod.exports, require, mod, bundleFile, path.dirname(bundleFile));
  mark("top level");
  // Parsed policies go to the user's cache folder (see src/policy/cache.ts), keyed by both
  // bundles of this build (cli.cjs and hook.cjs, written together by scripts/bundle.mjs): the
  // hook's runs and the full command line's share them.
  const user = userCacheDir();
  if (m && typeof mod.exports.useCaches === "function") {
    const other = name === "hook" ? "cli" : "hook";
    const build = name === "hook" ? `${bundleHash(other)}+${m[1]}` : `${m[1]}+${bundleHash(other)}`;
    let identity;
    try {
      const st = fs.statSync(bundleFile);
      identity = `${m[1]} ${st.size} ${st.mtimeMs}`;
    } catch {
      // no identity: the verdict cache walks the build folder
    }
    mod.exports.useCaches({ dir: user, build, identity });
  }
  // Refresh after a `scan` (the every-commit path) when there was no usable cache: the
  // cache then holds the code that path compiled.
  const refresh = key && argv[0] === "scan" && (!cached || script.cachedDataRejected);
  const afterRun = refresh
    ? () => {
        try {
          // The hook bundle judges a few made-up manifests first (src/cli/train.ts), so the
          // cache holds that code whatever this commit staged.
          if (typeof mod.exports.train === "function") mod.exports.train();
          const yaml = globalThis[YAML_USED] === true ? (found?.yaml === 1 ? 2 : 1) : 0;
          writeCache(files, key, script.createCachedData(), yaml);
        } catch {
          // no cache: slower next time, nothing else
        }
      }
    : () => {};
  return { main: mod.exports.main, afterRun };
}

/**
 * `scan --hook`, exactly as hooks/pre-commit runs it: the hook's own smaller bundle
 * (src/cli/entry-hook.ts), which answers a clean commit itself and hands everything else
 * over to the full command line (loaded then, in this process, before anything is printed).
 */
const HOOK_ARGV = argv.length === 2 && argv[0] === "scan" && argv[1] === "--hook";

/** The full command line: the bundle, or the ES modules of a build made with tsc only. */
async function loadFull() {
  let loaded;
  try {
    loaded = loadBundle("cli");
  } catch (err) {
    die(LOAD_FAILED, err);
  }
  if (!loaded) {
    // No bundle (a checkout built with tsc only): the ES modules in dist/.
    try {
      const { main } = await import("../dist/cli/main.js");
      loaded = { main, afterRun: () => {} };
    } catch (err) {
      die(LOAD_FAILED, err);
    }
  }
  return loaded;
}

async function runFull() {
  const loaded = await loadFull();
  await loaded.main(argv);
  loaded.afterRun();
}

async function start() {
  let hook;
  if (HOOK_ARGV && !process.env.SECRET_GUARD_FULL_CLI) {
    try {
      hook = loadBundle("hook");
    } catch {
      hook = undefined; // a broken hook bundle: the full command line says what is wrong
    }
  }
  if (!hook) return runFull();
  mark("ready");
  await hook.main(argv, runFull);
  mark("scan");
  hook.afterRun();
}

start().catch((err) => die(`internal error: ${err?.name || "Error"}`, err));
