/**
 * Files kustomize turns into Secret data whatever they are called (issue "no bypass",
 * classes 2 and 4), judged one file at a time: kustomizations under every name kustomize
 * reads, resources of any extension (linked or sniffed), builtin SecretGenerator configs
 * (a file, or inline under `generators:`), `replacements:` into a Secret, and the non-string
 * keys that only matter where sops reads the file.
 */
import { describe, expect, it } from "vitest";
import { generatorSources } from "../../src/check/generators.js";
import { maySniffAsYaml } from "../../src/core/analyze.js";
import { judge } from "../../src/core/judge.js";
import { namesCredential } from "../../src/core/kustomize.js";
import type { GeneratorSource } from "../../src/core/types.js";
import { parseFile } from "../../src/sops/parse.js";
import type { CreationRule, Finding } from "../../src/types.js";

const CANARY = "CANARY-kf-unit-9Zq";
const AGE = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";

const specific: CreationRule = {
  index: 0,
  pathRegex: "flux/secrets/.*\\.yaml",
  age: [AGE],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
};
/** The common Flux catch-all: no path_regex, so every file is covered (a broad rule). */
const catchAll: CreationRule = { ...specific, index: 1, pathRegex: undefined };

function run(
  path: string,
  text: string,
  opts: { rule?: CreationRule; link?: GeneratorSource } = {},
): Finding[] {
  const j = judge({
    path,
    bytes: Buffer.from(text),
    ...(opts.rule ? { rule: opts.rule } : {}),
    ...(opts.link ? { generatorSource: opts.link } : {}),
  });
  expect(JSON.stringify(j)).not.toContain(CANARY);
  return j.findings;
}
const errors = (fs: Finding[]) =>
  fs.filter((f) => f.severity === "error").map((f) => `${f.rule}:${f.keys?.join(",") ?? ""}`);

const SECRET = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\nstringData:\n  password: ${CANARY}\n`;
const KUST_LITERALS = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nsecretGenerator:\n  - name: web-creds\n    literals:\n      - password=${CANARY}\n`;
const resourceLink = (kustomization: string): GeneratorSource => ({
  kustomization,
  generator: "resources",
  field: "resources",
});

describe("a kustomization under every name kustomize reads", () => {
  for (const name of ["kustomization.yaml", "kustomization.yml", "Kustomization"]) {
    it(`${name}: secretGenerator literals are secret-outside-policy (YAML)`, () => {
      expect(errors(run(`apps/web/${name}`, KUST_LITERALS))).toEqual([
        "secret-outside-policy:password",
      ]);
    });
    it(`${name}: a JSON kustomization's literals too`, () => {
      const json = JSON.stringify({
        kind: "Kustomization",
        secretGenerator: [{ name: "j", literals: [`token=${CANARY}`] }],
      });
      expect(errors(run(`apps/web/${name}`, json))).toEqual(["secret-outside-policy:token"]);
    });
  }

  it("Kustomization under a catch-all rule (sops: binary store) is still read as YAML", () => {
    const fs = run("apps/web/Kustomization", KUST_LITERALS, { rule: catchAll });
    expect(errors(fs)).toContain("secret-outside-policy:password");
  });

  it("a Kustomization that is not YAML fails closed, naming no value", () => {
    const fs = run("apps/web/Kustomization", `secretGenerator: [${CANARY}\n`);
    expect(errors(fs)).toEqual(["unparseable:"]);
    expect(fs[0]!.message).toContain("YAML");
  });

  it("a Kustomization with no generator and no Secret is clean", () => {
    expect(run("apps/web/Kustomization", "resources:\n  - deploy.yaml\n")).toEqual([]);
  });
});

