/**
 * `secret-guard new` in a real terminal (tmux: keys sent with send-keys, the
 * screen read with capture-pane) with the real vim and nano: create a Secret,
 * edit it (a rotated value), cancel by not changing anything, and Ctrl-C plus
 * a SIGINT while the editor is open. HOME is a temp folder whose .vimrc turns
 * viminfo, undo files, swap files in a folder of their own and backups ON
 * and whose .nanorc turns search history, position log, backups and locking
 * ON, so the command-line options secret-guard passes must override them.
 * Afterwards no canary value is anywhere: the repository, $TMPDIR, /dev/shm,
 * ~/.viminfo, ~/.local/state, the undo/backup/swap folders, anything under
 * $HOME, nano's history under the account's real home. A control run of
 * plain vim with the same HOME proves the search finds what vim keeps.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptFile } from "../../src/crypto/decrypt.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { BIN, seedPolicy, transcript } from "./helpers.js";

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const TOOLS = ["tmux", "vim", "nano"];

const VIMRC = `set nocompatible
set viminfo='100,<500,s100,h,:100,/100
set undofile undodir=~/.vim/undo//
set backup writebackup backupdir=~/.vim/backup//
set swapfile directory=~/.vim/swap//
set history=100
`;
const NANORC = `set historylog
set positionlog
set backup
set backupdir "~/nano-backups"
set locking
`;

let identity: string;
let keyFile: string;
let recipient: string;
const canaries: string[] = [];
const canary = (tag: string) => {
  const c = `canary-tty-${tag}-${Math.random().toString(36).slice(2, 8)}`;
  canaries.push(c);
  return c;
};

/** The account's real home: nano writes its history there even when HOME is changed. */
const REAL_HOME = os.userInfo().homedir;
const realHomeWatch = [
  path.join(REAL_HOME, ".local", "share", "nano"),
  path.join(REAL_HOME, ".nano"),
  path.join(REAL_HOME, ".viminfo"),
];

beforeAll(async () => {
  for (const t of TOOLS) expect(has(t), `${t} is needed (.ci/run installs it)`).toBe(true);
  identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  keyFile = path.join(makeTempDir(), "keys.txt");
  writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
});
afterAll(() => {
  for (const c of canaries) expect(transcript.join("\n")).not.toContain(c);
  cleanupAll();
});

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) return [dir];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) return [];
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** Files holding any of the values, among everything below `roots`. */
function holding(roots: string[], values: string[]): string[] {
  const out: string[] = [];
  for (const f of roots.flatMap(filesUnder)) {
    let text: string;
    try {
      text = readFileSync(f, "latin1");
    } catch {
      continue;
    }
    if (values.some((v) => text.includes(v))) out.push(f);
  }
  return out;
}

