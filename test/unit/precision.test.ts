/**
 * The precision modules table-wise: what is exempt (core/exempt.ts), which
 * rules are specific and why a file must be encrypted (core/intent.ts), what
 * looks like a credential (core/credential.ts), and how templates are read
 * (core/template.ts). Every "no" row is a hole that must stay closed.
 */
import { describe, expect, it } from "vitest";
import { credentialLike } from "../../src/core/credential.js";
import { exemptionOf } from "../../src/core/exempt.js";
import { intentOf, isPublicPem, markedName, ruleIsSpecific } from "../../src/core/intent.js";
import { judge } from "../../src/core/judge.js";
import { isTemplateMarked, templateVariants } from "../../src/core/template.js";
import type { CreationRule } from "../../src/types.js";

const rule = (pathRegex?: string): CreationRule => ({
  index: 0,
  ...(pathRegex ? { pathRegex } : {}),
  age: ["age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
});

describe("exemptions", () => {
  const exempt: Array<[string, string]> = [
    ["", "empty"],
    ["  ", "empty"],
    ["${DB_PASSWORD}", "substitution"],
    ["${A}/${B}", "substitution"],
    ["${NAME:=${OTHER}}", "substitution"],
    ["${NAME:-}", "substitution"],
    ["${USER}:${PASS}@${HOST}", "substitution"],
    ["$DB_PASSWORD", "substitution"],
    ['{"auths":{"ghcr.io":{"auth":"${AUTH}"}}}', "substitution"],
    ["{{ .Values.password }}", "template"],
    ["{{- .Values.password | b64enc | quote -}}", "template"],
    ['{{ required "token" .Values.token }}', "template"],
    ["op://vault/item/field", "reference"],
    ["op://vault/item/section/field", "reference"],
    ["  op://vault/item/field\n", "reference"],
    ["ref+vault://secret/data/app#/password", "reference"],
    ["ref+awssecrets://app/db#/password", "reference"],
    ["<path:kv/data/app#password>", "reference"],
    ["<path:kv/data/app#user | base64encode>", "reference"],
    ["vault:secret/data/app#password", "reference"],
    ["vault:secret/data/app#password#2", "reference"],
    ["<secret:client-id>", "reference"],
    ["<secret:client-secret|base64>", "reference"],
    ["auth:\n  scopedToken: <secret:token>\n", "reference"],
    ['env:\n  A: ${A}\n  B: "$B"\n', "substitution"],
  ];
  const plaintext = [
    "hunter2",
    "${DB_PASSWORD:=hunter2}",
    "${DB_PASSWORD:-hunter2}",
    "${A}hunter2${B}",
    "prefix-${A}",
    "$lowercase",
    '{"auth":"${AUTH}","pin":1234}',
    '{"auth":"${AUTH}","password":"hunter2"}',
    '{{ "hunter2" }}',
    '{{ .Values.p | default "hunter2" }}',
    "{{ default 'hunter2' .Values.p }}",
    "{{ a }}{{ b }}",
    "ref+echo://hunter2",
    "op://",
    "vault:nokey",
    "<username>",
    "<path:no-key>",
    "dyn.<secret:domain-name>",
    "<secret:hunter 2>",
    "<secret:token>hunter2",
    "<secret:>",
    "env:\n  A: ${A}\n  B: hunter2\n",
  ];
  it.each(exempt)("%j is exempt (%s)", (text, kind) => {
    expect(exemptionOf(text)).toBe(kind);
  });
  it.each(plaintext)("%j is plaintext", (text) => {
    expect(exemptionOf(text)).toBeUndefined();
  });
  it("avp placeholders need the annotation; tags name references; placeholders are the repository's", () => {
    expect(exemptionOf("<username>", { avp: true })).toBe("reference");
    expect(exemptionOf("<username | base64encode>", { avp: true })).toBe("reference");
    expect(exemptionOf("API_KEY", { tag: "!env_var" })).toBe("reference");
    expect(exemptionOf("hunter 2", { tag: "!env_var" })).toBeUndefined();
    expect(exemptionOf("API_KEY", { tag: "!custom" })).toBeUndefined();
    const isPlaceholder = (t: string) => /^<token:[^>]+>$/.test(t);
    expect(exemptionOf("<token:api>", { isPlaceholder })).toBe("reference");
    expect(exemptionOf("dyn.<token:api>", { isPlaceholder })).toBeUndefined();
  });
});

describe("intent", () => {
  const specific = [
    "flux/secrets/develop/.*\\.yaml",
    ".*\\.sops\\.ya?ml$",
    "kubernetes/.*\\.sops\\.ya?ml$",
    ".*\\.enc\\.age\\.ya?ml$",
    "cluster(\\\\|/).*\\.sec\\.(yaml|json)$",
    ".*values.yaml$",
    "config/.*\\.env$",
    "(?i).*/SECRETS/.*",
  ];
  const broad = [
    "\\.yaml$",
    ".*.yaml",
    "kubernetes/.*\\.ya?ml",
    "cluster/.*",
    ".*/prod/.*\\.yaml",
    "k8s/namespaces/.*",
    ".*\\.(yaml|yml|json)$",
  ];
  it.each(specific)("%s is specific", (re) => expect(ruleIsSpecific(rule(re))).toBe(true));
  it.each(broad)("%s is broad", (re) => expect(ruleIsSpecific(rule(re))).toBe(false));
  it("no path_regex is broad", () => expect(ruleIsSpecific(rule())).toBe(false));

  it("reasons, in order", () => {
    const base = { path: "kubernetes/apps/a/configmap.yaml", rule: rule("kubernetes/.*") };
    expect(intentOf({ ...base, hasMetadata: false, holdsSecret: false }).reason).toBe("broad-rule");
    expect(intentOf({ ...base, hasMetadata: false, holdsSecret: true }).reason).toBe(
      "holds-secret",
    );
    expect(intentOf({ ...base, hasMetadata: true, holdsSecret: false }).reason).toBe(
      "sops-metadata",
    );
    expect(
      intentOf({ ...base, hasMetadata: false, holdsSecret: false, hasEncMarkers: true }).must,
    ).toBe(true);
    expect(intentOf({ ...base, hasMetadata: false, holdsSecret: false, listed: true }).reason).toBe(
      "must-encrypt-glob",
    );
    expect(intentOf({ ...base, hasMetadata: false, holdsSecret: false, strict: true }).reason).toBe(
      "strict",
    );
    const named = { rule: rule(), hasMetadata: false, holdsSecret: false };
    expect(intentOf({ ...named, path: "apps/a/values.sops.yaml" }).reason).toBe("marked-name");
    expect(intentOf({ ...named, path: "apps/a/app-secret-values.yaml" }).reason).toBe(
      "marked-name",
    );
    expect(intentOf({ ...named, path: "apps/secrets/values.yaml" }).reason).toBe("marked-name");
    // Typed Kubernetes objects, docs, scripts and public certificates say what they are.
    expect(
      intentOf({ ...named, path: "apps/a/externalsecret.yaml", kinds: ["ExternalSecret"] }).must,
    ).toBe(false);
    expect(intentOf({ ...named, path: "docs/sealed-secrets.md" }).must).toBe(false);
    expect(intentOf({ ...named, path: "hack/secrets.sh" }).must).toBe(false);
    expect(intentOf({ ...named, path: "sealed-secrets-cert.pem", publicPem: true }).must).toBe(
      false,
    );
    expect(intentOf({ ...named, path: "sealed-secrets-key.pem" }).must).toBe(true);
    expect(markedName("a/b.enc.yaml")).toBe("sops-or-enc");
    expect(markedName("a/b.yaml")).toBeUndefined();
  });

  it("a file that must be encrypted only because it holds a Secret: the Secret documents, not its ConfigMaps", () => {
    const text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  LOG_LEVEL: debug\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: literal-value\n";
    const j = judge({
      path: "k8s/namespaces/kube-system/cilium.yaml",
      bytes: Buffer.from(text),
      rule: { ...rule("k8s/namespaces/.*"), selector: { field: "unencrypted_suffix", value: "" } },
    });
    // No selector: sops would encrypt every value of the Secret document; none of the ConfigMap's.
    expect(j.findings.map((f) => [f.rule, f.document])).toEqual([["unencrypted", 1]]);
    expect(j.findings[0]!.keys).toContain("stringData.password");
    expect(j.findings[0]!.keys).not.toContain("data.LOG_LEVEL");
  });

  it("public PEM: certificates and public keys only", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    expect(isPublicPem(cert)).toBe(true);
    expect(isPublicPem(`${cert}-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n`)).toBe(
      false,
    );
    expect(isPublicPem(`${cert}password: x\n`)).toBe(false);
  });
});

