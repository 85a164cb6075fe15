// Bundles the command line into dist/bundle/ (one file per lazily loaded
// command, shared code in chunks) so a `git commit` loads a handful of files
// instead of a few hundred modules. The library API stays in dist/ (tsc).

import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist/bundle", { recursive: true, force: true });
await build({
  entryPoints: { cli: "src/cli/main.ts" },
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: false,
  legalComments: "linked",
  logLevel: "warning",
  // CommonJS dependencies bundled into ESM need a require().
  banner: {
    js: "import { createRequire as __sgCreateRequire } from 'node:module'; const require = __sgCreateRequire(import.meta.url);",
  },
});
