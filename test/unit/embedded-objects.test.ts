/**
 * Class 3 of the "no bypass" issue: Secrets inside other objects. Every place
 * a tool turns part of another object into a Secret (kustomize patches in a
 * kind-less kustomization, Flux and Argo CD and HelmRelease post-renderer
 * patches, Kyverno generate rules, manifests nested in values or written into
 * strings) is found by core/kube.ts and judged as a Secret; the look-alikes
 * (CRD schemas, references, ExternalSecrets, SealedSecrets, substitutions)
 * stay clean. Each case in both spellings the tools accept where there are
 * several (block scalar, JSON string, flow style).
 */
import { describe, expect, it } from "vitest";
import { judge } from "../../src/core/judge.js";
import { kubeObjects } from "../../src/core/kube.js";
import { parseFile } from "../../src/sops/parse.js";
import type { CreationRule, Finding } from "../../src/types.js";

const CANARY = "CANARY-emb-9f3Kq";
const B64 = Buffer.from(CANARY).toString("base64");

const broad: CreationRule = {
  index: 0,
  pathRegex: "kubernetes/.*\\.ya?ml",
  age: ["age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29"],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
};

function run(path: string, text: string, rule?: CreationRule): Finding[] {
  const j = judge({ path, bytes: Buffer.from(text), ...(rule ? { rule } : {}) });
  const out = JSON.stringify(j);
  expect(out).not.toContain(CANARY);
  expect(out).not.toContain(B64);
  return j.findings;
}

/** Blocked with secret-outside-policy naming `key`; returns that finding. */
function blocked(path: string, text: string, key = "password"): Finding {
  const fs = run(path, text);
  const f = fs.find((x) => x.rule === "secret-outside-policy" && x.keys?.includes(key));
  expect(f, JSON.stringify(fs, null, 1)).toBeDefined();
  expect(f!.severity).toBe("error");
  // Under a broad rule the file is blocked too (its Secret must be encrypted or moved).
  const underRule = run(path.startsWith("kubernetes/") ? path : `kubernetes/${path}`, text, broad);
  expect(underRule.some((x) => x.severity === "error")).toBe(true);
  return f!;
}

function clean(path: string, text: string): void {
  for (const r of [undefined, broad]) {
    const p = r && !path.startsWith("kubernetes/") ? `kubernetes/${path}` : path;
    const fs = run(p, text, r);
    expect(
      fs.filter((f) => f.severity === "error"),
      JSON.stringify(fs, null, 1),
    ).toEqual([]);
  }
}

const indent = (text: string, n: number) =>
  text
    .split("\n")
    .map((l) => (l ? " ".repeat(n) + l : l))
    .join("\n");

const SECRET_YAML = `apiVersion: v1
kind: Secret
metadata:
  name: web
stringData:
  password: ${CANARY}
`;
const SECRET_JSON = JSON.stringify({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "web" },
  stringData: { password: CANARY },
});

