// Claims: concurrency without double leases, completion order, expiry, release/skip, lease cap.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addTextItems, call, claim, createProject, expectJson, freshSession, submit } from "./helpers.ts";

const db = () => env.TASKS_DB;

async function noDoubleLeases(projectId: string, overlap: number): Promise<void> {
  const overfull = await db()
    .prepare(
      `SELECT item_id, count(*) AS n FROM assignments WHERE project_id = ? AND is_gold = 0
       AND (state = 'submitted' OR (state = 'leased' AND expires_at > ?)) GROUP BY item_id HAVING n > ?`,
    )
    .bind(projectId, Date.now(), overlap)
    .all();
  expect(overfull.results).toEqual([]);
  const twice = await db()
    .prepare(
      `SELECT item_id, annotator, count(*) AS n FROM assignments WHERE project_id = ?
       AND state IN ('leased', 'submitted', 'skipped') GROUP BY item_id, annotator HAVING n > 1`,
    )
    .bind(projectId)
    .all();
  expect(twice.results).toEqual([]);
}

describe("claims", () => {
  it("50 annotators claiming concurrently never share a slot, and every item ends with exactly 3 decided labels", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 3 });
    const itemIds = await addTextItems(
      owner.token,
      project.id,
      Array.from({ length: 40 }, (_, i) => `text ${i}`),
    );
    const annotators = await Promise.all(Array.from({ length: 50 }, () => freshSession()));

    // Burst: 3 claims per annotator at once, 150 claims for 120 slots.
    const burst = await Promise.all(
      annotators.flatMap((a) => [0, 1, 2].map(async () => ({ a, lease: await claim(a.token, project.id) }))),
    );
    const leases = burst.filter((b) => b.lease !== null);
    expect(leases.length).toBeLessThanOrEqual(120);
    const perItem = new Map<string, Set<string>>();
    for (const { a, lease } of leases) {
      const holders = perItem.get(lease?.item.id ?? "") ?? new Set<string>();
      expect(holders.has(a.address)).toBe(false);
      holders.add(a.address);
      perItem.set(lease?.item.id ?? "", holders);
    }
    for (const holders of perItem.values()) expect(holders.size).toBeLessThanOrEqual(3);
    await noDoubleLeases(project.id, 3);

    // Work: everyone submits what they hold, then claims and submits until nothing is left.
    const choose = (i: number, itemId: string) => ({ choice: (i + itemId.charCodeAt(0)) % 7 === 0 ? "neg" : "pos" });
    await Promise.all(
      annotators.map(async (a, i) => {
        for (const { lease } of leases.filter((l) => l.a === a)) {
          if (lease) expect((await submit(a.token, lease.assignment.id, choose(i, lease.item.id))).status).toBe(201);
        }
        for (;;) {
          const lease = await claim(a.token, project.id);
          if (!lease) return;
          expect((await submit(a.token, lease.assignment.id, choose(i, lease.item.id))).status).toBe(201);
        }
      }),
    );
    await noDoubleLeases(project.id, 3);
    const labels = await db()
      .prepare(
        "SELECT item_id, count(*) AS n, sum(status IN ('accepted', 'rejected')) AS decided, count(DISTINCT annotator) AS people FROM labels WHERE project_id = ? GROUP BY item_id",
      )
      .bind(project.id)
      .all<{ item_id: string; n: number; decided: number; people: number }>();
    expect(labels.results).toHaveLength(itemIds.length);
    for (const r of labels.results) expect(r).toMatchObject({ n: 3, decided: 3, people: 3 });
    const open = await db()
      .prepare("SELECT count(*) AS n FROM items WHERE project_id = ? AND status <> 'done'")
      .bind(project.id)
      .first<{ n: number }>();
    expect(open?.n).toBe(0);
  }, 60_000);

  it("serves items closest to completion first and never one the annotator already did", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 2 });
    const [first, second] = await addTextItems(owner.token, project.id, ["one", "two"]);
    const a = await freshSession();
    const b = await freshSession();
    const leaseA = await claim(a.token, project.id);
    expect(leaseA?.item.id).toBe(first);
    await submit(a.token, leaseA?.assignment.id ?? "", { choice: "pos" });
    // Item one has a label, so it comes first for b too.
    expect((await claim(b.token, project.id))?.item.id).toBe(first);
    // a did item one: a gets item two, then nothing.
    expect((await claim(a.token, project.id))?.item.id).toBe(second);
    expect(await claim(a.token, project.id)).toBeNull();
  });

  it("returns expired leases to the pool and refuses submits after expiry", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 1, leaseTtlSeconds: 60 });
    const [item] = await addTextItems(owner.token, project.id, ["only"]);
    const a = await freshSession();
    const b = await freshSession();
    const lease = await claim(a.token, project.id);
    expect(lease?.item.id).toBe(item);
    expect(await claim(b.token, project.id)).toBeNull();
    await db()
      .prepare("UPDATE assignments SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, lease?.assignment.id)
      .run();
    const problem = await expectJson<{ detail: string }>(
      await submit(a.token, lease?.assignment.id ?? "", { choice: "pos" }),
      409,
    );
    expect(problem.detail).toMatch(/lease/);
    const leaseB = await claim(b.token, project.id);
    expect(leaseB?.item.id).toBe(item);
    expect((await submit(b.token, leaseB?.assignment.id ?? "", { choice: "pos" })).status).toBe(201);
    expect(await claim(a.token, project.id)).toBeNull();
  });

  it("lets an annotator release (item may return) or skip (item never returns)", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 1 });
    const [one, two] = await addTextItems(owner.token, project.id, ["one", "two"]);
    const a = await freshSession();
    const l1 = await claim(a.token, project.id);
    expect(l1?.item.id).toBe(one);
    const released = await call(`/tasks/assignments/${l1?.assignment.id}/release`, { token: a.token, json: {} });
    expect(released.status).toBe(204);
    const l2 = await claim(a.token, project.id);
    expect(l2?.item.id).toBe(one);
    await call(`/tasks/assignments/${l2?.assignment.id}/release`, { token: a.token, json: { skip: true } });
    expect((await claim(a.token, project.id))?.item.id).toBe(two);
    await expectJson(await call(`/tasks/assignments/${l2?.assignment.id}/release`, { token: a.token, json: {} }), 409);
    const other = await freshSession();
    await expectJson(
      await call(`/tasks/assignments/${l2?.assignment.id}/release`, { token: other.token, json: {} }),
      404,
    );
  });

  it("caps live leases per annotator", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 1 });
    await addTextItems(
      owner.token,
      project.id,
      Array.from({ length: 12 }, (_, i) => `t${i}`),
    );
    const a = await freshSession();
    for (let i = 0; i < 10; i++) expect(await claim(a.token, project.id)).not.toBeNull();
    await expectJson(await call(`/tasks/projects/${project.id}/claim`, { token: a.token, method: "POST" }), 409);
  });
});
