/**
 * `secret-guard encrypt PATH...`: encrypt files in place with the creation
 * rule that covers each. Atomic: the result is written to a private temp file
 * beside the target and renamed over it; on any failure the original stays.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isGuardConfigPath } from "../check/file.js";
import { describeSelector, judge } from "../core/judge.js";
import type { Engine } from "../crypto/engine.js";
import { ConfigError, GuardError, UsageError } from "../errors.js";
import { loadPolicy, ruleFor } from "../policy/index.js";
import { looksSopsEncrypted } from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import type { CreationRule, Format, Policy } from "../types.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";

/** Findings that say values are plaintext where the rule wants them encrypted. */
const PLAINTEXT_RULES = new Set(["unencrypted", "partially-encrypted", "encryption-removed"]);

export async function encryptCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  if (args.positionals.length === 0) throw new UsageError("encrypt needs at least one PATH");
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const policy = loadPolicy({
    cwd,
    configPath: typeof v.config === "string" ? v.config : undefined,
    env: io.env,
  });
  if (!policy?.hasCreationRules) {
    throw new ConfigError(
      "no .sops.yaml with creation_rules found from here upward",
      "create one with `secret-guard init`",
    );
  }
  const { pickEngine } = await import("../crypto/engine.js");
  // sops comes from PATH, never from inside the repository (or the config's folder).
  const { topLevelSync } = await import("../git/repo.js");
  const untrusted = topLevelSync(cwd, io.env) ?? policy.configDir;
  const engine = await pickEngine(
    (typeof v.engine === "string" ? v.engine : "auto") as "auto",
    io.env,
    untrusted,
  );
  const lines: string[] = [];
  let failed = 0;
  for (const arg of args.positionals) {
    const abs = path.resolve(cwd, arg);
    if (isGuardConfigPath(abs.split(path.sep).join("/"))) {
      lines.push(
        `✖ ${arg}: a configuration file (.sops.yaml, .sops.yml, .secret-guard.yaml) is never encrypted; left as it is`,
      );
      failed++;
      continue;
    }
    const rule = ruleFor(policy, abs);
    if (!rule) {
      lines.push(
        `✖ ${arg}: no creation rule in ${policy.configPath} covers this path (sops would refuse it)`,
      );
      failed++;
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(abs);
    } catch (e) {
      lines.push(`✖ ${arg}: cannot read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
      failed++;
      continue;
    }
    const format = formatForPath(abs);
    try {
      const done = await encryptOne({ arg, abs, bytes, format, rule, policy, engine, io });
      lines.push(done.line);
      if (!done.ok) failed++;
    } catch (e) {
      failed++;
      const reason =
        e instanceof GuardError ? e.message : `unexpected error (${(e as Error)?.name ?? "Error"})`;
      lines.push(`✖ ${arg}: ${reason}; the file is unchanged`);
      if (e instanceof GuardError && e.hint) lines.push(`  ${e.hint}`);
    }
  }
  return { exitCode: failed > 0 ? 1 : 0, output: `${lines.join("\n")}\n` };
}

interface One {
  arg: string;
  abs: string;
  bytes: Buffer;
  format: Format;
  rule: CreationRule;
  policy: Policy;
  engine: Engine;
  io: Io;
}

/**
 * Encrypt one file, or say why not; never claims what it did not do. A file
 * that already carries sops metadata is "already encrypted" only when the
 * judgement finds nothing wrong with it. Otherwise (plaintext values, an
 * incomplete block) its data key is opened with a local identity and what is
 * plaintext is encrypted under it, the block rewritten whole, as `scan --fix`
 * does; without a key that opens it, it is refused with the reason. ENC
 * values with no block at all, and a rule whose selector picks no value, are
 * errors.
 */
async function encryptOne(o: One): Promise<{ ok: boolean; line: string }> {
  const { arg, abs, bytes, format, rule } = o;
  const before = judge({ path: arg, bytes, rule });
  const errors = before.findings.filter((f) => f.severity === "error");
  const hasMeta = before.hasMetadata || looksSopsEncrypted(bytes, format);
  const broken = errors.find(
    (f) => f.rule === "unparseable" || (f.rule === "missing-sops-metadata" && !before.hasMetadata),
  );
  if (broken) return { ok: false, line: `✖ ${arg}: ${broken.message}; nothing was encrypted` };
  const plain = errors.filter((f) => PLAINTEXT_RULES.has(f.rule));
  const badBlock = errors.find((f) => f.rule === "missing-sops-metadata");
  if (hasMeta && plain.length === 0 && !badBlock) {
    if (errors.length > 0) {
      const f = errors[0]!;
      return { ok: false, line: `✖ ${arg}: encrypted, but ${f.rule}: ${f.message}` };
    }
    if (!before.mustEncrypt.some((m) => m.state === "encrypted")) {
      return {
        ok: false,
        line: `✖ ${arg}: carries sops metadata but not one encrypted value (${describeSelector(before.selector)} picks nothing that holds a value); left as it is`,
      };
    }
    return { ok: true, line: `- ${arg}: already encrypted, left as it is` };
  }
  let out: Buffer;
  let how: string;
  if (hasMeta) {
    const keys = [...new Set(plain.flatMap((f) => f.keys ?? []))];
    const what =
      plain.length === 0
        ? "no plaintext value"
        : `${keys.length || "some"} plaintext value${keys.length === 1 ? "" : "s"}${keys.length ? ` (${keys.join(", ")})` : ""}`;
    const state = badBlock
      ? `its sops block is broken (${badBlock.message})${plain.length ? ` and it holds ${what}` : ""}`
      : `partially encrypted (${what})`;
    const { loadIdentities } = await import("../crypto/identities.js");
    const { decryptFile } = await import("../crypto/decrypt.js");
    const { identities } = await loadIdentities(o.io.env);
    const d = await decryptFile(bytes, format, identities);
    if (!d.dataKey) {
      const why =
        d.problem === "no-identity-matched" || !d.detail
          ? "no local age identity opens its data key"
          : d.detail;
      return {
        ok: false,
        line: `✖ ${arg}: ${state}, and ${why}, so nothing can be encrypted under its key; the file is unchanged\n  point SOPS_AGE_KEY_FILE at a key the file is encrypted for, or add the values with \`sops edit ${arg}\``,
      };
    }
    const { nativeEngine } = await import("../crypto/engine.js");
    out = await (await nativeEngine()).encrypt({
      bytes,
      absPath: abs,
      format,
      rule,
      configPath: o.policy.configPath,
      existingDataKey: d.dataKey,
    });
    how = `${plain.length ? `encrypted ${what} into its existing encryption` : "kept its values"}${badBlock ? " and rewrote its incomplete sops block" : ""} (native engine)`;
  } else {
    out = await o.engine.encrypt({
      bytes,
      absPath: abs,
      format,
      rule,
      configPath: o.policy.configPath,
    });
    how = `encrypted with creation_rules[${rule.index}] (${o.engine.name} engine)`;
  }
  const check = judge({ path: arg, bytes: out, rule });
  if (check.findings.some((f) => f.severity === "error")) {
    throw new GuardError("the encrypted result does not satisfy the rule; nothing was written");
  }
  if (!check.mustEncrypt.some((m) => m.state === "encrypted")) {
    return {
      ok: false,
      line: `✖ ${arg}: nothing to encrypt: the selector of creation_rules[${rule.index}] (${describeSelector(check.selector ?? rule.selector)}) picks no value that holds one in this file; the file is unchanged`,
    };
  }
  const { writeAtomic } = await import("../fsutil.js");
  await writeAtomic(abs, out);
  return { ok: true, line: `✔ ${arg}: ${how}` };
}
