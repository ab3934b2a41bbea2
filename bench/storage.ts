// Benchmark module "storage": the database pages one metering batch writes, with time-ordered (UUIDv7) request ids
// against random (UUIDv4) ones, on the meter and control schemas as migrated, in SQLite (the engine D1 runs).
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { v4 as uuidv4, v7 as uuidv7 } from "uuid";
import { repoRoot } from "../scripts/lib/processes.ts";
import { CHARGE_INSERT_SQL, USAGE_INSERT_SQL } from "../workers/src/gateway/metering-sql.ts";
import { ratio, round } from "./lib/stats.ts";
import type { BenchResult } from "./types.ts";

const FULL = { rows: 1_000_000, batches: 200 };
const QUICK = { rows: 100_000, batches: 100 };
/** Calls per batch: about what one 50 ms write-behind window of one isolate commits at ~1,000 calls per second. */
const BATCH = 50;
/** Payers and keys calling at once. Each index led by payer or key takes one page per payer or key in a batch. */
const PAYERS = 20;
/** A WAL frame: a 4,096-byte page and its 24-byte header. */
const FRAME_BYTES = 4096 + 24;

type Database = "meter" | "control";
type Variant = "v7" | "v4";

/** The statements of one call on each database: the gateway's own (gateway/metering-sql.ts). */
const INSERTS: Record<Database, string> = { meter: USAGE_INSERT_SQL, control: CHARGE_INSERT_SQL };

/** The parameters of call `i`, made at `at` (ms), in the gateway's column order. */
function paramsOf(db: Database, id: string, i: number, at: number): (string | number | null)[] {
  const payer = `0x${String(i % PAYERS).padStart(40, "0")}`;
  const key = `key_${String(i % PAYERS).padStart(16, "0")}`;
  const token = `0x${"cd".repeat(20)}`;
  if (db === "control") return [id, payer, token, key, "2026-11-22", "4096", "97", "charged", at];
  // Sized like a real record (about 820 bytes with its indexes): 0x-hex ids and assets, a 64-byte signature.
  return [
    ...[id, key, payer, "bench-model", `0x${"11".repeat(32)}`, "license-bench", "terms-bench", token, "route-1"],
    ...["chat.completions", 0, 12, 16, "97", "4096", "completed", 200, 3, "us", 0, at],
    ...[`0x${"ab".repeat(64)}`, `0x04${"cd".repeat(64)}`],
  ];
}

/** A file database with every migration of `db` applied (drizzle-kit's files, split at its statement breakpoints). */
async function migrated(db: Database, folder: string): Promise<DatabaseSync> {
  const { DatabaseSync } = await import("node:sqlite");
  const sqlite = new DatabaseSync(path.join(folder, `${db}.sqlite`));
  // D1's storage is SQLite in WAL mode; no automatic checkpoint, so the WAL's growth is what the batches wrote.
  sqlite.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;");
  const dir = path.join(repoRoot, "workers/migrations", db);
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort()) {
    for (const statement of (await readFile(path.join(dir, file), "utf8")).split("--> statement-breakpoint")) {
      if (statement.trim()) sqlite.exec(statement);
    }
  }
  return sqlite;
}

type Measured = { pagesPerBatch: number; msPerBatch: number };

/**
 * Fills `db` with `rows` calls, then commits `batches` transactions of BATCH calls each, all with request ids of
 * `variant` (a UUIDv7 carries the call's millisecond), and counts the WAL frames and time the batches took.
 */
async function measure(db: Database, variant: Variant, rows: number, batches: number): Promise<Measured> {
  const folder = await mkdtemp(path.join(tmpdir(), "tributary-storage-"));
  try {
    const sqlite = await migrated(db, folder);
    const insert = sqlite.prepare(INSERTS[db]);
    const idOf = (at: number) => (variant === "v7" ? uuidv7({ msecs: at }) : uuidv4());
    // Calls about 1 ms apart, ending now.
    const start = Date.now() - rows - batches * BATCH;
    let i = 0;
    const call = () => {
      const at = start + i;
      insert.run(...paramsOf(db, idOf(at), i, at));
      i++;
    };
    for (let done = 0; done < rows; done += 10_000) {
      sqlite.exec("BEGIN");
      for (let n = 0; n < Math.min(10_000, rows - done); n++) call();
      sqlite.exec("COMMIT");
    }
    sqlite.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const wal = path.join(folder, `${db}.sqlite-wal`);
    const before = (await stat(wal)).size;
    const started = performance.now();
    for (let b = 0; b < batches; b++) {
      sqlite.exec("BEGIN");
      for (let n = 0; n < BATCH; n++) call();
      sqlite.exec("COMMIT");
    }
    const ms = performance.now() - started;
    const frames = ((await stat(wal)).size - before) / FRAME_BYTES;
    sqlite.close();
    return { pagesPerBatch: frames / batches, msPerBatch: ms / batches };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Per database, the pages a batch of metering inserts writes (WAL frames: what D1 ships and replicates per commit)
 * and the time SQLite takes for it, with UUIDv7 request ids against UUIDv4 ones, on a table of `rows` calls. A random
 * key lands each insert on another leaf page of the primary-key index; a time-ordered key lands them all on the last.
 */
export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const { rows, batches } = quick ? QUICK : FULL;
  const results: BenchResult[] = [];
  for (const db of ["meter", "control"] as const) {
    const v4 = await measure(db, "v4", rows, batches);
    const v7 = await measure(db, "v7", rows, batches);
    const parameters = { rows, batches, callsPerBatch: BATCH, payers: PAYERS, statement: INSERTS[db].split("(")[0] };
    const result = (metric: string, unit: string, pick: (m: Measured) => number, digits: number): BenchResult => ({
      metric: `storage.${db}.${metric}`,
      value: round(pick(v7), digits),
      unit,
      baseline: { name: "random request ids (UUIDv4)", value: round(pick(v4), digits) },
      ratio: ratio(pick(v7), pick(v4)),
      parameters,
    });
    results.push(
      result("pages-per-batch", "pages", (m) => m.pagesPerBatch, 1),
      result("ms-per-batch", "ms", (m) => m.msPerBatch, 2),
    );
  }
  return results;
}
