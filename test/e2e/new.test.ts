/**
 * `secret-guard new ENV NAME` in real repositories, with a scripted $EDITOR:
 * a new Secret encrypted (the real `age` CLI unwraps its data key, our
 * decryptFile reads the values), listed in kustomization.yaml and committed
 * through the installed hook; the edit flow keeping unchanged ciphertexts
 * byte for byte; the non-interactive sources; and every failure path
 * (cancel, editor failure, encryption failure, SIGINT/SIGTERM while the
 * editor is open) leaving no plaintext in the repository or in the private
 * temp folders (TMPDIR points at a folder of the test's own, swept for the
 * canaries) and no half-written target.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { decryptFile } from "../../src/crypto/decrypt.js";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  BIN,
  gitTry,
  plainSecret,
  type Run,
  seedPolicy,
  sg,
  transcript,
} from "./helpers.js";

const CANARY = "canary-new-Zk4p-db-password";
const CANARY2 = "canary-new-Hq8v-api-token";
const CANARY3 = "canary-new-Rt2m-rotated";
const TARGET = "flux/secrets/develop/backend-secrets.yaml";
const KUSTOMIZATION = "flux/secrets/develop/kustomization.yaml";
const SEED_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - app-config.yaml
  # Encrypted secrets (uncomment once created):
  # - backend-secrets.yaml
  # - other-secrets.yaml
`;

let identity: string;
let recipient: string;
let keyFile: string;
let scripts: string;
const hasAge = spawnSync("age", ["--version"]).status === 0;

beforeAll(async () => {
  identity = await generateIdentity();
  recipient = await identityToRecipient(identity);
  scripts = makeTempDir();
  keyFile = path.join(scripts, "keys.txt");
  writeFileSync(keyFile, `# created: test\n# public key: ${recipient}\n${identity}\n`, {
    mode: 0o600,
  });
});
afterAll(() => {
  assertNoCanary([CANARY, CANARY2, CANARY3]);
  cleanupAll();
});

async function repoForNew(): Promise<TestRepo> {
  const repo = await makeRepo({
    files: {
      ".sops.yaml": seedPolicy(recipient),
      "README.md": "x\n",
      [KUSTOMIZATION]: SEED_KUSTOMIZATION,
      "flux/secrets/develop/app-config.yaml":
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
      "flux/secrets/staging/.keep": "",
      "flux/secrets/unruled/.keep": "",
      "clusters/dev/secrets.yaml": [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        "  name: secrets-develop",
        "  namespace: flux-system",
        "spec:",
        "  path: ./flux/secrets/develop",
        "  decryption:",
        "    provider: sops",
        "    secretRef:",
        "      name: sops-age",
        "",
      ].join("\n"),
    },
    commit: "layout",
  });
  expect(sg(repo, ["install"]).code).toBe(0);
  return repo;
}

let n = 0;
/** An editor script; `body` runs with the file as $1. */
function editor(body: string): string {
  const file = path.join(scripts, `editor-${++n}.sh`);
  writeFileSync(
    file,
    `#!/bin/sh\nls -ld "$1" "$(dirname "$1")" >> "${scripts}/log-${n}"\n${body}\n`,
  );
  chmodSync(file, 0o755);
  return file;
}
const logOf = (script: string) =>
  readFileSync(script.replace(/editor-(\d+)\.sh$/, "log-$1"), "utf8");

function writeSecret(values: Record<string, string>): string {
  return `cat > "$1" <<'EOF'\n${plainSecret("backend-secrets", values)}EOF`;
}

function tty(answer: string): string {
  const f = path.join(makeTempDir(), "tty");
  writeFileSync(f, answer);
  return f;
}

interface Ctx {
  repo: TestRepo;
  tmp: string;
  env: NodeJS.ProcessEnv;
}

async function setup(): Promise<Ctx> {
  const repo = await repoForNew();
  const tmp = makeTempDir("sg-new-tmpdir-");
  return {
    repo,
    tmp,
    env: {
      TMPDIR: tmp,
      // The private folder goes to $XDG_RUNTIME_DIR first (RAM-backed on real systems).
      XDG_RUNTIME_DIR: tmp,
      VISUAL: "",
      SOPS_AGE_KEY_FILE: keyFile,
      SECRET_GUARD_TTY: "/nonexistent/tty",
    },
  };
}

function filesUnder(dir: string, skipGit = true): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!(skipGit && e.name === ".git")) out.push(...filesUnder(p, skipGit));
    } else out.push(p);
  }
  return out;
}

