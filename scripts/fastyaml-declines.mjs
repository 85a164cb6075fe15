#!/usr/bin/env node
// Why the YAML fast path (src/sops/fastyaml.ts) declines real files: every distinct
// .yaml/.yml/.json blob in the history of each repository given (all refs), read as
// parseFile reads YAML, run through the fast path's diagnostics (fastYamlDecline) and
// the full reader. Prints per repository the decline rate (over all blobs, and over the
// blobs mayMatter lets through to a parse) and the decline reasons, most common first,
// with the time the full reader spends on them. Nothing of the files' content is printed
// unless --lines is given (then the declined line of up to 3 blobs per reason, for a
// look at what to handle next; never paste those into the repository). With --compare,
// every blob the fast path takes is also read by the full reader and the two trees are
// compared (a real-corpus differential): differences are counted and named by path and
// blob id only.
//
//   npm run build && node scripts/fastyaml-declines.mjs [--lines] [--compare] REPO...
//
// Also counts files of other names that maySniffAsYaml lets through (the history audit
// parses those too): how many, how many the full reader refuses, and its time on them.
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { decodeText, goYamlLines, parseYamlFast, parseYamlFull, DEFAULT_LIMITS } = await import(
  path.join(root, "dist/sops/parse.js")
);
const { fastYamlDecline } = await import(path.join(root, "dist/sops/fastyaml.js"));
const { mayMatter, maySniffAsYaml, provablyNotYamlObject } = await import(
  path.join(root, "dist/core/analyze.js")
);

const args = process.argv.slice(2);
const showLines = args.includes("--lines");
const compare = args.includes("--compare");
const repos = args.filter((a) => !a.startsWith("--"));
if (repos.length === 0) {
  console.error("usage: node scripts/fastyaml-declines.mjs [--lines] [--compare] REPO...");
  process.exit(2);
}
const LIMITS = {
  maxDepth: Math.min(DEFAULT_LIMITS.maxDepth, 64),
  maxNodes: Math.floor(DEFAULT_LIMITS.maxNodes / 2),
};

/** Distinct blobs of the log, each with the first path it was seen under. */
function blobsOf(repo) {
  const out = execFileSync(
    "git",
    ["-C", repo, "log", "--all", "--raw", "--no-abbrev", "--format="],
    {
      maxBuffer: 1 << 30,
      encoding: "utf8",
    },
  );
  const blobs = new Map();
  for (const line of out.split("\n")) {
    if (!line.startsWith(":")) continue;
    const tab = line.indexOf("\t");
    const meta = line.slice(1, tab).split(" ");
    const paths = line.slice(tab + 1).split("\t");
    const sha = meta[3];
    const mode = meta[1];
    if (!sha || /^0+$/.test(sha) || !mode.startsWith("100")) continue;
    const p = paths[paths.length - 1];
    if (!blobs.has(sha)) blobs.set(sha, p);
  }
  return blobs;
}

/** Every own key in order, Buffers by content (as test/unit/fastyaml.test.ts compares). */
function canon(x) {
  if (Buffer.isBuffer(x)) return `buf:${x.toString("hex")}`;
  if (Array.isArray(x)) return `[${x.map(canon).join(",")}]`;
  if (x && typeof x === "object") {
    const proto = Object.getPrototypeOf(x);
    const tag = proto === Object.prototype || proto === null ? "" : `${proto?.constructor?.name}`;
    return `${tag}{${Object.keys(x)
      .map((k) => `${JSON.stringify(k)}:${canon(x[k])}`)
      .join(",")}}`;
  }
  return x === undefined ? "undefined" : JSON.stringify(x);
}

/** Does the fast path's tree of text equal the full reader's? (it took the text) */
function sameAsFull(text) {
  const fast = parseYamlFast(text, DEFAULT_LIMITS);
  if (!fast) return true;
  try {
    return canon(fast) === canon(parseYamlFull(text, DEFAULT_LIMITS));
  } catch {
    return false;
  }
}

/** Read blobs through one `git cat-file --batch`. */
function readBlobs(repo, shas) {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-C", repo, "cat-file", "--batch"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const chunks = [];
    child.stdout.on("data", (c) => chunks.push(c));
    child.on("error", reject);
    child.on("close", () => {
      const buf = Buffer.concat(chunks);
      const res = new Map();
      let at = 0;
      while (at < buf.length) {
        const nl = buf.indexOf(10, at);
        const [sha, type, size] = buf.toString("latin1", at, nl).split(" ");
        const n = Number(size);
        if (type === "missing" || Number.isNaN(n)) {
          at = nl + 1;
          continue;
        }
        res.set(sha, buf.subarray(nl + 1, nl + 1 + n));
        at = nl + 1 + n + 1;
      }
      resolve(res);
    });
    child.stdin.end(`${shas.join("\n")}\n`);
  });
}

