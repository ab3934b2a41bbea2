// `npm run dev`: the whole stack on one machine, offline, with demo data. Ctrl-C stops everything.
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { missingDependency } from "./lib/dependencies.ts";
import { repoRoot } from "./lib/processes.ts";
import { Stack, type StackInfo, type StackOptions, startStack } from "./lib/stack.ts";

const usage = `Usage: npm run dev -- [options]

Starts anvil, deploys the contracts, the local model server, the worker (gateway, tasks, settler)
under wrangler with local D1/R2, the Ponder indexer on PGlite, seeds demo data and writes
<state-dir>/stack.json. Ctrl-C stops every process.

Options:
  --fresh               Start from empty state (chain, D1, R2, indexer) instead of resuming.
  --state-dir <dir>     Where state and logs live (default .dev).
  --chain-port <n>      anvil JSON-RPC port (default 8545).
  --gateway-port <n>    worker port (default 8787).
  --indexer-port <n>    Ponder port (default 42069).
  --model-port <n>      local OpenAI-compatible model server port (default 8788).
  --exit-when-ready     Stop everything once the stack is up (a smoke check).
  -h, --help            Show this help.`;

function parse(): StackOptions & { fresh: boolean; exitWhenReady: boolean } {
  const { values } = parseArgs({
    options: {
      fresh: { type: "boolean", default: false },
      "state-dir": { type: "string", default: ".dev" },
      "chain-port": { type: "string", default: process.env.CHAIN_PORT ?? "8545" },
      "gateway-port": { type: "string", default: process.env.GATEWAY_PORT ?? "8787" },
      "indexer-port": { type: "string", default: process.env.INDEXER_PORT ?? "42069" },
      "model-port": { type: "string", default: process.env.MODEL_PORT ?? "8788" },
      "exit-when-ready": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const port = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new UsageError(`--${name} must be a port number, got "${value}".`);
    return n;
  };
  return {
    fresh: values.fresh,
    exitWhenReady: values["exit-when-ready"],
    stateDir: path.resolve(repoRoot, values["state-dir"]),
    ports: {
      chain: port("chain-port", values["chain-port"]),
      gateway: port("gateway-port", values["gateway-port"]),
      indexer: port("indexer-port", values["indexer-port"]),
      model: port("model-port", values["model-port"]),
    },
  };
}

class UsageError extends Error {}

function checkDependencies() {
  const missing = missingDependency(path.join(repoRoot, "node_modules/.bin"));
  if (missing) throw new Error(missing);
}

function printSummary(info: StackInfo, stateDir: string) {
  const rows: [string, string][] = [
    ["chain (anvil 31337)", info.rpcUrl],
    ["gateway  /v1", `${info.gatewayUrl}/v1`],
    ["tasks", `${info.tasksUrl}/tasks`],
    ["indexer GraphQL", `${info.indexerUrl}/graphql`],
    ["dashboard", info.dashboardUrl],
    ["model server", info.modelServerUrl],
    ["admin token", info.adminToken],
    ...Object.entries(info.contracts).map(([name, address]): [string, string] => [name, address]),
    ["demo model", info.demo.model],
    ["demo API key", info.demo.apiKey],
    ["demo payer", info.demo.payer],
    ["demo project", info.demo.projectId],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(
    `\nTributary is running. ${path.relative(repoRoot, path.join(stateDir, "stack.json"))} has everything below.\n`,
  );
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(`\nLogs: ${path.relative(repoRoot, path.join(stateDir, "logs"))}/. Press Ctrl-C to stop.`);
}

async function main() {
  const stack = new Stack();
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (reason) console.log(reason);
    await stack.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("\nStopping the stack…", 0));
  process.on("SIGTERM", () => void shutdown("\nStopping the stack…", 0));
  try {
    const options = parse();
    checkDependencies();
    if (options.fresh) rmSync(options.stateDir, { recursive: true, force: true });
    mkdirSync(options.stateDir, { recursive: true });
    const started = Date.now();
    const info = await startStack({ ...options, log: (line) => console.log(`• ${line}`) }, stack);
    printSummary(info, options.stateDir);
    console.log(`(up in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (options.exitWhenReady) await shutdown("", 0);
  } catch (err) {
    console.error(`npm run dev: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown("", 1);
  }
}

void main();