describe("a resource of any name", () => {
  for (const name of ["secret", "secret.txt", "secret.env", "secret.ini", "manifest.yaml.tmpl"]) {
    it(`${name} listed under resources: its Secret is judged as YAML`, () => {
      const fs = run(`apps/web/${name}`, SECRET, {
        link: resourceLink("apps/web/kustomization.yaml"),
      });
      expect(errors(fs)).toEqual(["secret-outside-policy:password"]);
    });
  }

  for (const name of ["secret", "secret.txt", "creds.conf", "Secretfile"]) {
    it(`${name} not listed anywhere still sniffs as a YAML Secret`, () => {
      expect(errors(run(`apps/web/${name}`, SECRET))).toEqual(["secret-outside-policy:password"]);
    });
  }

  it("a listed resource that does not parse fails closed; an unlisted one is just a file", () => {
    const broken = `apiVersion: v1\nkind: Secret\nstringData:\n  password: [${CANARY}\n`;
    const link = resourceLink("apps/web/kustomization.yaml");
    expect(errors(run("apps/web/secret.txt", broken, { link }))).toEqual(["unparseable:"]);
    expect(run("apps/web/notes.txt", broken)).toEqual([]);
  });

  it("a patches path holding JSON 6902 operations on a Secret is no false alarm", () => {
    const ops = "- op: replace\n  path: /metadata/name\n  value: my-secret\n";
    for (const name of ["patch.yaml", "patch.txt", "patch"]) {
      const link: GeneratorSource = {
        kustomization: "apps/web/kustomization.yaml",
        generator: "patches",
        field: "resources",
      };
      expect(run(`apps/web/${name}`, ops, { link })).toEqual([]);
    }
    // the same list named under resources of a .yaml name is judged as before (no strong hint)
    expect(
      run("apps/web/patch.yaml", ops, { link: resourceLink("apps/web/kustomization.yaml") }),
    ).toEqual([]);
  });

  it("a Secret in secret.txt under a catch-all rule (sops: binary) is still caught", () => {
    expect(errors(run("apps/web/secret.txt", SECRET, { rule: catchAll }))).toContain(
      "secret-outside-policy:password",
    );
  });

  it("text, scripts and binaries that merely say secret are no manifest", () => {
    expect(run("README", "# Secrets\n\nkind: Secret objects are encrypted with sops.\n")).toEqual(
      [],
    );
    expect(run("docs/NOTES.txt", "Get the secret with kubectl get secret web -o yaml\n")).toEqual(
      [],
    );
    expect(run("bin/tool", "#!/bin/sh\necho secret: $SECRET\n")).toEqual([]);
    expect(run("img/logo.png", `\u0089PNG\r\n\u001a\n\u0000\u0000secret: ${CANARY}`)).toEqual([]);
    // A Jinja template of a Secret: not YAML as written, so not read (kustomize could not either).
    expect(
      run("roles/x/templates/secret.yaml.j2", `${SECRET}  token: {{ vault_token }}\n`),
    ).toEqual([]);
  });

  it("the sniffing pre-filter skips only what provably cannot be a YAML Secret", () => {
    const b = (t: string) => Buffer.from(t);
    expect(maySniffAsYaml(b(SECRET))).toBe(true);
    // no kind in any case, no escape or tag that could spell one: no Secret possible
    expect(maySniffAsYaml(b("secret,password\nweb,x\n"))).toBe(false);
    expect(maySniffAsYaml(b("KIND: secret\n"))).toBe(true);
    expect(maySniffAsYaml(b('"\\x6bind": Secret\n'))).toBe(true);
    expect(maySniffAsYaml(b("? !!str kind\n: Secret\n"))).toBe(true);
    // NUL without a UTF-16 byte order mark: go-yaml refuses it
    expect(maySniffAsYaml(b(`kind: Secret\u0000`))).toBe(false);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SECRET, "utf16le")]);
    expect(maySniffAsYaml(utf16)).toBe(true);
    const j = judge({ path: "apps/web/secret", bytes: utf16 });
    expect(j.findings.map((f) => f.rule)).toEqual(["secret-outside-policy"]);
    // a misspelt kind is still read (and reported with the typo)
    expect(errors(run("apps/web/secret", SECRET.replace("kind: Secret", "Kind: secret")))).toEqual([
      "secret-outside-policy:password",
    ]);
  });

  it("a ConfigMap or a substituted Secret in a file of another name is clean", () => {
    expect(
      run("apps/web/config", "apiVersion: v1\nkind: ConfigMap\ndata:\n  secret: no\n"),
    ).toEqual([]);
    expect(
      run(
        "apps/web/secret",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: w\nstringData:\n  auth: ${AUTH}\n",
      ),
    ).toEqual([]);
  });
});

