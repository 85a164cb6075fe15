/**
 * --all mode: every tracked file, as the index has it.
 */

import { BlobReader } from "../git/catfile.js";
import { indexEntries } from "../git/indexfile.js";
import { MODE_SYMLINK, type StageEntry } from "../git/parse.js";
import { repoInfo } from "../git/repo.js";
import { absUnder, isRegularMode, skipReason } from "./internal.js";
import { indexLookup, resolveLinks } from "./links.js";
import { indexFiles } from "./staged.js";
import type { SkippedPath, SourceFile, SourceList, SourceOptions } from "./types.js";

/**
 * Every tracked regular file's index content (GIT_INDEX_FILE honoured), from the index's
 * entries as `git ls-files -s -z` lists them (src/git/indexfile.ts):
 *
 *   <mode> <blob> <stage>\t<path>\0
 *
 * Unmerged paths (no stage 0, only stages 1/2/3 during a conflict): stage 1 (the merge
 * base) is already in history and is left out; stage 2 ("ours") and stage 3 ("theirs")
 * are both listed, with `stage` set, because either may end up committed (fail closed).
 * When they hold the same blob it is listed once, as stage 2.
 * Submodules (160000) are reported in `skipped`; a symlink (120000) is listed with the content
 * it resolves to in the index (src/sources/links.ts).
 */
export async function allFiles(cwd: string, opts: SourceOptions = {}): Promise<SourceList> {
  const info = await repoInfo(cwd, opts);
  const listing = indexEntries({ top: info.topLevel, ...info, env: opts.env });
  const reader = new BlobReader(info.topLevel, { env: opts.env });
  reader.useIndex(indexFiles(info, opts.env));
  const files: SourceFile[] = [];
  const skipped: SkippedPath[] = [];
  const toFile = (e: StageEntry, stage?: number): SourceFile => {
    const blobId = e.blob;
    const f: SourceFile = {
      path: e.path,
      absPath: absUnder(info.topLevel, e.path),
      blobId,
      mode: e.mode,
      read: () => reader.read(blobId),
    };
    if (stage !== undefined) f.stage = stage;
    if (e.size !== undefined) f.sizeHint = e.size;
    return f;
  };
  // ls-files lists entries sorted by path, then stage: conflict stages are adjacent.
  const entries = await listing;
  const links = new Map<string, string>();
  for (let i = 0; i < entries.length; ) {
    const e = entries[i]!;
    let j = i + 1;
    while (j < entries.length && entries[j]!.path === e.path) j++;
    if (j === i + 1 && e.stage === 0) {
      // The usual entry: one stage-0 path (what the loop below does for it, without a group).
      i = j;
      if (e.mode === MODE_SYMLINK) links.set(e.path, e.blob);
      else if (isRegularMode(e.mode)) files.push(toFile(e));
      else {
        const reason = skipReason(e.mode);
        if (reason) skipped.push({ path: e.path, reason });
      }
      continue;
    }
    const group = entries.slice(i, j);
    i = j;
    const stage0 = group.find((g) => g.stage === 0);
    const chosen = stage0 ? [stage0] : group.filter((g) => g.stage === 2 || g.stage === 3);
    const blobs = new Set<string>();
    let skippedPath = false;
    for (const g of chosen) {
      if (g.mode === MODE_SYMLINK && stage0) {
        links.set(g.path, g.blob);
        continue;
      }
      if (!isRegularMode(g.mode)) {
        const reason = skipReason(g.mode);
        if (reason && !skippedPath) skipped.push({ path: g.path, reason });
        skippedPath = true;
        continue;
      }
      if (blobs.has(g.blob)) continue;
      blobs.add(g.blob);
      files.push(toFile(g, stage0 ? undefined : g.stage));
    }
  }
  if (links.size > 0)
    files.push(...(await resolveLinks(info.topLevel, links, reader, indexLookup(info, opts.env))));
  const configs = new Map<string, string>();
  for (const f of files) {
    if (f.link) continue;
    const base = f.path.slice(f.path.lastIndexOf("/") + 1);
    if ((base === ".sops.yaml" || base === ".sops.yml") && f.stage === undefined && f.blobId)
      configs.set(f.path, f.blobId);
  }
  return {
    files,
    skipped,
    topLevel: info.topLevel,
    commonDir: info.commonDir,
    repo: info,
    close: () => reader.close(),
    reader,
    indexConfigs: async () => configs,
  };
}
