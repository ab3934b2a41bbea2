// What the local stack needs before it starts: a recent enough Node and the tools npm installs.
import { existsSync } from "node:fs";
import path from "node:path";

export const requiredTools = ["anvil", "forge", "wrangler", "ponder"] as const;

/** The first thing missing, as a one-line explanation, or undefined when all is there. */
export function missingDependency(binDir: string, nodeVersion = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = nodeVersion.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    return `Node ${nodeVersion} is too old: run it through npm (npm run dev), which uses the Node 22 that npm installed.`;
  }
  const tool = requiredTools.find((t) => !existsSync(path.join(binDir, t)));
  return tool ? `Missing dependency: ${tool} is not installed. Run \`npm install\` first.` : undefined;
}
