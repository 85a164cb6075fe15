/**
 * The pipeline: "judge these files as the guard would". Sources (staged,
 * --all, --range, PATH) → the policy and settings of that file (on disk, or
 * of the commit that introduced it) → checkFile → findings. `scan`, the hooks,
 * `--fix` and the library all run through scanRepo; `verify`, `explain` and
 * `history` judge through the same checkFile and configs.
 */

import path from "node:path";
import type { Judgement } from "../core/judge.js";
import type { GeneratorSource } from "../core/types.js";
import type { BlobReader } from "../git/catfile.js";
import type { RepoInfo } from "../git/repo.js";
import { ruleFor } from "../policy/index.js";
import { formatForPath } from "../sops/formats.js";
import type { RefUpdate } from "../sources/push.js";
import type { LinkProblem, SkippedPath, SourceFile, SourceList } from "../sources/types.js";
import type { CreationRule, Finding, Policy } from "../types.js";
import { type CacheOptions, cacheMinFiles, openVerdictCache, type VerdictInput } from "./cache.js";
import {
  CommitConfigs,
  type Configs,
  candidatesFor,
  diskConfigs,
  FolderPolicies,
} from "./configs.js";
import { checkFile, prepareSettings, type Settings } from "./file.js";
import {
  ancestorDirs,
  builtinGeneratorSources,
  generatorSources,
  isKustomization,
  isSource,
  KUSTOMIZATION_NAMES,
} from "./generators.js";
import { pairDecryptedCopies } from "./moved.js";
import {
  EMPTY_CONFIG,
  parseGuardConfig,
  CONFIG_NAME as SETTINGS_NAME,
  settingsLoosening,
} from "./settings.js";

export type ScanMode = "staged" | "all" | "range" | "paths" | "push" | "receive";

/** Modes that judge commits, each with its own policy (per-commit configs). */
export function judgesCommits(mode: ScanMode): boolean {
  return mode === "range" || mode === "push" || mode === "receive";
}

export interface ScanOptions {
  cwd: string;
  mode: ScanMode;
  paths?: string[];
  range?: string;
  /** push / receive: the ref updates git gave the hook on stdin. */
  refs?: RefUpdate[];
  /** push: the remote's name (or URL), the pre-push hook's first argument. */
  remote?: string;
  /** Explicit `.sops.yaml` (else found as sops finds it; in a range, each commit's own). */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Log what the guard does (never a value). */
  debug?: (line: string) => void;
  /** Called for every file judged, clean or not (e.g. to collect the encrypted Secrets). */
  onJudged?: (file: SourceFile, bytes: Buffer, judgement: Judgement) => void;
  /**
   * Reuse clean verdicts of identical git content (src/check/cache.ts) in every mode that
   * reads git blobs (staged, all, range, push, receive); never for PATH files. Off unless asked for; SECRET_GUARD_NO_CACHE=1 turns it off.
   */
  cache?: boolean | CacheOptions;
}

export interface ScanResult {
  mode: ScanMode;
  /** The policy on disk (staged, --all, PATH); in a range, the one of the last commit judged. */
  policy?: Policy;
  topLevel?: string;
  /** Where the repository is, when the source asked git (staged, --all). */
  repo?: RepoInfo;
  /** Judgements of the files with findings (clean files are only counted in filesScanned). */
  judgements: Judgement[];
  findings: Finding[];
  filesScanned: number;
  /** Files not judged, with the reason (symlinks, submodules, ignored by .secret-guard.yaml). */
  skipped: Array<{ path: string; reason: SkippedPath["reason"] | "ignored" }>;
  /** Files judged with findings, with their source and rule, for --fix. */
  sources: Array<{
    file: SourceFile;
    judgement: Judgement;
    rule?: CreationRule;
    /** The policy that judged it (per-folder policies: not always `policy`). */
    policy?: Policy;
    bytes?: Buffer;
  }>;
  warnings: string[];
}

