/**
 * The bundle's entry, loaded by bin/secret-guard.js: the command line's main()
 * plus the one switch only an installed command line should flip, the policy
 * cache in the user's cache folder (the library API never writes there).
 */
import { useLargeScanHook } from "../check/pipeline.js";

export { type Caches, useCaches } from "./caches.js";
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
