/**
 * `secret-guard init` in real repositories: an empty repository (a new age
 * identity generated into the default sops keys file, the seed's rule set,
 * the folders, the hook, and a Secret made with `new` committed through it),
 * a husky repository, package.json with and without husky, --age/--env, and
 * running it twice (idempotent; an existing .sops.yaml is only replaced with
 * --force, and init says how it differs).
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy, ruleFor } from "../../src/policy/index.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, gitTry, plainSecret, sg } from "./helpers.js";

const CANARY = "canary-init-Lp3x-value";
const ALL = ["cloudflare", "auth", "observability", "develop", "staging", "production"];
let otherRecipient: string;

beforeAll(async () => {
  otherRecipient = await identityToRecipient(await generateIdentity());
});
afterAll(() => {
  assertNoCanary([CANARY, "AGE-SECRET-KEY-"]);
  cleanupAll();
});

const keysFile = (repo: TestRepo) => path.join(repo.home, ".config", "sops", "age", "keys.txt");

function covered(repo: TestRepo, folders: string[]): Map<string, string[]> {
  const policy = loadPolicy({ cwd: repo.dir, env: {} })!;
  const out = new Map<string, string[]>();
  for (const f of folders) {
    const rule = ruleFor(policy, path.join(repo.dir, "flux", "secrets", f, "x.yaml"));
    expect(rule, f).toBeDefined();
    expect(rule!.selector).toMatchObject({
      field: "encrypted_regex",
      value: "^(data|stringData)$",
    });
    out.set(f, rule!.age);
  }
  return out;
}

describe("init", () => {
  it("an empty repository: key generated, policy, folders, hook; new + commit work", async () => {
    const repo = await makeRepo();
    const r = sg(repo, ["init"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const keys = keysFile(repo);
    expect(statSync(keys).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(keys)).mode & 0o777).toBe(0o700);
    const text = readFileSync(keys, "utf8");
    const recipient = /# public key: (age1\S+)/.exec(text)![1]!;
    expect(text).toMatch(/^AGE-SECRET-KEY-1/m);
    expect(r.stdout).toContain(
      `kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=${keys}`,
    );
    expect(r.stdout).toContain(recipient);
    const rules = covered(repo, ALL);
    for (const f of ALL) expect(rules.get(f)).toEqual([recipient]);
    const sops = repo.read(".sops.yaml").toString();
    expect(sops.indexOf("flux/secrets/cloudflare/")).toBeLessThan(
      sops.indexOf("flux/secrets/develop/"),
    );
    for (const f of ALL) {
      expect(repo.read(`flux/secrets/${f}/kustomization.yaml`).toString()).toContain(
        "kind: Kustomization",
      );
    }
    expect(existsSync(path.join(repo.dir, ".git", "hooks", "pre-commit"))).toBe(true);

    // The set-up repository works end to end.
    expect(gitTry(repo, ["add", "-A"]).code).toBe(0);
    expect(gitTry(repo, ["commit", "-m", "init"]).code).toBe(0);
    const envFile = path.join(makeTempDir(), "v.env");
    writeFileSync(envFile, `password=${CANARY}\n`);
    const n = sg(repo, ["new", "production", "db", "--from-env-file", envFile, "--yes"]);
    expect(n.code, n.stdout + n.stderr).toBe(0);
    expect(repo.read("flux/secrets/production/kustomization.yaml").toString()).toContain(
      "resources:\n  - db.yaml\n",
    );
    repo.git("add", "-A");
    const ok = gitTry(repo, ["commit", "-m", "Add db"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const v = sg(repo, ["verify"]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    repo.write("flux/secrets/develop/leak.yaml", plainSecret("leak", { pw: CANARY }));
    repo.git("add", "-A");
    expect(gitTry(repo, ["commit", "-m", "leak"]).code).not.toBe(0);
  });

  it("run twice: nothing changes; a different --age is reported, applied only with --force", async () => {
    const repo = await makeRepo();
    expect(sg(repo, ["init"]).code).toBe(0);
    const sops = repo.read(".sops.yaml").toString();
    const keys = readFileSync(keysFile(repo), "utf8");
    const hook = repo.read(".git/hooks/pre-commit").toString();

    const again = sg(repo, ["init"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("- .sops.yaml: unchanged");
    expect(again.stdout).toContain("already installed");
    expect(repo.read(".sops.yaml").toString()).toBe(sops);
    expect(readFileSync(keysFile(repo), "utf8")).toBe(keys);
    expect(repo.read(".git/hooks/pre-commit").toString()).toBe(hook);

    const other = sg(repo, ["init", "--age", otherRecipient]);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain("differs from what init would write; left as it is");
    expect(other.stdout).toContain("init would use");
    expect(other.stdout).toContain("--force");
    expect(repo.read(".sops.yaml").toString()).toBe(sops);

    const forced = sg(repo, ["init", "--age", otherRecipient, "--force"]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toContain("replaced (--force)");
    expect(forced.stdout).toContain("updatekeys");
    for (const f of ALL) expect(covered(repo, ALL).get(f)).toEqual([otherRecipient]);

    // A hand-written policy that covers every folder is kept, with notes, exit 0.
    repo.write(
      ".sops.yaml",
      `creation_rules:\n  - path_regex: flux/secrets/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: ${otherRecipient}\n`,
    );
    const custom = sg(repo, ["init"]);
    expect(custom.code, custom.stdout + custom.stderr).toBe(0);
    expect(custom.stdout).toContain("left as it is");
  });

  it("--age and --env: no key generated, the rules for those environments", async () => {
    const repo = await makeRepo();
    const r = sg(repo, ["init", "--age", otherRecipient, "--env", "dev", "--env", "prod"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(existsSync(keysFile(repo))).toBe(false);
    const rules = covered(repo, ["cloudflare", "auth", "observability", "dev", "prod"]);
    expect(rules.get("dev")).toEqual([otherRecipient]);
    expect(existsSync(path.join(repo.dir, "flux", "secrets", "develop"))).toBe(false);
    expect(sg(repo, ["init", "--age", "AGE-SECRET-KEY-1XYZ"]).code).toBe(2);
    expect(sg(repo, ["init", "--env", "../x"]).code).toBe(2);
  });

  it("a husky repository: the block goes into .husky/pre-commit and blocks a plaintext commit", async () => {
    const repo = await makeRepo({
      files: {
        "package.json": JSON.stringify({ name: "x", devDependencies: { husky: "9.1.7" } }),
        ".husky/pre-commit": "#!/bin/sh\necho lint-staged-ran\n",
      },
      commit: "husky",
    });
    chmodSync(path.join(repo.dir, ".husky", "pre-commit"), 0o755);
    repo.git("config", "core.hooksPath", ".husky");
    const r = sg(repo, ["init", "--age", otherRecipient]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("(husky)");
    const hook = repo.read(".husky/pre-commit").toString();
    expect(hook.startsWith("#!/bin/sh\necho lint-staged-ran\n")).toBe(true);
    expect(hook).toContain("# >>> secret-guard >>>");
    expect(existsSync(path.join(repo.dir, ".git", "hooks", "pre-commit"))).toBe(false);
    repo.write("flux/secrets/develop/leak.yaml", plainSecret("leak", { pw: CANARY }));
    repo.git("add", "-A");
    const c = gitTry(repo, ["commit", "-m", "leak"]);
    expect(c.code).not.toBe(0);
    expect(c.stdout + c.stderr).toContain("lint-staged-ran");
    const again = sg(repo, ["init", "--age", otherRecipient]);
    expect(again.code).toBe(0);
    expect(repo.read(".husky/pre-commit").toString()).toBe(hook);
  });

  it("package.json with husky but no .husky yet: .husky/ is created; without husky: git's hooks", async () => {
    const withHusky = await makeRepo({
      files: { "package.json": JSON.stringify({ scripts: { prepare: "husky" } }) },
    });
    const r = sg(withHusky, ["init", "--age", otherRecipient]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(withHusky.read(".husky/pre-commit").toString()).toContain("secret-guard scan --hook");
    expect(r.stdout).toContain("git does not run .husky/ hooks yet");

    const plain = await makeRepo({ files: { "package.json": JSON.stringify({ name: "p" }) } });
    const p = sg(plain, ["init", "--age", otherRecipient]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(existsSync(path.join(plain.dir, ".husky"))).toBe(false);
    expect(existsSync(path.join(plain.dir, ".git", "hooks", "pre-commit"))).toBe(true);
    expect(p.stdout).toContain("npx husky init");
  });

  it("outside a git repository: exit 2", async () => {
    const dir = makeTempDir();
    const repo = await makeRepo();
    const r = sg(repo, ["init", "--age", otherRecipient], { cwd: dir });
    expect(r.code).toBe(2);
  });
});
