/**
 * `secret-guard init` in real repositories: an empty repository (a dedicated
 * cluster identity generated outside git, the rules for the seed's
 * environments, the folders, the hook, and a Secret made with `new`
 * committed through it); an existing repository with its own `.sops.yaml`
 * and two of the seed's six folders (the file kept, its recipients used,
 * only what is missing created, the cluster's one identity copied out of a
 * keyring that holds others); running it twice (nothing to do, exit 0);
 * --age personal recipients beside the cluster key; a kept policy missing a
 * folder; husky; and the failures (exit 1 and 2).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/crypto/age.js";
import { loadPolicy, ruleFor } from "../../src/policy/index.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, filesUnder, gitTry, plainSecret, seedPolicy, sg } from "./helpers.js";

const CANARY = "canary-init-Lp3x-value";
const SEED = ["cloudflare", "auth", "observability", "develop", "staging", "production"];
const ENVS = ["develop", "staging", "production"];
let otherRecipient: string;
let teamRecipient: string;
let clusterIdentity: string;
let clusterRecipient: string;
let personalIdentity: string;

beforeAll(async () => {
  otherRecipient = await identityToRecipient(await generateIdentity());
  teamRecipient = await identityToRecipient(await generateIdentity());
  clusterIdentity = await generateIdentity();
  clusterRecipient = await identityToRecipient(clusterIdentity);
  personalIdentity = await generateIdentity();
});
afterAll(() => {
  assertNoCanary([CANARY, "AGE-SECRET-KEY-"]);
  cleanupAll();
});

/** The kubectl command init printed (joined across its `\` continuation), and the file it names. */
function kubectl(repo: TestRepo, out: string): { command: string; file: string } {
  const lines = out.split("\n");
  const at = lines.findIndex((l) => l.includes("kubectl -n flux-system create secret generic"));
  expect(at, out).toBeGreaterThanOrEqual(0);
  expect(lines.filter((l) => l.includes("kubectl ")).length, out).toBe(1);
  const command = `${lines[at]!.replace(/\\$/, "").trim()} ${lines[at + 1]!.trim()}`;
  const m = /--from-file=age\.agekey=(\S+)$/.exec(command);
  expect(m, command).not.toBeNull();
  const file = m![1]!.replace(/^"\$HOME\/(.*)"$/, `${repo.home}/$1`).replace(/^'(.*)'$/, "$1");
  return { command, file };
}

/** The one identity a key file holds, and its recipient. */
async function oneIdentity(file: string): Promise<string> {
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const ids = parseIdentities(readFileSync(file, "utf8"));
  expect(ids.length).toBe(1);
  return identityToRecipient(ids[0]!);
}

function rules(repo: TestRepo, folders: string[]): Map<string, string[]> {
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

const folders = (repo: TestRepo) => readdirSync(path.join(repo.dir, "flux", "secrets")).sort();

/** Every file of the work tree (and the hook) with its content, to prove a run changed nothing. */
function snapshot(repo: TestRepo, extra: string[] = []): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of [...filesUnder(repo.dir), path.join(repo.dir, ".git", "hooks", "pre-commit")]) {
    if (existsSync(f)) m.set(f, readFileSync(f, "latin1"));
  }
  for (const f of extra) m.set(f, existsSync(f) ? readFileSync(f, "latin1") : "(none)");
  return m;
}

