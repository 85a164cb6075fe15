/**
 * The bundle's entry, loaded by bin/secret-guard.js: the command line's main()
 * plus the one switch only an installed command line should flip, the policy
 * cache in the user's cache folder (the library API never writes there).
 */
import { enablePolicyCache } from "../policy/cache.js";

export { main } from "./main.js";

export interface Caches {
  /** Folder for parsed policies (e.g. ~/.cache/secret-guard). */
  dir: string;
  /** The build's identity (the bundle's SHA-256): entries of other builds are ignored. */
  build: string;
}

export function useCaches(caches: Caches): void {
  enablePolicyCache(caches.dir, caches.build);
}