describe("kustomizations without a kind line", () => {
  const psm = `resources:\n  - secret.yaml\npatchesStrategicMerge:\n  - |-\n${indent(SECRET_YAML, 4)}`;
  it("patchesStrategicMerge string in kustomization.yaml, .yml and Kustomization", () => {
    // `Kustomization` (no extension) is read as YAML by the generators change; kube.ts knows the name.
    for (const name of ["kustomization.yaml", "kustomization.yml"])
      blocked(`apps/web/${name}`, psm);
  });
  it("patchesStrategicMerge inline object", () => {
    blocked(
      "apps/web/kustomization.yaml",
      `patchesStrategicMerge:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: web}\n    stringData: {password: ${CANARY}}\n`,
    );
  });
  it("patches: JSON 6902 operations as a block scalar, a JSON string and flow style", () => {
    const target = "  - target:\n      version: v1\n      kind: Secret\n      name: web\n";
    blocked(
      "apps/web/kustomization.yaml",
      `patches:\n${target}    patch: |-\n      - op: add\n        path: /stringData/password\n        value: ${CANARY}\n`,
    );
    blocked(
      "apps/web/kustomization.yaml",
      `patchesJson6902:\n${target}    patch: '[{"op": "replace", "path": "/data/password", "value": "${B64}"}]'\n`,
    );
    blocked(
      "apps/web/kustomization.yaml",
      `{"patches": [{"target": {"kind": "Secret", "name": "web"}, "patch": "[{\\"op\\": \\"add\\", \\"path\\": \\"/data\\", \\"value\\": {\\"password\\": \\"${B64}\\"}}]"}]}\n`,
    );
  });
  it("a strategic-merge patch without kind against a Secret target", () => {
    blocked(
      "apps/web/kustomization.yaml",
      `patches:\n  - target: {kind: Secret, name: web}\n    patch: |\n      metadata:\n        name: web\n      stringData:\n        password: ${CANARY}\n`,
    );
  });
  it("under another name: kind-less with kustomization fields, or its apiVersion", () => {
    blocked("apps/web/overlay.yaml", psm);
    blocked(
      "apps/web/overlay.yaml",
      `apiVersion: kustomize.config.k8s.io/v1beta1\npatchesStrategicMerge:\n  - |-\n${indent(SECRET_YAML, 4)}`,
    );
  });
  it("the finding points at the patch string and names where it is", () => {
    const f = blocked("apps/web/kustomization.yaml", psm);
    expect(f.line).toBe(4);
    expect(f.message).toContain("patchesStrategicMerge[0]");
    expect(f.kind).toBe("Secret");
    expect(f.name).toBe("web");
  });
  it("clean: file paths as patches, substitutions, another kind's target", () => {
    clean(
      "apps/web/kustomization.yaml",
      "resources: [a.yaml]\npatches:\n  - path: secret-patch.yaml\n    target: {kind: Secret}\npatchesStrategicMerge:\n  - secret-patch.yaml\n",
    );
    clean(
      "apps/web/kustomization.yaml",
      `patchesStrategicMerge:\n  - |-\n${indent(SECRET_YAML.replace(CANARY, "${WEB_PASSWORD}"), 4)}`,
    );
    clean(
      "apps/web/kustomization.yaml",
      "patches:\n  - target: {kind: Deployment, name: web}\n    patch: |-\n      - op: add\n        path: /data/password\n        value: not-a-secret\n",
    );
  });
  it("a kind-less file kustomize never reads, with patches only, is not a kustomization", () => {
    clean(
      "docs/examples.yaml",
      `patches:\n  - target: {kind: Secret, name: web}\n    patch: |-\n      - op: add\n        path: /stringData/password\n        value: example\n`,
    );
  });
});

