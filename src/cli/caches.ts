/** The one switch only an installed command line flips: its caches in the user's cache folder. */
import { useBuildIdentity } from "../check/cache.js";
import { enablePolicyCache } from "../policy/cache.js";

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