describe("builtin SecretGenerator configs", () => {
  const builtin = `apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: web\nliterals:\n  - password=${CANARY}\n  - user=\n`;

  it("a generator config file: literals are Secret data, the finding names the generator", () => {
    const fs = run("apps/web/secret-gen.yaml", builtin, {
      link: {
        kustomization: "apps/web/kustomization.yaml",
        generator: "generators",
        field: "generators",
      },
    });
    expect(errors(fs)).toEqual(["secret-outside-policy:password"]);
    expect(fs[0]!.kind).toBe("SecretGenerator");
    expect(fs[0]!.name).toBe("web");
    expect(fs[0]!.message).toContain("apps/web/kustomization.yaml");
  });

  it("the same config named gen (no extension) and not listed: still found", () => {
    expect(errors(run("apps/web/gen", builtin))).toEqual(["secret-outside-policy:password"]);
  });

  it("inline under generators: (block string), in a kustomization of any name", () => {
    const inline = `generators:\n  - |-\n${builtin
      .split("\n")
      .map((l) => (l ? `    ${l}` : l))
      .join("\n")}`;
    for (const name of ["kustomization.yaml", "kustomization.yml", "Kustomization"]) {
      const fs = run(`apps/web/${name}`, inline);
      expect(errors(fs)).toEqual(["secret-outside-policy:password"]);
      expect(fs[0]!.message).toContain("inline under generators");
      expect(fs[0]!.line).toBe(2);
    }
  });

  it("inline as a JSON kustomization string", () => {
    const json = JSON.stringify({ generators: [builtin] });
    expect(errors(run("apps/web/kustomization.json", json))).toEqual([
      "secret-outside-policy:password",
    ]);
  });

  it("a substituted or empty literal, a non-builtin generator, a ConfigMapGenerator: clean", () => {
    expect(run("apps/web/g.yaml", builtin.replace(CANARY, "${DB_PASSWORD}"))).toEqual([]);
    expect(run("apps/web/g.yaml", builtin.replace("builtin", "someteam.example/v1"))).toEqual([]);
    expect(
      run("apps/web/g.yaml", builtin.replace("SecretGenerator", "ConfigMapGenerator")),
    ).toEqual([]);
  });

  it("under a specific rule whose selector picks literals: the rule reports them", () => {
    const rule: CreationRule = {
      ...specific,
      pathRegex: "apps/.*secret-gen.*",
      selector: { field: "encrypted_regex", value: "^literals$" },
    };
    const fs = run("apps/web/secret-gen.yaml", builtin, { rule });
    // plaintext under a rule that picks it: reported by the rule, not as outside the policy
    expect(errors(fs).some((f) => f.startsWith("secret-outside-policy"))).toBe(false);
    expect(errors(fs).length).toBeGreaterThan(0);
  });
});

describe("replacements copying a configMapGenerator literal into a Secret", () => {
  const kust = (targetKind: string, fieldPath = "data.password") =>
    `resources:\n  - secret.yaml\nconfigMapGenerator:\n  - name: web-settings\n    literals:\n      - password=${CANARY}\n      - color=blue\nreplacements:\n  - source:\n      kind: ConfigMap\n      name: web-settings\n      fieldPath: ${fieldPath}\n    targets:\n      - select:\n          kind: ${targetKind}\n          name: web\n        fieldPaths:\n          - stringData.password\n`;

  it("a target selecting kind Secret: the copied literal is a finding on the kustomization", () => {
    for (const name of ["kustomization.yaml", "Kustomization"]) {
      const fs = run(`apps/web/${name}`, kust("Secret"));
      expect(errors(fs)).toEqual(["secret-outside-policy:password"]);
      expect(fs[0]!.name).toBe("web-settings");
      expect(fs[0]!.message).toContain("replacements");
    }
  });

  it("precise: another target kind, another key or no data field is no finding", () => {
    expect(run("apps/web/kustomization.yaml", kust("Deployment"))).toEqual([]);
    expect(run("apps/web/kustomization.yaml", kust("Secret", "data.missing"))).toEqual([]);
    expect(run("apps/web/kustomization.yaml", kust("Secret", "metadata.name"))).toEqual([]);
  });
});

