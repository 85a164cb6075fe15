/**
 * The one error boundary: the bin guards its import, so a missing or broken
 * build exits 2 ("could not check") with one line, never 1 (the findings
 * code) and never a stack trace unless --debug.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeTempDir } from "../helpers/repo.js";
import { ROOT } from "./helpers.js";

afterAll(() => cleanupAll());

/** A copy of bin/ with a dist/ made by `plant` (or none). */
function install(plant?: (dist: string) => void): string {
  const dir = makeTempDir();
  cpSync(path.join(ROOT, "bin"), path.join(dir, "bin"), { recursive: true });
  writeFileSync(path.join(dir, "package.json"), '{"type":"module"}\n');
  if (plant) {
    const dist = path.join(dir, "dist", "bundle");
    mkdirSync(dist, { recursive: true });
    plant(dist);
  }
  return dir;
}

function run(dir: string, args: string[]) {
  const r = spawnSync(process.execPath, [path.join(dir, "bin/secret-guard.js"), ...args], {
    cwd: dir,
    encoding: "utf8",
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("error boundary", () => {
  it("a missing build exits 2 with one line and a hint", () => {
    const r = run(install(), ["scan"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("secret-guard: cannot load its build");
    expect(r.out).not.toMatch(/\n\s+at /);
    expect(r.out.trim().split("\n")).toHaveLength(2);
  });

  it("a build that throws on load exits 2; --debug shows the stack", () => {
    const dir = install((d) =>
      writeFileSync(path.join(d, "cli.cjs"), 'throw new Error("boom");\n'),
    );
    const r = run(dir, ["scan"]);
    expect(r.code).toBe(2);
    expect(r.out).not.toContain("boom");
    expect(r.out).not.toMatch(/\n\s+at /);
    const d = run(dir, ["scan", "--debug"]);
    expect(d.code).toBe(2);
    expect(d.out).toContain("boom");
  });

  it("an error escaping the command line (a rejected promise after main) exits 2, not 1", () => {
    const dir = install((d) =>
      writeFileSync(
        path.join(d, "cli.cjs"),
        "exports.main = async function main() { setTimeout(() => Promise.reject(new TypeError('late')), 0); };\n",
      ),
    );
    const r = run(dir, ["scan"]);
    expect(r.code).toBe(2);
    expect(r.out).toContain("internal error: TypeError");
    expect(r.out).not.toContain("late");
  });
});
