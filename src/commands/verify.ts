import path from "node:path";
import { diskConfigs } from "../check/configs.js";
import { checkFile } from "../check/file.js";
import { applySeverity } from "../check/settings.js";
import { CryptoError } from "../errors.js";
import { ruleFor } from "../policy/index.js";
import { looksSopsEncrypted } from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import type { Finding } from "../types.js";
import { VERSION } from "../version.js";
import type { CommandResult, Io, ParsedArgs } from "./context.js";
import { renderReport } from "./output.js";

export async function verifyCommand(args: ParsedArgs, io: Io): Promise<CommandResult> {
  const v = args.values;
  const cwd = path.resolve(io.cwd, typeof v.cwd === "string" ? v.cwd : ".");
  const { loadIdentities, loadIdentityFile } = await import("../crypto/identities.js");
  const { decryptFile, openDataKey } = await import("../crypto/decrypt.js");
  const { recipientOf } = await import("../crypto/age.js");
  const identityFile =
    typeof v.identity === "string" ? path.resolve(io.cwd, v.identity) : undefined;
  const ids = identityFile ? await loadIdentityFile(identityFile) : await loadIdentities(io.env);
  if (ids.identities.length === 0) {
    throw new CryptoError(
      "no age identity found (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD or ~/.config/sops/age/keys.txt)",
      "point SOPS_AGE_KEY_FILE at the key the cluster uses, e.g. SOPS_AGE_KEY_FILE=./age.agekey secret-guard verify",
    );
  }
  const { repoInfo } = await import("../git/repo.js");
  const top = await repoInfo(cwd, { env: io.env }).then(
    (r) => r.topLevel,
    () => undefined,
  );
  // verify judges like scan: the same policy and .secret-guard.yaml (ignore, allow, severity).
  const configs = await diskConfigs({
    cwd,
    topLevel: top,
    configPath: typeof v.config === "string" ? v.config : undefined,
    env: io.env,
  });
  const { policy, settings } = configs;
  const files: Array<{ path: string; abs: string; read: () => Promise<Buffer> }> = [];
  if (args.positionals.length > 0) {
    const { pathFiles } = await import("../sources/index.js");
    const list = await pathFiles(cwd, args.positionals);
    for (const f of list.files)
      if (!settings.isIgnored(f.path))
        files.push({ path: f.path, abs: f.absPath, read: () => f.read() });
    await list.close();
  } else {
    // The tracked files covered by a rule: their staged (index) content, or with --worktree
    // the files on disk.
    const { allFiles } = await import("../sources/index.js");
    const list = await allFiles(cwd, { env: io.env });
    const { readFile } = await import("node:fs/promises");
    for (const f of list.files) {
      const covered = policy?.hasCreationRules && ruleFor(policy, f.absPath);
      if (covered && !settings.isIgnored(f.path))
        files.push({
          path: f.path,
          abs: f.absPath,
          read: v.worktree === true ? () => readFile(f.absPath) : () => f.read(),
        });
    }
    // read them now, while the cat-file process is open
    const bytes = await Promise.all(files.map((f) => f.read()));
    files.forEach((f, i) => {
      f.read = async () => bytes[i]!;
    });
    await list.close();
  }
  const readFrom =
    args.positionals.length > 0
      ? "the files named, as they are on disk"
      : v.worktree === true
        ? "the tracked files covered by a rule, as they are on disk (--worktree)"
        : "the tracked files covered by a rule, as the index has them (staged content; --worktree reads the files on disk)";
  const findings: Finding[] = [];
  const lines: string[] = [];
  let checked = 0;
  for (const f of files) {
    const bytes = await f.read();
    const format = formatForPath(f.path);
    const rule = policy?.hasCreationRules ? ruleFor(policy, f.abs) : undefined;
    const j = checkFile({ path: f.path, bytes, rule }, settings);
    findings.push(...j.findings);
    // A value that is not an exact ENC marker (text around it, padding) is plaintext to sops
    // and Flux: the file is reported by those findings, never as "MAC verified".
    const judgedHere = applySeverity([...j.findings], settings).filter(
      (x) => x.severity === "error",
    );
    if (!looksSopsEncrypted(bytes, format)) continue;
    checked++;
    let r: Awaited<ReturnType<typeof decryptFile>>;
    try {
      r = await decryptFile(bytes, format, ids.identities);
    } catch {
      findings.push({
        rule: "decrypt-failed",
        severity: "error",
        path: f.path,
        message: "the file cannot be parsed as a sops file",
      });
      continue;
    }
    if (r.ok) {
      // which identity opened it: its public recipient, never the key itself
      let opener = "a local identity";
      if (r.meta) {
        for (const id of ids.identities) {
          if (await openDataKey(r.meta, [id])) {
            opener = await recipientOf(id).catch(() => "a local identity");
            break;
          }
        }
      }
      if (judgedHere.length > 0) {
        lines.push(
          `✖ ${f.path}: opened by ${opener}, but not verified: ${[...new Set(judgedHere.map((x) => x.rule))].join(", ")} (see above)`,
        );
        continue;
      }
      lines.push(
        `✔ ${f.path}: opened by ${opener}, MAC verified, ${r.leaves.filter((l) => l.encrypted).length} encrypted value(s)`,
      );
      continue;
    }
    if (r.problem === "mac-mismatch" || r.problem === "no-mac") {
      findings.push({
        rule: "mac-mismatch",
        severity: "error",
        path: f.path,
        message: `${r.detail ?? "MAC mismatch"}: sops refuses this file (Flux does not check the MAC, but the file was edited by hand)`,
      });
    } else {
      findings.push({
        rule: "decrypt-failed",
        severity: "error",
        path: f.path,
        message:
          r.problem === "no-identity-matched"
            ? `no local age identity opens it (encrypted for ${r.recipients.join(", ")}): a cluster holding only these keys would fail to decrypt`
            : `cannot be decrypted: ${r.detail ?? r.problem}`,
      });
    }
  }
  const judged = applySeverity([...findings], settings);
  findings.splice(0, findings.length, ...judged);
  const errors = findings.filter((x) => x.severity === "error").length;
  const report = {
    tool: "secret-guard" as const,
    version: VERSION,
    mode: "verify",
    findings,
    summary: { filesScanned: files.length, errors, warnings: findings.length - errors },
    notes: [
      `read: ${readFrom}`,
      ...lines,
      `identities from: ${ids.sources.join(", ")}`,
      ...(checked === 0 ? ["note: no encrypted file to verify"] : []),
    ],
  };
  return { exitCode: errors > 0 ? 1 : 0, output: await renderReport(report, args, io) };
}
