/**
 * The leak audit behind `secret-guard history`: every plaintext exposure ever
 * committed in a range, one per secret VALUE.
 *
 * Work done, in order:
 *  1. ONE `git log --raw` walk (src/git/log.ts), parents before children;
 *  2. the `.sops.yaml` and `.secret-guard.yaml` of every commit, carried forward through the walk from the
 *     commits that change it and read from that commit's tree (boundary commits of a
 *     range: `git ls-tree`); each distinct version parsed once;
 *  3. every (blob, covering rule) judged once through ONE `git cat-file --batch`, and
 *     the plaintext values behind its exposure findings hashed in memory;
 *  4. which commits carry which exposed values (path → blob state carried from the first
 *     parent), giving the first and last commit, the paths, and `pushed` (a carrying
 *     commit is reachable from a remote-tracking ref: `git rev-list --parents --remotes`, whose
 *     graph also tells which remote branches contain it);
 *  5. HEAD: does it still carry the value in plaintext, and, decrypting the encrypted
 *     Secret at HEAD with a local age identity, was the value rotated?
 */

import { type CacheOptions, openVerdictCache, type VerdictInput } from "../check/cache.js";
import { candidatesFor } from "../check/configs.js";
import { checkFile, isGuardConfigPath, prepareSettings, type Settings } from "../check/file.js";
import { isKustomization } from "../check/generators.js";
import {
  allowCheck,
  EMPTY_CONFIG,
  loadGuardConfig,
  parseGuardConfig,
  CONFIG_NAME as SETTINGS_NAME,
} from "../check/settings.js";
import type { DecryptResult } from "../crypto/decrypt.js";
import { GitError, GuardError } from "../errors.js";
import { BlobReader } from "../git/catfile.js";
import { type LogCommit, walkLog } from "../git/log.js";
import { absUnder, isNullOid, isRegularMode } from "../git/parse.js";
import { remoteBranchesContaining, remoteBranchesContainingAll, remoteGraph } from "../git/refs.js";
import { repoInfo } from "../git/repo.js";
import { lsTreeAll, lsTreePaths } from "../git/tree.js";
import { loadPolicy, parsePolicy, ruleFor } from "../policy/index.js";
import { looksSopsEncrypted } from "../sops/detect.js";
import { formatForPath } from "../sops/formats.js";
import { parseFile } from "../sops/parse.js";
import { get, getString } from "../sops/walk.js";
import type { CreationRule, Format, Policy, RuleId } from "../types.js";
import {
  EXPOSURE_RULES,
  type ExposedValue,
  exposedValues,
  findingExposures,
  hashesUnderKey,
} from "./values.js";

export type RotationStatus = "NOT ROTATED" | "rotated" | "removed" | "unknown";

export interface CommitRef {
  id: string;
  date: string;
  author: string;
}

export interface Exposure {
  key: string;
  kind?: string;
  name?: string;
  namespace?: string;
  /** Every path the value was committed at, in order of appearance. */
  paths: string[];
  /** The exposure rules it was found under (e.g. unencrypted, then encryption-removed). */
  rules: RuleId[];
  /** Line of the value in the first file version that exposed it. */
  line?: number;
  firstCommit: CommitRef;
  lastCommit: CommitRef;
  /** Number of walked commits whose tree holds the value in plaintext. */
  commits: number;
  /** HEAD's tree still holds the value in plaintext. */
  inHead: boolean;
  /** A commit holding the value is reachable from a remote-tracking ref. */
  pushed: boolean;
  /** Remote-tracking branches that contain it (when pushed). */
  pushedTo: string[];
  rotation: RotationStatus;
  /** Why: paths and reasons only. */
  rotationDetail: string;
  /** Recorded as rotated or accepted in `.secret-guard.yaml` `resolved` (does not make exit 1). */
  resolved?: { reason?: string };
}

export interface AuditOptions {
  cwd: string;
  /** Revisions for git log (default: HEAD). */
  revs: string[];
  allRefs: boolean;
  /** Explicit `.sops.yaml` on disk, used for every commit (else each commit's own). */
  configPath?: string;
  env: NodeJS.ProcessEnv;
  onProgress?: (done: number, total: number) => void;
  /** Skip the jobs whose blob, rule, settings and path were judged clean before (src/check/cache.ts). */
  cache?: boolean | CacheOptions;
  /** Log what the audit does (never a value). */
  debug?: (line: string) => void;
}

