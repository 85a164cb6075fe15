/** The sources: where the files to judge come from. */

export { allFiles } from "./all.js";
export { type PathOptions, pathFiles } from "./paths.js";
export {
  parsePrePush,
  parsePreReceive,
  pushFiles,
  type RefUpdate,
  receiveFiles,
} from "./push.js";
export { rangeFiles, revFiles } from "./range.js";
export { stagedFiles } from "./staged.js";
export type { SkippedPath, SourceFile, SourceList, SourceOptions } from "./types.js";
