#!/usr/bin/env node
// secret-guard command-line entry. Node's compile cache (when available)
// makes repeated starts, such as one per `git commit`, cheaper.
import module from "node:module";

try {
  module.enableCompileCache?.();
} catch {
  // older Node: no cache
}
const { main } = await import("../dist/cli.js");
await main(process.argv.slice(2));