describe("Flux Kustomization, HelmRelease post-renderers, Argo CD", () => {
  const fluxHead =
    "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec:\n  path: ./apps\n";
  it("Flux spec.patches[].patch (block scalar) with a target", () => {
    const f = blocked(
      "clusters/develop/apps.yaml",
      `${fluxHead}  patches:\n    - target: {kind: Secret, name: web}\n      patch: |\n${indent(SECRET_YAML, 8)}`,
    );
    expect(f.message).toContain("spec.patches[0].patch");
  });
  it("Flux v1beta2 spec.patchesStrategicMerge objects and patchesJson6902 operation lists", () => {
    blocked(
      "clusters/develop/apps.yaml",
      `${fluxHead}  patchesStrategicMerge:\n    - apiVersion: v1\n      kind: Secret\n      metadata: {name: web}\n      stringData: {password: ${CANARY}}\n`,
    );
    blocked(
      "clusters/develop/apps.yaml",
      `${fluxHead}  patchesJson6902:\n    - target: {version: v1, kind: Secret, name: web}\n      patch:\n        - op: add\n          path: /data/password\n          value: ${B64}\n`,
    );
  });
  const hrHead =
    "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web}\nspec:\n  chart: {spec: {chart: web}}\n  postRenderers:\n    - kustomize:\n";
  it("HelmRelease spec.postRenderers[].kustomize: patches, patchesStrategicMerge, patchesJson6902", () => {
    const f = blocked(
      "apps/web/helmrelease.yaml",
      `${hrHead}        patches:\n          - target: {kind: Secret, name: web}\n            patch: |\n${indent(SECRET_YAML, 14)}`,
    );
    expect(f.message).toContain("spec.postRenderers[0].kustomize.patches[0].patch");
    blocked(
      "apps/web/helmrelease.yaml",
      `${hrHead}        patchesStrategicMerge:\n          - {apiVersion: v1, kind: Secret, metadata: {name: web}, stringData: {password: ${CANARY}}}\n`,
    );
    blocked(
      "apps/web/helmrelease.yaml",
      `${hrHead}        patchesJson6902:\n          - target: {version: v1, kind: Secret, name: web}\n            patch:\n              - {op: replace, path: /data/password, value: ${B64}}\n`,
    );
  });
  it("Argo CD Application spec.source.kustomize.patches and spec.sources[]", () => {
    const app =
      "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec:\n";
    const patches = `kustomize:\n  patches:\n    - target: {kind: Secret, name: web}\n      patch: |\n${indent(SECRET_YAML, 8)}`;
    blocked("apps/web/app.yaml", `${app}  source:\n${indent(patches, 4)}`);
    blocked("apps/web/app.yaml", `${app}  sources:\n    - repoURL: x\n${indent(patches, 6)}`);
  });
  it("clean: Flux decryption, a HelmRelease valuesFrom Secret reference", () => {
    clean(
      "kubernetes/flux/apps.yaml",
      `${fluxHead}  decryption:\n    provider: sops\n    secretRef:\n      name: sops-age\n`,
    );
    clean(
      "kubernetes/apps/db/helmrelease.yaml",
      "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: db}\nspec:\n  values:\n    auth: {existingSecret: db-credentials}\n  valuesFrom:\n    - kind: Secret\n      name: db-values\n      valuesKey: values.yaml\n",
    );
  });
});

describe("Kyverno generate", () => {
  const policy = (kind: string, generate: string) =>
    `apiVersion: kyverno.io/v1\nkind: ${kind}\nmetadata: {name: creds}\nspec:\n  rules:\n    - name: gen\n      match: {any: [{resources: {kinds: [Namespace]}}]}\n      generate:\n${indent(generate, 8)}`;
  it("ClusterPolicy generate.data.stringData and Policy generate.data.data", () => {
    const f = blocked(
      "apps/policy/generate.yaml",
      policy(
        "ClusterPolicy",
        `apiVersion: v1\nkind: Secret\nname: registry\nnamespace: "{{request.object.metadata.name}}"\nsynchronize: true\ndata:\n  stringData:\n    password: ${CANARY}\n`,
      ),
    );
    expect(f.message).toContain("spec.rules[0].generate");
    expect(f.line).toBe(16);
    blocked(
      "apps/policy/generate.yaml",
      policy(
        "Policy",
        `{apiVersion: v1, kind: Secret, name: registry, namespace: default, data: {type: Opaque, data: {password: ${B64}}}}\n`,
      ),
    );
  });
  it("generate.foreach[].data", () => {
    blocked(
      "apps/policy/generate.yaml",
      policy(
        "ClusterPolicy",
        `apiVersion: v1\nkind: Secret\nforeach:\n  - list: request.object.spec.names\n    name: "{{element}}"\n    namespace: default\n    data:\n      stringData:\n        password: ${CANARY}\n`,
      ),
    );
  });
  it("clean: clone, another kind, template values", () => {
    clean(
      "kubernetes/policy/generate.yaml",
      policy(
        "ClusterPolicy",
        "apiVersion: v1\nkind: Secret\nname: registry\nnamespace: default\nclone: {namespace: default, name: registry}\n",
      ),
    );
    clean(
      "kubernetes/policy/generate.yaml",
      policy(
        "ClusterPolicy",
        "apiVersion: v1\nkind: ConfigMap\nname: cfg\nnamespace: default\ndata:\n  data:\n    password: not-a-secret\n",
      ),
    );
    clean(
      "kubernetes/policy/generate.yaml",
      policy(
        "ClusterPolicy",
        'apiVersion: v1\nkind: Secret\nname: copy\nnamespace: default\ndata:\n  data:\n    password: "{{ request.object.data.password }}"\n',
      ),
    );
  });
});

