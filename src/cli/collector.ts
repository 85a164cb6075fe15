/**
 * Garbage-collector settings for `history`, the one long run. An audit keeps its index of
 * commits, paths and blobs live (about 50 MB on a 15,000-commit repository, 120 MB on a
 * 31,000-commit one) while it parses tens of thousands of blobs into short-lived trees.
 * By default V8 then lets the heap grow to about four times what is live before a full
 * collection: 540–570 MB resident on the larger repository. Capping the growth at twice
 * what is live and the young generation at 8 MB brings that to 340–370 MB (a 7,700-commit
 * one: 490 → 190 MB), at the same speed within this machine's noise (README, Performance).
 * Only the process's memory changes, never a result;
 * a Node that refuses a setting runs with its defaults.
 */
export async function boundAuditHeap(): Promise<boolean> {
  try {
    const { setFlagsFromString } = await import("node:v8");
    setFlagsFromString("--heap-growing-percent=100");
    setFlagsFromString("--max-semi-space-size=8");
    return true;
  } catch {
    return false; // defaults: more memory, the same audit
  }
}