describe("init on an empty repository", () => {
  it("a cluster key outside git, the environments' rules, folders, hook; new + commit work", async () => {
    const repo = await makeRepo();
    const r = sg(repo, ["init"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    // The cluster's own identity: 0600 in the user's config folder, never the personal keyring.
    const { command, file } = kubectl(repo, r.stdout);
    expect(file.startsWith(path.join(repo.home, ".config", "secret-guard"))).toBe(true);
    expect(path.basename(file)).toBe("age.agekey");
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(command).toBe(
      `kubectl -n flux-system create secret generic sops-age --from-file=age.agekey="$HOME/${path.relative(repo.home, file)}"`,
    );
    const recipient = await oneIdentity(file);
    expect(existsSync(path.join(repo.home, ".config", "sops", "age", "keys.txt"))).toBe(false);
    expect(r.stdout).toContain(
      `export SOPS_AGE_KEY_FILE="$HOME/${path.relative(repo.home, file)}"`,
    );

    // Only the environments, each covered for the cluster key; nothing the repository never had.
    expect(folders(repo)).toEqual([...ENVS].sort());
    for (const f of ENVS) expect(rules(repo, ENVS).get(f)).toEqual([recipient]);
    for (const f of ENVS) {
      expect(repo.read(`flux/secrets/${f}/kustomization.yaml`).toString()).toContain(
        "kind: Kustomization",
      );
    }
    expect(existsSync(path.join(repo.dir, ".git", "hooks", "pre-commit"))).toBe(true);
    for (const line of r.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);

    // The set-up repository works end to end: a Secret from a script, committed, verified.
    expect(gitTry(repo, ["add", "-A"]).code).toBe(0);
    expect(gitTry(repo, ["commit", "-m", "init"]).code).toBe(0);
    const envFile = path.join(makeTempDir(), "v.env");
    writeFileSync(envFile, `password=${CANARY}\n`);
    const n = sg(repo, ["new", "production", "db", "--from-env-file", envFile]);
    expect(n.code, n.stdout + n.stderr).toBe(0);
    expect(repo.read("flux/secrets/production/kustomization.yaml").toString()).toContain(
      "resources:\n  - db.yaml\n",
    );
    repo.git("add", "-A");
    const ok = gitTry(repo, ["commit", "-m", "Add db"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const v = sg(repo, ["verify"], { env: { SOPS_AGE_KEY_FILE: file } });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    repo.write("flux/secrets/develop/leak.yaml", plainSecret("leak", { pw: CANARY }));
    repo.git("add", "-A");
    expect(gitTry(repo, ["commit", "-m", "leak"]).code).not.toBe(0);
  });

  it("twice: the second run has nothing to do, says so, exits 0 and changes nothing", async () => {
    const repo = await makeRepo();
    const first = sg(repo, ["init"]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const { file } = kubectl(repo, first.stdout);
    const before = snapshot(repo, [file]);

    const again = sg(repo, ["init"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("Nothing to do: this repository is already set up.");
    expect(again.stdout).toContain("- .sops.yaml: kept");
    expect(again.stdout).toContain("already installed");
    expect(again.stdout).not.toContain("✔");
    expect(snapshot(repo, [file])).toEqual(before);
    // The same one identity, named again for the cluster.
    expect(kubectl(repo, again.stdout).file).toBe(file);
  });

  it("--age (repeated or comma-separated): the team's personal keys beside the cluster key", async () => {
    const repo = await makeRepo();
    const r = sg(repo, [
      "init",
      "--age",
      teamRecipient,
      "--age",
      `${otherRecipient}`,
      "--env",
      "dev,prod",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const cluster = await oneIdentity(kubectl(repo, r.stdout).file);
    expect(folders(repo)).toEqual(["dev", "prod"]);
    for (const [, age] of rules(repo, ["dev", "prod"])) {
      expect(age).toEqual([cluster, teamRecipient, otherRecipient]);
    }
    expect(sg(repo, ["init", "--age", "AGE-SECRET-KEY-1XYZ"]).code).toBe(2);
    expect(sg(repo, ["init", "--env", "../x"]).code).toBe(2);
  });

  it("--cluster-key FILE: an existing one-identity file is used; inside the work tree only if ignored", async () => {
    const repo = await makeRepo({ files: { ".gitignore": "*.agekey\n" } });
    const keyFile = path.join(makeTempDir(), "cluster.agekey");
    writeFileSync(keyFile, `${clusterIdentity}\n`, { mode: 0o600 });
    const r = sg(repo, ["init", "--cluster-key", keyFile]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(kubectl(repo, r.stdout).file).toBe(keyFile);
    for (const [, age] of rules(repo, ENVS)) expect(age).toEqual([clusterRecipient]);

    const inside = await makeRepo();
    const bad = sg(inside, ["init", "--cluster-key", "age.agekey"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not ignored");
    expect(existsSync(path.join(inside.dir, "age.agekey"))).toBe(false);
    const ignored = await makeRepo({ files: { ".gitignore": "age.agekey\n" } });
    const ok = sg(ignored, ["init", "--cluster-key", "age.agekey"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    await oneIdentity(path.join(ignored.dir, "age.agekey"));
    expect(ignored.git("status", "--porcelain", "--ignored")).toContain("!! age.agekey");
  });
});

describe("init on an existing repository", () => {
  const KEPT_KZ =
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - app.yaml\n";

  async function existingRepo(): Promise<TestRepo> {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": seedPolicy(clusterRecipient),
        "flux/secrets/develop/kustomization.yaml": KEPT_KZ,
        "flux/secrets/develop/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        "flux/secrets/production/.keep": "",
      },
      commit: "existing layout",
    });
    // The developer's keyring: a personal identity first, the cluster's second.
    const keys = path.join(repo.home, ".config", "sops", "age", "keys.txt");
    mkdirSync(path.dirname(keys), { recursive: true, mode: 0o700 });
    writeFileSync(keys, `# personal\n${personalIdentity}\n# the cluster\n${clusterIdentity}\n`, {
      mode: 0o600,
    });
    return repo;
  }

  it("keeps .sops.yaml and uses its recipient; creates only what is missing; one identity for the cluster", async () => {
    const repo = await existingRepo();
    const sops = repo.read(".sops.yaml").toString();
    const r = sg(repo, ["init"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("Folders: develop, production (the folders under flux/secrets/)");
    expect(r.stdout).toContain("- .sops.yaml: kept");
    expect(repo.read(".sops.yaml").toString()).toBe(sops);
    // No cloudflare/auth/observability/staging: the repository never had them.
    expect(folders(repo)).toEqual(["develop", "production"]);
    expect(repo.read("flux/secrets/develop/kustomization.yaml").toString()).toBe(KEPT_KZ);
    expect(repo.read("flux/secrets/production/kustomization.yaml").toString()).toContain(
      "resources: []",
    );
    expect(r.stdout).toContain("✔ flux/secrets/production/kustomization.yaml: created");
    expect(existsSync(path.join(repo.dir, ".git", "hooks", "pre-commit"))).toBe(true);

    // The cluster's identity (the one .sops.yaml names), alone in its own file: not the
    // first of the keyring, and not the whole keyring.
    const { file } = kubectl(repo, r.stdout);
    expect(file).not.toBe(path.join(repo.home, ".config", "sops", "age", "keys.txt"));
    expect(await oneIdentity(file)).toBe(clusterRecipient);
    expect(r.stdout).toContain("copied alone");
    expect(r.stdout).toContain("one of 2 in ~/.config/sops/age/keys.txt");
    expect(repo.git("status", "--porcelain")).toBe("?? flux/secrets/production/kustomization.yaml");

    const before = snapshot(repo, [file]);
    const again = sg(repo, ["init"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("Nothing to do");
    expect(kubectl(repo, again.stdout).file).toBe(file);
    expect(snapshot(repo, [file])).toEqual(before);
  });

  it("a folder the kept .sops.yaml does not cover gets a rule appended, the rest byte for byte", async () => {
    const policy = `# ours\ncreation_rules:\n  - path_regex: flux/secrets/develop/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: ${clusterRecipient} # the cluster\n`;
    const repo = await makeRepo({
      files: { ".sops.yaml": policy, "flux/secrets/develop/.keep": "" },
      commit: "x",
    });
    const r = sg(repo, ["init", "--env", "develop", "--env", "qa"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = repo.read(".sops.yaml").toString();
    expect(text.startsWith(policy)).toBe(true);
    expect(r.stdout).toContain("rules added for qa");
    expect(rules(repo, ["develop", "qa"]).get("qa")).toEqual([clusterRecipient]);
    expect(folders(repo)).toEqual(["develop", "qa"]);
    // No local identity for it: said so, and still one command shape, no keyring.
    expect(r.stdout).toContain("No local identity opens");
  });

  it("a kept .sops.yaml that does not use --age exits 1; a broken one exits 2 unless --force", async () => {
    const repo = await existingRepo();
    const sops = repo.read(".sops.yaml").toString();
    const other = sg(repo, ["init", "--age", otherRecipient]);
    expect(other.code).toBe(1);
    expect(other.stdout).toContain("does not encrypt for");
    expect(other.stdout).toContain("updatekeys");
    expect(repo.read(".sops.yaml").toString()).toBe(sops);

    repo.write(".sops.yaml", "creation_rules:\n  - path_regex: '(?<=x)'\n");
    const broken = sg(repo, ["init"]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("--force");
    const forced = sg(repo, ["init", "--force"]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toContain("replaced (--force)");
    const cluster = await oneIdentity(kubectl(repo, forced.stdout).file);
    for (const [, age] of rules(repo, ["develop", "production"])) expect(age).toEqual([cluster]);
    expect(SEED.filter((f) => existsSync(path.join(repo.dir, "flux", "secrets", f)))).toEqual([
      "develop",
      "production",
    ]);
  });
});

describe("init and the hook", () => {
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
    const again = sg(repo, ["init"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(repo.read(".husky/pre-commit").toString()).toBe(hook);
  });

  it("package.json with husky but no .husky yet: .husky/ is created; without husky: git's hooks", async () => {
    const withHusky = await makeRepo({
      files: { "package.json": JSON.stringify({ scripts: { prepare: "husky" } }) },
    });
    const r = sg(withHusky, ["init"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(withHusky.read(".husky/pre-commit").toString()).toContain("secret-guard scan --hook");
    expect(r.stderr).toContain("git does not run .husky/ hooks yet");

    const plain = await makeRepo({ files: { "package.json": JSON.stringify({ name: "p" }) } });
    const p = sg(plain, ["init"]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(existsSync(path.join(plain.dir, ".husky"))).toBe(false);
    expect(existsSync(path.join(plain.dir, ".git", "hooks", "pre-commit"))).toBe(true);
    expect(p.stderr).toContain("npx husky init");
  });

  it("outside a git repository: exit 2", async () => {
    const dir = makeTempDir();
    const repo = await makeRepo();
    const r = sg(repo, ["init"], { cwd: dir });
    expect(r.code).toBe(2);
  });
});
