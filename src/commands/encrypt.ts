/**
 * `secret-guard encrypt PATH...`: encrypt files in place with the creation
 * rule that covers each. Atomic: the result is written to a private temp file
 * beside the target and renamed over it; on any failure the original stays.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isGuardConfigPath } from "../check/file.js";
import { judge } from "../core/judge.js";
import { ConfigError, GuardError, UsageError } from "../errors.js";
import { loadPolicy, ruleFor } from "../policy/index.js";
import { looksSopsEncrypted } from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";

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
  const { writeAtomic } = await import("../fsutil.js");
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
    if (looksSopsEncrypted(bytes, format)) {
      lines.push(`- ${arg}: already encrypted, left as it is`);
      continue;
    }
    try {
      const out = await engine.encrypt({
        bytes,
        absPath: abs,
        format,
        rule,
        configPath: policy.configPath,
      });
      const check = judge({ path: arg, bytes: out, rule });
      if (check.findings.some((f) => f.severity === "error")) {
        throw new GuardError("the encrypted result does not satisfy the rule; nothing was written");
      }
      await writeAtomic(abs, out);
      lines.push(`✔ ${arg}: encrypted with creation_rules[${rule.index}] (${engine.name} engine)`);
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