export interface AuditResult {
  range: string;
  topLevel: string;
  commits: number;
  blobsJudged: number;
  exposures: Exposure[];
  warnings: string[];
  /**
   * Objects the repository does not have (a partial or shallow clone, a damaged
   * snapshot): named by blob, path and commit; the audit goes on without them.
   */
  missing: Array<{ blob: string; path?: string; commit?: string }>;
  /** Where identities came from (names only); empty when none was found. */
  identitySources: string[];
}

interface Job {
  key: string;
  blob: string;
  path: string;
  format: Format;
  rule?: CreationRule;
  isAllowed?: (keyPath: string, value: Uint8Array) => boolean;
  settings: Settings;
}

interface Occurrence {
  path: string;
  job?: string;
  srcBlob: string;
}

interface Tracked {
  hash: string;
  valueSha256?: string;
  exp: Exposure;
  firstTime: number;
  lastTime: number;
  pushedVia?: string;
}

/** Blobs requested from cat-file in one write, one batch ahead of the judging. */
const BATCH = 256;
/** Blobs read only to be sniffed (any name, maybe a large binary): this many in flight at most. */
const SNIFF_AHEAD = 8;
const CONFIG_NAME = ".sops.yaml";
const MAX_PUSHED_LOOKUPS = 200;

/**
 * Reads through the one cat-file process, where a missing object (partial or
 * shallow clone, damaged snapshot) is recorded and read as empty content: the
 * audit goes on, and the report names it. Every promise is marked handled at
 * once, so a read-ahead that fails before it is awaited cannot crash the process.
 */
function tolerantReader(reader: BlobReader, result: AuditResult): Pick<BlobReader, "read"> {
  const seen = new Set<string>();
  return {
    read(oid: string): Promise<Buffer> {
      const p = reader.read(oid).catch((e: unknown) => {
        if (
          !(e instanceof GitError) ||
          !/ is (missing|ambiguous) in the repository$/.test(e.message)
        )
          throw e;
        if (!seen.has(oid)) {
          seen.add(oid);
          result.missing.push({ blob: oid });
        }
        return Buffer.alloc(0);
      });
      p.catch(() => {});
      return p;
    },
  };
}

/** Name each missing blob by a path and the first commit that carries it. */
function nameMissing(
  result: AuditResult,
  jobs: Map<string, Job>,
  occurrences: Map<string, Occurrence[]>,
): void {
  if (result.missing.length === 0) return;
  const want = new Map(result.missing.map((m) => [m.blob, m]));
  const jobBlob = new Map<string, string>();
  for (const j of jobs.values()) if (want.has(j.blob)) jobBlob.set(j.key, j.blob);
  for (const [commit, occ] of occurrences) {
    for (const o of occ) {
      const blob = o.job ? jobBlob.get(o.job) : undefined;
      const m = blob ? want.get(blob) : undefined;
      if (m && !m.commit) {
        m.commit = commit;
        m.path = o.path;
      }
    }
  }
  for (const m of result.missing) {
    result.warnings.push(
      `object ${m.blob} is missing from the repository${m.path ? ` (${m.path}${m.commit ? ` at commit ${m.commit.slice(0, 12)}` : ""})` : ""}: not judged; fetch it (git fetch --refetch, or unshallow the clone) and audit again`,
    );
  }
}

/** `a.localeCompare(b)`, without asking the collator about equal strings. */
function localeOrder(a: string, b: string): number {
  return a === b ? 0 : a.localeCompare(b);
}

/**
 * Carry a per-commit state from each commit's first parent to the commit, in walk order
 * (parents first). States are small (a few paths); a parent's is dropped once its last
 * child has taken a copy.
 */
function propagate<V>(
  commits: LogCommit[],
  initial: (c: LogCommit) => Map<string, V>,
  visit: (c: LogCommit, state: Map<string, V>, parentState: Map<string, V> | undefined) => void,
  /** False when `visit` would not change the state of this commit: its parent's is shared, not copied. */
  changes: (c: LogCommit) => boolean = () => true,
): void {
  const inWalk = new Set(commits.map((c) => c.id));
  const left = new Map<string, number>();
  for (const c of commits) {
    const p = c.parents[0];
    if (p && inWalk.has(p)) left.set(p, (left.get(p) ?? 0) + 1);
  }
  const states = new Map<string, Map<string, V>>();
  for (const c of commits) {
    const p = c.parents[0];
    let state: Map<string, V>;
    let parentState: Map<string, V> | undefined;
    if (p && inWalk.has(p)) {
      parentState = states.get(p) ?? new Map();
      const n = (left.get(p) ?? 1) - 1;
      left.set(p, n);
      if (n <= 0) states.delete(p);
      // Copy on write: most commits touch no tracked path, and share their parent's state.
      state = changes(c) ? new Map(parentState) : parentState;
    } else {
      state = initial(c);
      parentState = new Map(state);
    }
    visit(c, state, parentState);
    if ((left.get(c.id) ?? 0) > 0) states.set(c.id, state);
  }
}