class Terminal {
  readonly socket: string;
  constructor(dir: string) {
    this.socket = path.join(dir, "tmux.sock");
  }
  tmux(...args: string[]): string {
    return execFileSync("tmux", ["-S", this.socket, ...args], { encoding: "utf8" });
  }
  start(script: string): void {
    this.tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "45", script);
  }
  screen(): string {
    return this.tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "t");
  }
  keys(...keys: string[]): void {
    this.tmux("send-keys", "-t", "t", ...keys);
  }
  /** Type text literally (no key names). */
  type(text: string): void {
    this.tmux("send-keys", "-t", "t", "-l", text);
  }
  async waitFor(what: string | RegExp, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    let s = "";
    while (Date.now() < deadline) {
      s = this.screen();
      if (typeof what === "string" ? s.includes(what) : what.test(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${String(what)}; screen:\n${s}`);
  }
  kill(): void {
    spawnSync("tmux", ["-S", this.socket, "kill-server"]);
  }
}

interface Ctx {
  repo: TestRepo;
  term: Terminal;
  tmp: string;
  dir: string;
  env: NodeJS.ProcessEnv;
}

async function setup(editor: string): Promise<Ctx> {
  const repo = await makeRepo({
    files: {
      ".sops.yaml": seedPolicy(recipient),
      "flux/secrets/develop/kustomization.yaml":
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    },
    commit: "layout",
  });
  writeFileSync(path.join(repo.home, ".vimrc"), VIMRC);
  writeFileSync(path.join(repo.home, ".nanorc"), NANORC);
  for (const d of [
    ".vim/undo",
    ".vim/backup",
    ".vim/swap",
    "nano-backups",
    ".local/state",
    ".local/share/nano",
  ]) {
    mkdirSync(path.join(repo.home, d), { recursive: true });
  }
  const dir = makeTempDir("sg-tty-");
  const tmp = path.join(dir, "tmp");
  mkdirSync(tmp);
  const env: NodeJS.ProcessEnv = {
    ...repo.env,
    TERM: "xterm-256color",
    NO_COLOR: "1",
    TMPDIR: tmp,
    EDITOR: editor,
    VISUAL: "",
    XDG_STATE_HOME: path.join(repo.home, ".local", "state"),
    XDG_DATA_HOME: path.join(repo.home, ".local", "share"),
    SOPS_AGE_KEY_FILE: keyFile,
  };
  delete env.XDG_RUNTIME_DIR; // so the private folder goes to /dev/shm, as on most machines
  delete env.TMUX;
  return { repo, term: new Terminal(dir), tmp, dir, env };
}

let runs = 0;
/** Start `secret-guard ARGS` in the terminal; its pid goes to a file, its exit code on screen. */
function start(c: Ctx, args: string[]): { pidFile: string; marker: string } {
  const n = ++runs;
  const pidFile = path.join(c.dir, `pid-${n}`);
  const marker = `SG-EXIT-${n}=`;
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const script = path.join(c.dir, `run-${n}.sh`);
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      ...Object.entries(c.env)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `export ${k}=${q(v!)}`),
      `cd ${q(c.repo.dir)}`,
      `sh -c 'echo $$ > ${pidFile}; exec "$@"' sh ${q(process.execPath)} ${q(BIN)} ${args.map(q).join(" ")}`,
      `echo "${marker}$?"`,
      "sleep 600",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  c.term.kill();
  c.term.start(script);
  return { pidFile, marker };
}

async function finish(c: Ctx, marker: string): Promise<{ code: number; screen: string }> {
  const screen = await c.term.waitFor(new RegExp(`${marker}\\d+`));
  transcript.push(screen);
  const code = Number(new RegExp(`${marker}(\\d+)`).exec(screen)![1]);
  c.term.kill();
  return { code, screen };
}

async function values(c: Ctx, rel: string): Promise<Record<string, string>> {
  const dec = await decryptFile(c.repo.read(rel), "yaml", [identity]);
  expect(dec.ok).toBe(true);
  return Object.fromEntries(dec.leaves.map((l) => [l.path.join("."), l.plain.toString("utf8")]));
}

const ourShm = () =>
  existsSync("/dev/shm")
    ? readdirSync("/dev/shm")
        .filter((n) => n.startsWith("secret-guard-new-"))
        .map((n) => path.join("/dev/shm", n))
    : [];

/** Nothing of `vals` anywhere it could have been left. */
function assertNowhere(c: Ctx, vals: string[]): void {
  const roots = [c.repo.dir, c.tmp, c.repo.home, ...ourShm(), ...realHomeWatch];
  expect(holding(roots, vals)).toEqual([]);
  // and the work tree holds only the encrypted Secret and its kustomization
  expect(
    filesUnder(c.repo.dir)
      .filter((f) => !f.includes(`${path.sep}.git${path.sep}`))
      .filter((f) => f.includes(".secret-guard-") || f.endsWith(".tmp") || f.endsWith("~")),
  ).toEqual([]);
}

describe.each([
  {
    editor: "vim",
    /** Replace `from` by `to` everywhere and save+quit. */
    replace: (t: Terminal, from: string, to: string) => {
      t.keys("Escape");
      t.type(`:%s/${from}/${to}/`);
      t.keys("Enter");
      t.type(":wq");
      t.keys("Enter");
    },
    quit: (t: Terminal) => {
      t.keys("Escape");
      t.type(":q");
      t.keys("Enter");
    },
    /** Change without quitting: the new value is in the editor's buffer and saved once. */
    changeAndSave: (t: Terminal, from: string, to: string) => {
      t.keys("Escape");
      t.type(`:%s/${from}/${to}/`);
      t.keys("Enter");
      t.type(":w");
      t.keys("Enter");
      t.type("yy");
    },
    ready: /example-key|stringData/,
  },
  {
    editor: "nano",
    replace: async (t: Terminal, from: string, to: string) => {
      t.keys("C-\\");
      await t.waitFor("Search (to replace)");
      t.type(from);
      t.keys("Enter");
      await t.waitFor("Replace with");
      t.type(to);
      t.keys("Enter");
      await t.waitFor(/Replace this instance|Replaced \d+ occurrence/);
      if (/Replace this instance/.test(t.screen())) t.keys("a");
      await t.waitFor(/Replaced \d+ occurrence/);
      // a search for the new value, which nano's historylog would keep
      t.keys("C-w");
      await t.waitFor("Search");
      t.type(to);
      t.keys("Enter");
      t.keys("C-s");
      await t.waitFor("Wrote");
      t.keys("C-x");
    },
    quit: (t: Terminal) => {
      t.keys("C-x");
    },
    changeAndSave: async (t: Terminal, from: string, to: string) => {
      t.keys("C-\\");
      await t.waitFor("Search (to replace)");
      t.type(from);
      t.keys("Enter");
      await t.waitFor("Replace with");
      t.type(to);
      t.keys("Enter");
      await t.waitFor(/Replace this instance|Replaced \d+ occurrence/);
      if (/Replace this instance/.test(t.screen())) t.keys("a");
      await t.waitFor(/Replaced \d+ occurrence/);
      t.keys("C-s");
      await t.waitFor("Wrote");
      t.type(`${to}-more`); // unsaved changes too: nano writes an emergency .save on SIGTERM
    },
    ready: /GNU nano/,
  },
])("new in a terminal with $editor", ({ editor, replace, quit, changeAndSave, ready }) => {
  it("create, edit (rotate), cancel, Ctrl-C + SIGINT: no value left anywhere", async () => {
    const c = await setup(editor);
    const v1 = canary(`${editor}-v1`);
    const v2 = canary(`${editor}-v2`);
    const v3 = canary(`${editor}-v3`);
    const target = "flux/secrets/develop/api.yaml";

    // 1. Create: save and quit encrypts; no question afterwards.
    let run = start(c, ["new", "develop", "api"]);
    await c.term.waitFor(ready);
    await c.term.waitFor("example-key");
    await replace(c.term, "example-value", v1);
    let done = await finish(c, run.marker);
    expect(done.code, done.screen).toBe(0);
    expect(done.screen).not.toContain("[y/N]");
    expect(done.screen).toContain("in memory");
    expect((await values(c, target))["stringData.example-key"]).toBe(v1);
    expect(c.repo.read("flux/secrets/develop/kustomization.yaml").toString()).toContain(
      "resources:\n  - api.yaml\n",
    );

    // 2. Edit the existing Secret: rotate the value.
    run = start(c, ["new", "develop", "api"]);
    await c.term.waitFor(ready);
    await c.term.waitFor(v1);
    await replace(c.term, v1, v2);
    done = await finish(c, run.marker);
    expect(done.code, done.screen).toBe(0);
    expect(done.screen).toContain("re-encrypted under its own data key");
    expect((await values(c, target))["stringData.example-key"]).toBe(v2);

    // 3. Cancel by not changing anything: the edit writes nothing, a new one is not created.
    const before = c.repo.read(target).toString();
    run = start(c, ["new", "develop", "api"]);
    await c.term.waitFor(v2);
    quit(c.term);
    done = await finish(c, run.marker);
    expect(done.code, done.screen).toBe(0);
    expect(done.screen).toContain("no changes; nothing written");
    expect(c.repo.read(target).toString()).toBe(before);
    run = start(c, ["new", "develop", "other"]);
    await c.term.waitFor("example-key");
    quit(c.term);
    done = await finish(c, run.marker);
    expect(done.code, done.screen).toBe(1);
    expect(done.screen).toContain("template was not changed");
    expect(existsSync(path.join(c.repo.dir, "flux/secrets/develop/other.yaml"))).toBe(false);

    // 4. Ctrl-C in the editor (the editor takes it as a key), then SIGINT to secret-guard:
    //    the editor is ended, the private folder removed, exit 130.
    run = start(c, ["new", "develop", "third"]);
    await c.term.waitFor("example-key");
    await changeAndSave(c.term, "example-value", v3);
    c.term.keys("C-c");
    const pid = Number(readFileSync(run.pidFile, "utf8").trim());
    const open = ourShm().filter((d) => path.basename(d).startsWith(`secret-guard-new-${pid}-`));
    expect(open.length).toBe(1); // the plaintext is in memory, in its private folder, right now
    process.kill(pid, "SIGINT");
    done = await finish(c, run.marker);
    expect(done.code, done.screen).toBe(130);
    expect(done.screen).toContain("interrupted (SIGINT)");
    expect(existsSync(open[0]!)).toBe(false);
    expect(existsSync(path.join(c.repo.dir, "flux/secrets/develop/third.yaml"))).toBe(false);

    assertNowhere(c, [v1, v2, v3]);
  }, 120_000);
});

describe("the canary search can fail", () => {
  it("plain vim with the same HOME keeps a replaced value in ~/.viminfo and the undo folder", async () => {
    const c = await setup("vim");
    const v = canary("control");
    const file = path.join(c.dir, "control.yaml");
    writeFileSync(file, "a: example-value\n");
    const script = path.join(c.dir, "control.sh");
    writeFileSync(
      script,
      `#!/bin/sh\nexport HOME='${c.repo.home}' TERM=xterm-256color\nvim '${file}'\necho CONTROL-DONE\nsleep 600\n`,
      { mode: 0o755 },
    );
    c.term.kill();
    c.term.start(script);
    await c.term.waitFor("example-value");
    c.term.type(`:%s/example-value/${v}/`);
    c.term.keys("Enter");
    c.term.type(":w");
    c.term.keys("Enter");
    c.term.type(`:%s/${v}/gone/`);
    c.term.keys("Enter");
    c.term.type(":wq");
    c.term.keys("Enter");
    await c.term.waitFor("CONTROL-DONE");
    c.term.kill();
    const found = holding([c.repo.home], [v]).map((f) => path.relative(c.repo.home, f));
    expect(found).toContain(".viminfo");
    expect(found.some((f) => f.startsWith(".vim/undo/"))).toBe(true);
  }, 60_000);
});
