/** The detection engine: signature catalog, commit/PR classification, AI LOC, suspected tier. */
export * from "./signatures.ts";
export * from "./matcher.ts";
export * from "./loc.ts";
export * from "./classify.ts";
export * from "./suspected.ts";
export * from "./summary.ts";
export * from "./strip.ts";
export * from "./release-share.ts";
export * from "./repository-evidence.ts";
export * from "./notes.ts";
export * from "./recorded.ts";
