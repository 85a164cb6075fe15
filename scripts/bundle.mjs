// Bundles the command line into ONE CommonJS file, dist/bundle/cli.cjs, which
// bin/secret-guard.js compiles through a V8 code cache: a `git commit` then
// reads one file and deserializes compiled code instead of resolving, loading
// and compiling a few hundred ES modules. The library API stays in dist/ (tsc).
//
// - Lazy imports stay lazy: esbuild turns `import("./x.js")` into a deferred
//   initialiser inside the same file (no dynamic import() at run time, which a
//   vm.Script could not serve anyway).
// - ASCII only (non-ASCII escaped in code, replaced by ? in comments), so the loader reads the file as latin1: a
//   plain copy into a one-byte V8 string, no UTF-8 decoding.
// - The first line names the SHA-256 of the rest: the code cache's key.
// - node:child_process, node:crypto, node:fs/promises, node:module, node:os, node:tty and
//   node:zlib, as src/ imports them, load on first call: every import of them is a function.
//   The staged path of a clean commit through the hook script (git's listing handed in)
//   calls none but zlib's (for a loose object) and tty's isatty, and each costs Node
//   internal modules to compile (~15 for crypto; child_process brings net and dgram;
//   node:module brings the ES module loader).
// - The `yaml` package, as src/ imports it, loads on first use too: every import of it is an
//   object of getters that require it then. The fast path (src/sops/fastyaml.ts) reads the
//   common manifest without it, so a clean commit of such files never loads or compiles it.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const LAZY_BUILTINS = /^node:(child_process|crypto|fs\/promises|module|os|tty|zlib)$/;
const lazyBuiltins = {
  name: "lazy-builtins",
  setup(b) {
    const src = `${path.sep}src${path.sep}`;
    b.onResolve({ filter: LAZY_BUILTINS }, (args) =>
      args.importer.includes(src) ? { path: args.path, namespace: "lazy-builtin" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, async (args) => {
      const real = await import(args.path);
      const names = Object.keys(real).filter(
        (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "default" && typeof real[k] === "function",
      );
      const contents = [
        `let m;\nconst load = () => (m ??= require(${JSON.stringify(args.path)}));`,
        ...names.map((n) => `export function ${n}(...a) { return load().${n}(...a); }`),
      ].join("\n");
      return { contents, loader: "js", resolveDir: process.cwd() };
    });
  },
};

const lazyYaml = {
  name: "lazy-yaml",
  setup(b) {
    const src = `${path.sep}src${path.sep}`;
    b.onResolve({ filter: /^yaml$/ }, (args) =>
      args.importer.includes(src) ? { path: "yaml", namespace: "lazy-yaml" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-yaml" }, async () => {
      const real = await import("yaml");
      const names = Object.keys(real).filter(
        (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "default",
      );
      // CommonJS with getters: esbuild reads every use as `import_yaml.name`, a getter call.
      // Symbol.for("secret-guard.yaml") tells `--debug` (src/cli/main.ts) whether it loaded.
      const contents = [
        "let m;",
        'const state = Symbol.for("secret-guard.yaml");',
        'globalThis[state] = "not loaded";',
        // Symbol.for("secret-guard.yaml-used"), never reset: bin/secret-guard.js marks a code
        // cache written by such a run (its compiled code for the package).
        'const used = Symbol.for("secret-guard.yaml-used");',
        'const load = () => (m ??= ((globalThis[state] = "loaded"), (globalThis[used] = true), require("yaml")));',
        ...names.map(
          (n) =>
            `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load()[${JSON.stringify(n)}] });`,
        ),
      ].join("\n");
      return { contents, loader: "js", resolveDir: process.cwd() };
    });
  },
};

// The `yaml` package prints every token (LOG_TOKENS) or CST node (LOG_STREAM) to stdout when
// those variables are set: the values of the file being parsed, secrets included. In the
// bundle both checks are `false` (and one environment lookup per token less). The build
// fails if the package's text no longer has them, so the patch can't silently stop applying.
const YAML_DEBUG_LOGS = [
  ["yaml/dist/parse/parser.js", "node_process.env.LOG_TOKENS"],
  ["yaml/dist/compose/composer.js", "node_process.env.LOG_STREAM"],
];
const yamlNoDebugLogs = {
  name: "yaml-no-debug-logs",
  setup(b) {
    b.onLoad(
      { filter: /[\\/]yaml[\\/]dist[\\/](parse[\\/]parser|compose[\\/]composer)\.js$/ },
      (args) => {
        const file = args.path.split(path.sep).join("/");
        const hit = YAML_DEBUG_LOGS.find(([end]) => file.endsWith(end));
        if (!hit) return undefined;
        const text = readFileSync(args.path, "utf8");
        const parts = text.split(hit[1]);
        if (parts.length !== 2) throw new Error(`${file}: expected one \`${hit[1]}\``);
        return { contents: parts.join("false"), loader: "js" };
      },
    );
  },
};

/**
 * The commit hook's bundle (src/cli/entry-hook.ts) leaves out the modules behind the fix
 * offer (the prompt, the fix and so the encryption code): each becomes a module that sets
 * the hand-over mark and throws, and the hook entry then runs the full command line.
 */
const HOOK_LEFT_OUT = new Set(["src/commands/fix.ts", "src/scaffold/terminal.ts"]);
const hookLeftOut = {
  name: "hook-left-out",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const file = path
        .relative(process.cwd(), path.resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts")))
        .split(path.sep)
        .join("/");
      return HOOK_LEFT_OUT.has(file) ? { path: file, namespace: "hook-left-out" } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: "hook-left-out" }, (args) => ({
      contents: [
        `globalThis[Symbol.for("secret-guard.handover")] = ${JSON.stringify(args.path)};`,
        `throw new Error(${JSON.stringify(`${args.path} is not in the hook's bundle`)});`,
      ].join("\n"),
      loader: "js",
    }));
  },
};

async function bundle(entry, out, plugins) {
  const result = await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    charset: "ascii",
    sourcemap: false,
    legalComments: "linked",
    logLevel: "warning",
    write: false,
    plugins: [...plugins, lazyBuiltins, lazyYaml, yamlNoDebugLogs],
    // import() → require() inside the bundle (node: builtins included)
    supported: { "dynamic-import": false },
    // install.ts finds the package root from its own URL: the bundle's
    define: { "import.meta.url": "__sgImportMetaUrl" },
    banner: { js: 'var __sgImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  for (const f of result.outputFiles) {
    if (!f.path.endsWith(".cjs")) {
      writeFileSync(f.path, f.contents);
      continue;
    }
    // esbuild escapes non-ASCII in code; what is left is in comments kept from dependencies.
    const text = f.text
      .split("\n")
      .map((line) => (/^\s*(\*|\/\/|\/\*)/.test(line) ? line.replace(/[^\x00-\x7f]/g, "?") : line))
      .join("\n");
    const body = Buffer.from(text, "utf8");
    const bad = body.findIndex((b) => b > 0x7f);
    if (bad !== -1) throw new Error(`${out}: non-ASCII byte outside a comment at offset ${bad}`);
    const hash = createHash("sha256").update(body).digest("hex");
    writeFileSync(
      out,
      Buffer.concat([Buffer.from(`// secret-guard-bundle sha256:${hash}\n`), body]),
    );
  }
}

rmSync("dist/bundle", { recursive: true, force: true });
mkdirSync("dist/bundle", { recursive: true });
await bundle("src/cli/entry.ts", "dist/bundle/cli.cjs", []);
await bundle("src/cli/entry-hook.ts", "dist/bundle/hook.cjs", [hookLeftOut]);
