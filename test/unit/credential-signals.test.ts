/**
 * Literal credentials nothing encrypts (core/signals.ts), the `possible-credential` warnings
 * that need no creation rule: a URL's userinfo password, a Secret's credential-named
 * annotation, a credential-named Helm value kept in a manifest. Each signal with its
 * look-alikes; each is a warning only (never an error, never must-encrypt or unparseable); no
 * value is ever in a finding; the byte pre-filter lets through every file the parse warns on.
 */
import { describe, expect, it } from "vitest";
import { mayMatter } from "../../src/core/analyze.js";
import { judge } from "../../src/core/judge.js";
import {
  hasUrlPassword,
  isLiteralSecret,
  maySignal,
  namesCredentialField,
} from "../../src/core/signals.js";
import type { CreationRule, Finding } from "../../src/types.js";

const CANARY = "CANARY-signals-Zq81";

const broad: CreationRule = {
  index: 0,
  pathRegex: "\\.yaml$",
  age: ["age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
};
const specific: CreationRule = { ...broad, pathRegex: "flux/secrets/develop/.*\\.yaml" };

function run(
  text: string,
  opts: { path?: string; rule?: CreationRule; allow?: (k: string) => boolean } = {},
) {
  const bytes = Buffer.from(text);
  const j = judge({
    path: opts.path ?? "apps/web/thing.yaml",
    bytes,
    ...(opts.rule ? { rule: opts.rule } : {}),
    ...(opts.allow ? { isAllowed: (k: string) => opts.allow!(k) } : {}),
  });
  expect(JSON.stringify(j)).not.toContain(CANARY);
  return j;
}
const warnings = (fs: Finding[]) => fs.filter((f) => f.rule === "possible-credential");
const keysOf = (fs: Finding[]) => warnings(fs).flatMap((f) => f.keys ?? []);

describe("a password in a URL's userinfo", () => {
  const yes = [
    `https://deploy:${CANARY}@git.example.com/org/apps.git`,
    `postgres://app:${CANARY}@db.example.com:5432/app?sslmode=require`,
    `redis://:${CANARY}@redis:6379/0`,
    `dsn = "mysql://root:${CANARY}@db/app"`,
    `first https://host/x then amqp://u:${CANARY}@mq`,
    `https://u:${CANARY}@ss@host/`,
    `https://\${USER}:${CANARY}@host`,
    `https://u:\${PASS:=${CANARY}}@host`,
    `https://u:pre\${PASS}@host`,
    `https://u:{{ "${CANARY}" }}@host`.replace(/ /g, ""),
    `git+https://u:${CANARY}@host/repo`,
  ];
  const no = [
    "https://host/org/repo.git",
    "https://user@host/org/repo.git",
    "git@github.com:org/repo.git",
    "ssh://git@github.com/org/repo",
    "ssh://git@host:22/org/repo",
    "https://u:@host/",
    "https://:@host/",
    "https://u:${GIT_TOKEN}@host/org/repo",
    "https://${USER}:${PASS}@${HOST}/x",
    "https://${USER:=admin}:${PASS}@host",
    "https://${A}/${B}@host",
    "https://u:{{.Values.token}}@host",
    "https://u:{{ .Values.token }}@host",
    "postgres://$${INIT_POSTGRES_USER}:$${INIT_POSTGRES_PASS}@$${HOST}:5432/db",
    "postgres://$(PGUSER):$(PGPASSWORD)@db/app",
    "redis://:<secret:redis-password>@redis:6379",
    "https://u:<password>@host",
    "https://u:$TOKEN@host",
    "https://u:$token@host",
    "https://u:password@host",
    "https://u:***@host",
    "http://host:8080/path@x",
    "http://host:8080?to=a@b",
    "http://host:8080#a:b@c",
    "s3://bucket@us-east-1/",
    "mailto:a:b@example.com",
    "https://u: spaced@host",
    "://u:x@host",
    "user:pass@host",
  ];
  it.each(yes)("%j carries one", (t) => expect(hasUrlPassword(t)).toBe(true));
  it.each(no)("%j does not", (t) => expect(hasUrlPassword(t)).toBe(false));

  it("in any manifest, covered or not, a warning naming the key and the signal, never the value", () => {
    const text = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: apps
spec:
  url: https://deploy:${CANARY}@git.example.com/org/apps.git
`;
    for (const rule of [undefined, broad]) {
      const j = run(text, rule ? { rule } : {});
      expect(j.findings.map((f) => `${f.severity}:${f.rule}`)).toEqual([
        "warning:possible-credential",
      ]);
      const f = j.findings[0]!;
      expect(f.keys).toEqual(["spec.url"]);
      expect(f.line).toBe(6);
      expect(f.message).toContain("a password in a URL");
      expect(j.intent?.must ?? false).toBe(false);
    }
  });

  it("look-alikes in a manifest: no finding", () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
data:
${no.map((u, i) => `  k${i}: ${JSON.stringify(u)}`).join("\n")}
`;
    expect(run(text).findings).toEqual([]);
  });

  it("in a block scalar of a ConfigMap, a JSON file, a sequence: found", () => {
    expect(
      keysOf(
        run(
          `kind: ConfigMap\ndata:\n  app.ini: |\n    [db]\n    url = postgres://u:${CANARY}@db/app\n`,
        ).findings,
      ),
    ).toEqual(["data.app.ini"]);
    expect(
      keysOf(
        run(`{"spec": {"urls": ["https://h", "https://u:${CANARY}@h"]}}`, {
          path: "apps/x.json",
        }).findings,
      ),
    ).toEqual(["spec.urls"]);
  });

  it("a Secret's data with a URL password is an error (secret-outside-policy), not a second warning", () => {
    const j = run(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  url: https://u:${CANARY}@h\n`,
    );
    expect(j.findings.map((f) => `${f.severity}:${f.rule}`)).toEqual([
      "error:secret-outside-policy",
    ]);
  });

  it("a value the rule requires encrypted is an error already; an allowed one is nothing", () => {
    const cm = `kind: ConfigMap\nmetadata:\n  name: c\ndata:\n  url: https://u:${CANARY}@h\n`;
    const j = run(cm, { rule: specific, path: "flux/secrets/develop/c.yaml" });
    expect(j.findings.map((f) => `${f.severity}:${f.rule}`)).toEqual(["error:unencrypted"]);
    expect(run(cm, { allow: (k) => k === "data.url" }).findings).toEqual([]);
  });

  it("not in a file only sniffed as YAML (not a manifest by name or listing)", () => {
    expect(
      run(`kind: Note\nurl: https://u:${CANARY}@h\n`, { path: "docs/notes.txt" }).findings,
    ).toEqual([]);
  });
});

describe("key names that say credential", () => {
  const yes = [
    "password",
    "DB_PASSWORD",
    "apiToken",
    "CLIENT_SECRET",
    "auth.password",
    "example.com/bootstrap-password",
    "example.com/api-token",
    "secretKey",
    "awsSecretKey",
    "rootPassword",
  ];
  const no = [
    "existingSecret",
    "existingSecretKey",
    "existingSecretPasswordKey",
    "passwordKey",
    "passwordSecretKey",
    "masterkeySecretKey",
    "secretName",
    "passwordSecretRef",
    "SECRET_DOMAIN",
    "PASSWORD_FILE",
    "VOLSYNC_SECRET",
    "example.com/password-policy",
    "meta.helm.sh/release-name",
    "tokenTtl",
    "paſſword",
  ];
  it.each(yes)("%j does", (k) => expect(namesCredentialField(k)).toBe(true));
  it.each(no)("%j does not", (k) => expect(namesCredentialField(k)).toBe(false));
});

describe("literal values", () => {
  const literal = [CANARY, "hunter2", "sonic", "${P:=hunter2}", '{{ .Values.p | default "x" }}'];
  const notLiteral = [
    "",
    "  ",
    "${DB_PASSWORD}",
    "$DB_PASSWORD",
    "$(DB_PASSWORD)",
    "$${DB_PASSWORD}",
    "{{ .Values.password }}",
    "$__env{GF_CLIENT_SECRET}",
    "$__file{/run/secrets/x}",
    "os.environ/OPENAI_API_KEY",
    "<secret:token>",
    "<path:kv/data/app#password>",
    "op://vault/item/field",
    "/run/secrets/db-password",
    "true",
    "false",
    "null",
    "********",
    "redis-password",
    "JWT_SECRET",
    "password",
    "ENC_TOKEN",
  ];
  it.each(literal)("%j is a literal", (t) => expect(isLiteralSecret(t)).toBe(true));
  it.each(notLiteral)("%j is not", (t) => expect(isLiteralSecret(t)).toBe(false));
});

describe("a Secret's annotation named like a credential", () => {
  const secret = (ann: string, extra = "") => `apiVersion: v1
kind: Secret
metadata:
  name: web
  annotations:
${ann}
${extra}`;

  it("a literal value: a warning (the data stays judged as before)", () => {
    const j = run(
      secret(
        `    example.com/bootstrap-password: ${CANARY}`,
        "stringData:\n  password: ${WEB_PASSWORD}\n",
      ),
    );
    expect(j.findings.map((f) => `${f.severity}:${f.rule}`)).toEqual([
      "warning:possible-credential",
    ]);
    expect(j.findings[0]!.keys).toEqual(["metadata.annotations.example.com/bootstrap-password"]);
    expect(j.findings[0]!.line).toBe(6);
    expect(j.findings[0]!.message).toMatch(/annotation/);
  });

  it("beside plaintext data under a specific rule: the error and the warning", () => {
    const j = run(secret(`    example.com/api-token: ${CANARY}`, `stringData:\n  a: ${CANARY}\n`), {
      rule: specific,
      path: "flux/secrets/develop/web.yaml",
    });
    expect(j.findings.map((f) => `${f.severity}:${f.rule}`).sort()).toEqual([
      "error:unencrypted",
      "warning:possible-credential",
    ]);
  });

  it("look-alikes: references, substitutions, other keys, other kinds: nothing", () => {
    const anns = [
      "    example.com/bootstrap-password: ${BOOTSTRAP_PASSWORD}",
      '    example.com/admin-token: "{{ .Values.token }}"',
      '    example.com/password: ""',
      "    example.com/password-secret-key: admin-password",
      "    example.com/existing-secret-password: hunter",
      '    reflector.v1.k8s.emberstack.com/reflection-allowed: "true"',
      "    kubernetes.io/service-account.name: builder",
      "    example.com/password-policy: strong",
    ];
    expect(run(secret(anns.join("\n"))).findings).toEqual([]);
    const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    example.com/bootstrap-password: ${CANARY}\n`;
    expect(run(cm).findings).toEqual([]);
  });
});

describe("Helm values kept in a manifest", () => {
  it("a kustomization's helmCharts valuesInline: a warning with the key path", () => {
    const k = `helmCharts:
  - name: redis
    repo: https://charts.bitnami.com/bitnami
    valuesInline:
      auth:
        password: ${CANARY}
        existingSecret: ""
`;
    const j = run(k, { path: "apps/redis/kustomization.yaml" });
    expect(j.findings.map((f) => `${f.severity}:${f.rule}`)).toEqual([
      "warning:possible-credential",
    ]);
    expect(j.findings[0]!.keys).toEqual(["helmCharts.valuesInline.auth.password"]);
    expect(j.findings[0]!.line).toBe(6);
  });

  it("a HelmRelease's spec.values and a HelmChartInflationGenerator's valuesInline", () => {
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
spec:
  values:
    env:
      TZ: Europe/Paris
      DB_PASSWORD: ${CANARY}
`;
    expect(keysOf(run(hr).findings)).toEqual(["spec.values.env.DB_PASSWORD"]);
    const gen = `apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: x\nvaluesInline:\n  adminPassword: ${CANARY}\n`;
    expect(keysOf(run(gen).findings)).toEqual(["valuesInline.adminPassword"]);
  });

  it("references, substitutions, templates, empty, key names and other kinds: nothing", () => {
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
spec:
  values:
    auth:
      existingSecret: redis-auth
      existingSecretPasswordKey: redis-password
      passwordKey: password
      secretName: redis-auth
      password: ""
      token: \${REDIS_TOKEN}
      apiKey: "{{ .Values.key }}"
      secretKey: admin-password
    rcon:
      existingSecret: rcon
      secretKey: rcon-key-name
    grafana:
      client_secret: $__env{GF_AUTH_CLIENT_SECRET}
      MYSQL_ROOT_PASSWORD: password
    enablePassword: true
    usePasswordFile: "true"
    passwordFile: /run/secrets/password
`;
    expect(run(hr).findings).toEqual([]);
    // A Deployment is not Helm values: only its URLs are looked at.
    const dep = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  values:\n    password: ${CANARY}\n`;
    expect(run(dep).findings).toEqual([]);
    // Not a Flux HelmRelease.
    expect(
      run(
        hr
          .replace("helm.toolkit.fluxcd.io/v2", "example.com/v1")
          .replace('password: ""', `password: ${CANARY}`),
      ).findings,
    ).toEqual([]);
  });

  it("a Secret nested in values (extraDeploy) keeps its error, with no second warning for its data", () => {
    const hr = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app
spec:
  values:
    extraDeploy:
      - apiVersion: v1
        kind: Secret
        metadata:
          name: x
        stringData:
          password: ${CANARY}
`;
    expect(run(hr).findings.map((f) => `${f.severity}:${f.rule}`)).toEqual([
      "error:secret-outside-policy",
    ]);
  });
});

describe("the byte pre-filter is a proof", () => {
  const texts = [
    `url: https://u:${CANARY}@h`,
    `url: 'https://u:it''s-${CANARY}@h'`,
    `url: "https://u:${CANARY}@h"`,
    `url: |\n  https://u:${CANARY}@h\n`,
    `urls: [https://u:${CANARY}@h]`,
    `url: https://u:pàss-${CANARY}@h`,
    // UTF-8 continuation bytes 0x85 and 0xA0 (white space when read as latin1) end nothing.
    `url: https://u:p\u2026\u0145-${CANARY}@h`,
  ];
  it.each(texts)("%j: the parse warns and the pre-filter lets it through", (t) => {
    const doc = `kind: ConfigMap\n${t}\n`;
    expect(keysOf(run(doc).findings)).toHaveLength(1);
    expect(maySignal(Buffer.from(doc))).toBe(true);
  });

  it("skips what cannot warn and cannot be a Secret", () => {
    for (const t of [
      "kind: Deployment\nspec:\n  image: ghcr.io/x/y@sha256:abc\n",
      "kind: GitRepository\nspec:\n  url: ssh://git@github.com/org/repo\n",
      "kind: GitRepository\nspec:\n  url: https://github.com/org/repo\n",
      "helmCharts:\n  - name: x\n    valuesInline:\n      replicas: 2\n",
      "kind: HelmRelease\nspec:\n  values:\n    replicas: 2\n",
    ]) {
      const b = Buffer.from(t);
      expect(maySignal(b) || mayMatter(b)).toBe(false);
      expect(run(t).findings).toEqual([]);
    }
  });

  it("every warning of a small generated corpus passes the pre-filter", () => {
    const users = ["u", "", "${U}", "$(U)"];
    const passes = [CANARY, "", "${P}", "p@ss", "x y", "$$"];
    const hosts = ["h", "h:5432", "[::1]"];
    const tails = ["", "/db", "?x=1", "#f"];
    const styles = [
      (s: string) => s,
      (s: string) => JSON.stringify(s),
      (s: string) => `'${s.replace(/'/g, "''")}'`,
    ];
    let warned = 0;
    for (const u of users)
      for (const p of passes)
        for (const h of hosts)
          for (const t of tails)
            for (const st of styles) {
              const doc = `kind: ConfigMap\ndata:\n  url: ${st(`postgres://${u}:${p}@${h}${t}`)}\n`;
              const b = Buffer.from(doc);
              let fs: Finding[];
              try {
                fs = judge({ path: "a.yaml", bytes: b }).findings;
              } catch {
                continue;
              }
              if (warnings(fs).length > 0) {
                warned++;
                expect(maySignal(b), doc).toBe(true);
              }
            }
    expect(warned).toBeGreaterThan(20);
  });
});
