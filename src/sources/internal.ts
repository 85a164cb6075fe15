/** Helpers shared by the git-backed sources. */

import { MODE_GITLINK, MODE_SYMLINK } from "../git/parse.js";
import type { SkippedPath } from "./types.js";

export { absUnder, isRegularMode } from "../git/parse.js";

/** Why a non-regular git entry is left out, or undefined for a deletion/absent side. */
export function skipReason(mode: string): SkippedPath["reason"] | undefined {
  if (mode === MODE_GITLINK) return "submodule";
  if (mode === MODE_SYMLINK) return "symlink";
  if (mode === "000000") return undefined;
  return "not-a-regular-file";
}
