export { CONFIG_FILE_NAME, type ConfigLookup, findConfig, lookupConfig } from "./find.js";
export { relativeForMatch, ruleFor } from "./match.js";
export { type LoadOptions, loadPolicy, type ParseOptions, parsePolicy } from "./parse.js";