describe("Kyverno mutate rules on Secrets", () => {
  const policy = (kinds: string, mutate: string) =>
    `apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: m}\nspec:\n  rules:\n    - name: add\n      match:\n        any:\n          - resources:\n              kinds: [${kinds}]\n      mutate:\n${indent(mutate, 8)}`;
  it("patchStrategicMerge, patchesJson6902 strings and foreach against matched Secrets", () => {
    const f = blocked(
      "apps/policy/mutate.yaml",
      policy("Secret", `patchStrategicMerge:\n  stringData:\n    password: ${CANARY}\n`),
    );
    expect(f.message).toContain("spec.rules[0].mutate.patchStrategicMerge");
    blocked(
      "apps/policy/mutate.yaml",
      policy(
        "v1/Secret",
        `patchesJson6902: |-\n  - op: add\n    path: /data/password\n    value: ${B64}\n`,
      ),
    );
    blocked(
      "apps/policy/mutate.yaml",
      policy(
        "Pod, Secret",
        `foreach:\n  - list: request.object.metadata.labels\n    patchStrategicMerge: {data: {password: ${B64}}}\n`,
      ),
    );
  });
  it("clean: other kinds, labels only, values from the request", () => {
    clean(
      "kubernetes/policy/mutate.yaml",
      policy("ConfigMap", "patchStrategicMerge:\n  data:\n    password: not-a-secret\n"),
    );
    clean(
      "kubernetes/policy/mutate.yaml",
      policy("Secret", "patchStrategicMerge:\n  metadata:\n    labels: {team: a}\n"),
    );
    clean(
      "kubernetes/policy/mutate.yaml",
      policy(
        "Secret",
        'patchStrategicMerge:\n  data:\n    copy: "{{ request.object.data.password }}"\n',
      ),
    );
  });
});

describe("Secret manifests nested in values", () => {
  const hr = (values: string) =>
    `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: web}\nspec:\n  chart: {spec: {chart: redis}}\n  values:\n${indent(values, 4)}`;
  it("a mapping in extraDeploy, in block and flow style", () => {
    const f = blocked(
      "apps/web/helmrelease.yaml",
      hr(`extraDeploy:\n  - ${indent(SECRET_YAML, 4).trimStart()}`),
    );
    expect(f.message).toContain("spec.values.extraDeploy[0]");
    expect(f.name).toBe("web");
    expect(f.line).toBe(13);
    blocked(
      "apps/web/helmrelease.yaml",
      hr(
        `extraDeploy: [{apiVersion: v1, kind: Secret, metadata: {name: x}, data: {password: ${B64}}}]`,
      ),
    );
  });
  it("a string in extraDeploy: YAML block, JSON, a list, several documents", () => {
    blocked("apps/web/helmrelease.yaml", hr(`extraDeploy:\n  - |\n${indent(SECRET_YAML, 4)}`));
    blocked("apps/web/helmrelease.yaml", hr(`extraDeploy:\n  - '${SECRET_JSON}'`));
    blocked(
      "apps/web/helmrelease.yaml",
      hr(`extraDeploy: |\n  - ${indent(SECRET_YAML, 4).trimStart()}`),
    );
    blocked(
      "apps/web/helmrelease.yaml",
      hr(
        `extraDeploy: |\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  ---\n${indent(SECRET_YAML, 2)}`,
      ),
    );
  });
  it("in a Helm values file and in any object (a Crossplane Object's manifest)", () => {
    blocked("apps/web/values.yaml", `extraDeploy:\n  - ${indent(SECRET_YAML, 4).trimStart()}`);
    blocked(
      "apps/web/object.yaml",
      `apiVersion: kubernetes.crossplane.io/v1alpha2\nkind: Object\nmetadata: {name: o}\nspec:\n  forProvider:\n    manifest:\n${indent(SECRET_YAML, 6)}`,
    );
  });
  it("clean: substitutions, SealedSecret, references, no data, no apiVersion", () => {
    clean(
      "kubernetes/apps/web/helmrelease.yaml",
      hr(
        `extraDeploy:\n  - ${indent(SECRET_YAML.replace(CANARY, "${REDIS_PASSWORD}"), 4).trimStart()}`,
      ),
    );
    clean(
      "kubernetes/apps/web/helmrelease.yaml",
      hr(
        "extraDeploy:\n  - apiVersion: bitnami.com/v1alpha1\n    kind: SealedSecret\n    metadata: {name: s}\n    spec:\n      encryptedData: {password: AgBy3i4OJSWK}\n",
      ),
    );
    clean(
      "kubernetes/apps/web/helmrelease.yaml",
      hr(
        "auth:\n  secretRef: {kind: Secret, name: web}\n  existingSecret: web\nsecret:\n  kind: Secret\n  data: {user: admin}\n",
      ),
    );
    clean(
      "kubernetes/apps/web/helmrelease.yaml",
      hr(
        "extraDeploy:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: x}\n    type: Opaque\n",
      ),
    );
  });
  it("clean: a CRD's openAPI schema and an ExternalSecret template", () => {
    clean(
      "kubernetes/infra/crd.yaml",
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: w.example.com}\nspec:\n  versions:\n    - name: v1\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            apiVersion: {type: string}\n            kind: {type: string, enum: [Secret]}\n            data: {type: object, additionalProperties: {type: string}}\n            stringData: {type: object}\n",
    );
    clean(
      "kubernetes/infra/external.yaml",
      'apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {name: web}\nspec:\n  secretStoreRef: {kind: ClusterSecretStore, name: vault}\n  target:\n    template:\n      data:\n        DATABASE_URL: "postgres://{{ .user }}:{{ .password }}@db/app"\n  data:\n    - secretKey: password\n      remoteRef: {key: web, property: password}\n',
    );
  });
});

