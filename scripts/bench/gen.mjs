// Synthetic GitOps repositories for scripts/bench.mjs, built with one
// `git fast-import` per repository (no process per file).
//
// Layout (the seed's): `.sops.yaml` with one rule per flux/secrets/<folder>/,
// encrypted Secrets in those folders (the upstream sops age fixture with
// another metadata.name and ciphertext: the guard does not check the MAC),
// and app folders with Deployments, ConfigMaps, READMEs and source files.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const AGE_RECIPIENT = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";
export const FOLDERS = ["cloudflare", "auth", "observability", "develop", "staging", "production"];
const FIXTURE = path.join(
  root,
  "test/fixtures/sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/algorithms/age.yaml",
);
const fixture = readFileSync(FIXTURE, "utf8");
if (!/^ {2}name: age$/m.test(fixture) || !fixture.includes("data:mHeXsmQ=,")) {
  throw new Error(`unexpected fixture layout: ${FIXTURE}`);
}

export function sopsYaml() {
  const rules = FOLDERS.map(
    (f) =>
      `  - path_regex: flux/secrets/${f}/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: ${AGE_RECIPIENT}\n`,
  ).join("");
  return `creation_rules:\n${rules}`;
}

/** Deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.b64 = (bytes) => {
    const b = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) b[i] = next.int(256);
    return b.toString("base64");
  };
  next.word = (n) => {
    const abc = "abcdefghijklmnopqrstuvwxyz0123456789";
    let s = "";
    for (let i = 0; i < n; i++) s += abc[next.int(abc.length)];
    return s;
  };
  return next;
}

/** The fixture with another name (and namespace) and a fresh-looking ciphertext. */
export function encryptedSecret(name, namespace, r) {
  return fixture
    .replace(/^ {2}name: age$/m, `  name: ${name}\n  namespace: ${namespace}`)
    .replace("data:mHeXsmQ=,", `data:${r.b64(6 + r.int(40))},`);
}

export function plaintextSecret(name, namespace, r) {
  return [
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    "type: Opaque",
    "stringData:",
    `  database-url: postgres://app:${r.word(20)}@db.${namespace}.svc:5432/app`,
    `  api-key: ${r.word(32)}`,
    "",
  ].join("\n");
}

