// Write-behind with group commit: the metering writes of an isolate's requests are queued per database and committed
// together, one batch (one round trip, one transaction) for everything that queued up within FLUSH_DELAY_MS.

/** A statement to run later: its SQL and parameters, prepared by whichever request flushes the queue. */
export type Write = { sql: string; params: unknown[] };

type Item = { writes: Write[]; state: "queued" | "done" | "failed"; results?: D1Result[]; error?: unknown };
type Queue = { items: Item[]; writes: number; flushing: boolean };

/** How long a write waits for others to share its batch (ms). The client has its answer already. */
export const FLUSH_DELAY_MS = 50;
/** Statements per batch at most; a longer queue is committed over several batches. */
const MAX_BATCH_STATEMENTS = 256;
/**
 * While another request's batch is in flight, a waiting request looks again this often (ms). Only the waiting
 * request's own completion depends on it (its writes are committed by the batch in flight), and every look is a
 * timer that costs CPU, so it is not short.
 */
const POLL_MS = 20;

/**
 * Queues by binding name: the runtime may hand each request its own binding objects, so the name is what tells
 * that two requests write to the same database.
 */
const queues = new Map<string, Queue>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes for one database: `db` is this request's binding object for the database bound as `binding`. */
export type Writes = { db: D1Database; binding: string; writes: Write[] };

/**
 * Queues writes that must be committed together and in order after every write queued before them on the database
 * bound as `binding` (`db` is this request's binding object for it), and
 * resolves once they are (hand the promise to waitUntil). Each request flushes, from its own request context, the
 * queue it finds when its delay has passed, so no request performs I/O for another or waits on a promise only
 * another request could settle (the runtime would cancel it as hung); it only ever waits on its own timers.
 *
 * A batch is one transaction: when it fails, each request's writes are committed on their own, so one bad write
 * never takes others with it, and only its own request sees the error.
 */
export async function writeBehind(db: D1Database, binding: string, writes: Write[]): Promise<D1Result[]> {
  const [results] = await writeBehindAll([{ db, binding, writes }]);
  return results ?? [];
}

/**
 * `writeBehind` for several databases at once, on one timer: every timer that fires re-enters its request's context
 * (50–65 µs of CPU each on the 2-core machine), so a request's writes wait together. Resolves with each database's results, or
 * rejects with the first failure once every database has been tried.
 */
export async function writeBehindAll(targets: Writes[]): Promise<D1Result[][]> {
  const pending = targets.map(({ db, binding, writes }) => {
    let queue = queues.get(binding);
    if (!queue) {
      queue = { items: [], writes: 0, flushing: false };
      queues.set(binding, queue);
    }
    const item: Item = { writes, state: "queued" };
    queue.items.push(item);
    queue.writes += writes.length;
    return { db, queue, item };
  });
  const full = pending.some((p) => p.queue.writes >= MAX_BATCH_STATEMENTS);
  await sleep(full ? 0 : FLUSH_DELAY_MS);
  for (;;) {
    const queued = pending.filter((p) => p.item.state === "queued");
    if (queued.length === 0) break;
    const idle = queued.filter((p) => !p.queue.flushing);
    if (idle.length === 0) await sleep(POLL_MS);
    else await Promise.all(idle.map((p) => flush(p.db, p.queue)));
  }
  const failed = pending.find((p) => p.item.state === "failed");
  if (failed) throw failed.item.error;
  return pending.map((p) => p.item.results ?? []);
}

async function flush(db: D1Database, queue: Queue): Promise<void> {
  queue.flushing = true;
  try {
    const group: Item[] = [];
    let writes = 0;
    for (const next of queue.items) {
      if (group.length > 0 && writes + next.writes.length > MAX_BATCH_STATEMENTS) break;
      group.push(next);
      writes += next.writes.length;
    }
    queue.items.splice(0, group.length);
    queue.writes -= writes;
    const prepare = (w: Write) => db.prepare(w.sql).bind(...w.params);
    try {
      const results = await db.batch(group.flatMap((i) => i.writes.map(prepare)));
      let at = 0;
      for (const i of group) {
        i.results = results.slice(at, at + i.writes.length);
        i.state = "done";
        at += i.writes.length;
      }
    } catch (err) {
      for (const i of group) {
        try {
          if (group.length === 1) throw err;
          i.results = await db.batch(i.writes.map(prepare));
          i.state = "done";
        } catch (own) {
          i.state = "failed";
          i.error = own;
        }
      }
    }
  } finally {
    queue.flushing = false;
  }
}
