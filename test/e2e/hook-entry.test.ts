/**
 * The commit hook's own bundle (dist/bundle/hook.cjs, src/cli/entry-hook.ts): bin/secret-guard.js
 * runs it for exactly `scan --hook`, it answers a clean commit itself, and everything else
 * (findings, the fix offer, errors, a crash) is handed over to the full command line in the
 * same process. Either way stdout, stderr and the exit code are those of the full command
 * line (SECRET_GUARD_FULL_CLI=1 skips the hook's bundle), on a corpus of commits.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { BIN, ROOT, seedPolicy } from "./helpers.js";

afterAll(() => cleanupAll());

const ENCRYPTED = readFileSync(
  path.join(
    ROOT,
    "test/fixtures/sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
  "utf8",
);
const PLAIN =
  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: y\nstringData:\n  password: hook-entry-canary\n";

type Setup = (repo: TestRepo) => void;

/** Each case builds its repository twice: once for the hook's run, once for the full one. */
const CORPUS: Record<string, { setup: Setup; policy?: string | null; commit?: boolean }> = {
  "an encrypted Secret": {
    setup: (r) => {
      r.write("flux/secrets/develop/x.yaml", ENCRYPTED);
      r.git("add", ".");
    },
  },
  "a .ts file": {
    setup: (r) => {
      r.write("src/app.ts", "export const x = 1;\n");
      r.git("add", ".");
    },
  },
  "nothing staged": { setup: () => {} },
  "no .sops.yaml (the note)": {
    policy: null,
    setup: (r) => {
      r.write("flux/secrets/develop/x.yaml", ENCRYPTED);
      r.git("add", ".");
    },
  },
  "a plaintext Secret (findings, the fix offer)": {
    setup: (r) => {
      r.write("flux/secrets/develop/y.yaml", PLAIN);
      r.git("add", ".");
    },
  },
  "a plaintext Secret with SECRET_GUARD_FIX=1": {
    setup: (r) => {
      r.write("flux/secrets/develop/y.yaml", PLAIN);
      r.git("add", ".");
    },
  },
  "a plaintext Secret outside every rule": {
    setup: (r) => {
      r.write("apps/y.yaml", PLAIN);
      r.git("add", ".");
    },
  },
  "a kustomization and encrypted Secrets it does not list": {
    setup: (r) => {
      r.write("flux/secrets/develop/x.yaml", ENCRYPTED);
      r.write(
        "flux/secrets/develop/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - other.yaml\n",
      );
      r.write(
        "flux/secrets/develop/other.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n",
      );
      r.git("add", ".");
    },
  },
  "a kustomization secretGenerator with a literal": {
    setup: (r) => {
      r.write(
        "apps/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: s\n    literals:\n      - password=hook-entry-canary\n",
      );
      r.git("add", ".");
    },
  },
  "weird YAML (anchors, tags, flow, a BOM, CRLF)": {
    setup: (r) => {
      r.write(
        "apps/weird.yaml",
        "\ufeff--- !!map\r\nbase: &b {kind: Secret, apiVersion: v1}\r\n<<: *b\r\nmetadata: {name: w}\r\ndata: {k: aGVsbG8=}\r\n",
      );
      r.write(
        "apps/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: |\n    x\n",
      );
      r.git("add", ".");
    },
  },
  "unparseable YAML under a rule": {
    setup: (r) => {
      r.write("flux/secrets/develop/bad.yaml", "a: [\n\u0000\u0001garbage: {\n");
      r.git("add", ".");
    },
  },
  "a broken .sops.yaml (exit 2)": {
    policy: "creation_rules:\n  - path_regex: [oops\n",
    setup: (r) => {
      r.write("src/app.ts", "export const x = 1;\n");
      r.git("add", ".");
    },
  },
  "a .sops.yaml with an unknown field (exit 2)": {
    policy: "creation_rules:\n  - path_regex: x\n    wat: 1\n",
    setup: (r) => {
      r.write("flux/secrets/develop/x.yaml", ENCRYPTED);
      r.git("add", ".");
    },
  },
  "a corrupt index (git fails, exit 2)": {
    setup: (r) => {
      r.write("src/app.ts", "export const x = 1;\n");
      r.git("add", ".");
      writeFileSync(path.join(r.dir, ".git", "index"), "DIRC garbage garbage garbage");
    },
  },
  "a repository without a commit yet": {
    commit: false,
    setup: (r) => {
      r.write("flux/secrets/develop/x.yaml", ENCRYPTED);
      r.git("add", ".");
    },
  },
};

