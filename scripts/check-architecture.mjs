#!/usr/bin/env node
// What dependency-cruiser cannot see (globals and argv), checked by `npm run lint`:
//  - the pure layers (core/, sops/, report/, policy/parse.ts) never touch the `process` global;
//  - only src/git/exec.ts starts git: no other module names "git" as a program to run;
//  - only src/cli/ reads process.argv or sets the exit code.
// Usage: node scripts/check-architecture.mjs [SRC_DIR]   (default: src). Exit 1 on a violation.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const src = path.resolve(process.argv[2] ?? "src");
const files = [];
(function walk(d) {
  for (const e of readdirSync(d)) {
    const p = path.join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".ts")) files.push(p);
  }
})(src);

// Known, reasoned exceptions: the private folder's signal handlers must end the process
// themselves after deleting the plaintext (no boundary is left to return to).
const EXIT_ALLOWED = new Set(["scaffold/private.ts"]);

const problems = [];
for (const file of files) {
  const rel = path.relative(src, file).split(path.sep).join("/");
  // Comments may mention anything; judge the code.
  const code = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const say = (why) => problems.push(`${rel}: ${why}`);
  if (/^(core|sops|report)\//.test(rel) || rel === "policy/parse.ts") {
    if (/\bprocess\s*[.[]/.test(code)) say("a pure layer uses the process global");
  }
  if (rel !== "git/exec.ts" && /\b\w*(spawn|Spawn|exec|Exec)\w*\s*\(\s*["'`]git["'`]/.test(code))
    say("starts git itself (only git/exec.ts spawns git)");
  if (
    !rel.startsWith("cli/") &&
    !EXIT_ALLOWED.has(rel) &&
    /\bprocess\s*\.\s*(argv|exitCode|exit)\b/.test(code)
  )
    say("reads argv or sets the exit code (only cli/ does)");
}
for (const p of problems) console.error(`architecture: ${p}`);
if (problems.length > 0) {
  console.error(`architecture: ${problems.length} violation(s)`);
  process.exit(1);
}
console.log(`architecture: ${files.length} modules checked, no violation`);
