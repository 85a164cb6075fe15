/**
 * `secret-guard updatekeys [PATH...] [--dry-run]`: after the age keys of a
 * creation rule change, re-wrap each covered encrypted file's data key for the
 * rule's current recipients (src/crypto/rekey.ts). Values, MAC and
 * lastmodified are untouched; writes are atomic. Default: every tracked file
 * covered by a rule that carries sops metadata. `--rotate`: a new data key for each file,
 * every value re-encrypted and the MAC recomputed (src/crypto/rotate.ts, as `sops rotate`).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, GitError, GuardError } from "../errors.js";
import { loadPolicy, ruleFor } from "../policy/index.js";
import type { Report } from "../report/types.js";
import { looksSopsEncrypted } from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import { ParseError } from "../sops/tree.js";
import type { Finding } from "../types.js";
import { VERSION } from "../version.js";
import { type CommandResult, type Io, type ParsedArgs, useColor } from "./context.js";

type Status = "updated" | "would-update" | "up-to-date" | "failed" | "skipped";

interface FileOutcome {
  path: string;
  status: Status;
  added: string[];
  removed: string[];
  reason?: string;
}

export async function updatekeysCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const dryRun = v["dry-run"] === true;
  const rotating = v.rotate === true;
  const policy = loadPolicy({
    cwd,
    configPath: typeof v.config === "string" ? v.config : undefined,
    env: io.env,
  });
  if (!policy?.hasCreationRules) {
    throw new ConfigError(
      policy
        ? `${policy.configPath} has no creation_rules: no recipients to update to`
        : "no .sops.yaml found from here upward: updatekeys needs the creation rules",
      "run it inside the repository, or pass --config FILE",
    );
  }
  const files: Array<{ path: string; abs: string; named: boolean }> = [];
  if (args.positionals.length > 0) {
    const { pathFiles } = await import("../sources/index.js");
    const list = await pathFiles(cwd, args.positionals);
    const named = new Set(args.positionals.map((p) => path.resolve(cwd, p)));
    for (const f of list.files)
      files.push({ path: f.path, abs: f.absPath, named: named.has(f.absPath) });
    await list.close();
  } else {
    const { repoInfo } = await import("../git/repo.js");
    const { lsFiles } = await import("../git/tree.js");
    const info = await repoInfo(cwd, { env: io.env });
    const listed = await lsFiles(info.topLevel, io.env);
    if (!listed) throw new GitError("git ls-files failed");
    for (const rel of listed) {
      files.push({ path: rel, abs: path.join(info.topLevel, ...rel.split("/")), named: false });
    }
  }

  const { rekey, planRekey } = await import("../crypto/rekey.js");
  const { parseFile } = await import("../sops/parse.js");
  let identities: string[] = [];
  if (!dryRun) {
    const { loadIdentities } = await import("../crypto/identities.js");
    identities = (await loadIdentities(io.env)).identities;
  }
  const outcomes: FileOutcome[] = [];
  for (const f of files) {
    const rule = ruleFor(policy, f.abs);
    if (!rule) {
      if (f.named)
        outcomes.push({ ...base(f.path, "skipped"), reason: "no creation rule covers it" });
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(f.abs);
    } catch (e) {
      if (f.named || (e as NodeJS.ErrnoException).code !== "ENOENT")
        outcomes.push({
          ...base(f.path, "failed"),
          reason: `cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`,
        });
      continue;
    }
    const format = formatForPath(f.path);
    if (!looksSopsEncrypted(bytes, format)) {
      if (f.named) outcomes.push({ ...base(f.path, "skipped"), reason: "not sops-encrypted" });
      continue;
    }
    try {
      if (dryRun) {
        const plan = planRekey(parseFile(bytes, format), rule);
        const changes = rotating || plan.added.length + plan.removed.length > 0;
        outcomes.push({
          path: f.path,
          status: changes ? "would-update" : "up-to-date",
          added: plan.added,
          removed: plan.removed,
        });
        continue;
      }
      const { plan, out } = rotating
        ? await (await import("../crypto/rotate.js")).rotate(bytes, format, rule, identities)
        : await rekey(bytes, format, rule, identities);
      if (out) {
        const { writeAtomic } = await import("../fsutil.js");
        await writeAtomic(f.abs, out);
      }
      outcomes.push({
        path: f.path,
        status: out ? "updated" : "up-to-date",
        added: plan.added,
        removed: plan.removed,
      });
    } catch (e) {
      if (!(e instanceof GuardError) && !(e instanceof ParseError)) throw e;
      outcomes.push({ ...base(f.path, "failed"), reason: e.message.split("\n")[0] });
    }
  }

  const count = (s: Status) => outcomes.filter((o) => o.status === s).length;
  const summary = {
    files: outcomes.length,
    updated: count("updated"),
    wouldUpdate: count("would-update"),
    upToDate: count("up-to-date"),
    failed: count("failed"),
    skipped: count("skipped"),
  };
  const format = (v.format as string | undefined) ?? "text";
  let output: string;
  if (format === "json") {
    output = `${JSON.stringify({ tool: "secret-guard", version: VERSION, mode: "updatekeys", dryRun, files: outcomes, summary }, null, 2)}\n`;
  } else if (format === "sarif") {
    const findings: Finding[] = outcomes
      .filter((o) => o.status === "failed" || o.status === "would-update")
      .map((o) => ({
        rule: o.status === "failed" ? "decrypt-failed" : "recipient-mismatch",
        severity: o.status === "failed" ? "error" : "warning",
        path: o.path,
        message:
          o.status === "failed"
            ? `updatekeys failed: ${o.reason}`
            : `not encrypted for the rule's recipients${describe(o)}`,
      }));
    const report: Report = {
      tool: "secret-guard",
      version: VERSION,
      mode: "updatekeys",
      findings,
      summary: {
        filesScanned: outcomes.length,
        errors: findings.filter((x) => x.severity === "error").length,
        warnings: findings.filter((x) => x.severity === "warning").length,
      },
    };
    const { formatSarif } = await import("../report/sarif.js");
    output = formatSarif(report, { toolVersion: VERSION });
  } else {
    const color = useColor(v, { ...io, isTTY: v.output ? false : io.isTTY });
    output = text(outcomes, summary, dryRun, color, rotating);
  }
  return { exitCode: summary.failed > 0 ? 1 : 0, output };
}

function base(p: string, status: Status): FileOutcome {
  return { path: p, status, added: [], removed: [] };
}

function describe(o: FileOutcome): string {
  const parts = [...o.added.map((r) => `+ ${r}`), ...o.removed.map((r) => `- ${r}`)];
  return parts.length ? `: ${parts.join("  ")}` : "";
}

function text(
  outcomes: FileOutcome[],
  s: { updated: number; wouldUpdate: number; upToDate: number; failed: number; skipped: number },
  dryRun: boolean,
  c: boolean,
  rotating = false,
): string {
  const paint = (code: string, x: string) => (c ? `\u001b[${code}m${x}\u001b[0m` : x);
  const lines: string[] = [];
  for (const o of outcomes) {
    switch (o.status) {
      case "updated":
        lines.push(
          `${paint("32", "✔")} ${o.path}: ${rotating ? "rotated: a new data key, every value re-encrypted, MAC recomputed" : "re-wrapped"}${describe(o)}`,
        );
        break;
      case "would-update":
        lines.push(`• ${o.path}: would ${rotating ? "rotate" : "re-wrap"}${describe(o)}`);
        break;
      case "up-to-date":
        lines.push(`  ${o.path}: up to date`);
        break;
      case "skipped":
        lines.push(`  ${o.path}: skipped (${o.reason})`);
        break;
      case "failed":
        lines.push(`${paint("31", "✖")} ${o.path}: not updated: ${o.reason}`);
        break;
    }
  }
  const parts = dryRun
    ? [`${s.wouldUpdate} file${s.wouldUpdate === 1 ? "" : "s"} to update`]
    : [`${s.updated} file${s.updated === 1 ? "" : "s"} updated`];
  parts.push(`${s.upToDate} up to date`);
  if (s.failed) parts.push(`${s.failed} failed`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  if (lines.length === 0) lines.push("no sops-encrypted file covered by a creation rule");
  lines.push(
    `${s.failed ? "✖" : "✔"} ${parts.join(", ")}${dryRun ? " (dry run: nothing written)" : ""}`,
  );
  if (!dryRun && s.updated > 0)
    lines.push(
      rotating
        ? "The values are the same, encrypted under a new data key; commit, and rotate the exposed values themselves too."
        : "Values, MAC and lastmodified are unchanged; review with `git diff` and commit.",
    );
  return `${lines.join("\n")}\n`;
}
