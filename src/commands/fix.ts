/**
 * The auto-encrypt fix. In staged mode it encrypts exactly the staged content
 * and writes the result into the index git is using (GIT_INDEX_FILE), and
 * into the default index too when git committed through a temporary one
 * (`git commit -a`, `git commit PATH`). The working copy is rewritten only
 * where it equalled the staged content. A partially-encrypted file keeps its
 * ENC values: only its plaintext values are encrypted, under its own data key,
 * which a local age identity must open.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ScanResult } from "../check/pipeline.js";
import { judge } from "../core/judge.js";
import { CryptoError, GitError, GuardError } from "../errors.js";
import { updateIndexEntry, writeBlob } from "../git/stage.js";
import { formatForPath } from "../sops/formats.js";
import type { Finding } from "../types.js";

const FIXABLE = new Set(["unencrypted", "encryption-removed", "partially-encrypted"]);

export interface FixOutcome {
  fixed: string[];
  failed: Array<{ path: string; reason: string }>;
  notes: string[];
  /** Findings that remain after the fix. */
  findings: Finding[];
}

export async function fixScan(
  result: ScanResult,
  opts: { engine: string; env: NodeJS.ProcessEnv; staged: boolean },
): Promise<FixOutcome> {
  const { pickEngine } = await import("../crypto/engine.js");
  const out: FixOutcome = { fixed: [], failed: [], notes: [], findings: [] };
  const policy = result.policy;
  const targets = result.sources.filter(
    (s) =>
      s.rule &&
      s.judgement.findings.some((f) => f.fixable && FIXABLE.has(f.rule) && f.severity === "error"),
  );
  const targetPaths = new Set(targets.map((t) => t.file.path));
  out.findings = result.findings.filter((f) => !targetPaths.has(f.path));
  if (targets.length === 0 || !targets.every((t) => t.policy ?? policy)) return out;
  if (opts.staged && result.topLevel && !opts.env.GIT_INDEX_FILE) {
    // Outside a commit, a held index.lock means another git process is at work: touch nothing.
    const { absoluteGitDir } = await import("../git/repo.js");
    const { existsSync } = await import("node:fs");
    const gitDir = await absoluteGitDir(result.topLevel, opts.env);
    if (existsSync(path.join(gitDir, "index.lock"))) {
      throw new GitError(
        "another git process holds .git/index.lock; nothing was changed",
        "wait for it to finish (or remove a stale .git/index.lock), then run the fix again",
      );
    }
  }
  const engine = await pickEngine(opts.engine as "auto", opts.env, result.topLevel);
  let identities: string[] | undefined;
  for (const t of targets) {
    const { file, rule, judgement } = t;
    try {
      const bytes = t.bytes ?? (await readFile(file.absPath));
      let existingDataKey: Buffer | undefined;
      if (judgement.hasMetadata) {
        const { loadIdentities } = await import("../crypto/identities.js");
        const { decryptFile } = await import("../crypto/decrypt.js");
        identities ??= (await loadIdentities(opts.env)).identities;
        const d = await decryptFile(bytes, formatForPath(file.path), identities);
        if (!d.dataKey) {
          // A broken block is not a missing key: say which it is.
          const why =
            d.problem === "no-identity-matched" || !d.detail
              ? "no local age identity opens it"
              : d.detail;
          throw new CryptoError(
            `it is partially encrypted and ${why}: add the value with \`sops edit\` instead`,
          );
        }
        existingDataKey = d.dataKey;
      }
      const eng = existingDataKey
        ? await (await import("../crypto/engine.js")).nativeEngine()
        : engine;
      const encrypted = await eng.encrypt({
        bytes,
        absPath: file.absPath,
        format: formatForPath(file.path),
        rule: rule!,
        configPath: (t.policy ?? policy)!.configPath,
        existingDataKey,
      });
      const after = judge({ path: file.path, bytes: encrypted, rule });
      if (after.findings.some((f) => f.severity === "error" && FIXABLE.has(f.rule))) {
        throw new CryptoError(
          "the encrypted result still has plaintext values; nothing was written",
        );
      }
      const { failpoint, writeAtomic } = await import("../fsutil.js");
      if (opts.staged && result.topLevel) {
        const top = result.topLevel;
        const blobId = await writeBlob(top, encrypted, opts.env);
        failpoint("before-index");
        const entry = { mode: file.mode ?? "100644", blobId, path: file.path };
        await updateIndexEntry(top, entry, opts.env);
        const defaultIndex = await defaultIndexIfTemporary(top, opts.env);
        if (defaultIndex)
          await updateIndexEntry(top, entry, { ...opts.env, GIT_INDEX_FILE: defaultIndex });
        let onDisk: Buffer | undefined;
        try {
          onDisk = await readFile(file.absPath);
        } catch {
          onDisk = undefined;
        }
        if (onDisk?.equals(bytes)) {
          await writeAtomic(file.absPath, encrypted);
        } else {
          out.notes.push(
            `note: ${file.path}: the working copy differs from what was staged, so it was left as it is (the encrypted version is staged)`,
          );
        }
      } else {
        await writeAtomic(file.absPath, encrypted);
      }
      out.fixed.push(file.path);
      out.findings.push(...after.findings);
    } catch (e) {
      const reason =
        e instanceof GuardError ? e.message : `unexpected error (${(e as Error)?.name ?? "Error"})`;
      out.failed.push({ path: file.path, reason });
      out.findings.push(...judgement.findings);
    }
  }
  if (engine.name === "sops") {
    const { overriddenVars } = await import("../crypto/engine.js");
    const vars = overriddenVars(opts.env);
    if (vars.length)
      out.notes.push(`note: ignored ${vars.join(", ")} so that the rule's keys are used`);
  }
  return out;
}

/**
 * The other index to keep in step when git committed through a temporary
 * one. `git commit -a` points GIT_INDEX_FILE at .git/index.lock, which becomes
 * the index afterwards: nothing more to do. `git commit PATH` points it at a
 * temporary next-index and holds the future index in .git/index.lock: update
 * that one too. A user's own GIT_INDEX_FILE leaves the default index alone.
 */
async function defaultIndexIfTemporary(
  top: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const active = env.GIT_INDEX_FILE;
  if (!active) return undefined;
  const { absoluteGitDir } = await import("../git/repo.js");
  const gitDir = await absoluteGitDir(top, env);
  const activeAbs = path.resolve(top, active);
  const lock = path.join(gitDir, "index.lock");
  if (activeAbs === path.join(gitDir, "index") || activeAbs === lock) return undefined;
  const { existsSync } = await import("node:fs");
  return existsSync(lock) ? lock : undefined;
}
