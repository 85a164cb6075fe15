/**
 * SARIF 2.1.0 from every command that writes it, validated against the
 * official OASIS schema (draft-04) with ajv-draft-04: `scan` in staged,
 * --all, PATH and --range modes on a repository that trips every scan rule
 * and on a clean one, `--output FILE`, and `verify` / `history`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import AjvModule from "ajv-draft-04";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir, type TestRepo } from "../helpers/repo.js";
import {
  assertNoCanary,
  FIXTURE_AGE,
  FIXTURES,
  plainSecret,
  SEED_AGE,
  sg,
  transcript,
} from "./helpers.js";

const schema = JSON.parse(
  readFileSync(path.join(FIXTURES, "sarif", "sarif-schema-2.1.0.json"), "utf8"),
);
// ajv-draft-04 is CommonJS (`module.exports = Ajv`); under NodeNext TypeScript types the
// default import as the module object, so take `.default` when the runtime has it.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as unknown as new (
  opts: object,
) => import("ajv").default;
const ajv = new Ajv({ strict: false, allErrors: true });
// The schema's formats, checked for real (ajv ignores unknown formats under strict: false).
ajv.addFormat("uri", (s: string) => URL.canParse(s) && /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(s));
ajv.addFormat("uri-reference", (s: string) =>
  /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/.test(s),
);
ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
const validate = ajv.compile(schema);

interface SarifResult {
  ruleId: string;
  ruleIndex?: number;
  level: string;
  message: { text: string };
  locations: Array<{
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string };
      region?: { startLine: number; startColumn?: number };
    };
  }>;
  partialFingerprints?: Record<string, string>;
}
interface SarifLog {
  version: string;
  runs: Array<{
    tool: { driver: { name: string; rules: Array<{ id: string }> } };
    results: SarifResult[];
  }>;
}

const CANARIES = ["canary-sarif-Qw7-a", "canary-sarif-Qw7-b", "canary-sarif-Qw7-c"] as const;
const [CANARY_A, CANARY_B, CANARY_C] = CANARIES;
const ENCRYPTED = readFileSync(
  path.join(
    FIXTURES,
    "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
  ),
  "utf8",
);
const ODD = "flux/secrets/develop/odd name #1 100% é.yaml";

/** develop: the fixture's key; staging: another key (so the fixture there is a recipient mismatch). */
const POLICY = `creation_rules:
  - path_regex: flux/secrets/develop/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${FIXTURE_AGE}
  - path_regex: flux/secrets/staging/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${SEED_AGE}
`;

/** Parse, validate against the schema, and check what the schema cannot: indexes, levels, locations. */
function assertValid(text: string): SarifLog {
  const doc = JSON.parse(text) as SarifLog;
  const ok = validate(doc);
  expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
  expect(ok).toBe(true);
  expect(doc.version).toBe("2.1.0");
  expect(doc.runs).toHaveLength(1);
  const run = doc.runs[0]!;
  expect(run.tool.driver.name).toBe("secret-guard");
  const ids = run.tool.driver.rules.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const r of run.results) {
    expect(ids).toContain(r.ruleId);
    if (r.ruleIndex !== undefined) expect(ids[r.ruleIndex]).toBe(r.ruleId);
    expect(["error", "warning", "note"]).toContain(r.level);
    const loc = r.locations[0]!.physicalLocation;
    expect(loc.artifactLocation.uriBaseId).toBe("%SRCROOT%");
    expect(loc.artifactLocation.uri).not.toMatch(/^\/|\\/);
    if (loc.region) expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
    expect(Object.keys(r.partialFingerprints ?? {})).not.toHaveLength(0);
  }
  return doc;
}

const ruleIds = (log: SarifLog) => [...new Set(log.runs[0]!.results.map((r) => r.ruleId))].sort();

function sarif(repo: TestRepo, args: string[], env?: NodeJS.ProcessEnv) {
  const r = sg(repo, ["scan", ...args, "--format", "sarif"], { env });
  return { ...r, log: assertValid(r.stdout) };
}