function deployment(app, ns, r) {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${ns}
  labels:
    app.kubernetes.io/name: ${app}
spec:
  replicas: ${1 + r.int(4)}
  selector:
    matchLabels:
      app.kubernetes.io/name: ${app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${app}
    spec:
      containers:
        - name: ${app}
          image: ghcr.io/example/${app}:1.${r.int(40)}.${r.int(10)}
          ports:
            - containerPort: 8080
          envFrom:
            - configMapRef:
                name: ${app}-config
            - secretRef:
                name: ${app}-secrets
          resources:
            requests:
              cpu: ${50 + r.int(200)}m
              memory: ${64 + r.int(256)}Mi
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8080
`;
}

function configMap(app, ns, r) {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${app}-config
  namespace: ${ns}
data:
  LOG_LEVEL: ${["debug", "info", "warn"][r.int(3)]}
  FEATURE_FLAGS: "${r.word(8)},${r.word(6)}"
  UPSTREAM_URL: http://${r.word(6)}.${ns}.svc:8080
  CACHE_TTL_SECONDS: "${r.int(3600)}"
`;
}

function readme(app, r) {
  return `# ${app}

Service ${app} of the example platform. Deployed by Flux from \`apps/${app}/\`.

## Configuration

| variable | meaning |
| --- | --- |
| LOG_LEVEL | log verbosity |
| UPSTREAM_URL | where requests go (${r.word(10)}) |

Secrets come from \`${app}-secrets\` (SOPS-encrypted under flux/secrets/).
Run \`make test\` before pushing. Build ${r.word(12)}.
`;
}

function source(app, i, r) {
  return `import { createServer } from "node:http";

// ${app} handler ${i} (${r.word(16)})
const port = Number(process.env.PORT ?? 8080);
const upstream = process.env.UPSTREAM_URL ?? "http://localhost:9000";

export function handle${i}(req, res) {
  if (req.url === "/healthz") {
    res.writeHead(200).end("ok");
    return;
  }
  const started = Date.now();
  fetch(upstream + (req.url ?? "/"))
    .then((r) => r.text())
    .then((body) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(body);
      console.log(JSON.stringify({ path: req.url, ms: Date.now() - started }));
    })
    .catch(() => res.writeHead(502).end());
}

createServer(handle${i}).listen(port);
`;
}

const APP_KINDS = [
  "deployment.yaml",
  "configmap.yaml",
  "README.md",
  "src/index.ts",
  "src/handler.ts",
];
const NAMESPACES = ["develop", "staging", "production"];

/** Content for an app file path made by appFiles (same kind, new content): a modification. */
export function appContent(p, r) {
  const m = /^apps\/([^/]+)\/(.+)$/.exec(p);
  if (!m) throw new Error(`not an app file: ${p}`);
  const [, app, kind] = m;
  const ns = NAMESPACES[app.length % 3];
  switch (kind) {
    case "deployment.yaml":
      return deployment(app, ns, r);
    case "configmap.yaml":
      return configMap(app, ns, r);
    case "README.md":
      return readme(app, r);
    default:
      return source(app, r.int(1000), r);
  }
}

/** Content for a secret path made by secretFiles: a re-encryption. */
export function secretContent(p, r) {
  const m = /^flux\/secrets\/([^/]+)\/([^/]+)\.yaml$/.exec(p);
  if (!m) throw new Error(`not a secret file: ${p}`);
  return encryptedSecret(m[2], m[1], r);
}

/** `n` app files, five per app (2 YAML manifests, a README, 2 source files). */
export function appFiles(n, prefix, r) {
  const out = [];
  for (let i = 0; out.length < n; i++) {
    const app = `${prefix}-app-${i}`;
    for (const kind of APP_KINDS) {
      if (out.length >= n) break;
      const p = `apps/${app}/${kind}`;
      out.push({ path: p, content: appContent(p, r) });
    }
  }
  return out;
}

/** `n` TypeScript source files, one per app folder (what most commits of an app repo touch). */
export function tsFiles(n, prefix, r) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const p = `apps/${prefix}-app-${i}/src/index.ts`;
    out.push({ path: p, content: source(`${prefix}-app-${i}`, i, r) });
  }
  return out;
}

/** `n` encrypted Secrets spread over the six rule folders. */
export function secretFiles(n, prefix, r) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const folder = FOLDERS[i % FOLDERS.length];
    const p = `flux/secrets/${folder}/${prefix}-secret-${i}.yaml`;
    out.push({ path: p, content: secretContent(p, r) });
  }
  return out;
}

/** A fast-import stream builder. */
class Stream {
  parts = [];
  time = 1_700_000_000;
  mark = 0;
  push(s) {
    this.parts.push(typeof s === "string" ? Buffer.from(s) : s);
  }
  data(text) {
    const b = Buffer.from(text);
    this.push(`data ${b.length}\n`);
    this.push(b);
    this.push("\n");
  }
  /** A commit; returns its mark. changes: [{path, content}] or [{path, delete: true}]. */
  commit(ref, message, changes, { from, merge } = {}) {
    const mark = ++this.mark;
    this.time += 60;
    this.push(`commit ${ref}\nmark :${mark}\n`);
    this.push(`author Bench Dev <bench@example.com> ${this.time} +0000\n`);
    this.push(`committer Bench Dev <bench@example.com> ${this.time} +0000\n`);
    this.data(message);
    if (from) this.push(`from :${from}\n`);
    if (merge) this.push(`merge :${merge}\n`);
    for (const c of changes) {
      if (c.delete) this.push(`D ${c.path}\n`);
      else {
        this.push(`M 100644 inline ${c.path}\n`);
        this.data(c.content);
      }
    }
    this.push("\n");
    return mark;
  }
  buffer() {
    return Buffer.concat([...this.parts, Buffer.from("done\n")]);
  }
}

