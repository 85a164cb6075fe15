/**
 * The bundle's entry, loaded by bin/secret-guard.js: the command line's main()
 * plus the one switch only an installed command line should flip, the policy
 * cache in the user's cache folder (the library API never writes there).
 */
export { type Caches, useCaches } from "./caches.js";
export { main } from "./main.js";