export async function auditHistory(opts: AuditOptions): Promise<AuditResult> {
  const env = opts.env;
  const info = await repoInfo(opts.cwd, { env });
  const top = info.topLevel;
  const range = opts.allRefs ? "--all-refs" : opts.revs.join(" ") || "HEAD";
  const result: AuditResult = {
    range,
    topLevel: top,
    commits: 0,
    blobsJudged: 0,
    exposures: [],
    warnings: [],
    missing: [],
    identitySources: [],
  };
  const revs = opts.revs.length > 0 ? opts.revs : opts.allRefs ? [] : ["HEAD"];
  if (!info.hasHead && !opts.allRefs && opts.revs.length === 0) {
    result.warnings.push("the repository has no commit yet: nothing to audit");
    return result;
  }
  const started = Date.now();
  const phase = (what: string) => {
    if (!opts.debug) return;
    const mb = (n: number) => Math.round(n / 2 ** 20);
    const m = process.memoryUsage();
    opts.debug(
      `history: ${what} by ${Date.now() - started} ms (heap ${mb(m.heapUsed)} MB, rss ${mb(m.rss)} MB, external ${mb(m.external)} MB)`,
    );
  };
  // Asked of git at once, while the walk runs: neither depends on it. Awaited in their turn
  // (a failure surfaces there, as if asked then).
  const remoteAsked = remoteGraph(top, env);
  const headTreeAsked = info.hasHead ? lsTreeAll(top, "HEAD", env) : undefined;
  remoteAsked.catch(() => {});
  headTreeAsked?.catch(() => {});
  const commits = await walkLog(top, revs, { allRefs: opts.allRefs, env });
  result.commits = commits.length;
  phase(`${commits.length} commits walked`);

  // ---- the .sops.yaml of every commit
  const fixed = opts.configPath || env.SOPS_CONFIG;
  const fixedPolicy = fixed ? loadPolicy({ cwd: opts.cwd, configPath: fixed, env }) : undefined;
  const policyCands = candidatesFor(top, opts.cwd, CONFIG_NAME);
  const settingsCands = candidatesFor(top, opts.cwd, SETTINGS_NAME);
  const candidates = [...policyCands, ...settingsCands];
  const candidateSet = new Set(candidates);
  const reader = new BlobReader(top, { env });
  const blobs = tolerantReader(reader, result);
  try {
    const treeCache = new Map<string, Map<string, string>>();
    const candidatesAt = async (commit: string): Promise<Map<string, string>> => {
      let m = treeCache.get(commit);
      if (!m) {
        m = await lsTreePaths(top, commit, env, candidates);
        treeCache.set(commit, m);
      }
      return m;
    };
    // Boundary parents (outside the walk) need their tree's config: ask git once per parent.
    const inWalk = new Set(commits.map((c) => c.id));
    for (const c of commits) {
      const p = c.parents[0];
      if (p && !inWalk.has(p)) await candidatesAt(p);
    }
    const configOf = new Map<string, string>(); // commit → "rel\0blob" ("" = none)
    const settingsOf = new Map<string, string>(); // the same for .secret-guard.yaml
    /** One string per distinct config key and path, however many commits name it. */
    const interned = new Map<string, string>();
    const intern = (s: string): string => {
      const had = interned.get(s);
      if (had !== undefined) return had;
      interned.set(s, s);
      return s;
    };
    const nearest = (state: Map<string, string>, names = policyCands): string => {
      for (const rel of names) {
        const b = state.get(rel);
        if (b) return intern(`${rel}\0${b}`);
      }
      return "";
    };
    propagate<string>(
      commits,
      (c) => new Map(c.parents[0] ? (treeCache.get(c.parents[0]) ?? []) : []),
      (c, state) => {
        for (const e of c.entries) {
          if (!candidateSet.has(e.path)) continue;
          if (e.status === "D" || isNullOid(e.dstBlob) || !isRegularMode(e.dstMode))
            state.delete(e.path);
          else state.set(e.path, e.dstBlob);
        }
        configOf.set(c.id, nearest(state));
        settingsOf.set(c.id, nearest(state, settingsCands));
      },
      (c) => c.entries.some((e) => candidateSet.has(e.path)),
    );
    const policies = new Map<string, Policy | undefined>();
    const policyFor = async (configKey: string, where: string): Promise<Policy | undefined> => {
      if (fixed) return fixedPolicy;
      if (configKey === "") return undefined;
      if (policies.has(configKey)) return policies.get(configKey);
      const [rel = "", blob = ""] = configKey.split("\0");
      let policy: Policy | undefined;
      try {
        const text = (await blobs.read(blob)).toString("utf8");
        policy = parsePolicy(text, absUnder(top, rel), { displayPath: `${rel} (${where})` });
      } catch (e) {
        if (!(e instanceof GuardError)) throw e;
        result.warnings.push(
          `${e.message.split("\n")[0]}: files of the commits using it are judged as if no creation rule covered them`,
        );
      }
      policies.set(configKey, policy);
      return policy;
    };
    const settingsCache = new Map<string, Promise<Settings>>();
    const settingsFor = (key: string, where: string): Promise<Settings> => {
      let p = settingsCache.get(key);
      if (!p) {
        const [rel = "", blob = ""] = key.split("\0");
        p =
          key === ""
            ? prepareSettings(EMPTY_CONFIG)
            : blobs.read(blob).then(async (b) => {
                try {
                  return await prepareSettings(
                    parseGuardConfig(b.toString("utf8"), `${rel} (${where})`),
                  );
                } catch (e) {
                  if (!(e instanceof GuardError)) throw e;
                  // Stricter, never looser: an unreadable settings file counts as none.
                  result.warnings.push(
                    `${e.message.split("\n")[0]}: the commits using it are judged without .secret-guard.yaml`,
                  );
                  return prepareSettings(EMPTY_CONFIG);
                }
              });
        settingsCache.set(key, p);
      }
      return p;
    };
    const distinct = new Map<string, string>();
    for (const c of commits) {
      const k = configOf.get(c.id) ?? "";
      if (!distinct.has(k)) distinct.set(k, c.id);
    }
    for (const [k, commit] of distinct) await policyFor(k, `commit ${commit.slice(0, 12)}`);

    // ---- jobs: every (blob, rule) once
    const jobs = new Map<string, Job>();
    /**
     * What a path's judgement depends on besides its content, per (policy, settings) pair:
     * worked out once per path, not once per commit that touches it. null: ignored.
     */
    interface PathJob {
      format: Format;
      rule?: CreationRule;
      isAllowed?: (keyPath: string, value: Uint8Array) => boolean;
      /** Stands for the job key without its leading blob id (one per distinct suffix). */
      id: number;
    }
    const pathJobs = new Map<string, Map<string, Map<string, PathJob | null>>>();
    const pathJobsFor = (configKey: string, settingsKey: string): Map<string, PathJob | null> => {
      let bySettings = pathJobs.get(configKey);
      if (!bySettings) {
        bySettings = new Map();
        pathJobs.set(configKey, bySettings);
      }
      let m = bySettings.get(settingsKey);
      if (!m) {
        m = new Map();
        bySettings.set(settingsKey, m);
      }
      return m;
    };
    const jobOf = (
      blob: string,
      p: string,
      mode: string,
      policy: Policy | undefined,
      configKey: string,
      settings: Settings,
      settingsKey: string,
      byPath: Map<string, PathJob | null> = pathJobsFor(configKey, settingsKey),
    ): string | undefined => {
      if (isNullOid(blob) || !isRegularMode(mode)) return undefined;
      let pj = byPath.get(p);
      if (pj === undefined) {
        pj = pathJob(p, policy, configKey, settings, settingsKey);
        byPath.set(p, pj);
      }
      if (pj === null) return undefined;
      const key = `${blob}|${pj.id}`;
      const job = jobs.get(key);
      // The one string per job, shared by every occurrence (a history holds many).
      if (job) return job.key;
      jobs.set(key, {
        key,
        blob,
        path: p,
        format: pj.format,
        rule: pj.rule,
        isAllowed: pj.isAllowed,
        settings,
      });
      return key;
    };
    /** Short ids for the distinct job suffixes: the keys stay short. */
    const suffixIds = new Map<string, number>();
    const pathJob = (
      p: string,
      policy: Policy | undefined,
      configKey: string,
      settings: Settings,
      settingsKey: string,
    ): PathJob | null => {
      if (settings.isIgnored(p)) return null;
      if (isGuardConfigPath(p)) policy = undefined;
      const format = formatForPath(p);
      let rule: CreationRule | undefined;
      if (policy?.hasCreationRules) {
        try {
          rule = ruleFor(policy, absUnder(top, p));
        } catch {
          rule = undefined;
        }
      }
      // Every blob is judged: one that is neither YAML nor JSON by name is still read as
      // kustomize would read it (a kustomization named `Kustomization`, a Secret in `secret`).
      const isAllowed = allowCheck(settings, p);
      // The path belongs in the key: the judgement reads it beyond its format (a name that
      // marks a secret, a mustEncrypt glob, an allow entry, a guard config file), so a blob
      // judged clean at one path says nothing about the same bytes at another.
      const suffix = `${format}|${fixed ? "fixed" : configKey}|${rule ? rule.index : "-"}|${settingsKey}|${p}`;
      let id = suffixIds.get(suffix);
      if (id === undefined) {
        id = suffixIds.size;
        suffixIds.set(suffix, id);
      }
      return { format, rule, isAllowed, id };
    };
    const occurrences = new Map<string, Occurrence[]>();
    for (const c of commits) {
      const configKey = configOf.get(c.id) ?? "";
      const policy = await policyFor(configKey, `commit ${c.id.slice(0, 12)}`);
      const settingsKey = settingsOf.get(c.id) ?? "";
      const settings = await settingsFor(settingsKey, `commit ${c.id.slice(0, 12)}`);
      const byPath = pathJobsFor(configKey, settingsKey);
      const occ: Occurrence[] = [];
      for (const e of c.entries) {
        const deleted = e.status === "D" || isNullOid(e.dstBlob);
        const p = intern(e.path);
        occ.push({
          path: p,
          job: deleted
            ? undefined
            : jobOf(e.dstBlob, p, e.dstMode, policy, configKey, settings, settingsKey, byPath),
          srcBlob: e.srcBlob,
        });
      }
      occurrences.set(c.id, occ);
    }
    // Everything after reads the occurrences: the walk's entries need not stay in memory.
    for (const c of commits) c.entries = [];

    phase(`${jobs.size} file versions listed`);

    // ---- HEAD's tree (for inHead and rotation), judged with HEAD's policy
    const headFiles = new Map<string, { blob: string; job?: string }>();
    if (info.hasHead) {
      const tree = await headTreeAsked!;
      const state = new Map<string, string>();
      for (const [p, e] of tree) if (candidateSet.has(p)) state.set(p, e.blob);
      const configKey = nearest(state);
      const policy = await policyFor(configKey, "HEAD");
      const settingsKey = nearest(state, settingsCands);
      const settings = await settingsFor(settingsKey, "HEAD");
      for (const [p, e] of tree) {
        headFiles.set(p, {
          blob: e.blob,
          job: jobOf(e.blob, p, e.mode, policy, configKey, settings, settingsKey),
        });
      }
    }

    // ---- judge every job once, through the one cat-file process
    const values = new Map<string, ExposedValue[]>();
    const encryptedBlobs = new Set<string>();
    result.blobsJudged = jobs.size;
    const cache = opts.cache
      ? await openVerdictCache(top, env, {
          commonDir: info.commonDir,
          ...(typeof opts.cache === "object" ? opts.cache : {}),
          debug: opts.debug,
        })
      : undefined;
    const verdicts = new Map<Job, VerdictInput>();
    const verdictOf = (job: Job): VerdictInput => {
      let v = verdicts.get(job);
      if (!v) {
        v = { blob: job.blob, path: job.path, rule: job.rule, settings: job.settings };
        verdicts.set(job, v);
      }
      return v;
    };
    const uncached = [...jobs.values()].filter((job) => {
      const hit = cache?.lookup(verdictOf(job));
      if (hit === "clean-encrypted") encryptedBlobs.add(job.blob);
      return hit === undefined;
    });
    phase(`${uncached.length} to judge after the verdict cache`);
    // Blobs read only to be sniffed (neither YAML nor JSON by name, no rule; maybe large
    // binaries) come last, a few in flight at a time: memory stays bounded.
    const named = (job: Job) =>
      job.rule !== undefined ||
      job.format === "yaml" ||
      job.format === "json" ||
      isKustomization(job.path);
    const list = [...uncached.filter(named), ...uncached.filter((job) => !named(job))];
    const firstSniff = list.filter(named).length;
    const request = (from: number) =>
      list.slice(from, Math.min(from + BATCH, firstSniff)).map((job) => blobs.read(job.blob));
    let batch = request(0);
    let ahead = request(BATCH);
    const sniffPending = new Map<number, Promise<Buffer>>();
    let sniffRequested = firstSniff;
    const readSniffed = (i: number): Promise<Buffer> => {
      for (; sniffRequested < Math.min(list.length, i + SNIFF_AHEAD); sniffRequested++)
        sniffPending.set(sniffRequested, blobs.read(list[sniffRequested]!.blob));
      const p = sniffPending.get(i)!;
      sniffPending.delete(i);
      return p;
    };
    for (let i = 0; i < list.length; i++) {
      const job = list[i]!;
      if (i > 0 && i % BATCH === 0) {
        batch = ahead;
        ahead = request(i + BATCH);
      }
      const bytes = await (i >= firstSniff ? readSniffed(i) : batch[i % BATCH]!);
      if (i % 200 === 0) opts.onProgress?.(i, list.length);
      if (looksSopsEncrypted(bytes, job.format)) encryptedBlobs.add(job.blob);
      const j = checkFile({ path: job.path, bytes, rule: job.rule }, job.settings);
      // A missing object is read as empty content: never remember that as a clean verdict.
      if (!result.missing.some((m) => m.blob === job.blob))
        cache?.rememberClean(verdictOf(job), bytes, j.findings);
      if (!j.findings.some((f) => f.severity === "error" && EXPOSURE_RULES.includes(f.rule)))
        continue;
      let v: ExposedValue[] = [];
      try {
        v = exposedValues(parseFile(bytes, j.format), j, {
          isAllowed: job.isAllowed,
          secretKinds: job.settings.secretKinds,
        });
      } catch {
        // judged through another reading (a sniffed format): the findings below still count
      }
      v.push(...findingExposures(j.findings, v, bytes));
      if (v.length > 0) values.set(job.key, v);
    }
    opts.onProgress?.(list.length, list.length);
    phase("judged");
    nameMissing(result, jobs, occurrences);
    if (cache) {
      cache.save();
      opts.debug?.(cache.summary());
    }

    // ---- which commits carry which values
    const remote = await remoteAsked;
    const tracked = new Map<string, Tracked>();
    const exposedPaths = new Set<string>();
    for (const occ of occurrences.values())
      for (const o of occ) if (o.job && values.has(o.job)) exposedPaths.add(o.path);
    propagate<string>(
      commits,
      () => new Map(),
      (c, state, parentState) => {
        const occ = occurrences.get(c.id) ?? [];
        const introduced = new Map<string, Occurrence>();
        for (const o of occ) {
          if (!exposedPaths.has(o.path)) continue;
          if (o.job && values.has(o.job)) {
            state.set(o.path, o.job);
            introduced.set(o.path, o);
          } else state.delete(o.path);
        }
        if (state.size === 0) return;
        const before = new Set<string>();
        if (introduced.size > 0 && parentState) {
          for (const job of parentState.values())
            for (const v of values.get(job) ?? []) before.add(v.hash);
        }
        const ref = { id: c.id, date: c.date, author: c.author };
        const seen = new Set<string>();
        for (const [p, job] of state) {
          const intro = introduced.get(p);
          for (const v of values.get(job) ?? []) {
            let t = tracked.get(v.hash);
            if (!t) {
              t = {
                hash: v.hash,
                valueSha256: v.valueSha256,
                firstTime: c.time,
                lastTime: c.time,
                exp: {
                  key: v.key,
                  ...(v.kind ? { kind: v.kind } : {}),
                  ...(v.name ? { name: v.name } : {}),
                  ...(v.namespace ? { namespace: v.namespace } : {}),
                  paths: [],
                  rules: [],
                  ...(v.line ? { line: v.line } : {}),
                  firstCommit: ref,
                  lastCommit: ref,
                  commits: 0,
                  inHead: false,
                  pushed: false,
                  pushedTo: [],
                  rotation: "unknown",
                  rotationDetail: "",
                },
              };
              tracked.set(v.hash, t);
            }
            const e = t.exp;
            if (!e.paths.includes(p)) e.paths.push(p);
            if (intro && !before.has(v.hash)) {
              const rule: RuleId =
                intro.srcBlob && encryptedBlobs.has(intro.srcBlob) ? "encryption-removed" : v.rule;
              if (!e.rules.includes(rule)) e.rules.push(rule);
            }
            if (seen.has(v.hash)) continue;
            seen.add(v.hash);
            e.commits++;
            if (c.time < t.firstTime) {
              t.firstTime = c.time;
              e.firstCommit = ref;
            }
            if (c.time >= t.lastTime) {
              t.lastTime = c.time;
              e.lastCommit = ref;
            }
            if (remote.has(c.id)) {
              e.pushed = true;
              t.pushedVia ??= c.id;
            }
          }
        }
      },
      // Only a commit that touches an exposed path changes the state: the others share it.
      (c) => (occurrences.get(c.id) ?? []).some((o) => exposedPaths.has(o.path)),
    );
    for (const t of tracked.values()) if (t.exp.rules.length === 0) t.exp.rules.push("unencrypted");

    phase(`${tracked.size} exposures tracked`);

    // ---- still in HEAD?
    const headHashes = new Set<string>();
    // A blob that exposed a value anywhere holds the same bytes at HEAD, whatever HEAD's
    // policy says about its path now.
    const byBlob = new Map<string, ExposedValue[]>();
    for (const [k, v] of values) {
      const blob = jobs.get(k)!.blob;
      byBlob.set(blob, [...(byBlob.get(blob) ?? []), ...v]);
    }
    for (const f of headFiles.values()) {
      for (const v of (f.job && values.get(f.job)) || []) headHashes.add(v.hash);
      for (const v of byBlob.get(f.blob) ?? []) headHashes.add(v.hash);
    }
    for (const t of tracked.values()) t.exp.inHead = headHashes.has(t.hash);

    // ---- pushed to which remote branches, per distinct commit (exposures of one file version
    // share it), at most MAX_PUSHED_LOOKUPS of them.
    const asked: string[] = [];
    for (const t of tracked.values()) {
      if (!t.pushedVia || asked.includes(t.pushedVia)) continue;
      if (asked.length >= MAX_PUSHED_LOOKUPS) break;
      asked.push(t.pushedVia);
    }
    // Answered from the graph in memory when it can be; else one git call per commit.
    const containing =
      asked.length > 0
        ? ((await remoteBranchesContainingAll(top, asked, remote, env)) ??
          new Map<string, string[]>())
        : new Map<string, string[]>();
    for (const t of tracked.values()) {
      if (!t.pushedVia) continue;
      let refs = containing.get(t.pushedVia);
      if (!refs) {
        if (containing.size >= MAX_PUSHED_LOOKUPS) continue;
        refs = await remoteBranchesContaining(top, t.pushedVia, env);
        containing.set(t.pushedVia, refs);
      }
      t.exp.pushedTo = refs;
    }

    // ---- rotation, against the Secret at HEAD
    await rotation([...tracked.values()], headFiles, blobs, env, result);

    phase("rotation");

    // ---- resolved: rotated or accepted exposures recorded in .secret-guard.yaml (on disk, now)
    const current = await loadGuardConfig(opts.cwd, top);
    for (const t of tracked.values()) {
      const e = t.exp;
      const hit = current.resolved.find(
        (r) =>
          r.key === e.key &&
          e.paths.includes(r.path) &&
          r.sha256 === t.valueSha256 &&
          (e.firstCommit.id.startsWith(r.commit) || e.lastCommit.id.startsWith(r.commit)),
      );
      if (hit) e.resolved = hit.reason ? { reason: hit.reason } : {};
    }

    result.exposures = [...tracked.values()]
      .sort(
        (a, b) =>
          a.firstTime - b.firstTime ||
          localeOrder(a.exp.paths[0] ?? "", b.exp.paths[0] ?? "") ||
          localeOrder(a.exp.key, b.exp.key),
      )
      .map((t) => t.exp);
    return result;
  } finally {
    await reader.close();
  }
}

