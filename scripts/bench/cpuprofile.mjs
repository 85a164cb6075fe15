// Top self-time functions of a V8 .cpuprofile (what `node --cpu-prof` writes).
// Usage as a script: node scripts/bench/cpuprofile.mjs FILE.cpuprofile [N]
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The source module of a line of an esbuild bundle: esbuild (without minify) opens each
 * bundled module with a `// node_modules/yaml/dist/parse/lexer.js` or `// src/core/judge.ts`
 * comment, so the last such comment above the line names it.
 */
const markers = new Map();
function sourceOf(url, line) {
  if (!url.startsWith("file://")) return undefined;
  let m = markers.get(url);
  if (!m) {
    m = [];
    try {
      const lines = readFileSync(fileURLToPath(url), "utf8").split("\n");
      for (let i = 0; i < lines.length; i++) {
        const c = /^\/\/ ((?:node_modules|src)\/\S+\.[cm]?[jt]s)$/.exec(lines[i]);
        if (c) m.push([i, c[1]]);
      }
    } catch {
      // unreadable: no attribution
    }
    markers.set(url, m);
  }
  let found;
  for (const [at, src] of m) {
    if (at > line) break;
    found = src;
  }
  return found;
}

/** What a source belongs to: a package, a folder of secret-guard's src/, node, or V8. */
function originOf(fn, url, src) {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  if (url.startsWith("node:")) return "node internals";
  const path = src ?? url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (nm) return nm[1];
  if (/\/dist\/bundle\//.test(path)) return "bundle glue";
  const sg = /(?:^|\/)(?:src|dist)\/(.+)\.[jt]s$/.exec(path);
  if (sg) return `secret-guard src/${sg[1].replace(/\/?[^/]+$/, "/")}`;
  return "other";
}

/**
 * [{ fn, where, selfMs, pct }] sorted by self time, the same grouped by origin (package or
 * secret-guard folder; bundle lines are mapped back to their module), and the total.
 */
export function topSelf(file, n = 12) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = prof.timeDeltas ?? [];
  let total = 0;
  // A sample's time is the delta to the next sample.
  for (let i = 0; i < prof.samples.length; i++) {
    const us = deltas[i + 1] ?? 0;
    total += us;
    const id = prof.samples[i];
    self.set(id, (self.get(id) ?? 0) + us);
  }
  const agg = new Map();
  const origins = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id)?.callFrame ?? {};
    const fn = cf.functionName || "(anonymous)";
    const src = cf.url ? sourceOf(cf.url, cf.lineNumber ?? 0) : undefined;
    const where = cf.url ? (src ?? `${shortUrl(cf.url)}:${(cf.lineNumber ?? 0) + 1}`) : "";
    const key = `${fn}\0${where}`;
    const a = agg.get(key) ?? { fn, where, us: 0 };
    a.us += us;
    agg.set(key, a);
    const o = originOf(fn, cf.url, src);
    origins.set(o, (origins.get(o) ?? 0) + us);
  }
  const ms = (us) => Math.round(us / 100) / 10;
  const pct = (us) => Math.round((us / total) * 1000) / 10;
  const rows = [...agg.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((a) => ({ fn: a.fn, where: a.where, selfMs: ms(a.us), pct: pct(a.us) }));
  const byOrigin = [...origins]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([origin, us]) => ({ origin, selfMs: ms(us), pct: pct(us) }));
  return { totalMs: ms(total), rows, byOrigin };
}

function shortUrl(url) {
  const p = url.replace(/^file:\/\//, "");
  const nm = p.lastIndexOf("/node_modules/");
  if (nm !== -1) return p.slice(nm + 1);
  const d = p.lastIndexOf("/dist/");
  if (d !== -1) return p.slice(d + 1);
  return p.startsWith("node:") ? p : path.basename(p);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { totalMs, rows } = topSelf(process.argv[2], Number(process.argv[3] ?? 15));
  console.log(`total ${totalMs} ms`);
  const { byOrigin } = topSelf(process.argv[2], Number(process.argv[3] ?? 15));
  for (const r of rows)
    console.log(
      `${String(r.selfMs).padStart(8)} ms ${String(r.pct).padStart(5)}%  ${r.fn}  ${r.where}`,
    );
  console.log("by origin:");
  for (const r of byOrigin)
    console.log(`${String(r.selfMs).padStart(8)} ms ${String(r.pct).padStart(5)}%  ${r.origin}`);
}
