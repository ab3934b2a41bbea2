// Zod wire schemas of the annotation tasks API (validation and the OpenAPI document share them).
export * from "./tasks/auth.ts";
export * from "./tasks/common.ts";
export * from "./tasks/exports.ts";
export * from "./tasks/labels.ts";
export * from "./tasks/projects.ts";
export * from "./tasks/work.ts";