/** Blobs requested ahead through the one cat-file process, topped up in batches (one write each). */
const READ_AHEAD = 256;
const REFILL = 128;
/**
 * Files read only to be sniffed (any name, maybe a large binary): about this many bytes in
 * flight at most, by the sizes the index recorded (SourceFile.sizeHint); a file of unknown
 * size counts as SNIFF_UNKNOWN, so at most 8 of those. The next ones are asked for once half
 * the budget is free (one write for many files, not one per file).
 */
const SNIFF_BYTES = 8 * 1024 * 1024;
/** Files judged between two turns of the event loop (see the judging loop). */
const YIELD_EVERY = 32;
const SNIFF_UNKNOWN = SNIFF_BYTES / 8;

/**
 * The contents of `items`, taken in order (`at(0)`, `at(1)`, …) through the one cat-file
 * process: READ_AHEAD asked ahead, topped up REFILL at a time (one write each), so neither a
 * round trip per file nor every file in memory at once.
 */
function readInOrder<T>(items: readonly T[], read: (item: T) => Promise<Buffer>) {
  const pending: Array<Promise<Buffer> | undefined> = [];
  let requested = 0;
  const top = (upTo: number) => {
    for (; requested < Math.min(upTo, items.length); requested++) {
      const p = read(items[requested]!);
      // Awaited in its turn below; a failure before then is not an unhandled rejection.
      p.catch(() => {});
      pending[requested] = p;
    }
  };
  return async (i: number): Promise<Buffer> => {
    if (requested - i < READ_AHEAD - REFILL) top(i + READ_AHEAD);
    const p = pending[i]!;
    pending[i] = undefined;
    return p;
  };
}

/** Listed files from which a scan calls the large-scan hook (useLargeScanHook). */
export const LARGE_SCAN_FILES = 20_000;
let largeScan: (() => Promise<void> | void) | undefined;

/**
 * Something to do once before judging a scan of LARGE_SCAN_FILES files or more (the command
 * line tunes the garbage collector there, see cli/entry.ts; the library sets nothing).
 */
export function useLargeScanHook(fn: (() => Promise<void> | void) | undefined): void {
  largeScan = fn;
}