/** No plaintext anywhere: not in the work tree, not in TMPDIR, no temp folder left. */
function assertClean(c: Ctx, canaries: string[] = [CANARY, CANARY2, CANARY3]): void {
  expect(readdirSync(c.tmp).filter((f) => f.startsWith("secret-guard-new-"))).toEqual([]);
  for (const f of [...filesUnder(c.repo.dir), ...filesUnder(c.tmp)]) {
    const text = readFileSync(f, "latin1");
    for (const canary of canaries) expect(text, f).not.toContain(canary);
  }
  expect(filesUnder(c.repo.dir).filter((f) => f.includes(".secret-guard-"))).toEqual([]);
}

describe("new: a Secret from the editor", () => {
  it("encrypts, lists it in kustomization.yaml, and the commit passes the hook", async () => {
    const c = await setup();
    const ed = editor(writeSecret({ "database-url": CANARY, "api-key": CANARY2 }));
    // Like `sops edit`: saving encrypts; nothing is asked after the editor (a terminal that
    // answers "n" is offered and must not be read).
    const answer = tty("n\n");
    const r = sg(c.repo, ["new", "develop", "backend-secrets"], {
      env: { ...c.env, EDITOR: ed, SECRET_GUARD_TTY: answer },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(answer, "utf8")).toBe("n\n");
    expect(r.stdout + r.stderr).not.toContain("[y/N]");

    // The plaintext lived in a private NAME.yaml under TMPDIR, outside the repository.
    const log = logOf(ed).trim().split("\n");
    const fileLine = log.find((l) => l.endsWith(".yaml"));
    const dirLine = log.find((l) => !l.endsWith(".yaml"));
    expect(fileLine).toMatch(/^-rw------- .*\/secret-guard-new-[^/]+\/backend-secrets\.yaml$/);
    expect(dirLine).toMatch(/^drwx------ /);
    expect(fileLine).toContain(c.tmp);
    expect(fileLine).not.toContain(c.repo.dir);

    const enc = c.repo.read(TARGET);
    expect(enc.toString()).toContain("database-url: ENC[AES256_GCM");
    const dec = await decryptFile(enc, "yaml", [identity]);
    expect(dec.ok).toBe(true);
    const values = Object.fromEntries(
      dec.leaves.map((l) => [l.path.join("."), l.plain.toString("utf8")]),
    );
    expect(values["stringData.database-url"]).toBe(CANARY);
    expect(values["stringData.api-key"]).toBe(CANARY2);
    expect(values["metadata.namespace"]).toBe("develop");

    // The commented entry is uncommented in place; everything else is kept.
    expect(c.repo.read(KUSTOMIZATION).toString()).toBe(
      SEED_KUSTOMIZATION.replace("  # - backend-secrets.yaml", "  - backend-secrets.yaml"),
    );

    expect(r.stdout).toContain("Next steps:");
    expect(r.stdout).toContain(`git add ${TARGET} ${KUSTOMIZATION}`);
    expect(r.stdout).toContain("git push");
    expect(r.stdout).toContain("flux reconcile kustomization secrets-develop --with-source");
    expect(r.stdout).toContain("kubectl -n develop get secret backend-secrets");
    expect(r.stdout).toContain("keys: database-url, api-key");

    c.repo.git("add", TARGET, KUSTOMIZATION);
    const commit = gitTry(c.repo, ["commit", "-m", "Add backend-secrets for develop"]);
    expect(commit.code, commit.stdout + commit.stderr).toBe(0);
    expect(c.repo.git("show", `HEAD:${TARGET}`)).toContain("ENC[AES256_GCM");
    const v = sg(c.repo, ["verify", TARGET], { env: c.env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    assertClean(c);
  });

  it.runIf(hasAge)("the real age CLI unwraps the data key: 32 bytes", async () => {
    const c = await setup();
    const r = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, EDITOR: editor(writeSecret({ pw: CANARY })) },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const doc = parseDocument(c.repo.read(TARGET).toString());
    const stanza = doc.getIn(["sops", "age", 0, "enc"]) as string;
    expect(doc.getIn(["sops", "age", 0, "recipient"])).toBe(recipient);
    const encFile = path.join(makeTempDir(), "datakey.age");
    writeFileSync(encFile, stanza);
    const key = execFileSync("age", ["-d", "-i", keyFile, encFile]);
    expect(key.length).toBe(32);
  });

  it("a new file without a kustomization.yaml gets one; staging has none yet", async () => {
    const c = await setup();
    const r = sg(c.repo, ["new", "staging", "api", "--yes"], {
      env: {
        ...c.env,
        EDITOR: editor(
          `cat > "$1" <<'EOF'\n${plainSecret("api", { token: CANARY }, "staging")}EOF`,
        ),
      },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(c.repo.read("flux/secrets/staging/kustomization.yaml").toString()).toBe(
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - api.yaml\n",
    );
    expect(r.stdout).toContain("kubectl -n staging get secret api");
    expect(r.stdout).toContain("flux reconcile kustomization <name> --with-source");
    assertClean(c);
  });
});

describe("new on an existing secret: the edit flow", () => {
  it("keeps unchanged ciphertexts byte for byte; an unchanged file writes nothing", async () => {
    const c = await setup();
    const envFile = path.join(makeTempDir(), "values.env");
    writeFileSync(envFile, `# values\ndatabase-url=${CANARY}\napi-key=${CANARY2}\n`);
    const first = sg(
      c.repo,
      ["new", "develop", "backend-secrets", "--from-env-file", envFile, "--yes"],
      { env: c.env },
    );
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const before = c.repo.read(TARGET).toString();
    const line = (text: string, key: string) => text.split("\n").find((l) => l.includes(`${key}:`));

    // Only api-key changes.
    const ed = editor(`sed 's/${CANARY2}/${CANARY3}/' "$1" > "$1.new" && mv "$1.new" "$1"`);
    const r = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, EDITOR: ed },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("1 value unchanged (ciphertext kept), 1 new or changed");
    const after = c.repo.read(TARGET).toString();
    expect(line(after, "database-url")).toBe(line(before, "database-url"));
    expect(line(after, "api-key")).not.toBe(line(before, "api-key"));
    // Same data key, same recipients: the age stanza is untouched.
    const stanza = (t: string) => t.slice(t.indexOf("    age:"), t.indexOf("    encrypted_regex"));
    expect(stanza(after)).toBe(stanza(before));
    const dec = await decryptFile(Buffer.from(after), "yaml", [identity]);
    expect(dec.ok).toBe(true);
    const plain = dec.leaves.map((l) => l.plain.toString("utf8"));
    expect(plain).toContain(CANARY);
    expect(plain).toContain(CANARY3);
    expect(plain).not.toContain(CANARY2);

    // Saved without a change: nothing is written.
    const same = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, EDITOR: "true" },
    });
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain("no changes");
    expect(c.repo.read(TARGET).toString()).toBe(after);

    // Non-interactive update of one key keeps the other's ciphertext too.
    const upd = sg(c.repo, ["new", "develop", "backend-secrets", "--stdin", "--yes"], {
      env: c.env,
      input: `api-key=${CANARY2}\n`,
    });
    expect(upd.code, upd.stdout + upd.stderr).toBe(0);
    const third = c.repo.read(TARGET).toString();
    expect(line(third, "database-url")).toBe(line(before, "database-url"));
    expect(stanza(third)).toBe(stanza(before));
    assertClean(c);
  });

  it("the edit flow's failures leave the encrypted file as it was", async () => {
    const c = await setup();
    const envFile = path.join(makeTempDir(), "values.env");
    writeFileSync(envFile, `pw=${CANARY}\n`);
    expect(
      sg(c.repo, ["new", "develop", "backend-secrets", "--from-env-file", envFile, "--yes"], {
        env: c.env,
      }).code,
    ).toBe(0);
    const before = c.repo.read(TARGET).toString();
    const fail = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, EDITOR: editor(`echo "pw2: ${CANARY2}" >> "$1"; exit 3`) },
    });
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain("exited with status 3");
    const noKey = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, SOPS_AGE_KEY_FILE: "", XDG_CONFIG_HOME: makeTempDir(), EDITOR: "true" },
    });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("age identity");
    const failWrite = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: {
        ...c.env,
        EDITOR: editor(`sed 's/${CANARY}/${CANARY3}/' "$1" > "$1.new" && mv "$1.new" "$1"`),
        SECRET_GUARD_TEST_FAIL_AT: "before-rename",
      },
    });
    expect(failWrite.code).toBe(1);
    expect(failWrite.stdout).toContain("the file is unchanged");
    expect(c.repo.read(TARGET).toString()).toBe(before);
    assertClean(c, [CANARY2, CANARY3]);
  });
});

