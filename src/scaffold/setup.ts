/**
 * What `init` writes and compares: the seed's `.sops.yaml` rule set (one rule
 * per flux/secrets/<folder>/, `encrypted_regex: ^(data|stringData)$`, shared
 * folders first as in the seed), and how an existing `.sops.yaml` differs
 * from it, said in terms of folders, recipients and selectors.
 */
import path from "node:path";
import { isMap, isSeq, parseDocument } from "yaml";
import { ConfigError } from "../errors.js";
import { parsePolicy, ruleFor } from "../policy/index.js";
import type { Policy } from "../types.js";
import { SECRETS_DIR } from "./names.js";

export const SHARED_FOLDERS = ["cloudflare", "auth", "observability"];
/** The environments of the seed's helper (`new ENVIRONMENT NAME`), for a repository that has none. */
export const DEFAULT_ENVS = ["develop", "staging", "production"];
export const SELECTOR = "^(data|stringData)$";
export const X25519 = /^age1[02-9ac-hj-np-z]{58}$/;

const COMMENTS: Record<string, string> = {
  cloudflare: "Cloudflare API token (cert-manager + external-dns)",
  auth: "Auth secrets (Dex OIDC)",
  observability: "Observability secrets (shared)",
  develop: "Development environment secrets",
  staging: "Staging environment secrets",
  production: "Production environment secrets",
};

const FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function checkFolder(name: string): string | undefined {
  if (!FOLDER.test(name) || name.length > 63) {
    return `"${name}" is not a usable folder name (letters, digits, '.', '_' and '-')`;
  }
  return undefined;
}

/** Folders without duplicates, the seed's shared ones first (as its .sops.yaml orders them). */
export function foldersFor(envs: readonly string[]): string[] {
  const unique = [...new Set(envs)];
  return [
    ...SHARED_FOLDERS.filter((f) => unique.includes(f)),
    ...unique.filter((f) => !SHARED_FOLDERS.includes(f)),
  ];
}

