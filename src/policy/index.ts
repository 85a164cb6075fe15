export { CONFIG_FILE_NAME, type ConfigLookup, findConfig, lookupConfig } from "./find.js";
export { type LoadOptions, loadPolicy } from "./load.js";
export { relativeForMatch, ruleFor } from "./match.js";
export { type ParseOptions, parsePolicy } from "./parse.js";
