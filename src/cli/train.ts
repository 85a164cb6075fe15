/**
 * What the hook bundle runs, in memory, before it writes its V8 code cache
 * (bin/secret-guard.js): the judging of the manifests a commit usually holds (an
 * encrypted Secret, a ConfigMap, a Deployment, a kustomization), so the cache holds
 * their compiled code whatever the commit that built it staged. Without it, a cache
 * built by a commit of a `.ts` file left every later commit of a Secret to compile the
 * YAML reader and the judge again (measured: 58 against 53 ms for one staged Secret).
 *
 * No file, no process, no output: the texts below are made up (no key or value in them
 * decrypts to anything) and every result is dropped. Nothing here loads the `yaml`
 * package (nor does a run whose `.sops.yaml` comes from the policy cache): its code in the
 * cache would cost every run the time to deserialise it.
 */
import { checkFile } from "../check/file.js";
import { EMPTY_CONFIG } from "../check/settings.js";
import type { Judgement } from "../core/judge.js";
import type { CreationRule } from "../types.js";

const ENC = (n: number) =>
  `ENC[AES256_GCM,data:${"QUJD".repeat(n)},iv:${"A".repeat(43)}=,tag:${"B".repeat(22)}==,type:str]`;
const RECIPIENT = `age1${"q".repeat(58)}`;

/** A rule as src/policy/parse.ts compiles `path_regex` + `encrypted_regex` + `age`. */
const RULE: CreationRule = {
  index: 0,
  pathRegex: ".*\\.sops\\.ya?ml$",
  age: [RECIPIENT],
  otherKeyTypes: [],
  keyGroupCount: 0,
  selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
  macOnlyEncrypted: false,
};

const SECRET = [
  "apiVersion: v1",
  "kind: Secret",
  "metadata:",
  "  name: app",
  "  namespace: apps",
  "type: Opaque",
  "stringData:",
  `  token: ${ENC(4)}`,
  `  url: ${ENC(8)}`,
  "sops:",
  "  age:",
  `    - recipient: ${RECIPIENT}`,
  "      enc: |",
  "        -----BEGIN AGE ENCRYPTED FILE-----",
  `        ${"Q".repeat(64)}`,
  "        -----END AGE ENCRYPTED FILE-----",
  '  lastmodified: "2026-01-01T00:00:00Z"',
  `  mac: ${ENC(11)}`,
  "  encrypted_regex: ^(data|stringData)$",
  "  version: 3.10.2",
  "",
].join("\n");

const CONFIGMAP = [
  "apiVersion: v1",
  "kind: ConfigMap",
  "metadata:",
  "  name: app",
  "data:",
  "  LOG_LEVEL: info",
  '  URL: "https://example.org/"',
  "",
].join("\n");

const DEPLOYMENT = [
  "apiVersion: apps/v1",
  "kind: Deployment",
  "metadata:",
  "  name: app",
  "spec:",
  "  template:",
  "    spec:",
  "      containers:",
  "        - name: app",
  "          image: example.org/app:1.0",
  "          env:",
  "            - name: TOKEN",
  "              valueFrom:",
  "                secretKeyRef:",
  "                  name: app",
  "                  key: token",
  "",
].join("\n");

const KUSTOMIZATION = [
  "apiVersion: kustomize.config.k8s.io/v1beta1",
  "kind: Kustomization",
  "resources:",
  "  - app.sops.yaml",
  "  - deployment.yaml",
  "",
].join("\n");

/** The made-up files (repository path, text). */
export const TRAINING_FILES: ReadonlyArray<readonly [string, string]> = [
  ["app.sops.yaml", SECRET],
  ["configmap.yaml", CONFIGMAP],
  ["deployment.yaml", DEPLOYMENT],
  ["kustomization.yaml", KUSTOMIZATION],
  ["index.ts", "export const answer = 42;\n"],
];

/** Their judgements under the rule above and the default settings. */
export function trainingJudgements(): Judgement[] {
  return TRAINING_FILES.map(([name, text]) =>
    checkFile(
      {
        path: name,
        bytes: Buffer.from(text),
        ...(name.endsWith(".sops.yaml") ? { rule: RULE } : {}),
      },
      EMPTY_CONFIG,
    ),
  );
}

/** Judge the made-up files once; never throws. */
export function train(): void {
  try {
    trainingJudgements();
  } catch {
    // only a smaller code cache
  }
}
