/**
 * SARIF 2.1.0 from every command that writes it, validated against the
 * official schema (draft-04) with ajv.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import AjvModule from "ajv-draft-04";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir } from "../helpers/repo.js";
import { FIXTURES, plainSecret, seedPolicy, sg } from "./helpers.js";

const schema = JSON.parse(
  readFileSync(path.join(FIXTURES, "sarif", "sarif-schema-2.1.0.json"), "utf8"),
);
// CommonJS default export, seen through ESM interop
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ??
  AjvModule) as unknown as new (
  opts: object,
) => import("ajv").default;
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:\S*$/i);
ajv.addFormat("uri-reference", /^\S*$/);
ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
const validate = ajv.compile(schema);

function assertValid(text: string): {
  runs: Array<{ results: Array<{ ruleId: string; locations: unknown[] }> }>;
} {
  const doc = JSON.parse(text);
  const ok = validate(doc);
  expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
  expect(ok).toBe(true);
  return doc;
}

afterAll(() => cleanupAll());

describe("SARIF output validates against the official 2.1.0 schema", () => {
  it("scan (staged, --all, PATH, --range), verify; with findings of several rules and with none", async () => {
    const id = await generateIdentity();
    const recipient = await identityToRecipient(id);
    const keyFile = path.join(makeTempDir(), "k.txt");
    writeFileSync(keyFile, `${id}\n`);
    const repo = await makeRepo({
      files: { ".sops.yaml": seedPolicy(recipient), "README.md": "x\n" },
      commit: "init",
    });
    const clean = sg(repo, ["scan", "--all", "--format", "sarif"]);
    expect(clean.code).toBe(0);
    expect(assertValid(clean.stdout).runs[0]!.results).toEqual([]);

    repo.write("flux/secrets/develop/a.yaml", plainSecret("a", { pw: "x1" }));
    repo.write("flux/secrets/develop/b.yaml", "kind: Secret\nstringData: [\n");
    repo.write("apps/c.yaml", plainSecret("c", { pw: "x2" }));
    repo.write(
      "flux/secrets/develop/d.yaml",
      `apiVersion: v1\nkind: ConfigMap\nsops:\n  age:\n    - recipient: ${recipient}\n      enc: x\n  lastmodified: "2024-01-01T00:00:00Z"\n  mac: ""\n  encrypted_regex: ^(stringdata)$\n  version: 3.9.0\n`,
    );
    repo.git("add", "-A");
    const staged = assertValid(sg(repo, ["scan", "--format", "sarif"]).stdout);
    const rules = staged.runs[0]!.results.map((r) => r.ruleId).sort();
    expect(rules).toEqual([
      "nothing-encrypted",
      "secret-outside-policy",
      "unencrypted",
      "unparseable",
    ]);
    repo.git("commit", "-q", "--no-verify", "-m", "bad");
    const out = path.join(repo.home, "out.sarif");
    expect(sg(repo, ["scan", "--all", "--format", "sarif", "--output", out]).code).toBe(1);
    assertValid(readFileSync(out, "utf8"));
    assertValid(sg(repo, ["scan", "apps", "flux", "--format", "sarif"]).stdout);
    assertValid(sg(repo, ["scan", "--range", "HEAD~1..HEAD", "--format", "sarif"]).stdout);
    repo.write("flux/secrets/develop/a.yaml", plainSecret("a", { pw: "x1" }));
    expect(sg(repo, ["encrypt", "flux/secrets/develop/a.yaml"]).code).toBe(0);
    const v = sg(repo, ["verify", "--format", "sarif"], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    assertValid(v.stdout);
    const h = sg(repo, ["history", "--format", "sarif"], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(h.code).toBe(1);
    expect(assertValid(h.stdout).runs[0]!.results.length).toBeGreaterThan(0);
  });
});