/** Scan files and judge them: the library entry point behind `scan` and the hooks. */
export async function scanRepo(opts: ScanOptions): Promise<ScanResult> {
  const env = opts.env ?? process.env;
  const debug = opts.debug ?? (() => {});
  const t0 = Date.now();
  const sources = await listSources(opts);
  if (largeScan && sources.files.length >= LARGE_SCAN_FILES) {
    const hook = largeScan;
    largeScan = undefined;
    try {
      await hook();
    } catch {
      // tuning only: the scan is the same without it
    }
  }
  debug(`listed ${sources.files.length} file(s) (${opts.mode}) in ${Date.now() - t0} ms`);
  const result: ScanResult = {
    mode: opts.mode,
    topLevel: sources.topLevel,
    ...(sources.repo ? { repo: sources.repo } : {}),
    judgements: [],
    findings: [],
    filesScanned: 0,
    skipped: sources.skipped.map((s) => ({ path: s.path, reason: s.reason })),
    sources: [],
    warnings: [],
  };
  try {
    if (opts.mode === "staged") await pairDecryptedCopies(sources, debug);
    let configsOf: (file: SourceFile) => Promise<Configs>;
    let folders: FolderPolicies | undefined;
    if (judgesCommits(opts.mode)) {
      const reader = sources.reader;
      if (!reader || !sources.topLevel) throw new Error("range source without a reader");
      const perCommit = new CommitConfigs({
        topLevel: sources.topLevel,
        cwd: opts.cwd,
        reader,
        configPath: opts.configPath,
        env,
      });
      configsOf = (file) => perCommit.at(file.commit ?? "HEAD");
      result.warnings.push(...(await policyChanges(sources.files, perCommit)));
      const last = sources.files.at(-1);
      if (last?.commit) result.policy = (await perCommit.at(last.commit)).policy;
      result.warnings.push(...perCommit.warnings);
    } else {
      const disk = await diskConfigs({
        cwd: opts.cwd,
        topLevel: sources.topLevel,
        configPath: opts.configPath,
        env,
      });
      if (opts.mode === "staged" && sources.reader && sources.topLevel) {
        // Staged means the index: the .secret-guard.yaml that judges a commit is the one being
        // committed, never an untracked or unstaged copy on disk that would loosen the guard.
        const staged = await stagedSettings(sources.reader, sources.topLevel, opts.cwd);
        if (staged.source !== disk.settingsSource)
          debug(
            `settings from the index: ${staged.source ?? "none"} (disk: ${disk.settingsSource ?? "none"})`,
          );
        disk.settings = staged.settings;
        disk.settingsSource = staged.source;
      }
      debug(`policy: ${disk.policySource ?? "none"}; settings: ${disk.settingsSource ?? "none"}`);
      result.policy = disk.policy;
      result.warnings.push(...(disk.policy?.warnings ?? []));
      configsOf = async () => disk;
      // Per-folder policies below the working directory (none with --config / SOPS_CONFIG).
      const top = sources.topLevel;
      if (!opts.configPath && !env.SOPS_CONFIG && top) {
        const index = sources.indexConfigs ? await sources.indexConfigs() : undefined;
        let cwdRel = path.relative(top, path.resolve(opts.cwd)).split(path.sep).join("/");
        if (cwdRel.startsWith("..")) cwdRel = "";
        if (opts.mode === "paths" || (await FolderPolicies.needed(index, cwdRel))) {
          folders = new FolderPolicies({
            topLevel: top,
            cwd: opts.cwd,
            base: disk,
            index,
            reader: sources.reader,
          });
          const f = folders;
          configsOf = (file) => f.for(file.path);
        }
      }
      if (opts.mode === "staged" && disk.policy?.hasCreationRules) {
        await addPolicyCovered(sources, disk.policy, opts, debug);
      }
    }

    const work: WorkItem[] = [];
    for (const file of sources.files) {
      const configs = await configsOf(file);
      if (configs.settings.isIgnored(file.path)) {
        result.skipped.push({ path: file.path, reason: "ignored" });
        continue;
      }
      const policy = configs.policy;
      const rule = policy?.hasCreationRules ? ruleFor(policy, file.absPath) : undefined;
      if (file.link?.problem) {
        // A link to nothing in its tree: nothing to judge, unless a rule says what is there must be encrypted.
        if (!rule) {
          result.skipped.push({ path: file.path, reason: "symlink" });
          continue;
        }
        const judgement = brokenLinkJudgement(file.path, file.link.problem);
        result.filesScanned++;
        result.judgements.push(judgement);
        result.findings.push(...judgement.findings);
        result.sources.push({ file, judgement, rule, ...(policy ? { policy } : {}) });
        continue;
      }
      work.push({ file, configs, rule });
    }
    const gens = await findGeneratorSources(opts.mode, work, sources.reader, configsOf, result);
    result.filesScanned += work.length;
    if (folders) for (const w of folders.warnings) result.warnings.push(w);
    // Every file is read: kustomize applies a file of any name a kustomization lists, so one
    // that is neither YAML nor JSON by name is still sniffed for a Secret (core/analyze.ts).
    // Those read only to be sniffed come last, a few at a time: memory stays bounded.
    const named = ({ file, rule }: WorkItem) => {
      const format = formatForPath(file.path);
      return (
        rule !== undefined ||
        format === "yaml" ||
        format === "json" ||
        file.headBlobId !== undefined ||
        gens.has(genKey(file)) ||
        isKustomization(file.path)
      );
    };
    const relevant = [...work.filter(named), ...work.filter((w) => !named(w))];
    const cache =
      opts.cache &&
      opts.mode !== "paths" &&
      sources.topLevel &&
      relevant.length >= cacheMinFiles(env)
        ? await openVerdictCache(sources.topLevel, env, {
            ...(typeof opts.cache === "object" ? opts.cache : {}),
            ...(sources.commonDir ? { commonDir: sources.commonDir } : {}),
            debug,
          })
        : undefined;
    if (opts.cache && !cache && relevant.length < cacheMinFiles(env))
      debug(`verdict cache: not used for ${relevant.length} file(s) (< ${cacheMinFiles(env)})`);
    // Content-addressed inputs only: a file with no blob id (read from disk) is never cached.
    const verdictOf = (w: WorkItem): VerdictInput | undefined => {
      if (w.verdict === undefined && w.file.blobId !== undefined) {
        w.verdict = {
          blob: w.file.blobId,
          path: w.file.path,
          rule: w.rule,
          settings: w.configs.settings,
          headBlob: w.file.headBlobId,
          link: gens.get(genKey(w.file)),
        };
      }
      return w.verdict;
    };
    const cachedEncrypted: SourceFile[] = [];
    const toJudge = relevant.filter((w) => {
      const v = cache && verdictOf(w);
      const hit = v ? cache.lookup(v) : undefined;
      if (!hit) return true;
      // A caller that looks at every judged file (the kustomization coverage check looks at the
      // encrypted Secrets) still hears of the cached encrypted ones, after the loop.
      if (opts.onJudged && hit === "clean-encrypted") cachedEncrypted.push(w.file);
      debug(`cached clean: ${w.file.path}${w.file.commit ? `@${w.file.commit.slice(0, 12)}` : ""}`);
      return false;
    });
    // Read ahead a bounded number of blobs through the one cat-file process, HEAD's blob of a
    // modified file in the same batch as the staged one (no round trip per file).
    const pending: Array<Promise<Buffer> | undefined> = [];
    const pendingHead: Array<Promise<Buffer> | undefined> = [];
    let requested = 0;
    let firstSniff = toJudge.findIndex((w) => !named(w));
    if (firstSniff === -1) firstSniff = toJudge.length;
    // Sniffed files asked for and not yet judged: their counted bytes; whether the budget stopped a request.
    let sniffBytes = 0;
    let sniffFull = false;
    const sniffCost: number[] = [];
    const request = (upTo: number, at: number) => {
      sniffFull = false;
      for (; requested < Math.min(upTo, toJudge.length); requested++) {
        const file = toJudge[requested]!.file;
        if (requested >= firstSniff) {
          const cost =
            (file.sizeHint === undefined ? SNIFF_UNKNOWN : Math.max(file.sizeHint, 1)) *
            (file.readHead ? 2 : 1);
          // The file judged next is always asked for, whatever its size.
          if (requested > at && sniffBytes + cost > SNIFF_BYTES) {
            sniffFull = true;
            break;
          }
          sniffBytes += cost;
          sniffCost[requested] = cost;
        }
        pending[requested] = file.read();
        if (file.readHead) {
          const head = file.readHead();
          // Awaited in its turn; a failure before then is not an unhandled rejection.
          head.catch(() => {});
          pendingHead[requested] = head;
        }
      }
    };
    request(READ_AHEAD, 0);
    for (let i = 0; i < toJudge.length; i++) {
      if (
        requested === i ||
        requested - i < READ_AHEAD - REFILL ||
        (sniffFull && sniffBytes <= SNIFF_BYTES / 2)
      )
        request(i + READ_AHEAD, i);
      // Blobs already read resolve as microtasks, which never let Node read the pipe: git would
      // fill it and wait for us, then we for it. A turn of the event loop now and then keeps
      // both running.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
      const { file, rule, configs } = toJudge[i]!;
      const bytes = await pending[i]!;
      pending[i] = undefined;
      if (i >= firstSniff) sniffBytes -= sniffCost[i]!;
      // encryption-removed needs no rule: any store's encrypted HEAD against a plaintext copy.
      // Read whatever the staged text looks like: marker text (a nested "sops" key) is no
      // sops block, and the judgement decides on the parsed one.
      const headBytes = pendingHead[i] ? await pendingHead[i] : undefined;
      pendingHead[i] = undefined;
      const generatorSource = gens.get(genKey(file));
      const judgement = checkFile(
        {
          path: file.path,
          bytes,
          rule,
          headBytes,
          ...(headBytes && file.oldPath ? { headPath: file.oldPath } : {}),
          ...(generatorSource ? { generatorSource } : {}),
        },
        configs.settings,
      );
      debug(
        `judged ${file.path}${file.commit ? `@${file.commit.slice(0, 12)}` : ""}: ${rule ? `creation_rules[${rule.index}]` : "no rule"}, ${judgement.findings.length} finding(s)`,
      );
      // A link's findings are fixed in the file it points at, never through the link.
      if (file.link) for (const f of judgement.findings) f.fixable = false;
      opts.onJudged?.(file, bytes, judgement);
      // Clean files are counted, not kept: a 50,000-file scan holds only what it reports.
      if (judgement.findings.length === 0) {
        const v = cache && verdictOf(toJudge[i]!);
        if (v) cache.rememberClean(v, bytes, judgement.findings);
        continue;
      }
      result.judgements.push(judgement);
      result.findings.push(...judgement.findings);
      // Content is kept only where a fix may need it (the cat-file process is closed afterwards).
      const keep = judgement.findings.some((f) => f.fixable);
      result.sources.push({
        file,
        judgement,
        rule,
        ...(configs.policy ? { policy: configs.policy } : {}),
        ...(keep ? { bytes } : {}),
      });
    }
    const encryptedBytes = readInOrder(cachedEncrypted, (f) => f.read());
    for (let i = 0; i < cachedEncrypted.length; i++) {
      const file = cachedEncrypted[i]!;
      const bytes = await encryptedBytes(i);
      opts.onJudged?.(file, bytes, {
        path: file.path,
        format: formatForPath(file.path),
        findings: [],
        parsed: true,
        hasMetadata: true,
        mustEncrypt: [],
      } as unknown as Judgement);
    }
    if (cache) {
      cache.save();
      debug(cache.summary());
    }
  } finally {
    await sources.close();
  }
  debug(`done in ${Date.now() - t0} ms`);
  return result;
}