afterAll(() => {
  assertNoCanary(CANARIES, transcript.join("\n"));
  cleanupAll();
});

describe("scan --format sarif validates against the official 2.1.0 schema", () => {
  it("a clean repository: staged, --all and PATH give a valid log with no results", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        "README.md": "x\n",
        "flux/secrets/develop/ok.yaml": ENCRYPTED,
      },
      commit: "init",
    });
    repo.write("flux/secrets/develop/new.yaml", ENCRYPTED);
    repo.git("add", "-A");
    for (const args of [[], ["--all"], ["flux", "README.md"]]) {
      const r = sarif(repo, args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
      expect(r.log.runs[0]!.results).toEqual([]);
      // every rule is described, even with no result (code scanning shows them)
      expect(r.log.runs[0]!.tool.driver.rules.map((x) => x.id)).toEqual(
        expect.arrayContaining(["unencrypted", "secret-outside-policy", "nothing-encrypted"]),
      );
    }
  });

  it("every scan rule, in staged, --all, PATH and --range modes, and --output FILE", async () => {
    const repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY,
        "flux/secrets/develop/was-encrypted.yaml": ENCRYPTED,
      },
      commit: "init",
    });
    // unencrypted
    repo.write("flux/secrets/develop/a.yaml", plainSecret("a", { pw: CANARY_A }));
    // unparseable (fails closed)
    repo.write("flux/secrets/develop/b.yaml", "kind: Secret\nstringData: [\n");
    // secret-outside-policy
    repo.write("apps/c.yaml", plainSecret("c", { token: CANARY_B }));
    // nothing-encrypted: sops metadata, not one ENC[...] (selector typo)
    repo.write(
      "flux/secrets/develop/d.yaml",
      `apiVersion: v1\nkind: ConfigMap\nsops:\n  age:\n    - recipient: ${FIXTURE_AGE}\n      enc: x\n  lastmodified: "2024-01-01T00:00:00Z"\n  mac: ""\n  encrypted_regex: ^(stringdata)$\n  version: 3.9.0\n`,
    );
    // partially-encrypted: a key added by hand to an encrypted file
    repo.write(
      "flux/secrets/develop/e.yaml",
      ENCRYPTED.replace(/^( {2}key: ENC\[.*\n)/m, `$1  added: "${CANARY_C}"\n`),
    );
    // missing-sops-metadata: ENC[...] values, sops block stripped
    repo.write("flux/secrets/develop/f.yaml", ENCRYPTED.slice(0, ENCRYPTED.indexOf("sops:")));
    // recipient-mismatch: encrypted for the fixture's key, the staging rule lists another
    repo.write("flux/secrets/staging/g.yaml", ENCRYPTED);
    // encryption-removed: HEAD was encrypted, the staged copy is not
    repo.write(
      "flux/secrets/develop/was-encrypted.yaml",
      plainSecret("age", { key: CANARY_A }, "default"),
    );
    // a path that needs percent-encoding in a URI
    repo.write(ODD, plainSecret("odd", { pw: CANARY_B }));
    repo.git("add", "-A");

    const staged = sarif(repo, []);
    expect(staged.code).toBe(1);
    expect(ruleIds(staged.log)).toEqual([
      "encryption-removed",
      "missing-sops-metadata",
      "nothing-encrypted",
      "partially-encrypted",
      "recipient-mismatch",
      "secret-outside-policy",
      "unencrypted",
      "unparseable",
    ]);
    const results = staged.log.runs[0]!.results;
    const uris = results.map((r) => r.locations[0]!.physicalLocation.artifactLocation.uri);
    const odd = uris.find((u) => decodeURIComponent(u) === ODD);
    expect(odd, uris.join("\n")).toBeDefined();
    expect(odd).not.toMatch(/[ #é]/);
    const unenc = results.find((r) => r.ruleId === "unencrypted" && r.message.text.includes("pw"));
    expect(unenc?.locations[0]?.physicalLocation.region?.startLine).toBe(8);
    expect(results.find((r) => r.ruleId === "nothing-encrypted")?.level).toBe("warning");
    // messages carry key names only
    expect(staged.stdout).toContain("added");
    assertNoCanary(CANARIES, staged.stdout + staged.stderr);

    // --output FILE: the report goes to the file, nothing to stdout, same exit code
    const out = path.join(repo.home, "reports", "staged.sarif");
    const notThere = sg(repo, ["scan", "--format", "sarif", "--output", out]);
    expect(notThere.code).toBe(2); // the folder does not exist: said, not crashed
    expect(notThere.stderr).toContain("cannot write the report");
    const file = path.join(repo.home, "staged.sarif");
    const written = sg(repo, ["scan", "--format", "sarif", "--output", file]);
    expect(written.code).toBe(1);
    expect(written.stdout).toBe("");
    expect(ruleIds(assertValid(readFileSync(file, "utf8")))).toEqual(ruleIds(staged.log));

    repo.git("commit", "-q", "--no-verify", "-m", "bad");
    const core = [
      "missing-sops-metadata",
      "nothing-encrypted",
      "partially-encrypted",
      "recipient-mismatch",
      "secret-outside-policy",
      "unencrypted",
      "unparseable",
    ];
    const all = sarif(repo, ["--all"]);
    expect(all.code).toBe(1);
    expect(ruleIds(all.log)).toEqual(expect.arrayContaining(core));
    const paths = sarif(repo, ["flux", "apps"]);
    expect(paths.code).toBe(1);
    expect(ruleIds(paths.log)).toEqual(expect.arrayContaining(core));
    const range = sarif(repo, ["--range", "HEAD~1..HEAD"]);
    expect(range.code).toBe(1);
    expect(ruleIds(range.log)).toEqual(expect.arrayContaining(core));
    // the same finding keeps its fingerprint across modes (code scanning matches alerts by it)
    const fp = (log: SarifLog) =>
      log.runs[0]!.results.find((r) => r.ruleId === "secret-outside-policy")!.partialFingerprints;
    expect(fp(all.log)).toEqual(fp(staged.log));
    expect(fp(paths.log)).toEqual(fp(staged.log));

    // --output with --all writes a valid file too
    const allFile = path.join(repo.home, "all.sarif");
    expect(sg(repo, ["scan", "--all", "--format", "sarif", "-o", allFile]).code).toBe(1);
    expect(existsSync(allFile)).toBe(true);
    assertValid(readFileSync(allFile, "utf8"));
    assertNoCanary(CANARIES, readFileSync(allFile, "utf8"));
  });
});

describe("verify and history --format sarif validate too", () => {
  it("with a fresh age identity", async () => {
    const id = await generateIdentity();
    const recipient = await identityToRecipient(id);
    const keyFile = path.join(makeTempDir(), "k.txt");
    writeFileSync(keyFile, `${id}\n`);
    const repo = await makeRepo({
      files: {
        ".sops.yaml": POLICY.replace(FIXTURE_AGE, recipient),
        "flux/secrets/develop/a.yaml": plainSecret("a", { pw: CANARY_A }),
      },
      commit: "a plaintext commit",
    });
    expect(sg(repo, ["encrypt", "flux/secrets/develop/a.yaml"]).code).toBe(0);
    repo.commitAll("encrypted");
    const env = { SOPS_AGE_KEY_FILE: keyFile };
    const v = sg(repo, ["verify", "--format", "sarif"], { env });
    expect(v.code, v.stderr).toBe(0);
    assertValid(v.stdout);
    const h = sg(repo, ["history", "--format", "sarif"], { env });
    expect(h.code).toBe(1);
    expect(assertValid(h.stdout).runs[0]!.results.length).toBeGreaterThan(0);
  });
});