describe("credential-looking values", () => {
  const yes: Array<[string, string]> = [
    ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----", "PEM"],
    ["-----BEGIN RSA PRIVATE KEY-----", "PEM"],
    [`AGE-SECRET-KEY-1${"Q".repeat(58)}`, "age"],
    ["AKIAIOSFODNN7EXAMPLE", "AWS"],
    [`ghp_${"a1B2".repeat(9)}`, "GitHub"],
    [`github_pat_${"a1B2c3".repeat(4)}`, "GitHub"],
    ["xoxb-123456789012-abcdefghij", "Slack"],
    [
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
      "Web Token",
    ],
    ["q8X2mZ7pL4vN9rT1wY6kB3cF5hJ0dG8s", "random"],
  ];
  const no = [
    "debug",
    "info",
    "ghcr.io/example/app:1.2.3@sha256:0d9c2fbcb2e1c7a43fb3bbd4f0fa49b8bbd9c4c0d2d7a1bcf3e1c5a6e8f9d0b1",
    "3f2c9a1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
    "https://example.com/path/to/something",
    "-----BEGIN CERTIFICATE-----",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "\u0000binary -----BEGIN PRIVATE KEY----- in firmware",
    "A".repeat(20) + "b1".repeat(200),
  ];
  it.each(yes)("%j looks like a credential (%s)", (text, label) => {
    expect(credentialLike(text)).toMatch(new RegExp(label, "i"));
  });
  it.each(no)("%j does not", (text) => expect(credentialLike(text)).toBeUndefined());
});

