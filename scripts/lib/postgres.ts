// Throwaway PostgreSQL databases for tests and benchmarks of the indexer.
import { Socket } from "node:net";
import pg from "pg";

/** Whether anything accepts TCP connections at the host and port of the PostgreSQL `url`. */
export async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return await new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(Number(port || 5432), hostname, () => done(true));
  });
}

export type TempDatabase = { url: string; drop: () => Promise<void> };

/**
 * Creates database `name` on the server of `serverUrl` and returns its URL. Each local chain needs its
 * own database: Ponder's sync cache (schema `ponder_sync`) is keyed by chain id and block number, and every
 * fresh anvil reuses chain 31337 and the same block numbers, so a shared cache would mix old logs in.
 */
export async function createTempDatabase(serverUrl: string, name: string): Promise<TempDatabase> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Database name ${name} must be lower-case letters, digits and _.`);
  await admin(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
