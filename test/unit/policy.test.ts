import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  generateHybridIdentity,
  generateX25519Identity,
  identityToRecipient,
} from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import {
  findConfig,
  loadPolicy,
  lookupConfig,
  parsePolicy,
  relativeForMatch,
  ruleFor,
} from "../../src/policy/index.js";
import { checkGoRegex, compileGoRegex, goSearch } from "../../src/sops/regex.js";
import type { Policy } from "../../src/types.js";

const FIXTURES = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "policy",
);

// Real, valid X25519 recipients (public keys, published as test data).
const SEED_KEY = "age1730wxdzhzpwjmf04rdf9tdz5zndr7xjq2mqk5ydkme5s27vaha7s2xnjxl";
const FLUX_KEY = "age1l44xcng8dqj32nlv6d930qvvrny05hglzcv9qpc7kxjc6902ma4qufys29";
const GLOBAL_KEY = "age1henwn645drkd3fa34t27t2w2x0nsgw3w4h62gmg5x5xflyjpy38s5cncph";
/** SEED_KEY with its last character changed: bech32 checksum fails. */
const BAD_CHECKSUM = `${SEED_KEY.slice(0, -1)}q`;
const SSH_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN user@host";

// The seed's policy (chapter 3, section 3).
const SEED_POLICY = `creation_rules:
  # Cloudflare API token (cert-manager + external-dns)
  - path_regex: flux/secrets/cloudflare/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${SEED_KEY}
  # Auth secrets (Dex OIDC)
  - path_regex: flux/secrets/auth/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${SEED_KEY}
  # Observability secrets (shared)
  - path_regex: flux/secrets/observability/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${SEED_KEY}
  # Development environment secrets
  - path_regex: flux/secrets/develop/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${SEED_KEY}
  # Staging environment secrets
  - path_regex: flux/secrets/staging/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${SEED_KEY}
  # Production environment secrets
  - path_regex: flux/secrets/production/.*\\.yaml
    encrypted_regex: ^(data|stringData)$
    age: ${SEED_KEY}
`;

const ROOT = path.resolve("/work/repo");
const CFG = path.join(ROOT, ".sops.yaml");

function parse(text: string): Policy {
  return parsePolicy(text, CFG, { displayPath: ".sops.yaml" });
}

