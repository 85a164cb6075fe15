/**
 * Running the built command line and real `git commit` through the installed
 * hook, with every byte of output collected so tests can assert that no
 * canary value ever shows up.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { makeTempDir, type TestRepo } from "../helpers/repo.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = path.join(ROOT, "bin", "secret-guard.js");
export const FIXTURES = path.join(ROOT, "test", "fixtures");

/** Published test key of Flux's kustomize-controller test data (algorithms/age.yaml). */
export const FIXTURE_AGE = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";
export const SEED_AGE = "age1730wxdzhzpwjmf04rdf9tdz5zndr7xjq2mqk5ydkme5s27vaha7s2xnjxl";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temp bin folder with a `secret-guard` that runs this checkout (as `npm i -g` would give). */
export function binDir(): string {
  const dir = makeTempDir();
  writeFileSync(
    path.join(dir, "secret-guard"),
    `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`,
  );
  chmodSync(path.join(dir, "secret-guard"), 0o755);
  return dir;
}

/** Every output ever produced in this test file, for the canary sweep. */
export const transcript: string[] = [];

export function assertNoCanary(canaries: readonly string[], text = transcript.join("\n")): void {
  for (const c of canaries) expect(text).not.toContain(c);
}

export function sg(
  repo: TestRepo,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? repo.dir,
    env: { ...repo.env, NO_COLOR: "1", ...opts.env },
    input: opts.input ?? "",
    encoding: "utf8",
  });
  const out = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  transcript.push(out.stdout, out.stderr);
  return out;
}

/** A git command whose failure is an expected outcome (e.g. a commit the hook blocks). */
export function gitTry(repo: TestRepo, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync("git", args, {
    cwd: repo.dir,
    env: { ...repo.env, NO_COLOR: "1", ...env },
    encoding: "utf8",
  });
  const out = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  transcript.push(out.stdout, out.stderr);
  return out;
}

export function seedPolicy(recipient: string = FIXTURE_AGE): string {
  return `creation_rules:\n${[
    "cloudflare",
    "auth",
    "observability",
    "develop",
    "staging",
    "production",
  ]
    .map(
      (f) =>
        `  - path_regex: flux/secrets/${f}/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`,
    )
    .join("")}`;
}

export function plainSecret(
  name: string,
  values: Record<string, string>,
  namespace = "develop",
): string {
  return [
    "apiVersion: v1",
    "kind: Secret",
    "metadata:",
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    "type: Opaque",
    "stringData:",
    ...Object.entries(values).map(([k, v]) => `  ${k}: "${v}"`),
    "",
  ].join("\n");
}

/** Every regular file below `dir`, `.git` folders left out. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === ".git" ? [] : filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

/** No atomic-write temp file (`.NAME.secret-guard-*.tmp`) was left below `dir`. */
export function noTempFiles(dir: string): void {
  expect(filesUnder(dir).filter((f) => f.includes(".secret-guard-"))).toEqual([]);
}