export function git(dir, env, args, input) {
  const r = spawnSync("git", args, {
    cwd: dir,
    env,
    input,
    maxBuffer: 1 << 30,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (r.status !== 0) {
    throw new Error(
      `git ${args.join(" ")} failed (${r.status}): ${r.stderr?.toString().slice(0, 500)}`,
    );
  }
  return r.stdout;
}

function init(dir, env) {
  mkdirSync(dir, { recursive: true });
  git(dir, env, ["init", "-q", "-b", "main"]);
  writeFileSync(path.join(dir, ".sops.yaml"), sopsYaml());
}

function fastImport(dir, env, stream) {
  git(dir, env, ["fast-import", "--quiet", "--done"], stream.buffer());
}

export function writeTree(dir, files) {
  for (const f of files) {
    const abs = path.join(dir, f.path);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, f.content);
  }
}

/**
 * A repository whose HEAD holds `baseApps` app files and `baseSecrets` Secrets, with
 * `staged` files staged in the index (nothing else changed): `stagedSecrets` new Secrets,
 * `stagedModified` modified base files (app files and Secrets in proportion), the rest new
 * app files (`stagedTs` of them new `.ts` sources). Returns the staged paths; the staged files are also written to disk when
 * `onDisk` (for peers that read the working tree), and staged with `git add` when `gitAdd`.
 */
export function stagedRepo(dir, env, spec) {
  const r = rng(spec.seed ?? 1);
  init(dir, env);
  const baseApps = appFiles(spec.baseApps, "base", r);
  const baseSecrets = secretFiles(spec.baseSecrets, "base", r);
  const s = new Stream();
  const base = s.commit("refs/heads/main", "base", [
    { path: ".sops.yaml", content: sopsYaml() },
    ...baseApps,
    ...baseSecrets,
  ]);
  const nMod = Math.min(spec.stagedModified ?? 0, baseApps.length + baseSecrets.length);
  const modSecrets = Math.min(
    baseSecrets.length,
    Math.round((nMod * spec.stagedSecrets) / Math.max(1, spec.staged)),
  );
  const modified = [
    ...baseSecrets
      .slice(0, modSecrets)
      .map((f) => ({ path: f.path, content: secretContent(f.path, r) })),
    ...baseApps
      .slice(0, nMod - modSecrets)
      .map((f) => ({ path: f.path, content: appContent(f.path, r) })),
  ];
  const newSecrets = secretFiles(spec.stagedSecrets - modSecrets, "new", r);
  const newTs = tsFiles(spec.stagedTs ?? 0, "ts", r);
  const newApps = appFiles(
    spec.staged - modified.length - newSecrets.length - newTs.length,
    "new",
    r,
  );
  const staged = [...modified, ...newSecrets, ...newTs, ...newApps];
  if (spec.gitAdd) {
    // As a commit really starts: the files written, then `git add`, which stores them as
    // loose objects (fast-import would have put them in a pack).
    fastImport(dir, env, s);
    git(dir, env, ["read-tree", "refs/heads/main"]);
    writeTree(dir, staged);
    git(dir, env, ["add", "--", ...staged.map((f) => f.path)]);
  } else {
    s.commit("refs/heads/bench-staged", "staged", staged, { from: base });
    fastImport(dir, env, s);
    git(dir, env, ["read-tree", "refs/heads/bench-staged"]);
    git(dir, env, ["update-ref", "-d", "refs/heads/bench-staged"]);
    if (spec.onDisk) writeTree(dir, staged);
  }
  return {
    staged: staged.map((f) => f.path),
    secrets: modSecrets + newSecrets.length,
    headFiles: 1 + baseApps.length + baseSecrets.length,
  };
}

/** A repository with `files` tracked files (`secrets` of them Secrets), index = HEAD. */
export function trackedRepo(dir, env, spec) {
  const r = rng(spec.seed ?? 2);
  init(dir, env);
  const s = new Stream();
  const secrets = secretFiles(spec.secrets, "t", r);
  const apps = appFiles(spec.files - 1 - secrets.length, "t", r);
  s.commit("refs/heads/main", "all", [
    { path: ".sops.yaml", content: sopsYaml() },
    ...apps,
    ...secrets,
  ]);
  fastImport(dir, env, s);
  git(dir, env, ["read-tree", "main"]);
  return { files: 1 + apps.length + secrets.length, secrets: secrets.length };
}

/**
 * A history of `commits` commits (merges and side-branch commits included) over ~300
 * files: each commit edits 1-3 files (a quarter of the edits re-encrypt a Secret), a merge
 * of a short side branch every 50 commits, and every commits/20 (at least 20) commits a plaintext Secret
 * committed and encrypted by the next commit (an exposure for `history` to find).
 */
export function historyRepo(dir, env, spec) {
  const r = rng(spec.seed ?? 3);
  init(dir, env);
  const s = new Stream();
  const apps = appFiles(240, "h", r).map((f) => f.path);
  const secretsInit = secretFiles(60, "h", r);
  const secrets = secretsInit.map((f) => f.path);
  const appInit = apps.map((p) => ({ path: p, content: appContent(p, r) }));
  const marks = [
    s.commit("refs/heads/main", "initial", [
      { path: ".sops.yaml", content: sopsYaml() },
      ...appInit,
      ...secretsInit,
    ]),
  ];
  let count = 1;
  let leaks = 0;
  let merges = 0;
  let pendingLeak;
  const leakEvery = Math.max(20, Math.round(spec.commits / 20));
  const edit = () => {
    if (r() < 0.25) {
      const p = secrets[r.int(secrets.length)];
      return { path: p, content: secretContent(p, r) };
    }
    const p = apps[r.int(apps.length)];
    return { path: p, content: appContent(p, r) };
  };
  const edits = () => {
    const n = 1 + r.int(3);
    const out = new Map();
    for (let i = 0; i < n; i++) {
      const e = edit();
      out.set(e.path, e);
    }
    return [...out.values()];
  };
  while (count < spec.commits) {
    const mainIndex = marks.length;
    if (pendingLeak) {
      marks.push(
        s.commit("refs/heads/main", `encrypt ${pendingLeak.path}`, [
          { path: pendingLeak.path, content: secretContent(pendingLeak.path, r) },
        ]),
      );
      secrets.push(pendingLeak.path);
      pendingLeak = undefined;
      count++;
    } else if (mainIndex % leakEvery === 0) {
      const p = `flux/secrets/develop/leak-${++leaks}.yaml`;
      pendingLeak = { path: p };
      marks.push(
        s.commit("refs/heads/main", `add ${p}`, [
          { path: p, content: plaintextSecret(`leak-${leaks}`, "develop", r) },
        ]),
      );
      count++;
    } else if (mainIndex % 50 === 0 && count + 2 <= spec.commits) {
      const sideChanges = edits();
      const side = s.commit("refs/heads/side", "side work", sideChanges, {
        from: marks[Math.max(0, mainIndex - 5)],
      });
      marks.push(s.commit("refs/heads/main", "merge side", sideChanges, { merge: side }));
      merges++;
      count += 2;
    } else {
      marks.push(s.commit("refs/heads/main", `change ${count}`, edits()));
      count++;
    }
  }
  fastImport(dir, env, s);
  git(dir, env, ["update-ref", "-d", "refs/heads/side"]);
  git(dir, env, ["read-tree", "main"]);
  return { commits: count, merges, leaks, files: 1 + apps.length + secrets.length };
}