function parseError(text: string): ConfigError {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(2);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

function ruleIndex(policy: Policy, rel: string): number | undefined {
  return ruleFor(policy, path.join(ROOT, ...rel.split("/")))?.index;
}

/** Tiny bech32 encoder (test only), to build plugin recipients. */
function bech32(hrp: string, data: number[]): string {
  const CH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  const G = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const polymod = (vs: number[]) => {
    let c = 1;
    for (const v of vs) {
      const b = c >>> 25;
      c = ((c & 0x1ffffff) << 5) ^ v;
      for (let i = 0; i < 5; i++) if ((b >>> i) & 1) c ^= G[i]!;
    }
    return c >>> 0;
  };
  const hx = [...hrp].map((c) => c.charCodeAt(0));
  const values = [...hx.map((c) => c >>> 5), 0, ...hx.map((c) => c & 31), ...data];
  const mod = polymod([...values, 0, 0, 0, 0, 0, 0]) ^ 1;
  const chk = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...data, ...chk].map((v) => CH[v]).join("")}`;
}

// ---------------------------------------------------------------------------

describe("Go RE2 regex (src/sops/regex.ts)", () => {
  it.each([
    // pattern, input, Go MatchString
    ["data", "metadata", true], // unanchored search, not a full match
    ["flux/secrets/develop/.*\\.yaml", "x/flux/secrets/develop/a.yaml", true],
    ["(?i)FLUX/", "x/flux/a", true],
    ["(?i:SECRETS)/", "flux/secrets/a", true],
    ["\\.yaml\\z", "a.yaml", true],
    ["\\.yaml\\z", "a.yaml\n", false],
    ["\\Aflux/", "flux/a", true],
    ["\\Aflux/", "x/flux/a", false],
    ["(?P<env>develop|staging)/", "flux/secrets/staging/a", true],
    ["(?<env>develop|staging)/", "flux/secrets/develop/a", true],
    ["^[[:alpha:]]+\\.yaml$", "abc.yaml", true],
    ["^[[:alpha:]]+\\.yaml$", "ab1.yaml", false],
    ["\\Q.*\\E", "a.*b", true],
    ["\\Q.*\\E", "ab", false],
    ["^a$", "a\n", false], // `$` = end of text only
    ["(?s)a.b", "a\nb", true],
    ["a.b", "a\nb", false],
  ])("goSearch(%j, %j) = %s", (pattern, input, expected) => {
    expect(goSearch(pattern, input)).toBe(expected);
    expect(compileGoRegex(pattern).test(input)).toBe(expected);
  });

  it.each([
    ["(?=x)", "invalid or unsupported Perl syntax"],
    ["(?!x)", "invalid or unsupported Perl syntax"],
    ["(?<=a)b", "invalid"],
    ["(a)\\1", "invalid escape sequence"],
    ["(abc", "missing closing )"],
    ["\\Z", "invalid escape sequence"],
    ["a*+", "invalid nested repetition operator"],
    ["x{1001}", "invalid repeat count"],
  ])("checkGoRegex rejects %j", (pattern, reason) => {
    expect(checkGoRegex(pattern)).toContain(reason);
    expect(() => compileGoRegex(pattern)).toThrow(SyntaxError);
    expect(goSearch(pattern, "anything")).toBe(false); // sops: invalid selector regex = no match
  });

  it("accepts RE2-only syntax and caches compiled patterns", () => {
    for (const p of ["(?i)x", "\\Ax\\z", "(?P<n>x)", "[[:alpha:]]", "\\pL", "\\x{41}", "(?U)a+"]) {
      expect(checkGoRegex(p)).toBeUndefined();
    }
    expect(compileGoRegex("(?i)x")).toBe(compileGoRegex("(?i)x"));
  });
});

// ---------------------------------------------------------------------------

describe("parsePolicy", () => {
  it("parses the seed policy into 6 rules", () => {
    const p = parse(SEED_POLICY);
    expect(p.hasCreationRules).toBe(true);
    expect(p.configPath).toBe(CFG);
    expect(p.configDir).toBe(ROOT);
    expect(p.warnings).toEqual([]);
    expect(p.rules).toHaveLength(6);
    const envs = ["cloudflare", "auth", "observability", "develop", "staging", "production"];
    p.rules.forEach((r, i) => {
      expect(r).toEqual({
        index: i,
        pathRegex: `flux/secrets/${envs[i]}/.*\\.yaml`,
        age: [SEED_KEY],
        otherKeyTypes: [],
        keyGroupCount: 0,
        selector: { field: "encrypted_regex", value: "^(data|stringData)$" },
        macOnlyEncrypted: false,
      });
    });
  });

  it.each([
    ["flux/secrets/develop/a.yaml", 3],
    ["flux/secrets/cloudflare/token.yaml", 0],
    ["flux/secrets/production/db.yaml", 5],
    ["x/flux/secrets/develop/a.yaml", 3], // unanchored
    ["flux/secrets/develop/a.yaml.bak", 3], // no `$` in the seed's regexes
    ["flux/secrets/develop/sub/a.yaml", 3],
    ["flux/secrets/develop/a.yml", undefined],
    ["flux/apps/develop/a.yaml", undefined],
    ["flux/secrets/Develop/a.yaml", undefined], // case-sensitive
  ])("seed policy: %s -> rule %s", (rel, expected) => {
    expect(ruleIndex(parse(SEED_POLICY), rel)).toBe(expected);
  });

  it.each([
    ["(?=secret)", "invalid or unsupported Perl syntax"],
    ["secrets/(?!public)", "invalid or unsupported Perl syntax"],
    ["(?<=flux/)secrets", "invalid"],
    ["(a)\\1", "invalid escape sequence"],
    ["(abc", "missing closing )"],
  ])("path_regex %j (JS-only or broken) is a ConfigError naming the rule", (regex, reason) => {
    const text = `creation_rules:\n  - path_regex: ok/\n    age: ${SEED_KEY}\n  - path_regex: '${regex}'\n    age: ${SEED_KEY}\n`;
    const e = parseError(text);
    expect(e.message).toContain(".sops.yaml: creation_rules[1].path_regex: not a valid RE2");
    expect(e.message).toContain(reason);
    if (reason !== "missing closing )") expect(e.hint).toMatch(/RE2/);
  });

  it.each([
    ["(?i)SECRETS/", "flux/secrets/a.yaml", 0],
    ["\\.yaml\\z", "a.yaml", 0],
    ["\\Aflux/", "flux/a.yaml", 0],
    ["\\Aflux/", "x/flux/a.yaml", undefined],
    ["(?P<env>develop|staging)/", "flux/staging/a.yaml", 0],
    ["^[[:alpha:]]+/", "flux/a.yaml", 0],
    ["^[[:alpha:]]+/", "flux2/a.yaml", undefined],
  ])("RE2-only path_regex %j vs %s -> %s", (regex, rel, expected) => {
    const p = parse(`creation_rules:\n  - path_regex: '${regex}'\n    age: ${SEED_KEY}\n`);
    expect(ruleIndex(p, rel)).toBe(expected);
  });

  it("first match wins; empty or absent path_regex is a catch-all", () => {
    const p = parse(`creation_rules:
  - path_regex: \\.yaml$
    age: ${SEED_KEY}
  - path_regex: secrets/
    age: ${FLUX_KEY}
  - path_regex: ""
    age: ${GLOBAL_KEY}
  - age: ${GLOBAL_KEY}
