// Write-behind with group commit: the metering writes of an isolate's requests are queued per database and committed
// together, one batch (one round trip, one transaction) for everything that queued up within FLUSH_DELAY_MS.

/** A statement to run later: its SQL and parameters, prepared by whichever request flushes the queue. */
export type Write = { sql: string; params: unknown[] };

type Item = {
  writes: Write[];
  /** queued: waiting for a batch; sent: in a batch in flight (since `sentAt`); then done or failed. */
  state: "queued" | "sent" | "done" | "failed";
  sentAt?: number;
  results?: D1Result[];
  error?: unknown;
};
type Queue = {
  items: Item[];
  writes: number;
  flushing: boolean;
  /** When the open window's batch is due: set by the write that opens it (an empty queue's first), FLUSH_DELAY_MS on. */
  due: number | null;
  /**
   * Recent batches' round trip (ms, moving average; the first batch sets it): how long after a batch is sent its
   * writers look for it. Null until a batch came back.
   */
  batchMs: number | null;
};

/** How long a write waits for others to share its batch (ms). The client has its answer already. */
export const FLUSH_DELAY_MS = 50;
/** Statements per batch at most; a longer queue is committed over several batches. */
const MAX_BATCH_STATEMENTS = 256;
/** A write looks again at least this long after its last look (ms), doubling while its batch is still in flight. */
const MIN_LOOK_MS = 5;
/** A write sleeps at most this long between looks (ms), whatever the clock did meanwhile. */
const MAX_LOOK_MS = 2 * FLUSH_DELAY_MS;
/** Assumed round trip of a batch before any was measured (ms). */
const FIRST_BATCH_MS = 10;

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
 * resolves once they are (hand the promise to waitUntil). Batches are sent by requests that have writes in them, each
 * from its own request context, so no request performs I/O for another or waits on a promise only another request
 * could settle (the runtime would cancel it as hung); a request only ever waits on its own timers and its own I/O.
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
 * (50–65 µs of CPU each on the 2-core machine), so a request's timers are few. The write that opens a queue's window
 * sleeps until the window is due (FLUSH_DELAY_MS) and sends everything queued by then as one batch; the others in the
 * window sleep until that batch should be back (the window's end plus the recent round trip), so in the common case
 * each write wakes once. A write that wakes early looks again when its batch should be back, then at doubling
 * intervals; one whose window's sender has not come (its wake was late) sends the batch itself. Resolves with each
 * database's results, or rejects with the first failure once every database has been tried.
 */
export async function writeBehindAll(targets: Writes[]): Promise<D1Result[][]> {
  if (targets.length === 0) return [];
  // This write's own clock: the time as the runtime tells it, and never behind the sleeps it has waited out (a
  // clock that stands still, as a test's fake Date does, or is set back must not hold writes up).
  let clock = Date.now();
  const pending = targets.map(({ db, binding, writes }) => {
    let queue = queues.get(binding);
    if (!queue) {
      queue = { items: [], writes: 0, flushing: false, due: null, batchMs: null };
      queues.set(binding, queue);
    }
    const opens = queue.due === null || queue.due > clock + FLUSH_DELAY_MS;
    if (opens) queue.due = clock + FLUSH_DELAY_MS;
    const item: Item = { writes, state: "queued" };
    queue.items.push(item);
    queue.writes += writes.length;
    if (queue.writes >= MAX_BATCH_STATEMENTS) queue.due = clock;
    return { db, queue, item, opens };
  });
  const dueOf = (queue: Queue) => queue.due ?? clock;
  let wake = Math.min(
    ...pending.map((p) => (p.opens || dueOf(p.queue) <= clock ? dueOf(p.queue) : lookAt(p.queue, p.item, clock))),
  );
  let backoff = MIN_LOOK_MS;
  for (;;) {
    // Always at least one yield, so that even a full queue is sent after the caller's response, not before it.
    const wait = Math.min(Math.max(0, wake - clock), MAX_LOOK_MS);
    await sleep(wait);
    clock = Math.max(Date.now(), clock + wait);
    for (const { queue } of pending) if (dueOf(queue) > clock + FLUSH_DELAY_MS) queue.due = clock;
    const sending = pending.filter((p) => p.item.state === "queued" && !p.queue.flushing && dueOf(p.queue) <= clock);
    if (sending.length > 0) {
      await Promise.all(sending.map((p) => flush(p.db, p.queue)));
      clock = Math.max(Date.now(), clock);
    }
    const waiting = pending.filter((p) => p.item.state === "queued" || p.item.state === "sent");
    if (waiting.length === 0) break;
    // Looking again before the batch is back costs a wake; after a miss, wait longer each time.
    wake = Math.max(Math.min(...waiting.map((p) => lookAt(p.queue, p.item, clock))), clock + backoff);
    if (sending.length === 0) backoff = Math.min(backoff * 2, FLUSH_DELAY_MS);
  }
  const failed = pending.find((p) => p.item.state === "failed");
  if (failed) throw failed.item.error;
  return pending.map((p) => p.item.results ?? []);
}

/**
 * When a write should look next: when its batch should be back (twice the recent round trip, as waking late only
 * delays the promise under waitUntil, and waking early costs another wake), or, queued behind a batch in flight,
 * when that batch should be back.
 */
function lookAt(queue: Queue, item: Item, now: number): number {
  const roundTrip = 2 * (queue.batchMs ?? FIRST_BATCH_MS) + 2;
  if (item.state === "sent") return (item.sentAt ?? now) + roundTrip;
  const due = queue.due ?? now;
  return queue.flushing ? Math.max(due, now + roundTrip) : due + roundTrip;
}

async function flush(db: D1Database, queue: Queue): Promise<void> {
  queue.flushing = true;
  const sentAt = Date.now();
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
    // What is left (more than one batch) is due at once; an empty queue's next write opens a new window.
    queue.due = queue.items.length > 0 ? sentAt : null;
    for (const i of group) {
      i.state = "sent";
      i.sentAt = sentAt;
    }
    const prepare = (w: Write) => db.prepare(w.sql).bind(...w.params);
    try {
      const results = await db.batch(group.flatMap((i) => i.writes.map(prepare)));
      const roundTrip = Date.now() - sentAt;
      queue.batchMs = queue.batchMs === null ? roundTrip : 0.8 * queue.batchMs + 0.2 * roundTrip;
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
