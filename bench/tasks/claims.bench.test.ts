// Claim throughput and p99 with K concurrent annotators, against a raw single-statement UPDATE … RETURNING.
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { claim } from "../../workers/src/tasks/lease.ts";
import { release } from "../../workers/src/tasks/release.ts";
import type { ProjectRow } from "../../workers/src/tasks/rows.ts";

const CLAIMS = 600;
const ITEMS = 600;
const OVERLAP = 3;
const db = () => env.TASKS_DB;

type Result = { k: number; claimsPerSecond: number; p50Ms: number; p99Ms: number; doubleLeases: number };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** K workers each loop `op` (timed) then `after` (untimed, same for both sides) until CLAIMS ran. */
async function drive(
  k: number,
  op: (worker: number) => Promise<string | null>,
  after: (worker: number, id: string) => Promise<void>,
) {
  const latencies: number[] = [];
  let remaining = CLAIMS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: k }, async (_, w) => {
      while (remaining > 0) {
        remaining -= 1;
        const t = performance.now();
        const id = await op(w);
        latencies.push(performance.now() - t);
        if (id) await after(w, id);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { claimsPerSecond: CLAIMS / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
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
  await db()
    .prepare(
      `INSERT INTO projects VALUES (${Object.keys(row)
        .map(() => "?")
        .join(", ")})`,
    )
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

async function doubleLeases(projectId: string): Promise<number> {
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
  const results: Array<Result & { rawClaimsPerSecond: number; rawP99Ms: number; ratio: number }> = [];
  for (const k of [1, 10, 100]) {
    const p = await project(k);
    const annotators = Array.from({ length: k }, (_, w) => `0x${w.toString(16).padStart(40, "0")}`);
    // Each worker releases what it claimed, so the pool never drains and every claim does real work.
    const ours = await drive(
      k,
      async (w) => (await claim(db(), p, annotators[w] as string, Date.now()))?.assignmentId ?? null,
      (w, id) => release(db(), id, annotators[w] as string, false, Date.now()),
    );
    const doubles = await doubleLeases(p.id);
    await db().exec("DELETE FROM bench_slots");
    await db().batch(
      Array.from({ length: 50 }, (_, i) =>
        db()
          .prepare("INSERT INTO bench_slots (id) VALUES (?)")
          .bind(i + 1),
      ),
    );
    const raw = await drive(
      k,
      async (w) =>
        (
          await db()
            .prepare(
              "UPDATE bench_slots SET holder = ? WHERE id = (SELECT id FROM bench_slots WHERE holder IS NULL LIMIT 1) RETURNING id",
            )
            .bind(String(w))
            .first<{ id: number }>()
        )?.id.toString() ?? null,
      async (_, id) => {
        await db().prepare("UPDATE bench_slots SET holder = NULL WHERE id = ?").bind(Number(id)).run();
      },
    );
    results.push({
      k,
      ...ours,
      doubleLeases: doubles,
      rawClaimsPerSecond: raw.claimsPerSecond,
      rawP99Ms: raw.p99Ms,
      ratio: ours.claimsPerSecond / raw.claimsPerSecond,
    });
    expect(doubles).toBe(0);
  }
  console.table(
    results.map((r) =>
      Object.fromEntries(Object.entries(r).map(([key, v]) => [key, typeof v === "number" ? Number(v.toFixed(2)) : v])),
    ),
  );
  console.log(`BENCH_RESULTS ${JSON.stringify(results)}`);
});