`);
    expect(ruleIndex(p, "secrets/x.yaml")).toBe(0);
    expect(ruleIndex(p, "secrets/x.json")).toBe(1);
    expect(ruleIndex(p, "other/x.json")).toBe(2);
    expect(p.rules[2]!.pathRegex).toBe("");
    expect(p.rules[3]!.pathRegex).toBeUndefined();
    expect(p.warnings.join("\n")).toContain("creation_rules[3]: never used");
  });

  it("matches relative to the config dir; a config above the repo includes the repo dir name", () => {
    const above = parsePolicy(
      `creation_rules:\n  - path_regex: ^flux/\n    age: ${SEED_KEY}\n  - path_regex: ^repo/flux/\n    age: ${FLUX_KEY}\n`,
      "/work/.sops.yaml",
    );
    const file = "/work/repo/flux/secrets/a.yaml";
    expect(relativeForMatch(above, file)).toBe(path.join("repo", "flux", "secrets", "a.yaml"));
    expect(ruleFor(above, file)?.index).toBe(1);
    // not under the config dir: the absolute path, unchanged
    expect(relativeForMatch(above, "/elsewhere/flux/a.yaml")).toBe("/elsewhere/flux/a.yaml");
    // a sibling directory sharing the prefix is not "under" it
    expect(relativeForMatch(above, "/work2/flux/a.yaml")).toBe("/work2/flux/a.yaml");
    // cleaned like filepath.Abs
    expect(relativeForMatch(above, "/work/repo/../flux/a.yaml")).toBe(path.join("flux", "a.yaml"));
    expect(ruleFor(above, "/work/flux/a.yaml")?.index).toBe(0);
  });

  it.each([
    ["encrypted_regex: ^data$\n    unencrypted_suffix: _plain"],
    ["encrypted_suffix: _enc\n    encrypted_comment_regex: sops"],
  ])("more than one selector is an error (%#)", (fields) => {
    const e = parseError(`creation_rules:\n  - age: ${SEED_KEY}\n    ${fields}\n`);
    expect(e.message).toMatch(/^\.sops\.yaml: creation_rules\[0\]: cannot use more than one of/);
  });

  it("selector default, explicit selectors, and empty selector values", () => {
    const p = parse(`creation_rules:
  - path_regex: a
    age: ${SEED_KEY}
  - path_regex: b
    unencrypted_regex: ^(apiVersion|kind)$
    age: ${SEED_KEY}
  - path_regex: c
    encrypted_regex: ""
    age: ${SEED_KEY}
  - path_regex: d
    encrypted_suffix: _secret
    mac_only_encrypted: true
    age: ${SEED_KEY}