/**
 * A commit that changes the policy is judged by it: when the staged files include the
 * `.sops.yaml` in force, every other file of the index that a creation rule covers is judged
 * too (e.g. files still encrypted for the recipients the change removed: recipient-mismatch).
 */
async function addPolicyCovered(
  sources: SourceList,
  policy: Policy,
  opts: ScanOptions,
  debug: (line: string) => void,
): Promise<void> {
  const top = sources.topLevel;
  if (!top || !policy.configPath) return;
  const rel = path.relative(top, policy.configPath).split(path.sep).join("/");
  if (!sources.files.some((f) => f.path === rel)) return;
  const { allFiles } = await import("../sources/index.js");
  const all = await allFiles(opts.cwd, { env: opts.env });
  const have = new Set(sources.files.map((f) => f.path));
  let added = 0;
  for (const f of all.files) {
    if (have.has(f.path) || f.stage !== undefined) continue;
    if (!ruleFor(policy, f.absPath)) continue;
    sources.files.push(f);
    added++;
  }
  debug(`${rel} is staged: ${added} other covered file(s) of the index judged by it`);
  const closeFirst = sources.close;
  sources.close = async () => {
    await Promise.all([closeFirst(), all.close()]);
  };
}

type WorkItem = {
  file: SourceFile;
  configs: Configs;
  rule?: CreationRule;
  /** What the verdict cache keys this file's verdict by (made when first asked). */
  verdict?: VerdictInput;
};

