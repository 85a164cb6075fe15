/**
 * Which `.sops.yaml` and `.secret-guard.yaml` judge a file. On disk (staged,
 * --all, PATH, verify, explain): the ones sops and the guard find from the
 * working directory. In a commit (--range, history, the push hooks): the ones
 * in that commit's own tree at the same places, read through the one
 * `git cat-file --batch` as `<commit>:<path>`; `--config` (or SOPS_CONFIG)
 * overrides the policy for every commit.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { GuardError } from "../errors.js";
import type { BlobReader } from "../git/catfile.js";
import { CONFIG_FILE_NAME, loadPolicy, parsePolicy } from "../policy/index.js";
import type { Policy } from "../types.js";
import { prepareSettings, type Settings } from "./file.js";
import {
  EMPTY_CONFIG,
  loadGuardConfig,
  parseGuardConfig,
  CONFIG_NAME as SETTINGS_NAME,
} from "./settings.js";

export interface Configs {
  policy?: Policy;
  settings: Settings;
  /** Where they came from, for --debug and explain (`rel@commit` in a commit). */
  policySource?: string;
  settingsSource?: string;
}

/** The configs on disk, as found from `cwd` (settings: up to the repository's top level). */
export async function diskConfigs(opts: {
  cwd: string;
  topLevel?: string;
  configPath?: string;
  env: NodeJS.ProcessEnv;
}): Promise<Configs> {
  const policy = loadPolicy({ cwd: opts.cwd, configPath: opts.configPath, env: opts.env });
  const cfg = await loadGuardConfig(opts.cwd, opts.topLevel ?? opts.cwd);
  return {
    policy,
    settings: await prepareSettings(cfg),
    policySource: policy?.configPath,
    settingsSource: cfg.path,
  };
}

/** Repository-relative candidates for `name`, nearest first: cwd's folder up to the top. */
export function candidatesFor(topLevel: string, cwd: string, name: string): string[] {
  let rel = path.relative(topLevel, path.resolve(cwd));
  if (rel.startsWith("..") || path.isAbsolute(rel)) rel = "";
  const parts = rel === "" ? [] : rel.split(path.sep);
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) out.push([...parts.slice(0, i), name].join("/"));
  return out;
}

/** Per-commit configs, each distinct file version parsed once. */
export class CommitConfigs {
  readonly warnings: string[] = [];
  readonly #top: string;
  readonly #reader: BlobReader;
  readonly #fixed: Policy | undefined;
  readonly #hasFixed: boolean;
  readonly #policyNames: string[];
  readonly #settingsNames: string[];
  readonly #byCommit = new Map<string, Promise<Configs>>();
  readonly #policies = new Map<string, Policy | undefined>();
  readonly #settings = new Map<string, Promise<Settings>>();

  constructor(opts: {
    topLevel: string;
    cwd: string;
    reader: BlobReader;
    configPath?: string;
    env: NodeJS.ProcessEnv;
  }) {
    this.#top = opts.topLevel;
    this.#reader = opts.reader;
    const explicit = opts.configPath || opts.env.SOPS_CONFIG;
    this.#hasFixed = Boolean(explicit);
    this.#fixed = explicit
      ? loadPolicy({ cwd: opts.cwd, configPath: explicit, env: opts.env })
      : undefined;
    this.#policyNames = candidatesFor(opts.topLevel, opts.cwd, CONFIG_FILE_NAME);
    this.#settingsNames = candidatesFor(opts.topLevel, opts.cwd, SETTINGS_NAME);
  }

  /** The configs of `rev` (a full commit id, optionally followed by `^` for its first parent). */
  at(rev: string): Promise<Configs> {
    let p = this.#byCommit.get(rev);
    if (!p) {
      p = this.#load(rev);
      this.#byCommit.set(rev, p);
    }
    return p;
  }

  async #nearest(
    rev: string,
    names: string[],
  ): Promise<{ rel: string; bytes: Buffer } | undefined> {
    for (const rel of names) {
      const bytes = await this.#reader.readAt(rev, rel);
      if (bytes) return { rel, bytes };
    }
    return undefined;
  }

  async #load(rev: string): Promise<Configs> {
    const where = rev.endsWith("^") ? `the parent of ${rev.slice(0, 12)}` : rev.slice(0, 12);
    let policy: Policy | undefined = this.#fixed;
    let policySource: string | undefined = this.#fixed?.configPath;
    if (!this.#hasFixed) {
      const found = await this.#nearest(rev, this.#policyNames);
      if (found) {
        policySource = `${found.rel}@${where}`;
        const key = `${found.rel}\0${hash(found.bytes)}`;
        if (this.#policies.has(key)) policy = this.#policies.get(key);
        else {
          try {
            policy = parsePolicy(found.bytes.toString("utf8"), abs(this.#top, found.rel), {
              displayPath: `${found.rel} (commit ${where})`,
            });
          } catch (e) {
            if (!(e instanceof GuardError)) throw e;
            // A commit whose policy sops could not read either: judged as if nothing covered it,
            // and said so (Secrets are still judged without a policy).
            this.warnings.push(
              `${e.message.split("\n")[0]}: files of the commits using it are judged as if no creation rule covered them`,
            );
            policy = undefined;
          }
          this.#policies.set(key, policy);
        }
      }
    }
    const foundSettings = await this.#nearest(rev, this.#settingsNames);
    let settings: Promise<Settings>;
    if (!foundSettings) settings = prepareSettings(EMPTY_CONFIG);
    else {
      const key = `${foundSettings.rel}\0${hash(foundSettings.bytes)}`;
      let s = this.#settings.get(key);
      if (!s) {
        const text = foundSettings.bytes.toString("utf8");
        const file = `${foundSettings.rel} (commit ${where})`;
        s = Promise.resolve().then(() => prepareSettings(parseGuardConfig(text, file)));
        this.#settings.set(key, s);
      }
      settings = s;
    }
    return {
      policy,
      settings: await settings,
      policySource,
      settingsSource: foundSettings ? `${foundSettings.rel}@${where}` : undefined,
    };
  }
}