`);
    const def = { field: "unencrypted_suffix", value: "_unencrypted", isDefault: true };
    expect(p.rules[0]!.selector).toEqual(def);
    expect(p.rules[1]!.selector).toEqual({
      field: "unencrypted_regex",
      value: "^(apiVersion|kind)$",
    });
    expect(p.rules[2]!.selector).toEqual(def); // "" = not set, as in sops
    expect(p.rules[3]!.selector).toEqual({ field: "encrypted_suffix", value: "_secret" });
    expect(p.rules[3]!.macOnlyEncrypted).toBe(true);
  });

  it.each([
    "encrypted_regex",
    "unencrypted_regex",
    "encrypted_comment_regex",
    "unencrypted_comment_regex",
  ])("an RE2-invalid %s is rejected (sops would encrypt nothing)", (field) => {
    const e = parseError(
      `creation_rules:\n  - path_regex: x\n    ${field}: '^(?!metadata)'\n    age: ${SEED_KEY}\n`,
    );
    expect(e.message).toContain(`.sops.yaml: creation_rules[0].${field}: not a valid RE2`);
    expect(e.message).toContain("encrypt nothing");
  });

  it.each([
    ["string with commas", `"${SEED_KEY}, ${FLUX_KEY}"`, [SEED_KEY, FLUX_KEY]],
    ["trailing comma", `"${SEED_KEY},"`, [SEED_KEY]],
    ["newlines around commas", `>-\n      ${SEED_KEY},\n      ${FLUX_KEY}`, [SEED_KEY, FLUX_KEY]],
    ["double-quoted with \\n", `"${SEED_KEY},\\n  ${FLUX_KEY}"`, [SEED_KEY, FLUX_KEY]],
    ["list", `\n      - ${SEED_KEY}\n      - ${FLUX_KEY}`, [SEED_KEY, FLUX_KEY]],
    [
      "list item with commas",
      `\n      - ${SEED_KEY}\n      - "${FLUX_KEY},${GLOBAL_KEY}"`,
      [SEED_KEY, FLUX_KEY, GLOBAL_KEY],
    ],
    ["ssh recipient", `"${SSH_KEY}"`, [SSH_KEY]],
    ["empty string", `""`, []],
    ["null", ``, []],
  ])("age as %s", (_label, yamlValue, expected) => {
    const p = parse(`creation_rules:\n  - path_regex: x\n    age: ${yamlValue}\n`);
    expect(p.rules[0]!.age).toEqual(expected);
  });

  it("accepts generated X25519, post-quantum hybrid and plugin recipients", async () => {
    const x = await identityToRecipient(await generateX25519Identity());
    const pq = await identityToRecipient(await generateHybridIdentity());
    expect(pq.startsWith("age1pq1")).toBe(true);
    const plugin = bech32(
      "age1yubikey",
      Array.from({ length: 53 }, (_, i) => (i * 7) % 32),
    );
    const p = parse(`creation_rules:\n  - age: ${x},${pq},${plugin}\n`);
    expect(p.rules[0]!.age).toEqual([x, pq, plugin]);
    const badPq = `${pq.slice(0, -1)}${pq.endsWith("q") ? "p" : "q"}`;
    expect(parseError(`creation_rules:\n  - age: ${badPq}\n`).message).toContain("post-quantum");
  });

  it.each([
    ["bad checksum", `age: ${BAD_CHECKSUM}`, "creation_rules[0].age:", BAD_CHECKSUM, true],
    ["too short", "age: age1qqqqqqqq", "creation_rules[0].age:", "age1qqqqqqqq", true],
    [
      "no comma between keys",
      `age: |\n      ${SEED_KEY}\n      ${FLUX_KEY}`,
      "creation_rules[0].age:",
      SEED_KEY,
      true,
    ],
    [
      "not a recipient",
      "age: hunter2-not-a-key",
      "creation_rules[0].age:",
      "hunter2-not-a-key",
      false,
    ],
    [
      "a private key",
      "age: AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
      "IDENTITY",
      "AGE-SECRET-KEY-1QQQQ",
      false,
    ],
    [
      "second piece bad",
      `age: ${SEED_KEY},nope-key`,
      "creation_rules[0].age (recipient 2):",
      "nope-key",
      false,
    ],
    [
      "empty list piece",
      `age:\n      - "${SEED_KEY},"`,
      "creation_rules[0].age[0] (recipient 2): empty recipient",
      "",
      true,
    ],
    [
      "non-string list item",
      "age:\n      - 42",
      "creation_rules[0].age[0]: must be a string",
      "",
      true,
    ],
    [
      "a mapping",
      "age:\n      key: x",
      "creation_rules[0].age: must be a string or a list of strings",
      "",
      true,
    ],
    ["bad ssh key", "age: ssh-dss AAAA", "creation_rules[0].age:", "ssh-dss AAAA", true],
  ])("bad age (%s) is a ConfigError", (_label, field, expected, value, quoted) => {
    const e = parseError(`creation_rules:\n  - path_regex: x\n    ${field}\n`);
    expect(e.message).toContain(expected);
    if (value) expect(e.message.includes(value)).toBe(quoted);
  });

  it.each([
    [
      "path_regex a number",
      "path_regex: 42",
      "creation_rules[0].path_regex: must be a string (got a number)",
    ],
    [
      "path_regex a list",
      "path_regex: [a]",
      "creation_rules[0].path_regex: must be a string (got a list)",
    ],
    [
      "encrypted_regex a boolean",
      "encrypted_regex: true",
      "creation_rules[0].encrypted_regex: must be a string",
    ],
    [
      "pgp a mapping",
      "pgp: {a: 1}",
      "creation_rules[0].pgp: must be a string or a list of strings",
    ],
    [
      "mac_only_encrypted",
      "mac_only_encrypted: maybe",
      "creation_rules[0].mac_only_encrypted: must be a boolean",
    ],
    [
      "shamir_threshold",
      "shamir_threshold: two",
      "creation_rules[0].shamir_threshold: must be a non-negative integer",
    ],
    [
      "key_groups a mapping",
      "key_groups: {age: []}",
      "creation_rules[0].key_groups: must be a list",
    ],
    [
      "key group age a string",
      "key_groups:\n      - age: x",
      "creation_rules[0].key_groups[0].age: must be a list of strings",
    ],
    ["hckms a string", "hckms: abc", "creation_rules[0].hckms: must be a list of strings"],
  ])("wrong type (%s) is a ConfigError naming the field", (_label, field, expected) => {
    const e = parseError(`creation_rules:\n  - age: ${SEED_KEY}\n    ${field}\n`);
    expect(e.message).toContain(`.sops.yaml: ${expected}`);
  });

  it.each([
    ["a mapping", "creation_rules:\n  path_regex: x\n", "creation_rules: must be a list of rules"],
    ["a string item", "creation_rules:\n  - x\n", "creation_rules[0]: must be a mapping"],
    ["a null item", "creation_rules:\n  -\n", "creation_rules[0]: must be a mapping"],
    ["a top-level list", "- creation_rules\n", "top level: must be a mapping"],
  ])("creation_rules structure (%s)", (_label, text, expected) => {
    expect(parseError(text).message).toContain(expected);
  });

  it("other key types go to otherKeyTypes", () => {
    const p = parse(`creation_rules:
  - path_regex: a
    pgp: 35C1A64CD7FC0AB6EB66756B2445463C3234ECE1
    kms: [arn:aws:kms:us-east-1:1:key/x]
    gcp_kms: ""
    hc_vault_transit_uri: https://vault:8200/v1/sops/keys/k
    azure_keyvault: https://v.vault.azure.net/keys/k/1
    hckms: [tr-west-1:abc]
    age: ${SEED_KEY}
