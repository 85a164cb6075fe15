#!/usr/bin/env node
// secret-guard command-line entry. It loads the bundled command line (a few
// files instead of hundreds of modules) and Node's compile cache where
// available: this runs on every `git commit`.
//
// It guards the import only: a missing or broken build, or any error that
// escapes the command line's own boundary, exits 2 ("could not check") with
// one line, never 1 (the findings code) and never a stack trace unless --debug.
import { existsSync } from "node:fs";
import module from "node:module";

const debug = process.argv.includes("--debug");
const fail = (what, err) => {
  process.stderr.write(`secret-guard: ${what}${debug && err ? `: ${err?.stack ?? err}` : ""}\n`);
  if (!debug) process.stderr.write("  run again with --debug for details\n");
  process.exitCode = 2;
};
process.on("uncaughtException", (err) => {
  fail(`internal error: ${err?.name ?? "Error"}`, err);
  process.exit(2);
});
process.on("unhandledRejection", (err) => {
  fail(`internal error: ${err?.name ?? "Error"}`, err);
  process.exit(2);
});

try {
  module.enableCompileCache?.();
} catch {
  // older Node: no cache
}
let main;
try {
  const bundled = new URL("../dist/bundle/cli.js", import.meta.url);
  ({ main } = await import(existsSync(bundled) ? bundled.href : "../dist/cli/main.js"));
} catch (err) {
  fail("cannot load its build (dist/ is missing or broken: run `npm run build`)", err);
}
if (main) await main(process.argv.slice(2));