/** Generator sources are per tree: per commit in a range, the index otherwise. */
function genKey(file: { path: string; commit?: string }): string {
  return `${file.commit ?? ""}\0${file.path}`;
}

/**
 * The cross-file step (src/check/generators.ts): which files of the scan a
 * kustomization's secretGenerator names. Kustomizations among the files are
 * read; for the other files, the kustomizations of their folders and parent
 * folders are read from the same tree (the index, or the commit). A source a
 * changed kustomization names that is not itself among the files is read from
 * that tree and judged too (added to `work`).
 */
async function findGeneratorSources(
  mode: ScanMode,
  work: WorkItem[],
  reader: BlobReader | undefined,
  configsOf: (file: SourceFile) => Promise<Configs>,
  result: ScanResult,
): Promise<Map<string, GeneratorSource>> {
  const gens = new Map<string, GeneratorSource>();
  if (mode === "paths" || !reader) return gens;
  const readKust = new Set<string>();
  const add = (rev: string, links: Map<string, GeneratorSource>) => {
    for (const [p, g] of links) {
      const k = genKey({ path: p, commit: rev || undefined });
      const had = gens.get(k);
      // The first kustomization wins, except that a generator source outranks a manifest link.
      if (!had || (isSource(g) && !isSource(had))) gens.set(k, g);
    }
  };
  const take = (rev: string, kustPath: string, bytes: Uint8Array) =>
    add(rev, generatorSources(kustPath, bytes));
  // Every read is asked for at once (one write to the one cat-file process, no round trip
  // per folder), then taken in the same order as one by one.
  const kusts: Array<{ rev: string; path: string; bytes: Promise<Buffer | undefined> }> = [];
  for (const w of work) {
    if (!isKustomization(w.file.path)) continue;
    readKust.add(genKey(w.file));
    kusts.push({ rev: w.file.commit ?? "", path: w.file.path, bytes: w.file.read() });
  }
  // --all lists every kustomization already; staged and range look up the unchanged ones.
  if (mode !== "all") {
    const dirsSeen = new Set<string>();
    for (const w of work) {
      const rev = w.file.commit ?? "";
      for (const dir of ancestorDirs(w.file.path)) {
        if (dirsSeen.has(`${rev}\0${dir}`)) continue;
        dirsSeen.add(`${rev}\0${dir}`);
        for (const name of KUSTOMIZATION_NAMES) {
          const kp = dir === "" ? name : `${dir}/${name}`;
          if (readKust.has(genKey({ path: kp, commit: rev || undefined }))) continue;
          kusts.push({ rev, path: kp, bytes: reader.readAt(rev, kp) });
        }
      }
    }
  }
  const kustBytes = await Promise.all(kusts.map((k) => k.bytes));
  kusts.forEach((k, i) => {
    const bytes = kustBytes[i];
    if (bytes) take(k.rev, k.path, bytes);
  });
  // Nothing names any file (no kustomization, or one naming nothing): nothing more to do.
  if (gens.size === 0) return gens;
  // Generator configs (`generators:` files): a builtin SecretGenerator's sources are sources.
  let byKey: Map<string, WorkItem> | undefined;
  for (const [k, g] of [...gens]) {
    if (g.field !== "generators") continue;
    byKey ??= new Map(work.map((w) => [genKey(w.file), w] as const));
    const [rev, p] = k.split("\0") as [string, string];
    const w = byKey.get(k);
    const bytes = w ? await w.file.read() : await reader.readAt(rev, p);
    if (bytes) add(rev, builtinGeneratorSources(g, bytes));
  }
  // Files a kustomization names that are not among the files: judge their tree's content.
  const listed = new Set(work.map((w) => genKey(w.file)));
  for (const [k, g] of gens) {
    if (listed.has(k)) continue;
    const [rev, p] = k.split("\0") as [string, string];
    const bytes = await reader.readAt(rev, p);
    if (!bytes) continue;
    const top = result.topLevel ?? "";
    const file: SourceFile = {
      path: p,
      absPath: absUnderTop(top, p),
      read: async () => bytes,
      ...(rev ? { commit: rev } : {}),
    };
    const configs = await configsOf(file);
    if (configs.settings.isIgnored(p)) continue;
    const policy = configs.policy;
    work.push({
      file,
      configs,
      rule: policy?.hasCreationRules ? ruleFor(policy, file.absPath) : undefined,
    });
    listed.add(k);
    void g;
  }
  return gens;
}