`);
    expect(p.rules[0]!.age).toEqual([SEED_KEY]);
    expect(p.rules[0]!.otherKeyTypes).toEqual([
      "pgp",
      "kms",
      "azure_keyvault",
      "hc_vault_transit_uri",
      "hckms",
    ]);
  });

  it("key_groups: one group with merge, two groups with shamir_threshold", () => {
    const p = parse(`creation_rules:
  - path_regex: one
    key_groups:
      - age: ["${SEED_KEY},${FLUX_KEY}"]
        merge:
          - age: [${FLUX_KEY}]
            pgp: [35C1A64CD7FC0AB6EB66756B2445463C3234ECE1]
  - path_regex: two
    shamir_threshold: 1
    key_groups:
      - age: [${SEED_KEY}]
      - age: [${GLOBAL_KEY}, ${SEED_KEY}]
        kms:
          - arn: arn:aws:kms:us-east-1:1:key/x
`);
    const [one, two] = p.rules;
    expect(one!.keyGroupCount).toBe(1);
    expect(one!.age).toEqual([FLUX_KEY, SEED_KEY]); // merged groups first, deduplicated
    expect(one!.otherKeyTypes).toEqual(["pgp"]);
    expect(two!.keyGroupCount).toBe(2);
    expect(two!.shamirThreshold).toBe(1);
    expect(two!.age).toEqual([SEED_KEY, GLOBAL_KEY]);
    expect(two!.otherKeyTypes).toEqual(["kms"]);
    expect(two!.keyGroups).toEqual([
      { age: [SEED_KEY], otherKeyTypes: [] },
      { age: [GLOBAL_KEY, SEED_KEY], otherKeyTypes: ["kms"] },
    ]);
  });

  it("key_groups: bad recipients, too-high threshold, flat keys ignored", () => {
    expect(
      parseError(`creation_rules:\n  - key_groups:\n      - merge:\n          - age: [nope]\n`)
        .message,
    ).toContain(
      "creation_rules[0].key_groups[0].merge[0].age[0]: not a recognisable age recipient",
    );
    expect(
      parseError(
        `creation_rules:\n  - shamir_threshold: 3\n    key_groups:\n      - age: [${SEED_KEY}]\n      - age: [${FLUX_KEY}]\n`,
      ).message,
    ).toContain("creation_rules[0].shamir_threshold: 3 is more than the 2 key groups");
    const p = parse(
      `creation_rules:\n  - age: ${FLUX_KEY}\n    key_groups:\n      - age: [${SEED_KEY}]\n`,
    );
    expect(p.rules[0]!.age).toEqual([SEED_KEY]);
    expect(p.warnings.join("\n")).toContain(
      "creation_rules[0]: age ignored by sops because key_groups is set",
    );
  });

  it("unknown keys are warnings naming rule and key, with a suggestion", () => {
    const p = parse(`creation-rule: x