describe("manifests written into strings", () => {
  const cm = (data: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: workload-secrets}\ndata:\n${indent(data, 2)}`;
  it("a ClusterResourceSet ConfigMap: YAML block, JSON, a List; the finding points at the string", () => {
    const f = blocked("apps/capi/crs.yaml", cm(`secret.yaml: |\n${indent(SECRET_YAML, 2)}`));
    expect(f.line).toBe(5);
    expect(f.message).toContain("data.secret.yaml");
    blocked("apps/capi/crs.yaml", cm(`secret.json: '${SECRET_JSON}'`));
    blocked(
      "apps/capi/crs.yaml",
      cm(
        `list.yaml: |\n  apiVersion: v1\n  kind: List\n  items:\n    - ${indent(SECRET_YAML, 6).trimStart()}`,
      ),
    );
  });
  it("a JSON file holding a ConfigMap with the manifest in a string", () => {
    blocked(
      "apps/capi/crs.json",
      JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "c" },
        data: { "s.yaml": SECRET_YAML },
      }),
    );
  });
  it("strings in strings: a ConfigMap in a ConfigMap holding the Secret", () => {
    const inner = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: inner}\ndata:\n  s.yaml: |\n${indent(SECRET_YAML, 4)}`;
    blocked("apps/capi/crs.yaml", cm(`inner.yaml: |\n${indent(inner, 2)}`));
  });
  it("clean: prose that mentions kind: Secret, scripts, templates that do not parse", () => {
    clean(
      "kubernetes/apps/docs.yaml",
      cm(
        'README.md: |\n  Create a Secret (kind: Secret) with your password.\n  Then run `kubectl apply`!\nrun.sh: |\n  #!/bin/sh\n  echo "kind: Secret" | grep -q secret\n',
      ),
    );
    clean(
      "kubernetes/apps/tpl.yaml",
      cm(
        "secret.tpl: |\n  apiVersion: v1\n  kind: Secret\n  stringData:\n    {{- range .Values.keys }}\n    {{ .name }}: {{ .value }}\n    {{- end }}\n",
      ),
    );
    clean(
      "kubernetes/apps/subst.yaml",
      cm(`secret.yaml: |\n${indent(SECRET_YAML.replace(CANARY, "${PASSWORD}"), 2)}`),
    );
  });
});

