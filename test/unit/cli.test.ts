import { describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { helpFor } from "../../src/cli/help.js";
import { type Io, parseCommandLine, run, useColor } from "../../src/cli/main.js";
import { VERSION } from "../../src/version.js";

function io(env: NodeJS.ProcessEnv = {}, isTTY = false): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    env,
    cwd: process.cwd(),
    isTTY,
    out,
    err,
  };
}

describe("command line manners", () => {
  it("colour only on a terminal; NO_COLOR and --no-color switch it off", () => {
    const parsed = parseCommandLine(["scan"]);
    if (!("command" in parsed)) throw new Error("parse");
    expect(useColor(parsed.values, io({}, true))).toBe(true);
    expect(useColor(parsed.values, io({}, false))).toBe(false);
    expect(useColor(parsed.values, io({ NO_COLOR: "1" }, true))).toBe(false);
    const off = parseCommandLine(["scan", "--no-color"]);
    if (!("command" in off)) throw new Error("parse");
    expect(useColor(off.values, io({}, true))).toBe(false);
  });

  it("every command's --help has examples; the version matches package.json", async () => {
    for (const c of [
      "scan",
      "explain",
      "install",
      "encrypt",
      "verify",
      "new",
      "init",
      "history",
      "updatekeys",
    ]) {
      expect(helpFor(c), c).toMatch(/Example/);
      const i = io();
      expect(await run([c, "--help"], i)).toBe(0);
      expect(i.out.join("")).toContain(`secret-guard ${c}`);
    }
    expect(VERSION).toBe(pkg.version);
    const v = io();
    expect(await run(["--version"], v)).toBe(0);
    expect(v.out.join("")).toBe(`${pkg.version}\n`);
  });

  it("bad usage exits 2 with a hint", async () => {
    const i = io();
    expect(await run(["frobnicate"], i)).toBe(2);
    expect(i.err.join("")).toContain("unknown command");
    const j = io();
    expect(await run(["scan", "--format", "xml"], j)).toBe(2);
    const k = io();
    expect(await run(["scan", "--all", "--range", "a..b"], k)).toBe(2);
  });
});
