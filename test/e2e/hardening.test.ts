/**
 * Odd repositories and the no-leak guarantee across commands: every command,
 * every format, with --debug, on valid and broken inputs seeded with canary
 * values; no canary may reach stdout, stderr, a report file or a temp folder.
 */
import { chownSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, filesUnder, gitTry, plainSecret, seedPolicy, sg } from "./helpers.js";

const CANARY = "canary-harness-Q7w9-secret";
const SECRET_PATH = "flux/secrets/develop/app.yaml";
let identity: string;
let recipient: string;
let keyFile: string;

beforeAll(async () => {
  identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  keyFile = path.join(makeTempDir(), "keys.txt");
  writeFileSync(keyFile, `${identity}\n`);
});
afterAll(() => cleanupAll());

describe("the canary harness: no command, format or failure prints a value", () => {
  it("every command in every format, valid and broken inputs, --debug", async () => {
    const repo = await makeRepo({
      files: { ".sops.yaml": seedPolicy(recipient), "README.md": "x\n" },
      commit: "init",
    });
    // The guard's own temp folder: other test files create temp folders in parallel (some hold
    // copies of this very file, canary included), so the sweep below looks only at this one.
    const privateTmp = makeTempDir();
    const before = new Set(readdirSync(privateTmp));
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.write("flux/secrets/develop/broken.yaml", `kind: Secret\nstringData:\n  pw: "${CANARY}\n`);
    repo.write("flux/secrets/develop/tabs.yaml", `kind: Secret\nstringData:\n\tpw: ${CANARY}\n`);
    repo.write("flux/secrets/develop/app.env", `PW=${CANARY}\n`);
    // flow and a tag: read by the full `yaml` parser, which prints every token when
    // LOG_TOKENS / LOG_STREAM are set (the bundle turns both off)
    repo.write(
      "flux/secrets/develop/flow.yaml",
      `apiVersion: v1\nkind: Secret\nmetadata: {name: f}\nstringData: {pw: !!str ${CANARY}}\n`,
    );
    repo.write(
      "apps/outside.json",
      JSON.stringify({ apiVersion: "v1", kind: "Secret", data: { pw: CANARY } }),
    );
    repo.write(
      "apps/kustomization.yaml",
      `secretGenerator:\n  - name: x\n    literals:\n      - PW=${CANARY}\n`,
    );
    repo.git("add", "-A");
    const outFile = path.join(repo.home, "report.out");
    const env = {
      SOPS_AGE_KEY_FILE: keyFile,
      TMPDIR: privateTmp,
      LOG_TOKENS: "1",
      LOG_STREAM: "1",
    };
    const runs: string[][] = [];
    for (const format of ["text", "json", "sarif"]) {
      runs.push(["scan", "--format", format, "--debug"]);
      runs.push(["scan", "--all", "--format", format, "--debug", "--output", outFile]);
      runs.push(["scan", "flux", "apps", "--format", format, "--debug"]);
      runs.push(["verify", "--format", format, "--debug"]);
    }
    runs.push(
      ["explain", SECRET_PATH, "--debug"],
      ["explain", "flux/secrets/develop/broken.yaml", "--format", "json"],
    );
    runs.push(["encrypt", "flux/secrets/develop/tabs.yaml", "--debug"]);
    runs.push(["encrypt", "flux/secrets/develop/broken.yaml", "--debug"]);
    runs.push(["scan", "--fix", "--debug"]);
    runs.push(["verify", SECRET_PATH, "--format", "json"]);
    const transcript: string[] = [];
    for (const args of runs) {
      const r = sg(repo, args, { env });
      expect([0, 1, 2], args.join(" ")).toContain(r.code);
      transcript.push(r.stdout, r.stderr);
      try {
        transcript.push(readFileSync(outFile, "utf8"));
      } catch {
        // no report file for this run
      }
    }
    // a broken .sops.yaml quoting a canary in a bad regex field's neighbour
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: "flux/(?=x)"\n    age: ${recipient}\n  - note: "${CANARY}\n`,
    );
    for (const format of ["text", "json", "sarif"]) {
      const r = sg(repo, ["scan", "--format", format, "--debug"], { env });
      expect(r.code).toBe(2);
      transcript.push(r.stdout, r.stderr);
    }
    assertNoCanary([CANARY], transcript.join("\n"));
    // no temp file anywhere holds it, inside the repository or in the temp folder
    for (const f of filesUnder(repo.dir)) {
      if (
        f.endsWith(".sops.yaml") ||
        f.endsWith("broken.yaml") ||
        f.endsWith("tabs.yaml") ||
        f.endsWith(".env") ||
        f.includes(`${path.sep}apps${path.sep}`)
      )
        continue;
      expect(readFileSync(f, "utf8"), f).not.toContain(CANARY);
    }
    for (const name of readdirSync(privateTmp)) {
      if (before.has(name)) continue;
      const p = path.join(privateTmp, name);
      const files = statSync(p).isDirectory() ? filesUnder(p) : [p];
      for (const f of files) expect(readFileSync(f, "latin1"), f).not.toContain(CANARY);
    }
  });
});