/** The flux/secrets/<folder>/ names a policy's path_regex values spell out literally. */
export function foldersNamedBy(policy: Policy): string[] {
  const out: string[] = [];
  const prefix = /^\^?(?:\.\/)?flux\/secrets\/((?:[A-Za-z0-9_-]|\\\.)+)\//;
  for (const r of policy.rules) {
    const m = prefix.exec(r.pathRegex ?? "");
    if (!m) continue;
    const name = m[1]!.replaceAll("\\.", ".");
    if (!checkFolder(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

function ruleLines(f: string, recipients: readonly string[], indent: string): string[] {
  return [
    `${indent}# ${COMMENTS[f] ?? `${f[0]!.toUpperCase()}${f.slice(1)} environment secrets`}`,
    `${indent}- path_regex: ${SECRETS_DIR}/${escapeRe(f)}/.*\\.yaml`,
    `${indent}  encrypted_regex: ${SELECTOR}`,
    `${indent}  age: ${recipients.join(",")}`,
  ];
}

/**
 * The existing `.sops.yaml` text with a rule per folder appended to
 * creation_rules, every other byte kept; undefined when that cannot be done
 * safely (the result must parse to the same rules plus exactly these).
 */
export function appendRules(
  text: string,
  configPath: string,
  top: string,
  folders: readonly string[],
  recipients: readonly string[],
): string | undefined {
  let before: Policy;
  try {
    before = parsePolicy(text, configPath);
  } catch {
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const seq = doc.contents.get("creation_rules", true);
  if (!isSeq(seq) || seq.flow || seq.items.length === 0 || !seq.range) return undefined;
  const last = seq.items[seq.items.length - 1] as { range?: [number, number, number] };
  if (!last.range) return undefined;
  const lineStart = text.lastIndexOf("\n", seq.range[0] - 1) + 1;
  const indent = text.slice(lineStart, seq.range[0]);
  if (!/^ *$/.test(indent)) return undefined;
  const end = text.indexOf("\n", last.range[1] - 1);
  const at = end === -1 ? text.length : end;
  const added = folders.flatMap((f) => ruleLines(f, recipients, indent)).join("\n");
  const out = `${text.slice(0, at)}${end === -1 ? "\n" : "\n"}${added}${end === -1 ? "\n" : ""}${text.slice(at)}`;
  let after: Policy;
  try {
    after = parsePolicy(out, configPath);
  } catch {
    return undefined;
  }
  if (after.rules.length !== before.rules.length + folders.length) return undefined;
  const shape = (r: Policy["rules"][number]) =>
    JSON.stringify([r.pathRegex, r.age, r.selector, r.otherKeyTypes]);
  for (const [i, r] of before.rules.entries())
    if (shape(r) !== shape(after.rules[i]!)) return undefined;
  for (const f of folders) {
    const probe = path.join(top, ...SECRETS_DIR.split("/"), f, "example.yaml");
    const rule = ruleFor(after, probe);
    if (!rule || rule.index < before.rules.length) return undefined;
  }
  return out;
}

/** The rules init would add for folders, as text to paste into creation_rules. */
export function rulesSnippet(folders: readonly string[], recipients: readonly string[]): string {
  return folders.flatMap((f) => ruleLines(f, recipients, "  ")).join("\n");
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function policyText(folders: readonly string[], recipients: readonly string[]): string {
  const head = [
    "# SOPS encryption policy (written by `secret-guard init`).",
    "# One rule per folder under flux/secrets/: only data and stringData are",
    "# encrypted, so apiVersion, kind and metadata stay readable for review.",
    "# Flux decrypts in the cluster with the age identity stored in the",
    "# flux-system/sops-age Secret (the data key must end in .agekey).",
    "creation_rules:",
  ];
  const rules = folders.map((f) =>
    [
      `  # ${COMMENTS[f] ?? `${f[0]!.toUpperCase()}${f.slice(1)} environment secrets`}`,
      `  - path_regex: ${SECRETS_DIR}/${escapeRe(f)}/.*\\.yaml`,
      `    encrypted_regex: ${SELECTOR}`,
      `    age: ${recipients.join(",")}`,
    ].join("\n"),
  );
  return `${head.join("\n")}\n${rules.join("\n")}\n`;
}

export interface PolicyComparison {
  /** Human lines, one per difference (paths, rule indexes, recipients, selectors). */
  differences: string[];
  /** Folders no rule of the existing file covers. */
  uncovered: string[];
  /** Age recipients the existing rules for our folders use. */
  recipients: string[];
}

const short = (r: string) => `${r.slice(0, 12)}…${r.slice(-6)}`;

/** Compare an existing `.sops.yaml` with the one init would write. */
export function comparePolicy(
  existingText: string,
  configPath: string,
  top: string,
  folders: readonly string[],
  recipients: readonly string[] | undefined,
): PolicyComparison {
  const out: PolicyComparison = { differences: [], uncovered: [], recipients: [] };
  let policy: Policy;
  try {
    policy = parsePolicy(existingText, configPath);
  } catch (e) {
    out.differences.push(
      `it is not a valid policy: ${e instanceof ConfigError ? e.message : (e as Error).name}`,
    );
    out.uncovered.push(...folders);
    return out;
  }
  const used = new Set<number>();
  for (const f of folders) {
    const probe = path.join(top, ...SECRETS_DIR.split("/"), f, "example.yaml");
    const rule = ruleFor(policy, probe);
    if (!rule) {
      out.uncovered.push(f);
      out.differences.push(`${SECRETS_DIR}/${f}/: no rule covers it (init would add one)`);
      continue;
    }
    used.add(rule.index);
    for (const r of rule.age) if (!out.recipients.includes(r)) out.recipients.push(r);
    const where = `${SECRETS_DIR}/${f}/: creation_rules[${rule.index}]`;
    if (rule.age.length === 0) out.differences.push(`${where} has no age recipient`);
    if (recipients) {
      const want = [...recipients].sort().join(",");
      const have = [...rule.age].sort().join(",");
      if (rule.age.length > 0 && want !== have) {
        out.differences.push(
          `${where} encrypts for ${rule.age.map(short).join(", ")}; init would use ${recipients.map(short).join(", ")}`,
        );
      }
    }
    if (rule.selector.field !== "encrypted_regex" || rule.selector.value !== SELECTOR) {
      out.differences.push(
        `${where} selects values with ${rule.selector.field}: ${rule.selector.value}; init would use encrypted_regex: ${SELECTOR}`,
      );
    }
  }
  for (const r of policy.rules) {
    if (!used.has(r.index)) {
      out.differences.push(
        `creation_rules[${r.index}] (path_regex ${r.pathRegex || "(any file)"}) is not one init writes`,
      );
    }
  }
  return out;
}
