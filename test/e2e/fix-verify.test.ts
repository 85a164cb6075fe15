/**
 * Auto-encrypt and verify in real repositories: `scan --fix` on fully and
 * partially staged files, the hook's fix during `git commit`, `git commit -a`
 * and `git commit PATH`, interrupted writes, `encrypt`, `verify`, and the
 * sops-binary path against a stand-in `sops` that checks its arguments.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, gitTry, noTempFiles, plainSecret, seedPolicy, sg } from "./helpers.js";

const CANARY = "canary-fix-9Xq2-value";
const CANARY2 = "canary-fix-second-77";
const SECRET_PATH = "flux/secrets/develop/backend-secrets.yaml";

let identity: string;
let recipient: string;
let keyFile: string;

beforeAll(async () => {
  identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  const dir = makeTempDir();
  keyFile = path.join(dir, "keys.txt");
  writeFileSync(keyFile, `# test key\n${identity}\n`, { mode: 0o600 });
});
afterAll(() => {
  assertNoCanary([CANARY, CANARY2]);
  cleanupAll();
});

async function repoWithHook(): Promise<TestRepo> {
  const repo = await makeRepo({
    files: { ".sops.yaml": seedPolicy(recipient), "README.md": "x\n" },
    commit: "policy",
  });
  expect(sg(repo, ["install"]).code).toBe(0);
  return repo;
}

function headFile(repo: TestRepo, rel: string): string {
  return repo.git("show", `HEAD:${rel}`);
}

describe("scan --fix", () => {
  it("fully staged: index and working copy encrypted, commit passes, values intact", async () => {
    const repo = await repoWithHook();
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    repo.git("add", SECRET_PATH);
    const r = sg(repo, ["scan", "--fix"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("fixed: flux/secrets/develop/backend-secrets.yaml");
    const staged = repo.git("show", `:${SECRET_PATH}`);
    expect(staged).not.toContain(CANARY);
    expect(repo.read(SECRET_PATH).toString()).toBe(`${staged}\n`.replace(/\n\n$/, "\n"));
    expect(gitTry(repo, ["commit", "-m", "encrypted"]).code).toBe(0);
    const v = sg(repo, ["verify"], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain("MAC verified");
    const dec = execFileSync(process.execPath, ["-e", "0"]);
    void dec;
  });

  it("partially staged: the working copy differs and is left alone", async () => {
    const repo = await repoWithHook();
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    repo.git("add", SECRET_PATH);
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY, more: CANARY2 }));
    const r = sg(repo, ["scan", "--fix"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("working copy differs");
    expect(repo.read(SECRET_PATH).toString()).toContain(CANARY2);
    expect(repo.git("show", `:${SECRET_PATH}`)).not.toContain(CANARY);
  });

  it("the hook fixes with SECRET_GUARD_FIX=1 for git commit, git commit -a and git commit PATH", async () => {
    const repo = await repoWithHook();
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    repo.git("add", SECRET_PATH);
    const c = gitTry(repo, ["commit", "-m", "fixed by the hook"], { SECRET_GUARD_FIX: "1" });
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(headFile(repo, SECRET_PATH)).toContain("ENC[AES256_GCM");
    expect(headFile(repo, SECRET_PATH)).not.toContain(CANARY);

    repo.write("flux/secrets/staging/a.yaml", plainSecret("a", { k: "first-value" }, "staging"));
    repo.git("add", "flux/secrets/staging/a.yaml");
    repo.git("commit", "-q", "--no-verify", "-m", "bypassed on purpose");
    repo.write("flux/secrets/staging/a.yaml", plainSecret("a", { k: CANARY2 }, "staging"));
    const a = gitTry(repo, ["commit", "-a", "-m", "all"], { SECRET_GUARD_FIX: "1" });
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(headFile(repo, "flux/secrets/staging/a.yaml")).not.toContain(CANARY2);
    expect(repo.git("status", "--porcelain")).toBe("");

    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY2 }));
    const p = gitTry(repo, ["commit", "-m", "only", "--", SECRET_PATH], { SECRET_GUARD_FIX: "1" });
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(headFile(repo, SECRET_PATH)).not.toContain(CANARY2);
    expect(repo.git("status", "--porcelain")).toBe("");
  });

  it("the hook asks on the terminal and goes on when the answer is yes", async () => {
    const repo = await repoWithHook();
    const tty = path.join(makeTempDir(), "tty");
    writeFileSync(tty, "y\n");
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    repo.git("add", SECRET_PATH);
    const c = gitTry(repo, ["commit", "-m", "asked"], { SECRET_GUARD_TTY: tty });
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(readFileSync(tty, "utf8")).toContain("Encrypt it now");
    writeFileSync(tty, "n\n");
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY2 }));
    repo.git("add", SECRET_PATH);
    expect(gitTry(repo, ["commit", "-m", "declined"], { SECRET_GUARD_TTY: tty }).code).not.toBe(0);
  });

  it("a partially-encrypted file gets only its plaintext value encrypted, under its own data key", async () => {
    const repo = await repoWithHook();
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    expect(sg(repo, ["encrypt", SECRET_PATH]).code).toBe(0);
    const encrypted = repo.read(SECRET_PATH).toString();
    const urlLine = encrypted.split("\n").find((l) => l.includes("url: ENC["))!;
    repo.write(SECRET_PATH, encrypted.replace(urlLine, `${urlLine}\n    added: "${CANARY2}"`));
    repo.git("add", SECRET_PATH);
    expect(sg(repo, ["scan"]).stdout).toContain("partially-encrypted");
    const noKey = sg(repo, ["scan", "--fix"], { env: { XDG_CONFIG_HOME: makeTempDir() } });
    expect(noKey.code).toBe(1);
    expect(noKey.stdout).toContain("sops edit");
    const r = sg(repo, ["scan", "--fix"], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const after = repo.read(SECRET_PATH).toString();
    expect(after).toContain(urlLine);
    expect(after).not.toContain(CANARY2);
    expect(sg(repo, ["verify", SECRET_PATH], { env: { SOPS_AGE_KEY_FILE: keyFile } }).code).toBe(0);
  });
});

describe("scan --fix interrupted", () => {
  it.each(["before-index", "write-temp", "before-rename"])(
    "a failure at %s leaves a consistent index, the original file and no temp file",
    async (step) => {
      const repo = await repoWithHook();
      const original = plainSecret("backend-secrets", { url: CANARY });
      repo.write(SECRET_PATH, original);
      repo.git("add", SECRET_PATH);
      const blob = repo.blob("", SECRET_PATH);
      const r = sg(repo, ["scan", "--fix"], { env: { SECRET_GUARD_TEST_FAIL_AT: step } });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("not fixed");
      expect(repo.read(SECRET_PATH).toString()).toBe(original);
      noTempFiles(repo.dir);
      if (step === "before-index") expect(repo.blob("", SECRET_PATH)).toBe(blob);
      // the index is either the original plaintext (blocked) or the encrypted blob, never half-written
      const staged = repo.git("show", `:${SECRET_PATH}`);
      expect(staged === original.trimEnd() || staged.includes("ENC[AES256_GCM")).toBe(true);
      repo.git("fsck", "--no-progress");
    },
  );
});

describe("encrypt", () => {
  it("is atomic: an injected failure before the rename leaves the original and no temp file", async () => {
    const repo = await repoWithHook();
    const original = plainSecret("backend-secrets", { url: CANARY });
    repo.write(SECRET_PATH, original);
    for (const step of ["write-temp", "before-rename"]) {
      const r = sg(repo, ["encrypt", SECRET_PATH], { env: { SECRET_GUARD_TEST_FAIL_AT: step } });
      expect(r.code).toBe(1);
      expect(repo.read(SECRET_PATH).toString()).toBe(original);
      noTempFiles(repo.dir);
    }
    const killed = sg(repo, ["encrypt", SECRET_PATH], {
      env: { SECRET_GUARD_TEST_FAIL_AT: "before-rename", SECRET_GUARD_TEST_FAIL_MODE: "kill" },
    });
    expect(killed.code).not.toBe(0);
    expect(repo.read(SECRET_PATH).toString()).toBe(original);
    const ok = sg(repo, ["encrypt", SECRET_PATH]);
    expect(ok.code).toBe(0);
    expect(sg(repo, ["encrypt", SECRET_PATH]).stdout).toContain("already encrypted");
  });

  it("a file no rule covers is refused", async () => {
    const repo = await repoWithHook();
    repo.write("apps/x.yaml", "a: b\n");
    const r = sg(repo, ["encrypt", "apps/x.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no creation rule");
  });
});

describe("verify", () => {
  it("decrypt-failed with another key, mac-mismatch after a hand edit, exit 2 without identity", async () => {
    const repo = await repoWithHook();
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    expect(sg(repo, ["encrypt", SECRET_PATH]).code).toBe(0);
    repo.commitAll("encrypted");
    const other = path.join(makeTempDir(), "other.txt");
    writeFileSync(other, `${await generateIdentity()}\n`);
    const wrong = sg(repo, ["verify", "--format", "json"], { env: { SOPS_AGE_KEY_FILE: other } });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).findings.map((f: { rule: string }) => f.rule)).toEqual([
      "decrypt-failed",
    ]);
    repo.write(
      SECRET_PATH,
      repo.read(SECRET_PATH).toString().replace("namespace: develop", "namespace: dev"),
    );
    const tampered = sg(repo, ["verify", SECRET_PATH], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("mac-mismatch");
    const none = sg(repo, ["verify"], { env: { XDG_CONFIG_HOME: makeTempDir() } });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no age identity");
  });
});

describe("verify: class 6 (#12), values that are not exact ENC markers", () => {
  for (const [name, edit] of [
    ["text after the marker", (m: string) => `${m}${CANARY2}`],
    ["a padded marker", (m: string) => `"  ${m}"`],
    ["text before the marker", (m: string) => `${CANARY2}${m}`],
  ] as const) {
    it(`${name}: reported, never "MAC verified"`, async () => {
      const repo = await repoWithHook();
      repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY, user: "u" }));
      expect(sg(repo, ["encrypt", SECRET_PATH]).code).toBe(0);
      const text = repo.read(SECRET_PATH).toString();
      const marker = /url: (ENC\[[^\]]*\])/.exec(text)![1]!;
      repo.write(SECRET_PATH, text.replace(`url: ${marker}`, `url: ${edit(marker)}`));
      const r = sg(repo, ["verify", SECRET_PATH], { env: { SOPS_AGE_KEY_FILE: keyFile } });
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      expect(out).toContain("partially-encrypted");
      expect(out).not.toContain("MAC verified");
      expect(out).not.toContain(CANARY2);
      expect(out).not.toContain(CANARY);
    });
  }
});

describe("the sops binary path", () => {
  it("runs sops from PATH with the rule's path, explicit types, and no key override variables", async () => {
    const repo = await repoWithHook();
    const bin = makeTempDir();
    const log = path.join(bin, "args.log");
    const encrypted = readFileSync(
      path.resolve(
        __dirname,
        "../fixtures/sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
      ),
    );
    const canned = path.join(bin, "out.yaml");
    writeFileSync(canned, encrypted);
    const script = `#!/bin/sh
printf '%s\\n' "$@" > "${log}"
if [ -n "$SOPS_AGE_RECIPIENTS" ]; then echo "override leaked" >&2; exit 9; fi
cat > /dev/null
cat "${canned}"
`;
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "sops"), script);
    chmodSync(path.join(bin, "sops"), 0o755);
    repo.write(
      ".sops.yaml",
      seedPolicy("age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"),
    );
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    const r = sg(repo, ["encrypt", "--engine", "sops", SECRET_PATH], {
      env: { PATH: `${bin}:${process.env.PATH}`, SOPS_AGE_RECIPIENTS: "age1wrong" },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("sops engine");
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual([
      "encrypt",
      "--config",
      path.join(repo.dir, ".sops.yaml"),
      "--filename-override",
      path.join(repo.dir, SECRET_PATH),
      "--input-type",
      "yaml",
      "--output-type",
      "yaml",
    ]);
    expect(repo.read(SECRET_PATH).equals(encrypted)).toBe(true);
  });

  it("never runs a sops that lives inside the repository", async () => {
    const repo = await repoWithHook();
    mkdirSync(path.join(repo.dir, "tools"), { recursive: true });
    const marker = path.join(repo.home, "ran");
    writeFileSync(path.join(repo.dir, "tools", "sops"), `#!/bin/sh\ntouch "${marker}"\nexit 1\n`);
    chmodSync(path.join(repo.dir, "tools", "sops"), 0o755);
    repo.write(SECRET_PATH, plainSecret("backend-secrets", { url: CANARY }));
    const env = { PATH: `${path.join(repo.dir, "tools")}:${process.env.PATH}` };
    const auto = sg(repo, ["encrypt", SECRET_PATH], { env });
    expect(auto.code, auto.stdout + auto.stderr).toBe(0);
    expect(auto.stdout).toContain("native engine");
    expect(() => readFileSync(marker)).toThrow();
  });
});
