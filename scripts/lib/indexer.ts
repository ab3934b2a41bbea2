// Starts the Ponder indexer against a chain and waits until it has caught up and serves its API.
import { answers, type Managed, start, waitUntil } from "./processes.ts";

export type StartIndexerParameters = {
  rpcUrl: string;
  port: number;
  deploymentsDir: string;
  /** Database schema Ponder writes into (one per running instance). */
  schema: string;
  /** PGlite folder; ignored when `databaseUrl` is set. */
  pgliteDir: string;
  databaseUrl?: string;
  /** Where reconciliation and payouts read settlement manifests (the worker serving /settlement). */
  settlerUrl?: string;
  /** The settler's admin token, so reconciliation can read metering totals. */
  settlerAdminToken?: string;
  onOutput?: (text: string) => void;
};

export type Indexer = Managed & { url: string };

export async function startIndexer(p: StartIndexerParameters): Promise<Indexer> {
  const indexer = start({
    name: "ponder",
    command: "ponder",
    args: ["start", "--root", "indexer", "--schema", p.schema, "--port", String(p.port), "--hostname", "127.0.0.1"],
    env: {
      PONDER_RPC_URL_31337: p.rpcUrl,
      DEPLOYMENTS_DIR: p.deploymentsDir,
      PONDER_PGLITE_DIR: p.pgliteDir,
      DATABASE_URL: p.databaseUrl,
      SETTLER_URL: p.settlerUrl ?? process.env.SETTLER_URL,
      SETTLER_ADMIN_TOKEN: p.settlerAdminToken ?? process.env.SETTLER_ADMIN_TOKEN,
      PONDER_TELEMETRY_DISABLED: "true",
    },
    onOutput: p.onOutput,
  });
  const url = `http://127.0.0.1:${p.port}`;
  await waitUntil(indexer, "the indexer is ready", async () => (await fetch(`${url}/ready`)).status === 200, 120_000);
  return { ...indexer, url };
}

/** Posts a GraphQL query to the indexer and returns `data`, failing on GraphQL errors. */
export async function graphql<T>(indexerUrl: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${indexerUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(`GraphQL: ${body.errors.map((e) => e.message).join("; ")}`);
  return body.data as T;
}

export { answers };
