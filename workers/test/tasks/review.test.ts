// Consensus on reaching the overlap, the review queue, overrides and single verdicts.
import { describe, expect, it } from "vitest";
import { addTextItems, call, claim, createProject, expectJson, freshSession, submit } from "./helpers.ts";

type ReviewItem = {
  item: { id: string; status: string; finalValue: unknown; decidedBy: string | null };
  labels: { id: string; annotator: string; status: string; decidedBy: string | null }[];
};

/** Each annotator claims the project's single item and submits their value. */
async function label(projectId: string, values: object[]) {
  const people = await Promise.all(values.map(() => freshSession()));
  for (const [i, p] of people.entries()) {
    const lease = await claim(p.token, projectId);
    expect((await submit(p.token, lease?.assignment.id ?? "", values[i])).status).toBe(201);
  }
  return people;
}

describe("consensus and review", () => {
  it("decides an item by majority when its overlap is reached", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 3 });
    await addTextItems(owner.token, project.id, ["text"]);
    const [a, b] = await label(project.id, [{ choice: "pos" }, { choice: "neg" }]);
    const pending = await expectJson<{ items: ReviewItem[] }>(
      await call(`/tasks/projects/${project.id}/review?status=done`, { token: owner.token }),
      200,
    );
    expect(pending.items).toEqual([]);
    const [c] = await label(project.id, [{ choice: "pos" }]);
    const done = await expectJson<{ items: ReviewItem[] }>(
      await call(`/tasks/projects/${project.id}/review?status=done`, { token: owner.token }),
      200,
    );
    const item = done.items[0];
    expect(item?.item).toMatchObject({ status: "done", finalValue: { choice: "pos" }, decidedBy: "consensus" });
    const verdict = Object.fromEntries(item?.labels.map((l) => [l.annotator, l.status]) ?? []);
    expect(verdict).toEqual({
      [a?.address ?? ""]: "accepted",
      [b?.address ?? ""]: "rejected",
      [c?.address ?? ""]: "accepted",
    });
    const metrics = await expectJson<{
      krippendorffAlpha: number | null;
      meanPairwiseAgreementBps: number;
      labels: object;
    }>(await call(`/tasks/projects/${project.id}/metrics`, { token: owner.token }), 200);
    expect(metrics.labels).toMatchObject({ accepted: 2, rejected: 1, pending: 0 });
    expect(metrics.meanPairwiseAgreementBps).toBe(3_333);
  });

  it("sends ties to review, where a reviewer overrides; others may not review", async () => {
    const owner = await freshSession();
    const reviewer = await freshSession();
    const project = await createProject(owner.token, { overlap: 2, reviewers: [reviewer.address] });
    await addTextItems(owner.token, project.id, ["text"]);
    const [a, b] = await label(project.id, [{ choice: "pos" }, { choice: "neg" }]);
    const queue = await expectJson<{ items: ReviewItem[] }>(
      await call(`/tasks/projects/${project.id}/review`, { token: reviewer.token }),
      200,
    );
    expect(queue.items).toHaveLength(1);
    const item = queue.items[0];
    expect(item?.item.status).toBe("review");
    expect(item?.labels.map((l) => l.status)).toEqual(["pending", "pending"]);
    await expectJson(
      await call(`/tasks/items/${item?.item.id}/review`, { token: a?.token, json: { override: { choice: "neg" } } }),
      403,
    );
    await expectJson(
      await call(`/tasks/items/${item?.item.id}/review`, {
        token: reviewer.token,
        json: { override: { choice: "nope" } },
      }),
      400,
    );
    await expectJson(await call(`/tasks/items/${item?.item.id}/review`, { token: reviewer.token, json: {} }), 400);
    const reviewed = await expectJson<ReviewItem>(
      await call(`/tasks/items/${item?.item.id}/review`, {
        token: reviewer.token,
        json: { override: { choice: "neg" } },
      }),
      200,
    );
    expect(reviewed.item).toMatchObject({ status: "done", finalValue: { choice: "neg" }, decidedBy: "review" });
    const verdict = Object.fromEntries(reviewed.labels.map((l) => [l.annotator, [l.status, l.decidedBy]]));
    expect(verdict).toEqual({ [a?.address ?? ""]: ["rejected", "review"], [b?.address ?? ""]: ["accepted", "review"] });
  });

  it("lets a reviewer overturn a single consensus verdict", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 3 });
    await addTextItems(owner.token, project.id, ["text"]);
    await label(project.id, [{ choice: "pos" }, { choice: "pos" }, { choice: "neg" }]);
    const done = await expectJson<{ items: ReviewItem[] }>(
      await call(`/tasks/projects/${project.id}/review?status=done`, { token: owner.token }),
      200,
    );
    const rejected = done.items[0]?.labels.find((l) => l.status === "rejected");
    const reviewed = await expectJson<ReviewItem>(
      await call(`/tasks/items/${done.items[0]?.item.id}/review`, {
        token: owner.token,
        json: { decisions: [{ labelId: rejected?.id, status: "accepted" }] },
      }),
      200,
    );
    expect(reviewed.labels.map((l) => l.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(reviewed.item.finalValue).toEqual({ choice: "pos" });
  });

  it("refuses to review an item still collecting labels", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 2 });
    const [item] = await addTextItems(owner.token, project.id, ["text"]);
    await expectJson(
      await call(`/tasks/items/${item}/review`, { token: owner.token, json: { override: { choice: "pos" } } }),
      409,
    );
  });
});