async function build(name: string): Promise<TestRepo> {
  const c = CORPUS[name]!;
  const policy = c.policy === undefined ? seedPolicy() : c.policy;
  const files: Record<string, string> = { "README.md": "x\n" };
  if (policy !== null) files[".sops.yaml"] = policy;
  const repo = await makeRepo(c.commit === false ? {} : { files, commit: "init" });
  if (c.commit === false) for (const [f, t] of Object.entries(files)) repo.write(f, t);
  c.setup(repo);
  return repo;
}

function run(bin: string, repo: TestRepo, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, "scan", "--hook"], {
    cwd: repo.dir,
    env: { ...repo.env, NO_COLOR: "1", ...env },
    input: "",
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** bin/ and dist/bundle/ copied into a fresh folder (no code cache yet). */
function install(): { bin: string; bundleDir: string } {
  const dir = makeTempDir("secret-guard-hookbin-");
  cpSync(path.join(ROOT, "bin"), path.join(dir, "bin"), { recursive: true });
  const bundleDir = path.join(dir, "dist", "bundle");
  mkdirSync(bundleDir, { recursive: true });
  for (const f of readdirSync(path.join(ROOT, "dist", "bundle")))
    if (!f.endsWith(".cache") && !f.endsWith(".tmp"))
      cpSync(path.join(ROOT, "dist", "bundle", f), path.join(bundleDir, f));
  return { bin: path.join(dir, "bin", "secret-guard.js"), bundleDir };
}

const codeCaches = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".cache"))
    .sort();

describe("the hook's bundle prints what the full command line prints", () => {
  for (const name of Object.keys(CORPUS)) {
    it(name, async () => {
      const env = name.includes("SECRET_GUARD_FIX") ? { SECRET_GUARD_FIX: "1" } : {};
      const hook = run(BIN, await build(name), env);
      const full = run(BIN, await build(name), { ...env, SECRET_GUARD_FULL_CLI: "1" });
      // temp folder names differ between the two repositories
      const same = (s: string) => s.replace(/secret-guard-test-[A-Za-z0-9]+/g, "T");
      expect({ ...hook, stdout: same(hook.stdout), stderr: same(hook.stderr) }).toEqual({
        ...full,
        stdout: same(full.stdout),
        stderr: same(full.stderr),
      });
      expect(hook.stdout + hook.stderr).not.toContain("hook-entry-canary");
    });
  }
});

describe("the hook's bundle colours as the full command line does", () => {
  /** `scan --hook` with stdout on a terminal (script(1) gives it a pseudo-terminal), or a file. */
  const onTerminal = (repo: TestRepo, env: NodeJS.ProcessEnv = {}) =>
    spawnSync("script", ["-qec", `"${process.execPath}" "${BIN}" scan --hook`, "/dev/null"], {
      cwd: repo.dir,
      env: { ...repo.env, ...env },
      input: "",
      encoding: "utf8",
    });
  const hasScript = spawnSync("script", ["--version"]).status === 0;

  it.runIf(hasScript || process.env.CI)("on a terminal, in a file, in a pipe", async () => {
    for (const name of ["an encrypted Secret", "a .ts file"]) {
      const hook = onTerminal(await build(name));
      const full = onTerminal(await build(name), { SECRET_GUARD_FULL_CLI: "1" });
      expect(hook.status).toBe(0);
      expect(hook.stdout).toContain("\u001b[32m");
      expect(hook.stdout).toBe(full.stdout);
      // A file and a pipe are no terminal: no colour, as the full command line.
      const repo = await build(name);
      const file = path.join(makeTempDir(), "out");
      const toFile = spawnSync(
        "sh",
        ["-c", `"${process.execPath}" "${BIN}" scan --hook > "${file}"`],
        {
          cwd: repo.dir,
          env: repo.env,
          encoding: "utf8",
        },
      );
      expect(toFile.status).toBe(0);
      expect(readFileSync(file, "utf8")).not.toContain("\u001b[");
      const piped = spawnSync(process.execPath, [BIN, "scan", "--hook"], {
        cwd: repo.dir,
        env: repo.env,
        encoding: "utf8",
      });
      expect(piped.stdout).toContain("1 file scanned");
      expect(piped.stdout).not.toContain("\u001b[");
    }
  });
});

