/**
 * Class 9: a decrypted copy is caught anywhere, with no `.sops.yaml` at all.
 * HEAD holds real sops output (YAML, JSON, dotenv, INI, binary envelope); the
 * commit replaces it with its plaintext at the same path, moves it with git's
 * rename detection seeing a rename, or deletes it and adds the plaintext
 * elsewhere (git sees delete + add). Every such commit is refused with
 * `encryption-removed`, through `git commit` and the installed hook.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, type TestRepo } from "../helpers/repo.js";
import { assertNoCanary, FIXTURES, gitTry, sg, transcript } from "./helpers.js";

const RT = path.join(FIXTURES, "redteam");
const real = (rel: string) => readFileSync(path.join(RT, rel));
const C = (n: string) => `CANARY-ER-${n}`;

interface Fmt {
  name: string;
  /** Path of the encrypted file in HEAD, and its real sops content. */
  enc: string;
  bytes: Buffer;
  /** The decrypted content (same keys, plaintext values). */
  plain: string;
  canary: string;
}

const FORMATS: Fmt[] = [
  {
    name: "YAML",
    enc: "deploy/age.yaml",
    bytes: real("fa-real-sops-flux-age/secrets/age.yaml"),
    plain: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: age\nstringData:\n  key: ${C("y1")}\n`,
    canary: C("y1"),
  },
  {
    name: "JSON",
    enc: "deploy/format.enc.json",
    bytes: real("fa-real-sops-getsops-pgp/secrets/format.enc.json"),
    plain: `{\n\t"foo": "${C("j1")}"\n}\n`,
    canary: C("j1"),
  },
  {
    name: "dotenv",
    enc: "deploy/env.env",
    bytes: real("fa-real-sops-flux-age/secrets/env.env"),
    plain: `key=${C("d1")}\n`,
    canary: C("d1"),
  },
  {
    name: "INI",
    enc: "deploy/format.enc.ini",
    bytes: real("fa-real-sops-getsops-pgp/secrets/format.enc.ini"),
    plain: `[foo]\nbar = ${C("i1")}\n`,
    canary: C("i1"),
  },
  {
    name: "binary envelope",
    enc: "deploy/file.txt",
    bytes: real("fa-real-sops-flux-age/secrets/file.txt"),
    plain: `${C("b1")}\n`,
    canary: C("b1"),
  },
];

afterAll(() => {
  assertNoCanary([...FORMATS.map((f) => f.canary), C("m1")], transcript.join("\n"));
  cleanupAll();
});

let repo: TestRepo;
let base: string;

beforeAll(async () => {
  const files: Record<string, string | Buffer> = { "README.md": "no .sops.yaml here\n" };
  for (const f of FORMATS) files[f.enc] = f.bytes;
  repo = await makeRepo({ files, commit: "encrypted files, no policy" });
  base = repo.git("rev-parse", "HEAD");
  expect(sg(repo, ["install", "--hooks", "pre-commit", "--no-probe"]).code).toBe(0);
});

function reset(): void {
  repo.git("reset", "-q", "--hard", base);
  repo.git("clean", "-q", "-fdx");
}

function refused(message: string, ...expectIn: string[]): string {
  const r = gitTry(repo, ["commit", "-q", "-m", message]);
  const out = r.stdout + r.stderr;
  expect(r.code, out).toBe(1);
  expect(out).toContain("encryption-removed");
  for (const s of expectIn) expect(out).toContain(s);
  expect(repo.git("rev-parse", "HEAD")).toBe(base);
  reset();
  return out;
}

/** What git's own rename detection (as the hook runs it: diff-index -M) sees for the staged change. */
function status(): string {
  return repo.git("diff-index", "--cached", "-M", "--name-status", "HEAD");
}

describe("encryption-removed without any .sops.yaml", () => {
  beforeEach(() => reset());

  for (const f of FORMATS) {
    it(`${f.name}: the decrypted copy at the same path is refused`, () => {
      repo.write(f.enc, f.plain);
      repo.git("add", "--", f.enc);
      refused(`decrypt ${f.name}`, f.enc);
    });

    it(`${f.name}: a decrypted copy already committed (--no-verify) is caught by scan --range`, () => {
      repo.write(f.enc, f.plain);
      repo.git("add", "--", f.enc);
      repo.git("commit", "-q", "--no-verify", "-m", `sneak ${f.name}`);
      const r = sg(repo, ["scan", "--range", `${base}..HEAD`]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain("encryption-removed");
      expect(r.stdout).toContain(f.enc);
      reset();
    });

    it(`${f.name}: deleted and its plaintext added elsewhere (git sees delete + add) is refused`, () => {
      const to = `apps/${path.basename(f.enc).replace(".enc", "")}`;
      repo.git("rm", "-q", "--", f.enc);
      repo.write(to, f.plain);
      repo.git("add", "--", to);
      expect(status()).toMatch(new RegExp(`^D\\t${f.enc}$`, "m"));
      refused(`move ${f.name} out`, to, f.enc);
    });
  }

  it("sops marker text in the decrypted copy (a nested sops key) does not hide it", () => {
    const plain = `{\n\t"foo": "${C("m1")}",\n\t"x": {"sops": {"mac": "none", "lastmodified": "x"}}\n}\n`;
    repo.write("deploy/format.enc.json", plain);
    repo.git("add", "--", "deploy/format.enc.json");
    refused("nested marker, same path", "deploy/format.enc.json");
    repo.git("rm", "-q", "--", "deploy/format.enc.json");
    repo.write("apps/format.json", plain);
    repo.git("add", "--", "apps/format.json");
    refused("nested marker, delete + add", "apps/format.json", "deploy/format.enc.json");
  });

  it("a rename git detects (most of the file unchanged) is refused", () => {
    const big = "# ".concat("x".repeat(70), "\n").repeat(60);
    const yaml = FORMATS[0]!;
    // the same real file with a long plaintext preamble, committed first
    repo.write(yaml.enc, big + yaml.bytes.toString());
    repo.commitAll("preamble");
    const head = repo.git("rev-parse", "HEAD");
    repo.remove(yaml.enc);
    repo.write("apps/age.yaml", big + yaml.plain);
    repo.git("add", "-A", "--", "deploy", "apps");
    expect(status()).toMatch(/^R\d+\tdeploy\/age\.yaml\tapps\/age\.yaml$/m);
    const r = gitTry(repo, ["commit", "-q", "-m", "rename"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain("encryption-removed");
    expect(repo.git("rev-parse", "HEAD")).toBe(head);
    reset();
  });

  it("moved out of the rules of a .sops.yaml (delete + add) is refused", () => {
    repo.write(
      ".sops.yaml",
      "creation_rules:\n  - path_regex: ^deploy/\n    age: age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29\n",
    );
    // (other files under deploy/ are encrypted for other keys: not this test's concern)
    repo.git("add", ".sops.yaml");
    repo.git("commit", "-q", "--no-verify", "-m", "policy for deploy/ only");
    const head = repo.git("rev-parse", "HEAD");
    repo.git("rm", "-q", "--", "deploy/age.yaml");
    repo.write("apps/secret.yaml", FORMATS[0]!.plain);
    repo.git("add", "--", "apps/secret.yaml");
    const r = gitTry(repo, ["commit", "-q", "-m", "out of the rules"]);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    expect(out).toContain("encryption-removed");
    expect(out).toContain("deploy/age.yaml");
    expect(repo.git("rev-parse", "HEAD")).toBe(head);
  });

  it("no false alarm: a sops Secret replaced by a SealedSecret, or a same-key file of another name", () => {
    repo.git("rm", "-q", "--", "deploy/age.yaml", "deploy/env.env");
    repo.write(
      "apps/age.yaml",
      "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: age\nspec:\n  encryptedData:\n    key: AgBy8hCi8F0Zqm3K\n",
    );
    // one top-level key alike is no likeness without the same file name
    repo.write("apps/other.env", "key=some-setting\n");
    repo.git("add", "--", "apps");
    const r = gitTry(repo, ["commit", "-q", "-m", "sealed"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("no false alarm: an encrypted file deleted while an unrelated plaintext file is added", () => {
    repo.git("rm", "-q", "--", "deploy/age.yaml");
    repo.write(
      "apps/config.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  mode: fast\n",
    );
    repo.git("add", "--", "apps/config.yaml");
    const r = gitTry(repo, ["commit", "-q", "-m", "unrelated"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    reset();
  });

  it("no false alarm: a test or a doc that quotes sops output is edited (marker text, no sops file)", () => {
    const quoted = (extra: string) =>
      [
        "// a test that holds an encrypted file as text",
        "const ENCRYPTED = `",
        "apiVersion: v1",
        "kind: Secret",
        "sops:",
        "    mac: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]",
        '    lastmodified: "2024-01-01T00:00:00Z"',
        "`;",
        extra,
        "",
      ].join("\n");
    repo.write("test/fixture.test.ts", quoted(""));
    repo.write(
      "docs/sops.md",
      `# How\n\n\`\`\`yaml\nsops:\n    mac: ENC[x]\n    lastmodified: now\n\`\`\`\n`,
    );
    repo.git("add", "--", "test", "docs");
    repo.git("commit", "-q", "--no-verify", "-m", "quotes");
    repo.write("test/fixture.test.ts", quoted("export const more = 1;"));
    repo.write("docs/sops.md", "# How\n\nSee the README.\n");
    repo.git("add", "--", "test", "docs");
    const r = gitTry(repo, ["commit", "-q", "-m", "edit the quotes"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    reset();
  });
});