creation_rules:
  - path_regex: x
    encrypted-regex: ^(data|stringData)$
    age: ${SEED_KEY}
  - filename_regex: x
    age: ${SEED_KEY}
  - path_regex: y
    key_groups:
      - agee: [${SEED_KEY}]
`);
    const w = p.warnings.join("\n");
    expect(w).toContain(
      '.sops.yaml: creation-rule: unknown key ignored by sops (did you mean "creation_rules"?)',
    );
    expect(w).toContain(
      '.sops.yaml: creation_rules[0].encrypted-regex: unknown key ignored by sops (did you mean "encrypted_regex"?)',
    );
    expect(w).toContain("creation_rules[1].filename_regex: filename_regex was removed");
    expect(w).toContain(
      'creation_rules[2].key_groups[0].agee: unknown key ignored by sops (did you mean "age"?)',
    );
    // the typo really weakens the rule: the default selector applies
    expect(p.rules[0]!.selector.isDefault).toBe(true);
  });

  it.each([
    ["no creation_rules key", "destination_rules: []\nstores: {yaml: {indent: 2}}\n", false, 0],
    ["empty file", "", false, 0],
    ["comments only", "# nothing\n", false, 0],
    ["creation_rules: null", "creation_rules:\n", false, 0],
    ["creation_rules: []", "creation_rules: []\n", true, 0],
  ])("%s", (_label, text, has, count) => {
    const p = parse(text);
    expect(p.hasCreationRules).toBe(has);
    expect(p.rules).toHaveLength(count);
    expect(ruleFor(p, path.join(ROOT, "a.yaml"))).toBeUndefined();
  });

  it.each([
    [
      "double-quoted regex",
      `creation_rules:\n  - path_regex: "\\.yaml$"\n    age: CANARY_9f3k\n`,
      /^\.sops\.yaml: invalid YAML: line 2, column \d+: /,
    ],
    [
      "bad indentation",
      `creation_rules:\n  - path_regex: x\n   age: CANARY_9f3k\n`,
      /line 3, column 1: /,
    ],
    [
      "unclosed quote",
      `creation_rules:\n  - age: 'CANARY_9f3k\n`,
      /invalid YAML: line \d+, column \d+: /,
    ],
    ["nested compact mapping", `creation_rules: a: CANARY_9f3k\n`, /line 1, column \d+: /],
    ["duplicate key", `a: 1\na: CANARY_9f3k\n`, /line 2, column 1: Map keys must be unique/],
    ["tab indentation", `creation_rules:\n\t- age: CANARY_9f3k\n`, /line 2, column 1: /],
    ["unresolved alias", `creation_rules:\n  - age: *CANARY_9f3k\n`, /invalid YAML/],
  ])("broken YAML (%s): position and reason, never the source", (_label, text, expected) => {
    const e = parseError(text);
    expect(e.message).toMatch(expected);
    expect(e.message).not.toContain("CANARY");
    expect(e.message).not.toContain("\n");
    expect(e.message).not.toContain("path_regex:");
  });

  it("hints at quoting for double-quoted regex escapes", () => {
    expect(parseError(`creation_rules:\n  - path_regex: "\\.yaml$"\n`).hint).toMatch(
      /single quotes/,
    );
  });

  it("anchors, aliases and merge keys resolve as in Go yaml.v3", () => {
    const p = parse(`x-defaults: &defaults
  encrypted_regex: &re ^(data|stringData)$
  age: &age ${SEED_KEY}
creation_rules:
  - <<: *defaults
    path_regex: a/
  - path_regex: b/
    encrypted_regex: *re
    age: *age
`);
    expect(p.rules[0]!.selector).toEqual({
      field: "encrypted_regex",
      value: "^(data|stringData)$",
    });
    expect(p.rules[0]!.age).toEqual([SEED_KEY]);
    expect(p.rules[1]!.age).toEqual([SEED_KEY]);
    expect(p.warnings.join("\n")).toContain("x-defaults: unknown key");
  });

  it("parses Flux kustomize-controller's test .sops.yaml (anchors, key groups)", () => {
    const file = path.join(FIXTURES, "fluxcd-kustomize-controller", ".sops.yaml");
    const p = parsePolicy(fs.readFileSync(file, "utf8"), file);
    expect(p.warnings).toEqual([]);
    expect(p.rules.map((r) => r.pathRegex)).toEqual([
      "(inside|pgp)\\.yaml$",
      "json\\.yaml$",
      "\\.yaml$",
      "\\.(env|txt)$",
      undefined,
    ]);
    const [pgp, json, yaml, env, fallback] = p.rules;
    expect(pgp!.otherKeyTypes).toEqual(["pgp"]);
    expect(pgp!.age).toEqual([]);
    expect(pgp!.selector).toEqual({ field: "encrypted_regex", value: "^(data|stringData)$" });
    expect(json!.selector).toEqual({ field: "encrypted_regex", value: ".*" });
    expect(json!.age).toEqual([FLUX_KEY]);
    expect(yaml!.selector.value).toBe("^(data|stringData)$");
    expect(yaml!.age).toEqual([FLUX_KEY]);
    expect(env!.selector.isDefault).toBe(true);
    expect(fallback!.keyGroupCount).toBe(2);
    expect(fallback!.age).toEqual([FLUX_KEY]);
    expect(fallback!.otherKeyTypes).toEqual(["pgp"]);
    const dir = path.dirname(file);
    const at = (rel: string) => ruleFor(p, path.join(dir, rel))?.index;
    expect(at("inside/secret.yaml")).toBe(2); // "inside.yaml" is not in "inside/secret.yaml"
    expect(at("algorithms/pgp.yaml")).toBe(0);
    expect(at("algorithms/json.yaml")).toBe(1);
    expect(at("global/secret.yaml")).toBe(2);
    expect(at("envs/env.env")).toBe(3);
    expect(at("files/file.bin")).toBe(4);
  });
});

