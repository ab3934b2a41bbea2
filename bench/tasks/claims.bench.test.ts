// Claims per second and p99 with K concurrent annotators vs a raw UPDATE … RETURNING, in interleaved rounds.
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { claim } from "../../workers/src/tasks/lease.ts";
import { release } from "../../workers/src/tasks/release.ts";
import type { ProjectRow } from "../../workers/src/tasks/rows.ts";

type BenchEnv = { BENCH_CLAIMS?: string; BENCH_ROUNDS?: string; BENCH_KS?: string };
const vars = env as unknown as BenchEnv;
/** Claims per round per side, rounds per K, and the K values; bench/tasks.ts sets them (full or --quick). */
const CLAIMS = Number(vars.BENCH_CLAIMS ?? 300);
const ROUNDS = Number(vars.BENCH_ROUNDS ?? 5);
const KS = (vars.BENCH_KS ?? "1,10,100").split(",").map(Number);
const ITEMS = 600;
const OVERLAP = 3;
const db = () => env.TASKS_DB;

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}
const median = (xs: number[]) => percentile(xs, 50);

/**
 * Live holds as the driver sees them. Each worker keeps its previous lease until its next claim returns, so every
 * claim runs while K leases are held; a claim that returns a slot its annotator already holds, or an item held more
 * than `cap` times at once, is a double lease. A hold is dropped just before its release is sent, so a slot the
 * database still holds is never counted as free.
 */
class Holds {
  doubles = 0;
  private readonly cap: number;
  private readonly held = new Map<string, string[]>();
  constructor(cap: number) {
    this.cap = cap;
  }
  take(item: string, who: string) {
    const holders = this.held.get(item) ?? [];
    if (holders.includes(who) || holders.length >= this.cap) this.doubles++;
    this.held.set(item, [...holders, who]);
  }
  drop(item: string, who: string) {
    const holders = this.held.get(item) ?? [];
    holders.splice(holders.indexOf(who), 1);
  }
}

type Claimed = { id: string; item: string } | null;
type Round = { claimsPerSecond: number; p99Ms: number };

/** K workers loop `op` (timed), then free their previous lease (untimed, the same for both sides), `claims` in all. */
async function drive(
  k: number,
  claims: number,
  holds: Holds,
  op: (worker: number) => Promise<Claimed>,
  free: (worker: number, id: string) => Promise<void>,
): Promise<Round> {
  const latencies: number[] = [];
  let remaining = claims;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: k }, async (_, w) => {
      let previous: Claimed = null;
      const freePrevious = async () => {
        if (!previous) return;
        holds.drop(previous.item, String(w));
        await free(w, previous.id);
      };
      while (remaining > 0) {
        remaining -= 1;
        const t = performance.now();
        const got = await op(w);
        latencies.push(performance.now() - t);
        if (got) holds.take(got.item, String(w));
        await freePrevious();
        previous = got;
      }
      await freePrevious();
    }),
  );
  return { claimsPerSecond: claims / ((performance.now() - start) / 1000), p99Ms: percentile(latencies, 99) };
}

async function project(k: number): Promise<ProjectRow> {
  const id = `bench-${k}-${crypto.randomUUID()}`;
  const row: ProjectRow = {
    id,
    owner: "0x0000000000000000000000000000000000000001",
    dataset_id: `0x${"0".repeat(63)}1`,
    name: "bench",
    instructions: "",
    label_schema: JSON.stringify({ type: "classification", multiple: false, classes: ["a", "b"] }),
    overlap: OVERLAP,
    gold_ratio_bps: 0,
    lease_ttl_seconds: 600,
    reward_weight: 1,
    qualification_gold: 0,
    qualification_min_bps: 0,
    agreement_bps: 5000,
    created_at: Date.now(),
  };
  const columns = Object.keys(row);
  await db()
    .prepare(`INSERT INTO projects VALUES (${columns.map(() => "?").join(", ")})`)
    .bind(...Object.values(row))
    .run();
  for (let i = 0; i < ITEMS; i += 50) {
    await db().batch(
      Array.from({ length: 50 }, (_, j) =>
        db()
          .prepare("INSERT INTO items (id, project_id, seq, text, created_at) VALUES (?, ?, ?, ?, ?)")
          .bind(crypto.randomUUID(), id, i + j + 1, `t${i + j}`, Date.now()),
      ),
    );
  }
  return row;
}