describe("SECRET_GUARD_TIMINGS (the bench's S breakdown)", () => {
  it("writes when each phase ended, in order, times and names only", async () => {
    const file = path.join(makeTempDir(), "timings.json");
    const clean = run(BIN, await build("an encrypted Secret"), { SECRET_GUARD_TIMINGS: file });
    expect(clean.code).toBe(0);
    const marks = JSON.parse(readFileSync(file, "utf8")) as Array<[string, number]>;
    expect(marks.map(([n]) => n)).toEqual([
      "node",
      "bundle read",
      "code cache read",
      expect.stringMatching(/^code (deserialized|compiled)$/),
      "top level",
      "ready",
      "scan",
      "exit",
    ]);
    for (let i = 1; i < marks.length; i++)
      expect(marks[i]![1]).toBeGreaterThanOrEqual(marks[i - 1]![1]);
    // A blocked commit: the hand-over loads the full command line too; no value in the file.
    const blocked = run(BIN, await build("a plaintext Secret (findings, the fix offer)"), {
      SECRET_GUARD_TIMINGS: file,
    });
    expect(blocked.code).toBe(1);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("hook-entry-canary");
    expect((JSON.parse(text) as Array<[string]>).filter(([n]) => n === "bundle read")).toHaveLength(
      2,
    );
  });
});

describe("the hook's bundle is the path `scan --hook` takes", () => {
  it("a clean commit loads only hook.cjs; a blocked one hands over to cli.cjs", async () => {
    const { bin, bundleDir } = install();
    const clean = run(bin, await build("an encrypted Secret"));
    expect(clean.code, clean.stderr).toBe(0);
    // each bundle run by a `scan` leaves its code cache: only the hook's ran
    expect(codeCaches(bundleDir)).toEqual(["hook.cjs.cache"]);
    const again = run(bin, await build("a .ts file"));
    expect(again.code, again.stderr).toBe(0);
    expect(codeCaches(bundleDir)).toEqual(["hook.cjs.cache"]);

    const blocked = run(bin, await build("a plaintext Secret (findings, the fix offer)"));
    expect(blocked.code).toBe(1);
    expect(codeCaches(bundleDir)).toEqual(["cli.cjs.cache", "hook.cjs.cache"]);
  });

  it("any other command line goes straight to the full command line", async () => {
    const { bin, bundleDir } = install();
    const repo = await build("an encrypted Secret");
    for (const args of [["scan"], ["scan", "--hook", "--quiet"], ["--hook", "scan"]]) {
      const r = spawnSync(process.execPath, [bin, ...args], {
        cwd: repo.dir,
        env: repo.env,
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(codeCaches(bundleDir)).toEqual(["cli.cjs.cache"]);
  });

  it("leaves out the fix offer's modules and the encryption code", () => {
    const hook = readFileSync(path.join(ROOT, "dist", "bundle", "hook.cjs"), "latin1");
    const cli = readFileSync(path.join(ROOT, "dist", "bundle", "cli.cjs"), "latin1");
    expect(hook.length).toBeLessThan(cli.length * 0.75);
    expect(cli).toContain("// node_modules/age-encryption/");
    expect(hook).not.toContain("// node_modules/age-encryption/");
    expect(hook).not.toContain("// src/commands/fix.ts");
    expect(hook).not.toContain("// src/cli/help.ts");
    expect(hook).toContain("src/commands/fix.ts is not in the hook's bundle");
  });

  it("a missing hook.cjs only means the full command line answers", async () => {
    const { bin, bundleDir } = install();
    const { rmSync } = await import("node:fs");
    rmSync(path.join(bundleDir, "hook.cjs"));
    const r = run(bin, await build("an encrypted Secret"));
    expect(r.code, r.stderr).toBe(0);
    expect(codeCaches(bundleDir)).toEqual(["cli.cjs.cache"]);
  });
});
