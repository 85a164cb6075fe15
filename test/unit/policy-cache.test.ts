/**
 * The policy cache (src/policy/cache.ts): a policy read back from it equals the
 * one parsing gives (the JSON round trip loses nothing), and it is used only for
 * the exact text, path and build it was made from; a broken or unwritable cache
 * is the same as none; invalid policies are never kept.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { disablePolicyCache, enablePolicyCache } from "../../src/policy/cache.js";
import { loadPolicy, parsePolicy } from "../../src/policy/index.js";

const FIXTURES = path.resolve(__dirname, "../fixtures");
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "secret-guard-pcache-")));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => disablePolicyCache());

const AGE = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";
const POLICIES: Record<string, string> = {
  seed: `creation_rules:\n  - path_regex: flux/secrets/develop/.*\\.yaml\n    encrypted_regex: ^(data|stringData)$\n    age: ${AGE}\n`,
  groups: `creation_rules:\n  - path_regex: \\.enc\\.ya?ml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${AGE}]\n      - age: [${AGE}]\n  - unencrypted_suffix: _plain\n    age: ${AGE}\n`,
  warnings: `creation_rules:\n  - path_regex: x/.*\n    age: ${AGE}\n    unknown_field: 1\n  - age: ${AGE}\n  - path_regex: never\n    age: ${AGE}\n`,
  empty: "stores: {}\n",
};
for (const f of [
  "policy/fluxcd-kustomize-controller/.sops.yaml",
  "sops-upstream/fluxcd-kustomize-controller/internal/controller/testdata/sops/.sops.yaml",
  "sops-upstream/getsops-sops/functional-tests/.sops.yaml",
])
  POLICIES[f] = fs.readFileSync(path.join(FIXTURES, f), "utf8");

function repoWith(text: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, "repo-"));
  fs.writeFileSync(path.join(dir, ".sops.yaml"), text);
  return dir;
}

describe("policy cache", () => {
  it.each(Object.keys(POLICIES))("%s: a cached policy equals the parsed one", (name) => {
    let parsed: ReturnType<typeof parsePolicy>;
    try {
      parsed = parsePolicy(POLICIES[name]!, "/r/.sops.yaml", { displayPath: ".sops.yaml" });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError); // an invalid fixture is never cached
      return;
    }
    expect(JSON.parse(JSON.stringify(parsed))).toStrictEqual(parsed);
    const dir = repoWith(POLICIES[name]!);
    const plain = loadPolicy({ cwd: dir, env: {} });
    enablePolicyCache(path.join(tmp, `cache-${path.basename(dir)}`), "build-1");
    const miss = loadPolicy({ cwd: dir, env: {} });
    const hit = loadPolicy({ cwd: dir, env: {} });
    expect(miss).toStrictEqual(plain);
    expect(hit).toStrictEqual(plain);
  });

  it("is used only for the same text, path and build; broken entries are reparsed", () => {
    const cache = path.join(tmp, "cache-keys");
    const dir = repoWith(POLICIES.seed!);
    enablePolicyCache(cache, "build-1");
    const first = loadPolicy({ cwd: dir, env: {} })!;
    const [entry] = fs.readdirSync(cache);
    expect(entry).toMatch(/^policy-[0-9a-f]{8}\.json$/);

    // same length, other content: the new text wins
    const other = POLICIES.seed!.replace("develop", "staging");
    fs.writeFileSync(path.join(dir, ".sops.yaml"), other);
    const changed = loadPolicy({ cwd: dir, env: {} })!;
    expect(changed.rules[0]!.pathRegex).toContain("staging");
    expect(first.rules[0]!.pathRegex).toContain("develop");

    // another build ignores the entry
    const file = path.join(cache, entry!);
    const forged = JSON.parse(fs.readFileSync(file, "utf8"));
    forged.policy.rules[0].pathRegex = "forged";
    fs.writeFileSync(file, JSON.stringify(forged));
    enablePolicyCache(cache, "build-2");
    expect(loadPolicy({ cwd: dir, env: {} })!.rules[0]!.pathRegex).toContain("staging");

    // garbage is no entry
    fs.writeFileSync(file, "{not json");
    expect(loadPolicy({ cwd: dir, env: {} })!.rules[0]!.pathRegex).toContain("staging");
  });

  it("an unwritable cache is no error, and invalid policies are never kept", () => {
    const notADir = path.join(tmp, "a-file");
    fs.writeFileSync(notADir, "");
    enablePolicyCache(notADir, "build-1");
    const dir = repoWith(POLICIES.seed!);
    expect(loadPolicy({ cwd: dir, env: {} })?.rules).toHaveLength(1);

    const cache = path.join(tmp, "cache-invalid");
    enablePolicyCache(cache, "build-1");
    const bad = repoWith("creation_rules:\n  - path_regex: '(?<=x)'\n    age: nope\n");
    expect(() => loadPolicy({ cwd: bad, env: {} })).toThrow(ConfigError);
    expect(() => loadPolicy({ cwd: bad, env: {} })).toThrow(ConfigError);
    expect(fs.existsSync(cache) ? fs.readdirSync(cache) : []).toEqual([]);
  });
});
