/** Helpers shared by the git-backed sources. */

import path from "node:path";
import { MODE_GITLINK, MODE_SYMLINK } from "../git/parse.js";
import type { SkippedPath } from "./types.js";

/** Absolute path of repo-relative `rel` ("/" separators) under `topLevel`. */
export function absUnder(topLevel: string, rel: string): string {
  return path.join(topLevel, ...rel.split("/"));
}

/** Regular files only: 100644, 100755 (and the legacy 100664). */
export function isRegularMode(mode: string): boolean {
  return mode.startsWith("100");
}

/** Why a non-regular git entry is left out, or undefined for a deletion/absent side. */
export function skipReason(mode: string): SkippedPath["reason"] | undefined {
  if (mode === MODE_GITLINK) return "submodule";
  if (mode === MODE_SYMLINK) return "symlink";
  if (mode === "000000") return undefined;
  return "not-a-regular-file";
}