function absUnderTop(top: string, rel: string): string {
  return path.join(top, ...rel.split("/"));
}

async function listSources(opts: ScanOptions): Promise<SourceList> {
  const src = await import("../sources/index.js");
  const sopts = { env: opts.env };
  switch (opts.mode) {
    case "push":
      return src.pushFiles(opts.cwd, opts.refs ?? [], opts.remote, sopts);
    case "receive":
      return src.receiveFiles(opts.cwd, opts.refs ?? [], sopts);
    case "staged":
      return src.stagedFiles(opts.cwd, sopts);
    case "all":
      return src.allFiles(opts.cwd, sopts);
    case "range":
      return src.rangeFiles(opts.cwd, opts.range ?? "", sopts);
    case "paths":
      return src.pathFiles(opts.cwd, opts.paths ?? [], sopts);
  }
}

/**
 * Commits of a range that weaken the guard: a `.sops.yaml` that drops or
 * changes a creation rule, a `.secret-guard.yaml` that ignores, allows or
 * lowers more. Reported as warnings naming the commit, for the reviewer.
 */
async function policyChanges(files: SourceFile[], configs: CommitConfigs): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const name = f.path.slice(f.path.lastIndexOf("/") + 1);
    if ((name !== ".sops.yaml" && name !== ".secret-guard.yaml") || !f.commit) continue;
    if (seen.has(f.commit)) continue;
    seen.add(f.commit);
    const [before, after] = await Promise.all([configs.at(`${f.commit}^`), configs.at(f.commit)]);
    const at = `commit ${f.commit.slice(0, 12)}`;
    for (const change of rulesLoosening(before.policy, after.policy))
      out.push(`${at} ${change} (.sops.yaml): review it; files of that commit are judged by it`);
    for (const change of settingsLoosening(before.settings, after.settings))
      out.push(`${at} ${change} (.secret-guard.yaml): review it`);
  }
  return out;
}