describe("odd repositories", () => {
  let repo: TestRepo;
  beforeAll(async () => {
    repo = await makeRepo({ files: { ".sops.yaml": seedPolicy(recipient) }, commit: "init" });
  });

  it("no commit yet: the staged plaintext is blocked", async () => {
    const fresh = await makeRepo({ files: { ".sops.yaml": seedPolicy(recipient) } });
    fresh.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    fresh.git("add", "-A");
    expect(sg(fresh, ["install"]).code).toBe(0);
    expect(gitTry(fresh, ["commit", "-m", "first"]).code).not.toBe(0);
  });

  it("detached HEAD, a linked worktree, sparse checkout and core.quotepath", () => {
    repo.write("docs/ünïcode.md", "x\n");
    repo.commitAll("more");
    repo.git("checkout", "-q", "--detach");
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    expect(sg(repo, ["scan"]).code).toBe(1);
    repo.git("reset", "-q");
    const wt = path.join(repo.home, "wt");
    repo.git("worktree", "add", "-q", "--detach", wt);
    writeFileSync(path.join(wt, "secret.yaml"), plainSecret("wt", { pw: CANARY }));
    const inWt = sg(repo, ["scan", "secret.yaml"], { cwd: wt });
    expect(inWt.code).toBe(1);
    expect(inWt.stdout).toContain("secret-outside-policy");
    repo.git("config", "core.quotepath", "true");
    repo.write("flux/secrets/develop/ünï.yaml", plainSecret("u", { pw: CANARY }));
    repo.git("add", "flux/secrets/develop/ünï.yaml");
    const q = sg(repo, ["scan"]);
    expect(q.stdout).toContain("flux/secrets/develop/ünï.yaml");
    repo.git("reset", "-q");
    repo.git("sparse-checkout", "set", "flux");
    expect([0, 1]).toContain(sg(repo, ["scan", "--all"]).code);
    repo.git("sparse-checkout", "disable");
  });

  it("a long path and a path starting with -", () => {
    const long = `flux/secrets/develop/${"d".repeat(60)}/${"e".repeat(60)}/${"f".repeat(60)}.yaml`;
    repo.write(long, plainSecret("long", { pw: CANARY }));
    repo.write("flux/secrets/develop/-dash.yaml", plainSecret("dash", { pw: CANARY }));
    repo.git("add", "--", long, "flux/secrets/develop/-dash.yaml");
    const r = sg(repo, ["scan", "--format", "json"]);
    expect(
      JSON.parse(r.stdout)
        .findings.map((f: { path: string }) => f.path)
        .sort(),
    ).toEqual(["flux/secrets/develop/-dash.yaml", long].sort());
    expect(sg(repo, ["scan", "--", "flux/secrets/develop/-dash.yaml"]).code).toBe(1);
    repo.git("reset", "-q");
  });

  it("an existing index.lock: --fix exits 2 and changes nothing", () => {
    repo.write(SECRET_PATH, plainSecret("app", { pw: CANARY }));
    repo.git("add", SECRET_PATH);
    const blob = repo.blob("", SECRET_PATH);
    const lock = path.join(repo.dir, ".git", "index.lock");
    writeFileSync(lock, "");
    const r = sg(repo, ["scan", "--fix"], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("index.lock");
    expect(repo.read(SECRET_PATH).toString()).toContain(CANARY);
    readdirSync(path.join(repo.dir, ".git")).includes("index.lock") &&
      repo.remove(".git/index.lock");
    expect(repo.blob("", SECRET_PATH)).toBe(blob);
    repo.git("reset", "-q");
  });

  // Only root can hand a repository to another owner.
  it.skipIf(process.getuid?.() !== 0)(
    "a repository git refuses (safe.directory) exits 2 with git's reason",
    async () => {
      const other = await makeRepo({
        files: { ".sops.yaml": seedPolicy(recipient) },
        commit: "init",
      });
      const walk = (d: string) => {
        chownSync(d, 12345, 12345);
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) walk(p);
          else chownSync(p, 12345, 12345);
        }
      };
      walk(other.dir);
      const r = sg(other, ["scan"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/dubious ownership|safe\.directory|not inside a git repository/);
    },
  );
});

describe("output failures", () => {
  it("a full disk for --output exits 2 with a clear message; a closed pipe exits cleanly", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy(recipient) }, commit: "init" });
    for (let i = 0; i < 200; i++)
      repo.write(`apps/s${i}.yaml`, plainSecret(`s${i}`, { pw: CANARY }));
    repo.commitAll("many");
    const full = sg(repo, ["scan", "--all", "--output", "/dev/full"]);
    expect(full.code).toBe(2);
    expect(full.stderr).toContain("cannot write the report to /dev/full (ENOSPC)");
    const { spawnSync } = await import("node:child_process");
    const piped = spawnSync(
      "sh",
      ["-c", `node "$SG" scan --all | head -c 20 >/dev/null; echo "status=\${PIPESTATUS:-done}"`],
      {
        cwd: repo.dir,
        env: { ...repo.env, SG: path.resolve(__dirname, "../../bin/secret-guard.js") },
        encoding: "utf8",
      },
    );
    expect(piped.stderr).not.toMatch(/EPIPE|Error|at /);
    assertNoCanary([CANARY], piped.stdout + piped.stderr + full.stdout + full.stderr);
  });
});
