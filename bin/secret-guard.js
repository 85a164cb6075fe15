#!/usr/bin/env node
// secret-guard command-line entry. It loads the bundled command line (a few
// files instead of hundreds of modules) and Node's compile cache where
// available: this runs on every `git commit`.
import { existsSync } from "node:fs";
import module from "node:module";

try {
  module.enableCompileCache?.();
} catch {
  // older Node: no cache
}
const bundled = new URL("../dist/bundle/cli.js", import.meta.url);
const { main } = await import(existsSync(bundled) ? bundled.href : "../dist/cli/main.js");
await main(process.argv.slice(2));