function abs(top: string, rel: string): string {
  return path.join(top, ...rel.split("/"));
}

function hash(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

/**
 * Per-folder policies (the Flux guide keeps `.sops.yaml` under `clusters/<name>/`):
 * a file below the working directory is judged by the nearest `.sops.yaml` at or
 * above its own folder, down from the working directory — what sops finds when
 * run from that folder. In staged/all mode the candidates are the index's own
 * `.sops.yaml` files, read through the sources' cat-file process, so the staged
 * policy judges the staged files; PATH mode reads the disk. A file with none
 * below the working directory keeps the policy found from there upward.
 */
export class FolderPolicies {
  readonly warnings: string[] = [];
  readonly #top: string;
  readonly #cwdRel: string;
  readonly #base: Configs;
  readonly #index: Map<string, string> | undefined;
  readonly #reader: BlobReader | undefined;
  readonly #byRel = new Map<string, Promise<Configs>>();
  readonly #byDir = new Map<string, Promise<Configs>>();
  readonly #warned = new Set<string>();

  constructor(opts: {
    topLevel: string;
    cwd: string;
    base: Configs;
    index?: Map<string, string>;
    reader?: BlobReader;
  }) {
    this.#top = opts.topLevel;
    let rel = path.relative(opts.topLevel, path.resolve(opts.cwd));
    if (rel.startsWith("..") || path.isAbsolute(rel)) rel = "";
    this.#cwdRel = rel.split(path.sep).join("/");
    this.#base = opts.base;
    this.#index = opts.index;
    this.#reader = opts.reader;
  }

  /** True when some `.sops.yaml` lies below the working directory (else nothing changes). */
  static async needed(index: Map<string, string> | undefined, cwdRel: string): Promise<boolean> {
    if (!index) return false;
    for (const p of index.keys()) {
      const dir = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "";
      if (dir !== cwdRel && inside(dir, cwdRel)) return true;
    }
    return false;
  }

  /** The configs judging `rel` (repository-relative, `/` separators). */
  for(rel: string): Promise<Configs> {
    const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    let p = this.#byDir.get(dir);
    if (!p) {
      p = this.#resolve(dir);
      this.#byDir.set(dir, p);
    }
    return p;
  }

  async #resolve(dir: string): Promise<Configs> {
    if (!inside(dir, this.#cwdRel)) return this.#base;
    for (let d: string | undefined = dir; d !== undefined; d = parentOf(d, this.#cwdRel)) {
      const rel = d === "" ? CONFIG_FILE_NAME : `${d}/${CONFIG_FILE_NAME}`;
      if (this.#has(rel)) return this.#load(rel);
      const alt = d === "" ? ".sops.yml" : `${d}/.sops.yml`;
      if (this.#has(alt) && !this.#warned.has(alt)) {
        this.#warned.add(alt);
        this.warnings.push(
          `ignoring "${alt}": the sops config file must be called ${CONFIG_FILE_NAME} (sops ignores this file)`,
        );
      }
    }
    return this.#base;
  }

  #has(rel: string): boolean {
    if (this.#index) return this.#index.has(rel);
    return existsSync(abs(this.#top, rel));
  }

  #load(rel: string): Promise<Configs> {
    let p = this.#byRel.get(rel);
    if (!p) {
      p = (async () => {
        const file = abs(this.#top, rel);
        let text: string;
        const blob = this.#index?.get(rel);
        if (blob && this.#reader) text = (await this.#reader.read(blob)).toString("utf8");
        else text = readFileSync(file, "utf8");
        const policy = parsePolicy(text, file, {
          displayPath: `${rel}${this.#index ? " (staged)" : ""}`,
        });
        for (const w of policy.warnings) if (!this.warnings.includes(w)) this.warnings.push(w);
        return { ...this.#base, policy, policySource: file };
      })();
      this.#byRel.set(rel, p);
    }
    return p;
  }
}

function inside(dir: string, ancestor: string): boolean {
  return ancestor === "" || dir === ancestor || dir.startsWith(`${ancestor}/`);
}

function parentOf(dir: string, stop: string): string | undefined {
  if (dir === stop || dir === "") return undefined;
  return dir.includes("/") ? dir.slice(0, dir.lastIndexOf("/")) : "";
}
