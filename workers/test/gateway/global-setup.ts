// Starts the local model servers in Node for the workerd tests and provides their URLs.
import type { TestProject } from "vitest/node";
import { startModelServer } from "../../../scripts/model-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    upstreamUrl: string;
    slowUpstreamUrl: string;
    upstreamKey: string;
  }
}

export default async function setup(project: TestProject) {
  const upstreamKey = "upstream-test-key";
  const fast = await startModelServer({ apiKey: upstreamKey });
  const slow = await startModelServer({ apiKey: upstreamKey, chunkDelayMs: 15 });
  project.provide("upstreamUrl", `${fast.url}/v1`);
  project.provide("slowUpstreamUrl", `${slow.url}/v1`);
  project.provide("upstreamKey", upstreamKey);
  return async () => {
    await fast.close();
    await slow.close();
  };
}