describe("replacements copying a ConfigMap resource's value into a Secret", () => {
  const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-settings\ndata:\n  password: ${CANARY}\n  color: blue\n  ref: \${PASSWORD}\n`;
  const link = (key: string, name = "web-settings"): GeneratorSource => ({
    kustomization: "apps/web/kustomization.yaml",
    generator: "resources",
    field: "resources",
    copied: [{ name, key }],
  });

  it("the linked ConfigMap file: the copied key is a finding naming the kustomization", () => {
    const fs = run("apps/web/config.yaml", cm, { link: link("password") });
    expect(errors(fs)).toEqual(["secret-outside-policy:password"]);
    expect(fs[0]!.message).toContain("apps/web/kustomization.yaml");
    expect(fs[0]!.line).toBe(6);
  });

  it("precise: no link, another ConfigMap, another key or a substitution is clean", () => {
    expect(run("apps/web/config.yaml", cm)).toEqual([]);
    expect(run("apps/web/config.yaml", cm, { link: link("password", "other") })).toEqual([]);
    expect(run("apps/web/config.yaml", cm, { link: link("missing") })).toEqual([]);
    expect(run("apps/web/config.yaml", cm, { link: link("ref") })).toEqual([]);
  });

  it("generatorSources hands the copied keys to the kustomization's resource links", () => {
    const kust =
      "resources:\n  - config.yaml\n  - secret.yaml\nreplacements:\n  - source: {kind: ConfigMap, name: web-settings, fieldPath: data.password}\n    targets:\n      - select: {kind: Secret}\n        fieldPaths: [stringData.password]\n  - source: {kind: ConfigMap, name: web-settings, fieldPath: data.color}\n    targets:\n      - select: {kind: Deployment}\n        fieldPaths: [spec.x]\n";
    const links = generatorSources("apps/web/kustomization.yaml", Buffer.from(kust));
    expect(links.get("apps/web/config.yaml")?.copied).toEqual([
      { name: "web-settings", key: "password" },
    ]);
  });
});

describe("replacements copying a configMapGenerator source's value into a Secret", () => {
  const kust = `configMapGenerator:\n  - name: s\n    envs: [app.env]\n    files: [token=tok.txt, other.txt]\nreplacements:\n  - source: {kind: ConfigMap, name: s, fieldPath: data.PASSWORD}\n    targets:\n      - select: {kind: Secret}\n        fieldPaths: [stringData.password]\n  - source: {kind: ConfigMap, name: s, fieldPath: data.token}\n    targets:\n      - select: {kind: Secret}\n        fieldPaths: [stringData.token]\n`;

  it("its env and file sources are linked with the copied keys; other files are not", () => {
    const links = generatorSources("apps/web/kustomization.yaml", Buffer.from(kust));
    expect(links.get("apps/web/app.env")?.field).toBe("envs");
    expect(links.get("apps/web/app.env")?.copied?.map((c) => c.key)).toEqual(["PASSWORD", "token"]);
    expect(links.get("apps/web/tok.txt")?.field).toBe("files");
    expect(links.has("apps/web/other.txt")).toBe(false);
  });

  it("only the copied key of the env file is a finding, naming the configMapGenerator", () => {
    const link = generatorSources("apps/web/kustomization.yaml", Buffer.from(kust)).get(
      "apps/web/app.env",
    )!;
    const fs = run("apps/web/app.env", `COLOR=blue\nPASSWORD=${CANARY}\n`, { link });
    expect(errors(fs)).toEqual(["secret-outside-policy:PASSWORD"]);
    expect(fs[0]!.message).toContain('configMapGenerator "s"');
    expect(run("apps/web/app.env", "COLOR=blue\nPASSWORD=${PW}\n", { link })).toEqual([]);
  });

  it("without replacements into a Secret, a configMapGenerator's sources are not linked", () => {
    const plain = "configMapGenerator:\n  - name: s\n    envs: [app.env]\n";
    expect(generatorSources("apps/web/kustomization.yaml", Buffer.from(plain)).size).toBe(0);
  });
});

describe("non-string keys matter only where sops reads them", () => {
  const release = `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ingress\nspec:\n  values:\n    tcp:\n      22: gitea/gitea-ssh:22\n      ? [8080]\n      : x\n`;

  it("uncovered: a HelmRelease with integer keys beside a substituted Secret is clean", () => {
    const text = `${release}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  auth: \${INGRESS_AUTH}\n`;
    expect(run("apps/ingress/release.yaml", text)).toEqual([]);
  });

  it("uncovered: a plaintext Secret beside it is still found", () => {
    const text = `${release}---\n${SECRET}`;
    expect(errors(run("apps/ingress/release.yaml", text))).toEqual([
      "secret-outside-policy:password",
    ]);
  });

  it("a non-string key inside the Secret itself stays unparseable, without its text", () => {
    for (const key of [`? [${CANARY}]\n  : x`, "12345: x", `? {${CANARY}: y}\n  : z`]) {
      const fs = run(
        "apps/web/secret.yaml",
        `apiVersion: v1\nkind: Secret\nstringData:\n  ${key}\n`,
      );
      expect(errors(fs)).toEqual(["unparseable:"]);
    }
  });

  it("covered by a rule: sops would refuse the file, so it stays unparseable", () => {
    const fs = run("flux/secrets/release.yaml", release, { rule: specific });
    expect(errors(fs)).toEqual(["unparseable:"]);
  });

  it("the parser keeps a placeholder, never the key's text", () => {
    const p = parseFile(Buffer.from(`? [${CANARY}]\n: x\n`), "yaml", undefined, {
      keepNonStringKeys: true,
    });
    expect(JSON.stringify(p)).not.toContain(CANARY);
    expect(() => parseFile(Buffer.from("22: x\n"), "yaml")).toThrow(/non-string/);
  });
});

describe("generatorSources: what a kustomization links", () => {
  const links = (text: string, at = "apps/web/kustomization.yaml") =>
    Object.fromEntries([...generatorSources(at, Buffer.from(text))].map(([p, g]) => [p, g.field]));

  it("resources, components, patches paths, patchesStrategicMerge paths and generators", () => {
    expect(
      links(
        "resources:\n  - secret\n  - ../base\n  - https://example.com/x.yaml\ncomponents:\n  - comp/c.txt\npatches:\n  - path: p.txt\n  - patch: |-\n      kind: Secret\npatchesStrategicMerge:\n  - psm\n  - |-\n    kind: Secret\ngenerators:\n  - gen.txt\n",
      ),
    ).toEqual({
      "apps/web/secret": "resources",
      "apps/base": "resources",
      "apps/web/comp/c.txt": "resources",
      "apps/web/p.txt": "resources",
      "apps/web/psm": "resources",
      "apps/web/gen.txt": "generators",
    });
  });

  it("a secretGenerator source outranks a resource link; inline builtin configs link sources", () => {
    const inline =
      "generators:\n  - |-\n    apiVersion: builtin\n    kind: SecretGenerator\n    metadata:\n      name: g\n    envs:\n      - app.env\n    files:\n      - key=k.txt\n";
    expect(links(`resources:\n  - app.env\n${inline}`)).toEqual({
      "apps/web/app.env": "envs",
      "apps/web/k.txt": "files",
    });
  });

  it("a kustomization with integer keys elsewhere still links (kustomize stringifies them)", () => {
    expect(links("resources:\n  - secret\nx:\n  22: y\n", "Kustomization")).toEqual({
      secret: "resources",
    });
  });

  it("paths outside the repository are not linked", () => {
    expect(links("resources:\n  - ../../../etc/secret\n")).toEqual({});
  });
});

describe("sequence documents matter only where sops reads them", () => {
  it("uncovered: an Argo CD app list mentioning kind: Secret is no error", () => {
    const text =
      '- enabled: "true"\n  namespace: argocd\n  ignoreDifferences:\n    - kind: Secret\n      name: argocd-secret\n';
    expect(run("cluster/apps/argocd/app-config.yaml", text)).toEqual([]);
  });

  it("uncovered: a Secret item of a sequence document is still judged (secret-outside-policy)", () => {
    const text = `- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: a\n  stringData:\n    pw: ${CANARY}\n`;
    const f = run("apps/list.yaml", text);
    expect(f.map((x) => x.rule)).toEqual(["secret-outside-policy"]);
    expect(JSON.stringify(f)).not.toContain(CANARY);
  });

  it("covered (sops reads it): a sequence document stays what sops refuses", () => {
    const f = run("flux/secrets/develop/list.yaml", `- a: ${CANARY}\n`, { rule: specific });
    expect(f.map((x) => x.rule)).toEqual(["unparseable"]);
    expect(() => parseFile(Buffer.from("- a\n"), "yaml")).toThrow(/sequences/);
  });
});

describe("Flux postBuild.substitute values named like credentials", () => {
  const flux = (subst: string) =>
    `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\nspec:\n  path: ./apps\n  postBuild:\n    substitute:\n${subst}`;

  it("names: by the last word only", () => {
    for (const n of [
      "DB_PASSWORD",
      "dbPassword",
      "API_TOKEN",
      "S3_SECRET_KEY",
      "API_KEY",
      "CLIENT_SECRET",
      "PASSPHRASE",
    ])
      expect(namesCredential(n), n).toBe(true);
    for (const n of [
      "SECRET_DOMAIN",
      "PASSWORD_FILE",
      "TOKEN_VERIFY_METHOD",
      "APP",
      "VOLSYNC_CAPACITY",
      "DB_USER",
      "KEY",
      "SSH_KEY_NAME",
      "VOLSYNC_SECRET",
      "SECRET",
      "PUBLIC_KEY",
    ])
      expect(namesCredential(n), n).toBe(false);
  });

  it("a literal under a credential name is blocked, naming the key only", () => {
    const f = run("clusters/dev/apps.yaml", flux(`      DB_PASSWORD: ${CANARY}\n      APP: web\n`));
    expect(f.map((x) => [x.rule, x.kind, x.keys])).toEqual([
      ["secret-outside-policy", "Kustomization", ["DB_PASSWORD"]],
    ]);
    expect(JSON.stringify(f)).not.toContain(CANARY);
  });

  it("the common substitutes, substitutions and empty values are clean", () => {
    const text = flux(
      '      APP: web\n      VOLSYNC_CAPACITY: 5Gi\n      SECRET_DOMAIN: example.com\n      DB_PASSWORD: ${DB_PASSWORD}\n      API_TOKEN: ""\n',
    );
    expect(run("clusters/dev/apps.yaml", text)).toEqual([]);
  });

  it("only a Flux Kustomization: a kustomize.config.k8s.io one or another kind is not read so", () => {
    const text = flux(`      DB_PASSWORD: ${CANARY}\n`).replace(
      "kustomize.toolkit.fluxcd.io/v1",
      "example.com/v1",
    );
    expect(run("clusters/dev/apps.yaml", text)).toEqual([]);
  });
});

describe("a flux-system ConfigMap that postBuild.substituteFrom reads", () => {
  const cm = (ns: string, data: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-vars\n  namespace: ${ns}\ndata:\n${data}`;
  it("values named like credentials are blocked, the key only", () => {
    const f = run(
      "clusters/dev/vars.yaml",
      cm("flux-system", `  DB_PASSWORD: ${CANARY}\n  DOMAIN: example.com\n`),
    );
    expect(f.map((x) => [x.rule, x.kind, x.keys])).toEqual([
      ["secret-outside-policy", "ConfigMap", ["DB_PASSWORD"]],
    ]);
    expect(JSON.stringify(f)).not.toContain(CANARY);
  });
  it("the usual cluster settings, and a ConfigMap of another namespace, are clean", () => {
    expect(
      run(
        "clusters/dev/vars.yaml",
        cm(
          "flux-system",
          "  SECRET_DOMAIN: example.com\n  SVC_ONEPASSWORD: 10.0.0.1\n  TIMEZONE: UTC\n",
        ),
      ),
    ).toEqual([]);
    expect(run("apps/x/cm.yaml", cm("default", `  DB_PASSWORD: ${CANARY}\n`))).toEqual([]);
  });
});