function rulesLoosening(before: Policy | undefined, after: Policy | undefined): string[] {
  if (!before?.hasCreationRules) return [];
  const label = (r: CreationRule) => (r.pathRegex ? `path_regex ${r.pathRegex}` : "the catch-all");
  const now = new Map((after?.hasCreationRules ? after.rules : []).map((r) => [label(r), r]));
  const out: string[] = [];
  for (const r of before.rules) {
    const n = now.get(label(r));
    if (!n) out.push(`drops creation rule ${label(r)}`);
    else if (n.selector.field !== r.selector.field || n.selector.value !== r.selector.value)
      out.push(`changes the selector of creation rule ${label(r)}`);
  }
  return out;
}

/** The nearest `.secret-guard.yaml` in the index, from the working directory up to the top. */
async function stagedSettings(
  reader: BlobReader,
  top: string,
  cwd: string,
): Promise<{ settings: Settings; source?: string }> {
  for (const rel of candidatesFor(top, cwd, SETTINGS_NAME)) {
    const bytes = await reader.readAt("", rel);
    if (!bytes) continue;
    const file = path.join(top, ...rel.split("/"));
    return {
      settings: await prepareSettings(parseGuardConfig(bytes.toString("utf8"), file)),
      source: file,
    };
  }
  return { settings: await prepareSettings(EMPTY_CONFIG) };
}

const LINK_PROBLEMS: Record<LinkProblem, string> = {
  outside: "points outside the repository",
  dangling: "points at no file of the repository",
  loop: "is part of a symlink loop",
  "not-a-file": "points at a folder or submodule",
};

/**
 * A symlink under a creation rule that resolves to no file of its tree: kustomize would read
 * whatever is at its target when the repository is deployed, which the guard cannot see, so
 * it is blocked (fail closed). The target text is never printed: a link's blob is arbitrary
 * bytes, possibly a pasted value.
 */
function brokenLinkJudgement(p: string, problem: LinkProblem): Judgement {
  return {
    path: p,
    format: formatForPath(p),
    parsed: false,
    hasMetadata: false,
    mustEncrypt: [],
    findings: [
      {
        rule: "unparseable",
        severity: "error",
        path: p,
        message: `a symlink that ${LINK_PROBLEMS[problem]}, under a creation rule: the guard cannot judge what it delivers; commit the file itself in its place`,
        fixable: false,
      },
    ],
  };
}
