import { describe, expect, it } from "vitest";
import { judge } from "../../src/core/judge.js";
import type { CreationRule, Finding } from "../../src/types.js";

const CANARY = "canary-7hQ2-s3cr3t-value";
const AGE = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";
const OTHER_AGE = "age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph";
const ENC =
  "ENC[AES256_GCM,data:mHeXsmQ=,iv:vUMpILz3xchORqkzDFvgwENY7EqIHHGJdEF6C8xqbFE=,tag:IroV7hykADvD0IUaq6kikA==,type:str]";

const rule: CreationRule = {
  index: 3,
  pathRegex: "flux/secrets/develop/.*\\.yaml",
  age: [AGE],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
};

const sopsBlock = (recipient = AGE, extra = "") => `sops:
  age:
    - recipient: ${recipient}
      enc: |
        -----BEGIN AGE ENCRYPTED FILE-----
        YWdl
        -----END AGE ENCRYPTED FILE-----
  lastmodified: "2024-11-12T13:33:42Z"
  mac: ${ENC}
  encrypted_regex: ^(data|stringData)$
  version: 3.9.0
${extra}`;

const secret = (body: string, name = "backend") => `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
  namespace: develop
type: Opaque
${body}`;

function run(
  text: string,
  opts: { rule?: CreationRule; head?: string; path?: string } = {},
): Finding[] {
  const j = judge({
    path: opts.path ?? "flux/secrets/develop/backend.yaml",
    bytes: Buffer.from(text),
    rule: "rule" in opts ? opts.rule : rule,
    headBytes: opts.head === undefined ? undefined : Buffer.from(opts.head),
  });
  expect(JSON.stringify(j)).not.toContain(CANARY);
  return j.findings;
}

const rules = (fs: Finding[]) => fs.map((f) => `${f.severity}:${f.rule}`);

