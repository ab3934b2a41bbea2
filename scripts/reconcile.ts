// `npm run reconcile`: asks the indexer to reconcile chain, manifests and metering; exits 1 on drift, 2 on error.
// The indexer is INDEXER_URL, else the indexerUrl of .dev/stack.json, else http://127.0.0.1:42069. --chain-id <id> picks a chain.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./lib/processes.ts";

type Report = {
  ok: boolean;
  chainId: number;
  sources: Record<string, string>;
  epochs: { epochId: string; status: string; ok: boolean }[];
  mismatches: { kind: string; message: string; amounts: Record<string, string | null> }[];
};

function indexerUrl(): string {
  if (process.env.INDEXER_URL) return process.env.INDEXER_URL;
  const stack = path.join(repoRoot, ".dev/stack.json");
  if (existsSync(stack)) {
    const url = (JSON.parse(readFileSync(stack, "utf8")) as { indexerUrl?: string }).indexerUrl;
    if (url) return url;
  }
  return "http://127.0.0.1:42069";
}

const args = process.argv.slice(2);
const chainIndex = args.indexOf("--chain-id");
const chainId = chainIndex >= 0 ? args[chainIndex + 1] : undefined;
const url = `${indexerUrl()}/api/reconciliation${chainId ? `?chainId=${encodeURIComponent(chainId)}` : ""}`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  const body = (await res.json()) as Report & { detail?: string };
  if (!res.ok) throw new Error(`${res.status}: ${body.detail ?? JSON.stringify(body)}`);
  console.log(
    `chain ${body.chainId}: ${body.epochs.length} epochs; manifests ${body.sources.manifests}, metering ${body.sources.metering}.`,
  );
  for (const e of body.epochs) console.log(`  epoch ${e.epochId} ${e.status.padEnd(7)} ${e.ok ? "ok" : "DRIFT"}`);
  for (const m of body.mismatches) console.log(`✗ ${m.kind}: ${m.message} ${JSON.stringify(m.amounts)}`);
  console.log(body.ok ? "Reconciled: no drift." : `Drift: ${body.mismatches.length} mismatches.`);
  process.exit(body.ok ? 0 : 1);
} catch (err) {
  console.error(`Could not reconcile via ${url}: ${(err as Error).message}`);
  process.exit(2);
}
