/**
 * The house's import directions, checked by `npm run lint`:
 *
 *   cli → commands → { check, audit, scaffold } → { core, policy, crypto, sources, report }
 *       → { sops, git } → base (src/*.ts)
 *
 * A module imports only from tiers below its own (or its own folder), never in
 * a cycle; `audit` and `scaffold` may use `check` (they judge through it);
 * nothing imports another folder's `internal.ts`; the pure layers touch no
 * file system, process or child process; the library (src/index.ts) never
 * imports the command line or the commands.
 */
const TIERS = [
  ["cli"],
  ["commands"],
  ["check", "audit", "scaffold"],
  ["core", "policy", "crypto", "sources", "report"],
  ["sops", "git"],
];
const SIDEWAYS = { audit: ["check"], scaffold: ["check"] };

const tierOf = (f) => TIERS.findIndex((t) => t.includes(f));
const forbidden = [
  { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
  {
    name: "no-private-reach",
    comment: "internal.ts is private to its folder",
    severity: "error",
    from: { path: "^src/([^/]+)/" },
    to: { path: "^src/([^/]+)/internal\\.ts$", pathNot: "^src/$1/" },
  },
  {
    name: "pure-layers",
    comment: "core, sops, report and policy/parse are pure: no fs, no child_process",
    severity: "error",
    from: { path: "^src/(core|sops|report)/|^src/policy/parse\\.ts$" },
    to: { dependencyTypes: ["core"], path: "^(node:)?(fs|fs/promises|child_process)$" },
  },
  {
    name: "library-stays-low",
    comment: "the library API never imports the command line or the commands",
    severity: "error",
    from: { path: "^src/index\\.ts$" },
    to: { path: "^src/(cli|commands)/" },
  },
  {
    name: "base-imports-nothing-above",
    severity: "error",
    from: { path: "^src/[^/]+\\.ts$", pathNot: "^src/index\\.ts$" },
    to: { path: "^src/[^/]+/" },
  },
];
for (const tier of TIERS) {
  for (const folder of tier) {
    const t = tierOf(folder);
    const notBelow = TIERS.slice(0, t + 1)
      .flat()
      .filter((f) => f !== folder && !(SIDEWAYS[folder] ?? []).includes(f));
    if (notBelow.length === 0) continue;
    forbidden.push({
      name: `imports-point-down:${folder}`,
      comment: `${folder}/ may import only from tiers below it`,
      severity: "error",
      from: { path: `^src/${folder}/` },
      to: { path: `^src/(${notBelow.join("|")})/` },
    });
  }
}

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