describe("judge: one test per contract rule", () => {
  it("unencrypted: plaintext stringData under a rule", () => {
    const fs = run(secret(`stringData:\n  database-url: "${CANARY}"\n  api-key: ${CANARY}\n`));
    expect(rules(fs)).toEqual(["error:unencrypted"]);
    expect(fs[0]).toMatchObject({
      keys: ["database-url", "api-key"],
      line: 8,
      column: 17,
      kind: "Secret",
      name: "backend",
      namespace: "develop",
      fixable: true,
    });
  });

  it("an encrypted Secret passes", () => {
    expect(run(secret(`stringData:\n  key: ${ENC}\n${sopsBlock()}`))).toEqual([]);
  });

  it("empty values and nulls need no encryption (sops leaves them alone)", () => {
    expect(run(secret(`stringData:\n  a: ""\n  b:\n  c: ~\n`))).toEqual([]);
  });

  it("partially-encrypted: a key added by hand to an encrypted file", () => {
    const fs = run(secret(`stringData:\n  key: ${ENC}\n  added: ${CANARY}\n${sopsBlock()}`));
    expect(rules(fs)).toEqual(["error:partially-encrypted"]);
    expect(fs[0]!.keys).toEqual(["added"]);
  });

  it("missing-sops-metadata: ENC values without a sops block", () => {
    const fs = run(secret(`stringData:\n  key: ${ENC}\n`));
    expect(rules(fs)).toEqual(["error:missing-sops-metadata"]);
  });

  it("missing-sops-metadata: a mangled sops block", () => {
    const fs = run(secret(`stringData:\n  key: ${ENC}\nsops:\n  mac: ${ENC}\n`));
    expect(rules(fs)).toContain("error:missing-sops-metadata");
  });

  it("missing-sops-metadata: the second document of a multi-document file has no block", () => {
    const text = `${secret(`stringData:\n  key: ${ENC}\n${sopsBlock()}`)}---\n${secret(`stringData:\n  key: ${ENC}\n`, "two")}`;
    const fs = run(text);
    expect(rules(fs)).toEqual(["error:missing-sops-metadata"]);
    expect(fs[0]).toMatchObject({ document: 1, name: "two" });
  });

  it("secret-outside-policy: a Secret in a file no rule covers", () => {
    const fs = run(secret(`data:\n  token: ${Buffer.from(CANARY).toString("base64")}\n`), {
      rule: undefined,
      path: "apps/backend/secret.yaml",
    });
    expect(rules(fs)).toEqual(["error:secret-outside-policy"]);
    expect(fs[0]!.keys).toEqual(["token"]);
  });

  it("secret-outside-policy: substitutions, templates and empty values are exempt", () => {
    const fs = run(secret(`stringData:\n  a: \${DB_PASSWORD}\n  b: "{{ .Values.x }}"\n  c: ""\n`), {
      rule: undefined,
      path: "apps/secret.yaml",
    });
    expect(fs).toEqual([]);
  });

  it("secret-outside-policy: a selector that does not pick stringData", () => {
    const narrow = { ...rule, selector: { field: "encrypted_regex" as const, value: "^data$" } };
    const fs = run(secret(`stringData:\n  pw: ${CANARY}\n`), { rule: narrow });
    expect(rules(fs)).toEqual(["error:secret-outside-policy"]);
  });

  it("secret-outside-policy: kind List items and JSON", () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: a\n    stringData:\n      pw: ${CANARY}\n`;
    expect(rules(run(list, { rule: undefined, path: "apps/list.yaml" }))).toEqual([
      "error:secret-outside-policy",
    ]);
    const json = JSON.stringify({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "j" },
      data: { pw: CANARY },
    });
    expect(rules(run(json, { rule: undefined, path: "apps/s.json" }))).toEqual([
      "error:secret-outside-policy",
    ]);
  });

  it("secret-outside-policy: secretGenerator literals", () => {
    const k = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: app\n    literals:\n      - PASSWORD=${CANARY}\n      - EMPTY=\n`;
    const fs = run(k, { rule: undefined, path: "apps/kustomization.yaml" });
    expect(rules(fs)).toEqual(["error:secret-outside-policy"]);
    expect(fs[0]!.keys).toEqual(["PASSWORD"]);
  });

  it("SealedSecret and ExternalSecret are safe by design", () => {
    const sealed = `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData:\n    pw: AgB${CANARY}\n`;
    expect(run(sealed, { rule: undefined, path: "apps/sealed.yaml" })).toEqual([]);
  });

  it("recipient-mismatch: encrypted for another key (error) or missing one of the rule's (warning)", () => {
    const other = secret(`stringData:\n  key: ${ENC}\n${sopsBlock(OTHER_AGE)}`);
    expect(rules(run(other))).toEqual(["error:recipient-mismatch"]);
    const two = { ...rule, age: [AGE, OTHER_AGE] };
    expect(rules(run(secret(`stringData:\n  key: ${ENC}\n${sopsBlock()}`), { rule: two }))).toEqual(
      ["warning:recipient-mismatch"],
    );
  });

  it("encryption-removed: HEAD encrypted, staged decrypted (also without a rule)", () => {
    const head = secret(`stringData:\n  key: ${ENC}\n${sopsBlock()}`);
    const fs = run(secret(`stringData:\n  key: ${CANARY}\n`), { head });
    expect(rules(fs)).toEqual(["error:encryption-removed"]);
    const uncovered = run(secret(`stringData:\n  key: ${CANARY}\n`), {
      head,
      rule: undefined,
      path: "apps/x.yaml",
    });
    expect(rules(uncovered)).toContain("error:encryption-removed");
  });

  it("unparseable: garbage bytes under a rule path fail closed without quoting source", () => {
    const fs = run(`stringData:\n  a: "${CANARY}\n\u0000\u0001garbage`);
    expect(rules(fs)).toEqual(["error:unparseable"]);
    expect(fs[0]!.message).not.toContain(CANARY);
    const bin = judge({
      path: "flux/secrets/develop/x.yaml",
      bytes: Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      rule,
    });
    expect(rules(bin.findings)).toEqual(["error:unparseable"]);
  });

  it("unparseable outside the policy only for files that look like Secrets", () => {
    expect(run("a: [unclosed\n", { rule: undefined, path: "apps/x.yaml" })).toEqual([]);
    expect(
      rules(run(`kind: Secret\ndata: [${CANARY}\n`, { rule: undefined, path: "apps/x.yaml" })),
    ).toEqual(["error:unparseable"]);
  });

  it("nothing-encrypted: metadata but the selector matched nothing", () => {
    const typo = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n${sopsBlock().replace("^(data|stringData)$", "^(stringdata)$")}`;
    expect(rules(run(typo))).toEqual(["warning:nothing-encrypted"]);
  });

  it("the default selector (no selector in the rule) encrypts every value", () => {
    const all = {
      ...rule,
      selector: { field: "unencrypted_suffix" as const, value: "_unencrypted", isDefault: true },
    };
    const fs = run(`user: admin\npassword_unencrypted: visible\nnested:\n  token: ${CANARY}\n`, {
      rule: all,
    });
    expect(fs[0]!.keys).toEqual(["user", "nested.token"]);
  });

  it("a Secret carrying a sops file inside a data value (Flux's nested path) counts as encrypted", () => {
    const sops = (extra: Record<string, unknown> = {}) => ({
      age: [
        {
          recipient: AGE,
          enc: "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n",
        },
      ],
      lastmodified: "2024-11-12T13:33:42Z",
      mac: ENC,
      version: "3.9.0",
      ...extra,
    });
    const b64 = (o: unknown) =>
      Buffer.from(JSON.stringify(o).replace('"mac":"', '"mac": "')).toString("base64");
    const text = secret(`data:\n  key: ${b64({ data: ENC, sops: sops() })}\n`);
    expect(run(text)).toEqual([]);
    // Only a real sops file counts: a forged block, or plaintext behind the marker, is plaintext.
    const forged = secret(
      `data:\n  key: ${b64({ data: ENC, sops: { mac: ENC, lastmodified: "2024-11-12T13:33:42Z" } })}\n`,
    );
    expect(rules(run(forged))).toEqual(["error:unencrypted"]);
    const plain = secret(`data:\n  key: ${b64({ data: CANARY, sops: sops() })}\n`);
    expect(rules(run(plain))).toEqual(["error:unencrypted"]);
  });
});