describe("template reader", () => {
  it("blanks control lines, marks expressions, keeps line numbers, reads if/else branches apart", () => {
    const text = [
      "{{- if .Values.a }}",
      "kind: Secret",
      "stringData:",
      "  token: {{ .Values.token }}",
      "{{- else }}",
      "kind: Secret",
      "stringData:",
      "  token: {{ .Values.other }}",
      "{{- end }}",
      "",
    ].join("\n");
    const v = templateVariants(text)!;
    expect(v).toHaveLength(2);
    for (const t of v) expect(t.split("\n")).toHaveLength(text.split("\n").length);
    expect(v[0]!.split("\n")[3]).toMatch(/token: /);
    expect(isTemplateMarked(v[0]!.split("\n")[3]!.split(": ")[1]!)).toBe(true);
    expect(v[0]!.split("\n")[7]).toBe("");
    expect(v[1]!.split("\n")[3]).toBe("");
  });

  it("a literal default inside an expression stays plaintext; no template, no variants", () => {
    const v = templateVariants('pw: {{ .Values.p | default "x" }}\n')!;
    expect(isTemplateMarked(v[0]!.slice(4).trim())).toBe(false);
    expect(templateVariants("a: 1\n")).toBeUndefined();
  });

  it("judged: a chart template passes, a literal beside the expressions is caught on its line", () => {
    const tpl = (extra: string) =>
      `{{- if .Values.on }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ include "x" . }}\nstringData:\n  token: {{ .Values.t | quote }}\n${extra}{{- end }}\n`;
    const ok = judge({ path: "charts/x/templates/secret.yaml", bytes: Buffer.from(tpl("")) });
    expect(ok.findings).toEqual([]);
    expect(ok.readAs).toBe("template");
    const bad = judge({
      path: "charts/x/templates/secret.yaml",
      bytes: Buffer.from(tpl("  password: literal-value\n")),
    });
    expect(bad.findings.map((f) => [f.rule, f.keys, f.line])).toEqual([
      ["secret-outside-policy", ["password"], 8],
    ]);
  });
});
