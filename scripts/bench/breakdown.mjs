// Where the milliseconds of one short guard run go, from V8 CPU profiles
// (`node --cpu-prof`): the inclusive time of a few named phases, averaged over
// several profiled runs, as shares of the profiled total. Profiling slows the run
// down, so bench.mjs scales the shares to the unprofiled median.
import { readFileSync } from "node:fs";

/**
 * Phases, matched on a sample's call stack from the leaf up: the first phase whose
 * test matches any frame of the stack takes the sample. Order matters.
 */
export const PHASES = [
  ["garbage collection", (f) => f.functionName === "(garbage collector)"],
  ["idle: waiting for git", (f) => f.functionName === "(idle)"],
  [
    "bundle: read, code cache, top level",
    (f) => f.functionName === "loadBundle" && f.url.endsWith("secret-guard.js"),
  ],
  [
    "git: processes (start, run, wait)",
    (f) => ["spawn", "spawnSync"].includes(f.functionName) && f.url === "node:child_process",
  ],
  [
    "staged listing: read from the hook script (git ran while Node started)",
    (f) => f.functionName === "handedListing",
  ],
  [
    "repository and index files",
    (f) => ["repoInfoFromFiles", "indexEntries", "parseIndexFile"].includes(f.functionName),
  ],
  [
    "git: pipes and output",
    (f) =>
      ["onStreamRead", "BlobReader", "parseRawZ", "onStdout", "#onData"].includes(f.functionName) ||
      f.url.startsWith("node:internal/child_process"),
  ],
  [".sops.yaml: find, read, parse, rules", (f) => f.functionName === "loadPolicy"],
  [".secret-guard.yaml", (f) => f.functionName === "loadGuardConfig"],
  ["YAML parse of the staged file", (f) => f.functionName === "parseFile"],
  ["judge (besides the YAML parse)", (f) => f.functionName === "judge"],
  ["report and output", (f) => ["renderReport", "formatText"].includes(f.functionName)],
  ["argv, dispatch", (f) => ["parseCommandLine", "dispatch"].includes(f.functionName)],
  ["Node start and exit (bootstrap, main module, teardown)", () => true],
];

export function breakdown(files) {
  const sums = new Map(PHASES.map(([name]) => [name, 0]));
  let total = 0;
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, "utf8"));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const phaseOf = new Map();
    const phase = (leaf) => {
      let p = phaseOf.get(leaf);
      if (p) return p;
      const stack = [];
      for (let id = leaf; id !== undefined; id = parent.get(id)) stack.push(byId.get(id).callFrame);
      p = PHASES.find(([, test]) => stack.some((f) => test(f)))[0];
      phaseOf.set(leaf, p);
      return p;
    };
    for (let i = 0; i < prof.samples.length; i++) {
      const us = prof.timeDeltas[i + 1] ?? 0;
      total += us;
      const p = phase(prof.samples[i]);
      sums.set(p, sums.get(p) + us);
    }
  }
  const n = files.length;
  return {
    runs: n,
    profiledMs: total / n / 1000,
    phases: [...sums].map(([name, us]) => ({ name, ms: us / n / 1000, share: us / total })),
  };
}
