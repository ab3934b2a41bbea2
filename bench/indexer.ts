// Benchmark: Ponder's indexing throughput over N synthetic AssetRegistry events on anvil, against a raw viem
// getLogs of the same range, on PGlite and on PostgreSQL. Run: node bench/indexer.ts [--quick].
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { assetRegistryAbi, epochLedgerAbi, licensingAbi } from "@tributary/schemas/abis";
import { createPublicClient, type Hex, http } from "viem";
import { foundry } from "viem/chains";
import { deployContracts, startAnvil } from "../scripts/lib/chain.ts";
import { startIndexer } from "../scripts/lib/indexer.ts";
import { createTempDatabase, reachable } from "../scripts/lib/postgres.ts";
import { freePort, repoRoot } from "../scripts/lib/processes.ts";
import { emitEvents } from "./lib/emitter.ts";
import type { BenchResult } from "./types.ts";

const postgresUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** Runs the indexer benchmark: 100,000 events, or 5,000 with `quick`. */
export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const events = quick ? 5_000 : 100_000;
  mkdirSync(path.join(repoRoot, ".dev"), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, ".dev/bench-indexer-"));
  const anvil = await startAnvil({ port: await freePort() });
  try {
    const deploymentsDir = path.join(dir, "deployments");
    const deployment = await deployContracts({ rpcUrl: anvil.rpcUrl, deploymentsDir });
    const addresses = ["AssetRegistry", "Licensing", "EpochLedger"].map((n) => deployment.contracts[n]?.address as Hex);
    const registry = addresses[0] as Hex;
    const emitStarted = performance.now();
    const range = await emitEvents(anvil.rpcUrl, registry, events);
    const emitSeconds = (performance.now() - emitStarted) / 1000;

    const baseline = await timeGetLogs(anvil.rpcUrl, addresses, BigInt(deployment.startBlock), range.toBlock);
    const baselineEps = baseline.logs / baseline.seconds;
    const results: BenchResult[] = [
      {
        metric: "indexer.getLogs",
        value: round(baselineEps),
        unit: "events/s",
        parameters: {
          events: baseline.logs,
          blocks: Number(range.toBlock) + 1,
          seconds: round(baseline.seconds, 3),
          emitSeconds: round(emitSeconds, 1),
        },
      },
    ];
    const databases: ("pglite" | "postgres")[] = ["pglite"];
    if (await reachable(postgresUrl)) databases.push("postgres");
    else console.warn(`Skipping PostgreSQL: nothing answers at ${new URL(postgresUrl).host}.`);
    for (const database of databases) {
      const m = await timeIndexing({ database, rpcUrl: anvil.rpcUrl, deploymentsDir, dir, expected: events });
      const eps = baseline.logs / m.indexingSeconds;
      results.push({
        metric: `indexer.throughput.${database}`,
        value: round(eps),
        unit: "events/s",
        baseline: { name: "viem getLogs of the same range", value: round(baselineEps) },
        ratio: round(eps / baselineEps, 4),
        parameters: {
          database,
          events: baseline.logs,
          indexingSeconds: round(m.indexingSeconds, 2),
          endToEndSeconds: round(m.endToEndSeconds, 2),
          note: "indexingSeconds runs from Ponder's historical start to /ready; endToEnd includes its build and startup",
        },
      });
    }
    return results;
  } finally {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One eth_getLogs over the whole range for the indexed contracts, as Ponder's baseline. */
async function timeGetLogs(rpcUrl: string, address: Hex[], fromBlock: bigint, toBlock: bigint) {
  const client = createPublicClient({
    chain: foundry,
    transport: http(rpcUrl, { timeout: 300_000, maxResponseBodySize: 2 ** 30 }),
  });
  const events = [...assetRegistryAbi, ...licensingAbi, ...epochLedgerAbi].filter((x) => x.type === "event");
  const started = performance.now();
  const logs = await client.getLogs({ address, events, fromBlock, toBlock, strict: true });
  return { logs: logs.length, seconds: (performance.now() - started) / 1000 };
}

type TimeIndexingParameters = {
  database: "pglite" | "postgres";
  rpcUrl: string;
  deploymentsDir: string;
  dir: string;
  expected: number;
};

/** Starts `ponder start` on a fresh database and times it until it is ready with every event indexed. */
async function timeIndexing(p: TimeIndexingParameters) {
  const schema = `bench_${p.database}_${process.pid}_${Date.now()}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // A database of its own: Ponder's sync cache is keyed by chain id, and every anvil is chain 31337.
  const database = p.database === "postgres" ? await createTempDatabase(postgresUrl, schema) : undefined;
  let historicalStart: number | undefined;
  const spawned = performance.now();
  // Watches /metrics for the moment Ponder starts historical indexing (its own gauge is rounded to seconds).
  const watcher = setInterval(async () => {
    if (historicalStart !== undefined) return;
    const text = await fetch(`${url}/metrics`).then(
      (r) => r.text(),
      () => "",
    );
    if (/^ponder_historical_start_timestamp_seconds\{[^}]*\} [1-9]/m.test(text)) historicalStart = performance.now();
  }, 50);
  const indexer = await startIndexer({
    rpcUrl: p.rpcUrl,
    port,
    deploymentsDir: p.deploymentsDir,
    schema,
    pgliteDir: path.join(p.dir, `pglite-${schema}`),
    databaseUrl: database?.url,
  }).finally(() => clearInterval(watcher));
  const ready = performance.now();
  try {
    const query = { json: { sql: "select count(*) as n from asset_version", params: [] } };
    const res = await fetch(`${url}/sql/db?sql=${encodeURIComponent(JSON.stringify(query))}`);
    const body = (await res.json()) as { rows: { n: string | number }[] };
    const indexed = Number(body.rows[0]?.n ?? 0);
    if (indexed !== p.expected) throw new Error(`Ponder was ready with ${indexed} of ${p.expected} events indexed.`);
  } finally {
    await indexer.stop();
    await database?.drop();
  }
  return { indexingSeconds: (ready - (historicalStart ?? spawned)) / 1000, endToEndSeconds: (ready - spawned) / 1000 };
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await run({ quick: process.argv.includes("--quick") });
  console.log(JSON.stringify(results, null, 2));
}
