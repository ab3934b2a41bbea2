// Projects and items: validation as problem JSON, dataset ownership, atomic batches, media in R2.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addTextItems, call, createProject, expectJson, freshSession, randomDatasetId } from "./helpers.ts";

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };

describe("projects and items", () => {
  it("renders invalid project input as problem JSON listing every error", async () => {
    const { token } = await freshSession();
    const res = await call("/tasks/projects", {
      token,
      json: {
        datasetId: "0x12",
        name: "",
        labelSchema: { type: "classification", classes: [] },
        overlap: 10,
        rewardWeight: 1.5,
      },
    });
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await expectJson<Problem>(res, 400);
    const paths = problem.errors?.map((e) => e.path) ?? [];
    expect(paths).toEqual(
      expect.arrayContaining([
        "body.datasetId",
        "body.name",
        "body.labelSchema.classes",
        "body.overlap",
        "body.rewardWeight",
      ]),
    );
  });

  it("refuses a label schema that lists a class or label twice, naming the second", async () => {
    const { token } = await freshSession();
    for (const [labelSchema, path, name] of [
      [{ type: "classification", classes: ["pos", "neg", "pos"] }, "body.labelSchema.classes.2", "pos"],
      [{ type: "spans", labels: ["ORG", "PER", "ORG"] }, "body.labelSchema.labels.2", "ORG"],
    ] as const) {
      const res = await call("/tasks/projects", {
        token,
        json: {
          datasetId: randomDatasetId(),
          name: "Twice",
          instructions: "x",
          labelSchema,
          overlap: 1,
          rewardWeight: 1,
        },
      });
      const problem = await expectJson<Problem & { param: string }>(res, 400);
      expect(problem.param).toBe(path);
      expect(problem.errors).toEqual([{ path, message: `"${name}" is listed twice; names must be distinct.` }]);
    }
    // Distinct names are fine.
    await createProject(token, { labelSchema: { type: "classification", multiple: true, classes: ["a", "b"] } });
  });

  it("renders malformed JSON, a wrong content type and bad queries as problem JSON", async () => {
    const { token } = await freshSession();
    const res = await call("/tasks/projects", { token, body: "{", headers: { "content-type": "application/json" } });
    await expectJson<Problem>(res, 400);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    await expectJson<Problem>(
      await call("/tasks/projects", { token, body: "{}", headers: { "content-type": "text/plain" } }),
      415,
    );
    const query = await expectJson<Problem>(await call("/tasks/projects/x/review?limit=1000", { token }), 400);
    expect(query.errors?.[0]?.path).toBe("query.limit");
  });

  it("keeps a dataset with one owner and items with their owner", async () => {
    const owner = await freshSession();
    const stranger = await freshSession();
    const datasetId = randomDatasetId();
    const project = await createProject(owner.token, { datasetId });
    const again = { datasetId, name: "Mine now", labelSchema: { type: "text" }, overlap: 1, rewardWeight: 1 };
    await expectJson(await call("/tasks/projects", { token: stranger.token, json: again }), 403);
    await expectJson(await call("/tasks/projects", { token: owner.token, json: again }), 201);
    await expectJson(
      await call(`/tasks/projects/${project.id}/items`, { token: stranger.token, json: { items: [{ text: "x" }] } }),
      403,
    );
  });

  it("names projects and items with time-ordered ids (UUIDv7), in the order they were added", async () => {
    const { token } = await freshSession();
    const project = await createProject(token, { datasetId: randomDatasetId() });
    const itemIds = await addTextItems(token, project.id, ["a", "b", "c"]);
    const { results } = await env.TASKS_DB.prepare("SELECT id FROM items WHERE project_id = ? ORDER BY seq")
      .bind(project.id)
      .all<{ id: string }>();
    expect(results.map((r) => r.id)).toEqual(itemIds);
    const ids = [project.id, ...itemIds];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
  });

  it("lists projects, optionally by owner", async () => {
    const owner = await freshSession();
    const a = await createProject(owner.token, { name: "First" });
    const b = await createProject(owner.token, { name: "Second" });
    const mine = await expectJson<{ projects: { id: string }[] }>(
      await call(`/tasks/projects?owner=${owner.address}`, { token: owner.token }),
      200,
    );
    expect(mine.projects.map((p) => p.id)).toEqual([b.id, a.id]);
    const all = await expectJson<{ projects: { id: string }[] }>(
      await call("/tasks/projects?limit=100", { token: owner.token }),
      200,
    );
    expect(all.projects.map((p) => p.id)).toEqual(expect.arrayContaining([a.id, b.id]));
  });

  it("gives a dataset to exactly one of two wallets racing for it", async () => {
    const [x, y] = await Promise.all([freshSession(), freshSession()]);
    const datasetId = randomDatasetId();
    const input = {
      datasetId,
      name: "Race",
      labelSchema: { type: "text" },
      overlap: 1,
      rewardWeight: 1,
      reviewers: [x.address],
    };
    const results = await Promise.all(
      [x, y, x, y].map((s) => call("/tasks/projects", { token: s.token, json: input })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(2);
    expect(statuses.filter((s) => s === 403)).toHaveLength(2);
    const owners = await env.TASKS_DB.prepare("SELECT DISTINCT owner FROM projects WHERE dataset_id = ?")
      .bind(datasetId)
      .all();
    expect(owners.results).toHaveLength(1);
    const orphans = await env.TASKS_DB.prepare(
      "SELECT count(*) AS n FROM project_reviewers r WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = r.project_id)",
    ).first<{ n: number }>();
    expect(orphans?.n).toBe(0);
  });

  it("adds a batch atomically: one bad gold label stores nothing", async () => {
    const { token } = await freshSession();
    const project = await createProject(token);
    const res = await call(`/tasks/projects/${project.id}/items`, {
      token,
      json: {
        items: [
          { text: "good", gold: { choice: "pos" } },
          { text: "bad", gold: { choice: "maybe" } },
        ],
      },
    });
    const problem = await expectJson<Problem>(res, 400);
    expect(problem.errors?.[0]?.path).toBe("body.items.1.gold.choice");
    const n = await env.TASKS_DB.prepare("SELECT count(*) AS n FROM items WHERE project_id = ?")
      .bind(project.id)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
    const ids = await addTextItems(token, project.id, ["a", "b"], [{ choice: "pos" }]);
    expect(ids).toHaveLength(2);
  });

  it("stores media in R2 within the size limit and serves it to lease holders", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, {
      labelSchema: { type: "boxes", labels: ["cat"] },
      overlap: 1,
    });
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const upload = await expectJson<{ objectKey: string; size: number }>(
      await call(`/tasks/projects/${project.id}/media`, {
        token: owner.token,
        body: bytes,
        headers: { "content-type": "image/png" },
      }),
      201,
    );
    expect(upload.size).toBe(7);
    await expectJson<Problem>(
      await call(`/tasks/projects/${project.id}/media`, {
        token: owner.token,
        body: "hi",
        headers: { "content-type": "text/plain" },
      }),
      415,
    );
    await expectJson<Problem>(
      await call(`/tasks/projects/${project.id}/media`, {
        token: owner.token,
        body: new Uint8Array(10 * 1024 * 1024 + 1),
        headers: { "content-type": "image/png" },
      }),
      413,
    );
    await expectJson<Problem>(
      await call(`/tasks/projects/${project.id}/items`, {
        token: owner.token,
        json: { items: [{ text: "not an image" }] },
      }),
      400,
    );
    await expectJson(
      await call(`/tasks/projects/${project.id}/items`, {
        token: owner.token,
        json: { items: [{ objectKey: upload.objectKey }] },
      }),
      201,
    );
    const annotator = await freshSession();
    const lease = await expectJson<{ assignment: { id: string }; item: { id: string; payloadUrl: string } }>(
      await call(`/tasks/projects/${project.id}/claim`, { token: annotator.token, method: "POST" }),
      201,
    );
    const stranger = await freshSession();
    const refused = await expectJson<Problem>(await call(lease.item.payloadUrl, { token: stranger.token }), 403);
    // Says who may read it: lease holders too, not only the owner and reviewers the shared check names.
    expect(refused.detail).toBe(
      "Only the item's lease holder, annotators who labelled it, the project owner and its reviewers may read its media.",
    );
    const payload = await call(lease.item.payloadUrl, { token: annotator.token });
    expect(payload.status).toBe(200);
    expect(payload.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await payload.arrayBuffer())).toEqual(bytes);
    // Once the lease has expired, its former holder reads the media no more (the slot is free for others).
    await env.TASKS_DB.prepare("UPDATE assignments SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, lease.assignment.id)
      .run();
    await expectJson<Problem>(await call(lease.item.payloadUrl, { token: annotator.token }), 403);
    expect((await call(lease.item.payloadUrl, { token: owner.token })).status).toBe(200);
  });
});
