/**
 * The bundle's entry, loaded by bin/secret-guard.js: the command line's main()
 * plus the one switch only an installed command line should flip, the policy
 * cache in the user's cache folder (the library API never writes there).
 */
import { useBuildIdentity } from "../check/cache.js";
import { useLargeScanHook } from "../check/pipeline.js";
import { enablePolicyCache } from "../policy/cache.js";

export { main } from "./main.js";

// A scan of tens of thousands of files: V8 sees the judging's parse trees survive young
// collections now and then and starts allocating them in the old generation ("allocation
// site pretenuring"), which then fills with dead trees until a full collection (XL, 50,000
// files: about 245 MB peak with it, 175 MB without, and less CPU). Only for a large scan: a
// small one has no such collections and would pay for loading node:v8.
useLargeScanHook(async () => {
  const { setFlagsFromString } = await import("node:v8");
  setFlagsFromString("--no-allocation-site-pretenuring");
});

export interface Caches {
  /** Folder for parsed policies (e.g. ~/.cache/secret-guard), when there is one. */
  dir?: string;
  /** The build's identity (the bundle's SHA-256): entries of other builds are ignored. */
  build: string;
  /** The bundle file's identity for verdicts: `<sha256> <size> <mtime ms>`. */
  identity?: string;
}

export function useCaches(caches: Caches): void {
  if (caches.dir) enablePolicyCache(caches.dir, caches.build);
  if (caches.identity) useBuildIdentity(caches.identity);
}
