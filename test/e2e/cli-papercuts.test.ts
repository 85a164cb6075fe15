/**
 * The command line without papercuts, end to end in real repositories: the
 * hook's offer names the findings it cannot fix before it asks; `explain`
 * exits 1 on an error verdict; `--output -` is standard output; common
 * options before the command; a stale private folder of a killed `new` is
 * removed by the next command, which says so.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir } from "../helpers/repo.js";
import { assertNoCanary, gitTry, plainSecret, seedPolicy, sg } from "./helpers.js";

const CANARY = "canary-papercut-Hz3-value";
const FIXABLE = "flux/secrets/develop/backend-secrets.yaml";
const OUTSIDE = "apps/demo/secret.yaml";

afterAll(() => {
  assertNoCanary([CANARY]);
  cleanupAll();
});

describe("papercuts", () => {
  it("the hook's offer says which findings it cannot fix, before asking", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
    expect(sg(repo, ["install"]).code).toBe(0);
    repo.write(FIXABLE, plainSecret("backend-secrets", { url: CANARY }));
    repo.write(OUTSIDE, plainSecret("demo", { password: CANARY }));
    repo.git("add", "-A");
    const tty = path.join(makeTempDir(), "tty");
    writeFileSync(tty, "n\n");
    const c = gitTry(repo, ["commit", "-m", "both"], { SECRET_GUARD_TTY: tty });
    expect(c.code).not.toBe(0);
    const asked = readFileSync(tty, "utf8");
    const question = asked.indexOf("[y/N]");
    expect(asked.indexOf(FIXABLE)).toBeLessThan(question);
    expect(asked).toContain("These findings cannot be fixed automatically");
    expect(asked.indexOf(`${OUTSIDE}  secret-outside-policy`)).toBeLessThan(question);
    expect(asked).toContain("The commit stays blocked by the findings above.");
    for (const line of asked.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);

    // Only fixable findings: the plain question.
    repo.git("rm", "-q", "--cached", OUTSIDE);
    writeFileSync(tty, "n\n");
    expect(gitTry(repo, ["commit", "-m", "one"], { SECRET_GUARD_TTY: tty }).code).not.toBe(0);
    expect(readFileSync(tty, "utf8")).toContain("Encrypt it now and go on with the commit? [y/N]");
    expect(readFileSync(tty, "utf8")).not.toContain("cannot be fixed");
  });

  it("explain exits 1 on an error verdict, 0 on ok; --output - and options before the command", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
    repo.write(FIXABLE, plainSecret("backend-secrets", { url: CANARY }));
    repo.write("flux/secrets/develop/config.yaml", "apiVersion: v1\nkind: ConfigMap\n");
    const bad = sg(repo, ["explain", FIXABLE]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("error unencrypted");
    expect(sg(repo, ["explain", "flux/secrets/develop/config.yaml"]).code).toBe(0);

    const json = sg(repo, ["--format", "json", "--output", "-", "explain", FIXABLE]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).findings[0].rule).toBe("unencrypted");
    repo.git("add", FIXABLE);
    const scan = sg(repo, ["-f", "json", "scan", "-o", "-"]);
    expect(scan.code).toBe(1);
    expect(JSON.parse(scan.stdout).summary.errors).toBe(1);
    const other = sg(repo, ["--cwd", "flux", "--format", "json", "scan"]);
    expect(JSON.parse(other.stdout).summary.errors).toBe(1);
  });

  it("a private folder left by a killed `new` is removed by the next command, which says so", async () => {
    const repo = await makeRepo({ files: { ".sops.yaml": seedPolicy() }, commit: "policy" });
    const runtime = makeTempDir("sg-runtime-");
    // pid 2^22+1 is above Linux's pid_max: no such process
    const stale = path.join(runtime, "secret-guard-new-4194305-AbC123");
    mkdirSync(stale, { mode: 0o700 });
    writeFileSync(path.join(stale, "x.yaml"), `pw: ${CANARY}\n`, { mode: 0o600 });
    const live = path.join(runtime, `secret-guard-new-${process.pid}-Live01`);
    mkdirSync(live, { mode: 0o700 });
    const r = sg(repo, ["scan"], { env: { XDG_RUNTIME_DIR: runtime } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`removed ${stale}, left behind by an interrupted \`new\``);
    expect(() => readFileSync(path.join(stale, "x.yaml"))).toThrow();
    // a folder whose process still runs is not touched
    expect(existsSync(live)).toBe(true);
  });
});
