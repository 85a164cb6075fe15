/**
 * The import-direction check that `npm run lint` runs: green on the real tree,
 * red on a copy of it with one deliberately planted violation of each kind.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const depcruise = path.join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A copy of src/ plus the configs, in a temp folder, with `plant` applied. */
function plantedTree(plant: (dir: string) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sg-arch-"));
  temps.push(dir);
  cpSync(path.join(root, "src"), path.join(dir, "src"), { recursive: true });
  for (const f of [".dependency-cruiser.cjs", "tsconfig.json"])
    cpSync(path.join(root, f), path.join(dir, f));
  plant(dir);
  return dir;
}

function cruise(dir: string) {
  const r = spawnSync(
    process.execPath,
    [depcruise, "src", "--config", ".dependency-cruiser.cjs", "--no-progress"],
    { cwd: dir, encoding: "utf8" },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

function archScript(dir: string) {
  const r = spawnSync(
    process.execPath,
    [path.join(root, "scripts/check-architecture.mjs"), path.join(dir, "src")],
    { encoding: "utf8" },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("import directions", () => {
  it("the real tree passes", () => {
    const r = cruise(root);
    expect(r.out).toContain("no dependency violations");
    expect(r.code).toBe(0);
    expect(archScript(root).code).toBe(0);
  });

  it("an upward import (sops → commands) fails, naming the rule", () => {
    const dir = plantedTree((d) =>
      appendFileSync(
        path.join(d, "src/sops/enc.ts"),
        '\nexport { scanCommand as planted } from "../commands/scan.js";\n',
      ),
    );
    const r = cruise(dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("imports-point-down:sops");
    expect(r.out).toContain("src/sops/enc.ts → src/commands/scan.ts");
  });

  it("crypto importing core, fs in a pure layer, a reach into internal.ts, a cycle: each fails", () => {
    const dir = plantedTree((d) => {
      appendFileSync(
        path.join(d, "src/crypto/random.ts"),
        '\nexport { judge as planted } from "../core/judge.js";\n',
      );
      appendFileSync(
        path.join(d, "src/report/json.ts"),
        '\nexport { readFileSync as planted } from "node:fs";\n',
      );
      appendFileSync(
        path.join(d, "src/check/file.ts"),
        '\nexport { skipReason as planted } from "../sources/internal.js";\n',
      );
      appendFileSync(
        path.join(d, "src/git/parse.ts"),
        '\nexport { git as plantedCycle } from "./exec.js";\n',
      );
      writeFileSync(
        path.join(d, "src/git/cycle-a.ts"),
        'export { b } from "./cycle-b.js";\nexport const a = 1;\n',
      );
      writeFileSync(
        path.join(d, "src/git/cycle-b.ts"),
        'export { a } from "./cycle-a.js";\nexport const b = 2;\n',
      );
    });
    const r = cruise(dir);
    expect(r.code).not.toBe(0);
    for (const rule of [
      "imports-point-down:crypto",
      "pure-layers",
      "no-private-reach",
      "no-circular",
    ])
      expect(r.out).toContain(rule);
  });

  it("the process global in a pure layer, or git spawned outside git/exec, fails", () => {
    const dir = plantedTree((d) => {
      appendFileSync(
        path.join(d, "src/core/judge.ts"),
        "\nexport const planted = process.env.X;\n",
      );
      appendFileSync(
        path.join(d, "src/sources/all.ts"),
        '\nimport { spawnSync as plantedSpawn } from "node:child_process";\nexport const planted = () => plantedSpawn("git", ["status"]);\n',
      );
    });
    const r = archScript(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain("core/judge.ts: a pure layer uses the process global");
    expect(r.out).toContain("sources/all.ts: starts git itself");
  });
});
