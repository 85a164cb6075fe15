/**
 * Which editor `new` starts and with which options (src/scaffold/terminal.ts):
 * the program behind the command (first word, found on PATH, links followed,
 * so Debian's `vi` → /etc/alternatives/vi → vim.basic is vim), and the
 * options that keep its history, undo, swap and backup files off.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { editorPlan, kindOf } from "../../src/scaffold/terminal.js";
import { cleanupAll, makeTempDir } from "../helpers/repo.js";

afterAll(() => cleanupAll());

describe("editor plans", () => {
  it.each([
    ["vim", "vim"],
    ["vim.basic", "vim"],
    ["vim.tiny", "vim"],
    ["gvim", "vim"],
    ["nvim", "nvim"],
    ["nano", "nano"],
    ["rnano", "nano"],
    ["emacs", "emacs"],
    ["emacs-nox", "emacs"],
    ["code", "vscode"],
    ["codium", "vscode"],
    ["micro", "other"],
    ["nvi", "other"],
    ["busybox", "other"],
  ])("%s is %s", (program, kind) => {
    expect(kindOf(program)).toBe(kind);
  });

  it("follows PATH and links: vi that is vim gets vim's options, vi that is busybox none", () => {
    const dir = makeTempDir();
    const real = path.join(dir, "real");
    mkdirSync(real);
    writeFileSync(path.join(real, "vim.basic"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(path.join(real, "busybox"), "#!/bin/sh\n", { mode: 0o755 });
    const a = path.join(dir, "a");
    const b = path.join(dir, "b");
    mkdirSync(a);
    mkdirSync(b);
    symlinkSync(path.join(real, "vim.basic"), path.join(a, "vi"));
    symlinkSync(path.join(real, "busybox"), path.join(b, "vi"));
    const vim = editorPlan("vi", { PATH: a });
    expect(vim.kind).toBe("vim");
    expect(vim.args.slice(0, 3)).toEqual(["-i", "NONE", "-n"]);
    expect(vim.args[4]).toContain("noundofile");
    expect(vim.args[4]).toContain("nowritebackup");
    const bb = editorPlan("vi", { PATH: b });
    expect(bb.kind).toBe("other");
    expect(bb.args).toEqual([]);
    expect(bb.notes.join(" ")).toContain("cannot switch off");
  });

  it("nano ignores its rc files; nvim drops ShaDa; code waits; emacs keeps no backups", () => {
    expect(editorPlan("nano", { PATH: "" }).args).toEqual(["--ignorercfiles"]);
    expect(editorPlan("nvim", { PATH: "" }).args).toEqual(
      expect.arrayContaining(["-i", "NONE", "-n", "--cmd"]),
    );
    expect(editorPlan("code", { PATH: "" }).args).toEqual(["--wait"]);
    expect(editorPlan("code --wait", { PATH: "" }).args).toEqual([]);
    expect(editorPlan("code", { PATH: "" }).notes.join(" ")).toContain("localHistory");
    expect(editorPlan("emacs -nw", { PATH: "" }).args[1]).toContain("make-backup-files nil");
  });
});