/** Double leases left in the database: items over the overlap, or one annotator twice on an item. */
async function storedDoubles(projectId: string): Promise<number> {
  const row = await db()
    .prepare(
      `SELECT (SELECT count(*) FROM (SELECT item_id FROM assignments WHERE project_id = ?1 AND state = 'leased' AND expires_at > ?2
                 GROUP BY item_id HAVING count(*) > ?3))
            + (SELECT count(*) FROM (SELECT 1 FROM assignments WHERE project_id = ?1 AND state = 'leased'
                 GROUP BY item_id, annotator HAVING count(*) > 1)) AS n`,
    )
    .bind(projectId, Date.now(), OVERLAP)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

it("benchmarks claims", async () => {
  await db().exec("CREATE TABLE IF NOT EXISTS bench_slots (id INTEGER PRIMARY KEY, holder TEXT)");
  const results = [];
  for (const k of KS) {
    const p = await project(k);
    const annotators = Array.from({ length: k }, (_, w) => `0x${w.toString(16).padStart(40, "0")}`);
    await db().exec("DELETE FROM bench_slots");
    for (let i = 0; i < ITEMS; i += 50) {
      await db().batch(
        Array.from({ length: 50 }, (_, j) =>
          db()
            .prepare("INSERT INTO bench_slots (id) VALUES (?)")
            .bind(i + j + 1),
        ),
      );
    }
    const ourHolds = new Holds(OVERLAP);
    const rawHolds = new Holds(1);
    // Each worker releases what it claimed, so the pool never drains and every claim does real work.
    const ours = (claims: number) =>
      drive(
        k,
        claims,
        ourHolds,
        async (w) => {
          const lease = await claim(db(), p, annotators[w] as string, Date.now());
          return lease ? { id: lease.assignmentId, item: lease.item.id } : null;
        },
        (w, id) => release(db(), id, annotators[w] as string, false, Date.now()),
      );
    const raw = (claims: number) =>
      drive(
        k,
        claims,
        rawHolds,
        async (w) => {
          const row = await db()
            .prepare(
              "UPDATE bench_slots SET holder = ? WHERE id = (SELECT id FROM bench_slots WHERE holder IS NULL LIMIT 1) RETURNING id",
            )
            .bind(String(w))
            .first<{ id: number }>();
          return row ? { id: String(row.id), item: String(row.id) } : null;
        },
        async (_, id) => {
          await db().prepare("UPDATE bench_slots SET holder = NULL WHERE id = ?").bind(Number(id)).run();
        },
      );
    await ours(Math.min(CLAIMS, 100));
    await raw(Math.min(CLAIMS, 100));
    const rounds: { ours: Round[]; raw: Round[] } = { ours: [], raw: [] };
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2) rounds.raw.push(await raw(CLAIMS));
      rounds.ours.push(await ours(CLAIMS));
      if (r % 2 === 0) rounds.raw.push(await raw(CLAIMS));
    }
    const doubleLeases = ourHolds.doubles + (await storedDoubles(p.id));
    results.push({
      k,
      claimsPerSecond: median(rounds.ours.map((x) => x.claimsPerSecond)),
      p99Ms: median(rounds.ours.map((x) => x.p99Ms)),
      rawClaimsPerSecond: median(rounds.raw.map((x) => x.claimsPerSecond)),
      rawP99Ms: median(rounds.raw.map((x) => x.p99Ms)),
      doubleLeases,
      rawDoubleLeases: rawHolds.doubles,
      claimsPerRound: CLAIMS,
      rounds: ROUNDS,
    });
    expect(doubleLeases).toBe(0);
  }
  console.log(`BENCH_RESULTS ${JSON.stringify(results)}`);
});