describe("bounds", () => {
  const objects = (text: string) => kubeObjects(parseFile(Buffer.from(text), "yaml").docs[0]!.root);
  it("each distinct string is read once and each object reported once, through aliases", () => {
    const many = Array.from({ length: 200 }, (_, i) => `  k${i}: *s`).join("\n");
    const text = `apiVersion: v1\nkind: ConfigMap\nanchor: &s |\n${indent(SECRET_YAML, 2)}data:\n${many}\n`;
    const secrets = objects(text).filter((o) =>
      o.node.items.some((i) => i.kind === "item" && i.key === "stringData"),
    );
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.opaque).toBe(true);
  });
  it("strings in strings are followed four deep, no deeper", () => {
    let text = SECRET_YAML;
    const wrap = (t: string) => `apiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n${indent(t, 4)}`;
    for (let i = 0; i < 3; i++) text = wrap(text);
    expect(run("apps/deep.yaml", wrap(text)).some((f) => f.rule === "secret-outside-policy")).toBe(
      true,
    );
    const tooDeep = wrap(wrap(text));
    expect(
      objects(tooDeep).some((o) =>
        o.node.items.some((i) => i.kind === "item" && i.key === "stringData"),
      ),
    ).toBe(false);
  });
  it("a string larger than etcd accepts is not read as a manifest", () => {
    const big = `apiVersion: v1\nkind: ConfigMap\ndata:\n  x: |\n${indent(SECRET_YAML, 4)}    pad: ${"a".repeat(1600 * 1024)}\n`;
    expect(objects(big)).toHaveLength(1);
  });
  it("a kind-less document is a kustomization in a file kustomize reads as one (`Kustomization` too)", () => {
    const text = `patches:\n  - |-\n${indent(SECRET_YAML, 4)}`;
    const root = parseFile(Buffer.from(text), "yaml").docs[0]!.root;
    const patched = (o: ReturnType<typeof kubeObjects>) => o.filter((x) => x.origin === "patch");
    expect(patched(kubeObjects(root, { kustomizationFile: true }))).toHaveLength(1);
    expect(patched(kubeObjects(root))).toHaveLength(0);
  });
  it("objects carry where they are and whether selectors reach them", () => {
    const text = `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n    extraDeploy:\n      - # a comment item does not count\n        ${indent(SECRET_YAML, 8).trimStart()}`;
    const nested = objects(text).find((o) => o.origin === "nested");
    expect(nested?.where).toBe("spec.values.extraDeploy[0]");
    expect(nested?.prefix).toEqual(["spec", "values", "extraDeploy"]);
    expect(nested?.opaque).toBe(false);
  });
});

describe("which strings are read as manifests", () => {
  const cm = (value: string) =>
    // a JSON string is a YAML double-quoted scalar; U+2028 spelled as its escape
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  x: ${JSON.stringify(value).replaceAll("\u2028", "\\u2028")}\n`;
  it("every spelling of the kind key is read", () => {
    const body = `apiVersion: v1\nmetadata: {name: s}\nstringData:\n  password: ${CANARY}\n`;
    for (const k of [
      "kind: Secret\n",
      '"kind": Secret\n',
      "'kind' : Secret\n",
      "? kind\n: Secret\n",
      "? kind # the kind\n: Secret\n",
      "&k kind: Secret\n",
      "!!str kind: Secret\n",
      '"\\x6bind": Secret\n',
      "kind: !!binary U2VjcmV0\n",
      "KIND: Secret\n",
    ])
      blocked("apps/c.yaml", cm(k + body));
    blocked(
      "apps/c.yaml",
      cm(`{"kind"\n  : "Secret", "apiVersion": "v1", "data": {"password": "${B64}"}}`),
    );
    blocked("apps/c.yaml", cm(`- kind: Secret\n  ${indent(body, 2).trimStart()}`));
    blocked("apps/c.yaml", cm(`\u2028kind: Secret\n${body}`));
  });
});
