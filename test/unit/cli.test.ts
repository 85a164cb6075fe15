import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import pkg from "../../package.json" with { type: "json" };
import { HELP, helpFor } from "../../src/cli/help.js";
import { type Io, OPTION_TABLES, parseCommandLine, run, useColor } from "../../src/cli/main.js";
import { VERSION } from "../../src/version.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

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

describe("the command line matches its help and the README", () => {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const commands = Object.keys(OPTION_TABLES.commands) as Array<
    keyof typeof OPTION_TABLES.commands
  >;
  const flags = (table: Record<string, { type: string; short?: string }>) =>
    Object.entries(table).map(([name, o]) => ({ long: `--${name}`, short: o.short }));

  it("every option of every command is in its --help and in the README", () => {
    const missing: string[] = [];
    for (const c of commands) {
      const help = helpFor(c);
      for (const f of [...flags(OPTION_TABLES.common), ...flags(OPTION_TABLES.commands[c])]) {
        const word = new RegExp(`(^|[\\s\`(\\[])${f.long.replace(/-/g, "\\-")}(?![\\w-])`, "m");
        if (!word.test(help)) missing.push(`${c} --help: ${f.long}`);
        if (f.short && !help.includes(`-${f.short}, ${f.long}`)) {
          missing.push(`${c} --help: -${f.short}`);
        }
        if (f.long !== "--hook" && !word.test(readme)) missing.push(`README: ${c} ${f.long}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("help lines fit in 100 columns", () => {
    for (const c of ["", ...commands]) {
      for (const line of (c ? helpFor(c) : HELP).split("\n")) {
        expect(line.length, `${c || "secret-guard"}: ${line}`).toBeLessThanOrEqual(100);
      }
    }
  });

  it("common options are accepted before the command", () => {
    const p = parseCommandLine(["--format", "json", "-C", "/tmp", "scan", "--all"]);
    if (!("command" in p)) throw new Error("parse");
    expect(p).toMatchObject({
      command: "scan",
      values: { format: "json", cwd: "/tmp", all: true },
    });
    const q = parseCommandLine(["-q", "explain", "x.yaml", "--no-color"]);
    if (!("command" in q)) throw new Error("parse");
    expect(q).toMatchObject({
      command: "explain",
      positionals: ["x.yaml"],
      values: { quiet: true },
    });
    expect(parseCommandLine(["--help", "init"])).toEqual({ help: helpFor("init") });
    expect(parseCommandLine(["--help"])).toEqual({ help: HELP });
    expect(parseCommandLine(["--version"])).toEqual({ version: true });
    expect(() => parseCommandLine(["--bogus", "scan"])).toThrow(/Unknown option/);
    expect(() => parseCommandLine(["--format", "json"])).toThrow(/no command/);
  });

  it("`--output -` is standard output", async () => {
    const i = io();
    expect(await run(["--output", "-", "explain", "package.json"], i)).toBe(0);
    expect(i.out.join("")).toContain("file:      package.json");
    expect(existsSync(path.join(process.cwd(), "-"))).toBe(false);
  });
});