// ---------------------------------------------------------------------------

describe("findConfig / loadPolicy", () => {
  let tmp: string;
  const policyText = `creation_rules:\n  - path_regex: secrets/\n    age: ${SEED_KEY}\n`;

  beforeAll(() => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "sg-policy-")));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function mk(rel: string, content?: string): string {
    const p = path.join(tmp, rel);
    if (content === undefined) {
      fs.mkdirSync(p, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
    return p;
  }

  /** True when some ancestor of the temp dir has a .sops.yaml (would break "not found" tests). */
  function ancestorHasConfig(): boolean {
    return lookupConfig(path.dirname(tmp)).path !== undefined;
  }

  it("searches from the cwd upwards and matches relative to the config's dir", () => {
    const repo = mk("up/repo");
    const cfg = mk("up/repo/.sops.yaml", policyText);
    const cwd = mk("up/repo/a/b/c");
    expect(findConfig(cwd)).toBe(cfg);
    expect(findConfig(repo)).toBe(cfg);
    const p = loadPolicy({ cwd, env: {} })!;
    expect(p.configPath).toBe(cfg);
    expect(p.configDir).toBe(repo);
    expect(ruleFor(p, path.join(repo, "secrets", "x.yaml"))?.index).toBe(0);
  });

  it("the nearest .sops.yaml wins", () => {
    mk("near/.sops.yaml", policyText);
    const inner = mk("near/inner/.sops.yaml", "creation_rules: []\n");
    expect(findConfig(mk("near/inner/deep"))).toBe(inner);
  });

  it("warns about a .sops.yml on the way and ignores it", () => {
    const cfg = mk("yml/.sops.yaml", policyText);
    const alt = mk("yml/sub/.sops.yml", "creation_rules: []\n");
    const cwd = mk("yml/sub/dir");
    const warnings: string[] = [];
    expect(findConfig(cwd, warnings)).toBe(cfg);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(alt);
    expect(warnings[0]).toContain("must be called .sops.yaml");
    expect(loadPolicy({ cwd, env: {} })!.warnings[0]).toContain(alt);
  });

  it("no config found: undefined, plus the .sops.yml warning", () => {
    if (ancestorHasConfig()) return; // environment has a .sops.yaml above the temp dir
    const cwd = mk("none/a");
    mk("none/.sops.yml", "creation_rules: []\n");
    const warnings: string[] = [];
    expect(loadPolicy({ cwd, env: {}, warnings })).toBeUndefined();
    expect(warnings[0]).toContain(".sops.yml");
    expect(findConfig(mk("none2/a/b"))).toBeUndefined();
  });

  it("looks at most 100 levels up, like sops", () => {
    if (ancestorHasConfig()) return;
    const cfg = mk("depth/.sops.yaml", policyText);
    const levels = (n: number) => path.join("depth", ...Array.from({ length: n }, () => "d"));
    expect(findConfig(mk(levels(99)))).toBe(cfg);
    expect(findConfig(mk(levels(100)))).toBeUndefined();
  });

  it("--config and SOPS_CONFIG disable the search; --config wins", () => {
    mk("explicit/repo/.sops.yaml", policyText);
    const other = mk("explicit/conf/custom.yaml", "creation_rules: []\n");
    const third = mk("explicit/conf/third.yaml", "stores: {}\n");
    const cwd = mk("explicit/repo");
    expect(loadPolicy({ cwd, configPath: "../conf/custom.yaml", env: {} })!.configPath).toBe(other);
    expect(loadPolicy({ cwd, env: { SOPS_CONFIG: other } })!.configPath).toBe(other);
    expect(loadPolicy({ cwd, configPath: other, env: { SOPS_CONFIG: third } })!.configPath).toBe(
      other,
    );
    const viaEnv = loadPolicy({ cwd, env: { SOPS_CONFIG: third } })!;
    expect(viaEnv.configPath).toBe(third);
    expect(viaEnv.hasCreationRules).toBe(false);
    // empty SOPS_CONFIG = unset
    expect(loadPolicy({ cwd, env: { SOPS_CONFIG: "" } })!.configPath).toBe(
      path.join(cwd, ".sops.yaml"),
    );
  });

  it.each([
    ["--config", { configPath: "missing.yaml" }],
    ["SOPS_CONFIG", { env: { SOPS_CONFIG: "missing.yaml" } }],
  ])("an explicit but missing config (%s) is a ConfigError", (_label, extra) => {
    const cwd = mk("missing");
    let err: unknown;
    try {
      loadPolicy({ cwd, env: {}, ...extra });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as ConfigError).message).toBe("missing.yaml: could not read config file (ENOENT)");
  });

  it("errors in a discovered config name it relative to the cwd", () => {
    mk("rel/.sops.yaml", "creation_rules:\n  - path_regex: '(?=x)'\n");
    const cwd = mk("rel/a/b");
    expect(() => loadPolicy({ cwd, env: {} })).toThrow(
      /^\.\.\/\.\.\/\.sops\.yaml: creation_rules\[0\]\.path_regex: not a valid RE2/,
    );
  });
});