function fullTime(text) {
  const t0 = performance.now();
  let ok = true;
  try {
    parseYamlFull(text, DEFAULT_LIMITS, true, true);
  } catch {
    ok = false;
  }
  return { ok, ms: performance.now() - t0 };
}

const totals = { blobs: 0, mattering: 0, declined: 0, declinedMattering: 0, differ: 0 };
for (const repo of repos) {
  const blobs = blobsOf(repo);
  const named = [...blobs].filter(([, p]) => /\.(ya?ml|json)$/i.test(p));
  const others = [...blobs].filter(([, p]) => !/\.(ya?ml|json)$/i.test(p));
  const data = await readBlobs(repo, [...blobs.keys()]);
  const reasons = new Map();
  let n = 0;
  let mattering = 0;
  let declined = 0;
  let declinedMattering = 0;
  let jsonNamed = 0;
  let compared = 0;
  const differ = [];
  for (const [sha, p] of named) {
    const bytes = data.get(sha);
    if (!bytes) continue;
    let text;
    try {
      text = goYamlLines(decodeText(bytes));
    } catch {
      continue; // refused before any parse
    }
    if (/\.json$/i.test(p)) jsonNamed++;
    n++;
    const matters = mayMatter(bytes);
    if (matters) mattering++;
    const d = fastYamlDecline(text, LIMITS);
    if (!d) {
      if (compare) {
        compared++;
        if (!sameAsFull(text)) differ.push(`${p} ${sha}`);
      }
      continue;
    }
    declined++;
    if (matters) declinedMattering++;
    const { ok, ms } = fullTime(text);
    const key = `${/\.json$/i.test(p) ? "json: " : ""}${d.reason}${ok ? "" : " (full refuses)"}`;
    const r = reasons.get(key) ?? { count: 0, mattering: 0, ms: 0, samples: [] };
    r.count++;
    if (matters) r.mattering++;
    r.ms += ms;
    if (r.samples.length < 3)
      r.samples.push(`${p}:${d.line}: ${JSON.stringify(text.split("\n")[d.line - 1] ?? "")}`);
    reasons.set(key, r);
  }
  let sniffed = 0;
  let sniffRefused = 0;
  let sniffProven = 0;
  let sniffMs = 0;
  const sniffSamples = [];
  for (const [sha, p] of others) {
    const bytes = data.get(sha);
    if (!bytes || !maySniffAsYaml(bytes)) continue;
    sniffed++;
    // The judgement skips these before any parse (core/analyze.ts).
    if (provablyNotYamlObject(bytes)) {
      sniffProven++;
      continue;
    }
    let text;
    try {
      text = goYamlLines(decodeText(bytes));
    } catch {
      sniffRefused++;
      continue;
    }
    const { ok, ms } = fullTime(text);
    sniffMs += ms;
    if (!ok) sniffRefused++;
    if (sniffSamples.length < 12) sniffSamples.push(`${p}${ok ? "" : " (full refuses)"}`);
  }
  const pct = (a, b) => (b === 0 ? "-" : `${((100 * a) / b).toFixed(1)}%`);
  console.log(
    `\n${path.basename(repo)}: ${n} YAML/JSON blobs (${jsonNamed} .json), declined ${declined} (${pct(declined, n)}); ` +
      `${mattering} pass mayMatter, declined ${declinedMattering} (${pct(declinedMattering, mattering)}); ` +
      `sniffed other names ${sniffed}, proven not YAML before a parse ${sniffProven}, full refuses ${sniffRefused} more, full ${sniffMs.toFixed(0)} ms`,
  );
  if (compare) {
    console.log(`  compared with the full reader: ${compared} taken, ${differ.length} differ`);
    for (const d of differ.slice(0, 20)) console.log(`    differs: ${d}`);
    totals.differ += differ.length;
  }
  for (const [key, r] of [...reasons].sort((a, b) => b[1].count - a[1].count)) {
    console.log(
      `  ${String(r.count).padStart(6)} ${String(r.mattering).padStart(6)} ${r.ms.toFixed(0).padStart(6)} ms  ${key}`,
    );
    if (showLines) for (const s of r.samples) console.log(`           ${s}`);
  }
  if (showLines) for (const s of sniffSamples) console.log(`  sniffed: ${s}`);
  totals.blobs += n;
  totals.mattering += mattering;
  totals.declined += declined;
  totals.declinedMattering += declinedMattering;
}
console.log(
  `\nall: ${totals.blobs} blobs, declined ${totals.declined} (${((100 * totals.declined) / totals.blobs).toFixed(1)}%); ` +
    `mayMatter ${totals.mattering}, declined ${totals.declinedMattering} (${((100 * totals.declinedMattering) / totals.mattering).toFixed(1)}%)`,
);
if (compare) {
  console.log(`compared with the full reader: ${totals.differ} differ`);
  if (totals.differ > 0) process.exitCode = 1;
}