/**
 * Rotation status per exposure: compare the value's hash with the value under the same key
 * in the Secret at HEAD (same path first, then the same Secret name and namespace anywhere).
 */
async function rotation(
  tracked: Tracked[],
  headFiles: Map<string, { blob: string; job?: string }>,
  blobs: Pick<BlobReader, "read">,
  env: NodeJS.ProcessEnv,
  result: AuditResult,
): Promise<void> {
  const needs = tracked.filter((t) => !t.exp.inHead);
  for (const t of tracked) {
    if (t.exp.inHead) {
      t.exp.rotation = "NOT ROTATED";
      t.exp.rotationDetail = "the value is still in HEAD in plaintext";
    }
  }
  if (needs.length === 0) return;
  let identities: string[] = [];
  try {
    const { loadIdentities } = await import("../crypto/identities.js");
    const ids = await loadIdentities(env);
    identities = ids.identities;
    result.identitySources = ids.sources;
  } catch (e) {
    result.warnings.push(
      `age identities could not be loaded (${e instanceof GuardError ? e.message : "error"}): rotation status unknown`,
    );
  }
  const { decryptFile } = await import("../crypto/decrypt.js");
  type Opened = DecryptResult | "unparseable" | "plain" | "no-identity";
  const decrypted = new Map<string, Opened>();
  const open = async (p: string, blob: string): Promise<Opened> => {
    const k = `${blob}|${formatForPath(p)}`;
    let r = decrypted.get(k);
    if (r) return r;
    const bytes = await blobs.read(blob);
    const format = formatForPath(p);
    if (!looksSopsEncrypted(bytes, format)) r = "plain";
    else if (identities.length === 0) r = "no-identity";
    else {
      try {
        r = await decryptFile(bytes, format, identities);
      } catch {
        r = "unparseable";
      }
    }
    decrypted.set(k, r);
    return r;
  };
  // Secret name/namespace → HEAD paths, built on first need.
  let byName: Map<string, string[]> | undefined;
  const named = async (name: string, namespace?: string): Promise<string[]> => {
    if (!byName) {
      byName = new Map();
      const files = [...headFiles].filter(([p]) => {
        const format = formatForPath(p);
        return format === "yaml" || format === "json";
      });
      const contents: Array<Promise<Buffer>> = files.map(([, f]) => blobs.read(f.blob));
      for (const [i, [p]] of files.entries()) {
        const format = formatForPath(p);
        const bytes = await contents[i]!;
        if (!/Secret/.test(bytes.toString("latin1"))) continue;
        try {
          const parsed = parseFile(bytes, format);
          for (const doc of parsed.docs) {
            const md = get(doc.root, "metadata");
            const name = getString(md, "name");
            if (name === undefined) continue;
            const id = `${getString(md, "namespace") ?? ""}/${name}`;
            const list = byName.get(id) ?? [];
            if (!list.includes(p)) list.push(p);
            byName.set(id, list);
          }
        } catch {
          // unparseable files are reported by scan; here they simply do not match
        }
      }
    }
    return byName.get(`${namespace ?? ""}/${name}`) ?? [];
  };
  for (const t of needs) {
    const e = t.exp;
    const want = { key: e.key, name: e.name, namespace: e.namespace };
    const candidates = [...e.paths].reverse().filter((p) => headFiles.has(p));
    if (e.name && e.kind !== "secretGenerator")
      for (const p of await named(e.name, e.namespace))
        if (!candidates.includes(p)) candidates.push(p);
    let status: RotationStatus | undefined;
    let detail = "";
    let undecided = "";
    for (const p of candidates) {
      const f = headFiles.get(p)!;
      const r = await open(p, f.blob);
      let h: ReturnType<typeof hashesUnderKey>;
      if (r === "unparseable") {
        undecided ||= `${p} at HEAD cannot be parsed`;
        continue;
      }
      if (r === "no-identity") {
        undecided ||= `no local age identity (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD or keys.txt) to decrypt ${p} at HEAD`;
        continue;
      }
      if (r === "plain") {
        let parsed: ReturnType<typeof parseFile>;
        try {
          parsed = parseFile(await blobs.read(f.blob), formatForPath(p));
        } catch {
          undecided ||= `${p} at HEAD cannot be parsed`;
          continue;
        }
        h = hashesUnderKey(parsed, want);
        if (!h.secretFound && e.name && e.paths.includes(p))
          h = hashesUnderKey(parsed, { key: e.key });
      } else {
        const complete = r.ok || r.problem === "mac-mismatch" || r.problem === "no-mac";
        if (!complete || !r.parsed) {
          undecided ||= `${p} at HEAD cannot be decrypted with the local identities (${r.problem ?? "error"})`;
          continue;
        }
        const leaves = r.leaves;
        h = hashesUnderKey(r.parsed, want, (i) => leaves[i]?.plain);
        if (!h.secretFound && e.name && e.paths.includes(p))
          h = hashesUnderKey(r.parsed, { key: e.key }, (i) => leaves[i]?.plain);
      }
      if (h.keyFound) {
        status = h.hashes.has(t.hash) ? "NOT ROTATED" : "rotated";
        detail =
          status === "NOT ROTATED"
            ? `${p} at HEAD still holds the same value under ${e.key}${r === "plain" ? "" : " (encrypted)"}`
            : `${p} at HEAD holds a different value under ${e.key}`;
        break;
      }
      if (h.secretFound) {
        status = "removed";
        detail = `${p} at HEAD no longer has the key ${e.key}`;
        break;
      }
    }
    if (!status) {
      if (undecided) {
        status = "unknown";
        detail = undecided;
      } else {
        status = "removed";
        detail =
          candidates.length === 0
            ? "no file at HEAD holds this Secret any more"
            : `the Secret at HEAD no longer has the key ${e.key}`;
      }
    }
    e.rotation = status;
    e.rotationDetail = detail;
  }
}