describe("new without an editor: values from files or standard input", () => {
  it("--from-env-file, --from-file KEY=PATH and --stdin, never from the command line", async () => {
    const c = await setup();
    const dir = makeTempDir();
    const envFile = path.join(dir, "a.env");
    writeFileSync(envFile, `# comment\n\nurl=${CANARY}\n`);
    const cert = path.join(dir, "tls.crt");
    writeFileSync(cert, `-----BEGIN X-----\n${CANARY2}\n-----END X-----\n`);
    const r = sg(
      c.repo,
      [
        "new",
        "develop",
        "backend-secrets",
        "--from-env-file",
        envFile,
        "--from-file",
        `tls.crt=${cert}`,
        "--stdin",
        "--yes",
      ],
      { env: c.env, input: `token=${CANARY3}\n` },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const dec = await decryptFile(c.repo.read(TARGET), "yaml", [identity]);
    expect(dec.ok).toBe(true);
    const values = Object.fromEntries(
      dec.leaves.map((l) => [l.path.join("."), l.plain.toString("utf8")]),
    );
    expect(values["stringData.url"]).toBe(CANARY);
    expect(values["stringData.tls.crt"]).toBe(readFileSync(cert, "utf8"));
    expect(values["stringData.token"]).toBe(CANARY3);
    assertClean(c);
  });

  it("from a script: no terminal and no --yes needed; encrypted, registered, exit 0", async () => {
    const c = await setup();
    const envFile = path.join(makeTempDir(), "a.env");
    writeFileSync(envFile, `url=${CANARY}\n`);
    const r = sg(c.repo, ["new", "develop", "backend-secrets", "--from-env-file", envFile], {
      env: c.env,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(c.repo.read(TARGET).toString()).toContain("url: ENC[AES256_GCM");
    expect(c.repo.read(KUSTOMIZATION).toString()).toContain("\n  - backend-secrets.yaml\n");
    expect(r.stdout + r.stderr).not.toContain("warning:");
    const bad = path.join(makeTempDir(), "b.env");
    writeFileSync(bad, `not a pair ${CANARY}\n`);
    const b = sg(c.repo, ["new", "develop", "x", "--from-env-file", bad, "--yes"], { env: c.env });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("line 1 is not KEY=VALUE");
    assertClean(c);
  });
});

describe("new: --type and --namespace", () => {
  it("a kubernetes.io/tls Secret from files, in another namespace; its required keys are checked", async () => {
    const c = await setup();
    const dir = makeTempDir();
    writeFileSync(path.join(dir, "tls.crt"), `-----BEGIN CERTIFICATE-----\n${CANARY}\n`);
    writeFileSync(path.join(dir, "tls.key"), `-----BEGIN PRIVATE KEY-----\n${CANARY2}\n`);
    const crt = `tls.crt=${path.join(dir, "tls.crt")}`;
    const key = `tls.key=${path.join(dir, "tls.key")}`;
    const missing = sg(
      c.repo,
      ["new", "develop", "tls", "--type", "kubernetes.io/tls", "--from-file", crt],
      { env: c.env },
    );
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('needs "tls.key"');
    expect(existsSync(path.join(c.repo.dir, "flux/secrets/develop/tls.yaml"))).toBe(false);
    const r = sg(
      c.repo,
      [
        "new",
        "develop",
        "tls",
        "-t",
        "kubernetes.io/tls",
        "-n",
        "ingress",
        "--from-file",
        crt,
        "--from-file",
        key,
      ],
      { env: c.env },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = c.repo.read("flux/secrets/develop/tls.yaml").toString();
    expect(text).toContain("type: kubernetes.io/tls");
    expect(text).toContain("namespace: ingress");
    expect(r.stdout).toContain("kubectl -n ingress get secret tls");
    expect(sg(c.repo, ["new", "develop", "x", "--namespace", "Bad_NS"], { env: c.env }).code).toBe(
      2,
    );
    expect(sg(c.repo, ["new", "develop", "x", "--type", "bad type"], { env: c.env }).code).toBe(2);
    assertClean(c);
  });

  it("the editor template of a type carries its keys and namespace", async () => {
    const c = await setup();
    const seen = path.join(makeTempDir(), "seen.yaml");
    const r = sg(
      c.repo,
      [
        "new",
        "develop",
        "registry",
        "--type",
        "kubernetes.io/dockerconfigjson",
        "--namespace",
        "apps",
      ],
      { env: { ...c.env, EDITOR: editor(`cp "$1" "${seen}"`) } },
    );
    expect(r.code).toBe(1); // unchanged template: cancelled
    const tpl = readFileSync(seen, "utf8");
    expect(tpl).toContain("type: kubernetes.io/dockerconfigjson");
    expect(tpl).toContain("namespace: apps");
    expect(tpl).toContain(".dockerconfigjson:");
    assertClean(c);
  });
});

describe("new: failure paths leave nothing behind", () => {
  const untouched = (c: Ctx) => {
    expect(existsSync(path.join(c.repo.dir, TARGET))).toBe(false);
    expect(c.repo.read(KUSTOMIZATION).toString()).toBe(SEED_KUSTOMIZATION);
    expect(c.repo.git("status", "--porcelain")).toBe("");
    assertClean(c);
  };

  it("the editor exits 1", async () => {
    const c = await setup();
    const r = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, EDITOR: editor(`${writeSecret({ pw: CANARY })}\nexit 1`) },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("exited with status 1");
    untouched(c);
  });

  it("the template left unchanged, or emptied, cancels", async () => {
    const c = await setup();
    const r = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, EDITOR: "true" },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("template was not changed");
    const e = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: { ...c.env, EDITOR: editor(': > "$1"') },
    });
    expect(e.code).toBe(1);
    expect(e.stdout).toContain("empty");
    untouched(c);
  });

  it("an invalid Secret with no terminal to offer a retry", async () => {
    const c = await setup();
    const r = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: {
        ...c.env,
        EDITOR: editor(`printf 'kind: Secret\\nstringData:\\n  pw: "${CANARY}\\n' > "$1"`),
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("YAML error");
    untouched(c);
  });

  it("encryption fails before the rename", async () => {
    const c = await setup();
    const r = sg(c.repo, ["new", "develop", "backend-secrets", "--yes"], {
      env: {
        ...c.env,
        EDITOR: editor(writeSecret({ pw: CANARY })),
        SECRET_GUARD_TEST_FAIL_AT: "before-rename",
      },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("nothing was written");
    untouched(c);
  });

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`${signal} while the editor is open`, async () => {
      const c = await setup();
      const marker = path.join(scripts, `ready-${signal}`);
      const stop = path.join(scripts, `stop-${signal}`);
      const ed = editor(
        `${writeSecret({ pw: CANARY })}\n: > "${marker}"\ni=0\nwhile [ $i -lt 300 ] && [ ! -f "${stop}" ]; do sleep 0.1; i=$((i+1)); done`,
      );
      const child = spawn(process.execPath, [BIN, "new", "develop", "backend-secrets", "--yes"], {
        cwd: c.repo.dir,
        env: { ...c.repo.env, NO_COLOR: "1", ...c.env, EDITOR: ed },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
      for (let i = 0; i < 200 && !existsSync(marker); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(marker)).toBe(true);
      // The plaintext exists right now, in the private folder.
      const open = readdirSync(c.tmp).filter((f) => f.startsWith("secret-guard-new-"));
      expect(open.length).toBe(1);
      const tempDir = path.join(c.tmp, open[0]!);
      expect(statSync(tempDir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(tempDir, "backend-secrets.yaml")).mode & 0o777).toBe(0o600);
      child.kill(signal);
      const exitCode = await exited;
      writeFileSync(stop, "");
      await new Promise((r) => setTimeout(r, 300));
      const run: Run = { code: exitCode ?? -1, stdout, stderr };
      transcript.push(run.stdout, run.stderr);
      expect(run.code, run.stderr).toBe(code);
      expect(run.stderr).toContain("the plaintext deleted");
      expect(existsSync(tempDir)).toBe(false);
      untouched(c);
    });
  }
});

describe("new: checks before the editor opens", () => {
  it("unknown ENV lists the folders; a bad NAME is refused; an uncovered folder is refused", async () => {
    const c = await setup();
    const env = { ...c.env, EDITOR: editor("exit 99") };
    const u = sg(c.repo, ["new", "prod", "x"], { env });
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('unknown environment "prod"');
    expect(u.stderr).toContain("available: develop, staging, unruled");
    for (const bad of ["Backend", "a_b", "x-", "../x", "a..b", "x".repeat(254)]) {
      const b = sg(c.repo, ["new", "develop", bad], { env });
      expect(b.code, bad).toBe(2);
      expect(b.stderr).toContain("is not a valid Secret name");
    }
    const nr = sg(c.repo, ["new", "unruled", "x"], { env });
    expect(nr.code).toBe(2);
    expect(nr.stderr).toContain("no creation rule");
    const p = sg(c.repo, ["new", "develop"], { env });
    expect(p.code).toBe(2);
    assertClean(c);
  });
});
