// Submit: idempotency, label schema validation, gold grading, gold ratio and qualification.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addTextItems, call, claim, createProject, expectJson, freshSession, submit } from "./helpers.ts";

type Problem = { detail: string; errors?: { path: string; message: string }[] };
type Label = { id: string; status: string; goldCorrect: boolean | null; value: unknown };

describe("submit", () => {
  it("is idempotent by Idempotency-Key: a replay returns the stored label and changes nothing", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 2 });
    const [item] = await addTextItems(owner.token, project.id, ["one", "two"]);
    const a = await freshSession();
    const lease = await claim(a.token, project.id);
    const first = await expectJson<Label>(
      await submit(a.token, lease?.assignment.id ?? "", { choice: "pos" }, "key-1"),
      201,
    );
    const replays = await Promise.all(
      [0, 1, 2].map(() => submit(a.token, lease?.assignment.id ?? "", { choice: "neg" }, "key-1")),
    );
    for (const r of replays) {
      expect(r.headers.get("idempotent-replayed")).toBe("true");
      expect(await expectJson<Label>(r, 200)).toEqual(first);
    }
    const rows = await env.TASKS_DB.prepare("SELECT count(*) AS n FROM labels WHERE item_id = ?")
      .bind(item)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
    const counted = await env.TASKS_DB.prepare("SELECT submitted_count AS n FROM items WHERE id = ?")
      .bind(item)
      .first<{ n: number }>();
    expect(counted?.n).toBe(1);
    // The same assignment under a new key is already done; the old key on another assignment is a conflict.
    await expectJson(await submit(a.token, lease?.assignment.id ?? "", { choice: "pos" }, "key-2"), 409);
    const next = await claim(a.token, project.id);
    await expectJson(await submit(a.token, next?.assignment.id ?? "", { choice: "pos" }, "key-1"), 409);
  });

  it("refuses labels that do not match the label schema, as problem JSON", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 1 });
    await addTextItems(owner.token, project.id, ["one"]);
    const a = await freshSession();
    const lease = await claim(a.token, project.id);
    const id = lease?.assignment.id ?? "";
    const wrongClass = await submit(a.token, id, { choice: "maybe" });
    expect(wrongClass.headers.get("content-type")).toBe("application/problem+json");
    expect((await expectJson<Problem>(wrongClass, 400)).errors?.[0]?.path).toBe("body.value.choice");
    await expectJson(await submit(a.token, id, { text: "positive" }), 400);
    // A value of no label shape at all names the shapes, not zod's bare "Invalid input".
    for (const value of [{ choice: 1 }, "pos", null]) {
      const shapeless = await expectJson<Problem>(await submit(a.token, id, value), 400);
      expect(shapeless.errors, JSON.stringify(value)).toEqual([
        {
          path: "body.value",
          message:
            'Expected a label value: {"choice": "…"}, {"choices": ["…"]}, {"text": "…"}, ' +
            '{"spans": [{start, end, label}]} or {"boxes": [{x, y, width, height, label}]}, as the project\'s labelSchema says.',
        },
      ]);
    }
    await expectJson(await submit(a.token, id, { choice: "pos", extra: 1 }), 400);
    await expectJson(
      await call(`/tasks/assignments/${id}/submit`, { token: a.token, json: { value: { choice: "pos" } } }),
      400,
    );
    // Nothing was recorded; the lease still takes a valid label.
    expect((await submit(a.token, id, { choice: "pos" })).status).toBe(201);
  });

  it("checks spans against the item's text and multi-choice against the classes", async () => {
    const owner = await freshSession();
    const spans = await createProject(owner.token, { overlap: 1, labelSchema: { type: "spans", labels: ["ORG"] } });
    await addTextItems(owner.token, spans.id, ["Acme hired Bob"]);
    const a = await freshSession();
    const lease = await claim(a.token, spans.id);
    const problem = await expectJson<Problem>(
      await submit(a.token, lease?.assignment.id ?? "", { spans: [{ start: 0, end: 99, label: "ORG" }] }),
      400,
    );
    expect(problem.errors?.[0]?.path).toBe("body.value.spans.0");
    expect(
      (await submit(a.token, lease?.assignment.id ?? "", { spans: [{ start: 0, end: 4, label: "ORG" }] })).status,
    ).toBe(201);

    const multi = await createProject(owner.token, {
      overlap: 1,
      labelSchema: { type: "classification", multiple: true, classes: ["a", "b"] },
    });
    await addTextItems(owner.token, multi.id, ["x"]);
    const l2 = await claim(a.token, multi.id);
    await expectJson(await submit(a.token, l2?.assignment.id ?? "", { choices: ["a", "a"] }), 400);
    const ok = await expectJson<Label>(await submit(a.token, l2?.assignment.id ?? "", { choices: ["b", "a"] }), 201);
    expect(ok.value).toEqual({ choices: ["a", "b"] });
  });
});

describe("gold items", () => {
  it("grades gold at once and mixes gold in at the gold ratio", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, { overlap: 1, goldRatioBps: 5_000 });
    await addTextItems(owner.token, project.id, ["g1", "g2", "r1", "r2"], [{ choice: "pos" }, { choice: "neg" }]);
    const a = await freshSession();
    const kinds: string[] = [];
    const results: Label[] = [];
    for (let i = 0; i < 4; i++) {
      const lease = await claim(a.token, project.id);
      kinds.push(lease?.item.text?.[0] ?? "");
      results.push(await expectJson<Label>(await submit(a.token, lease?.assignment.id ?? "", { choice: "pos" }), 201));
    }
    expect(kinds).toEqual(["g", "r", "g", "r"]);
    // The annotator is not told which items were gold; the grade is stored at once.
    expect(results.filter((_, i) => kinds[i] === "g").map((r) => [r.status, r.goldCorrect])).toEqual(
      Array(2).fill(["pending", null]),
    );
    const graded = await env.TASKS_DB.prepare(
      "SELECT gold_correct AS c FROM labels WHERE project_id = ? AND status = 'gold' ORDER BY submitted_at",
    )
      .bind(project.id)
      .all<{ c: number }>();
    expect(graded.results.map((r) => r.c)).toEqual([1, 0]);
    const metrics = await expectJson<{
      annotators: { goldAnswered: number; goldCorrect: number; qualityBps: number }[];
    }>(await call(`/tasks/projects/${project.id}/metrics`, { token: owner.token }), 200);
    expect(metrics.annotators[0]).toMatchObject({ goldAnswered: 2, goldCorrect: 1, qualityBps: 5_000 });
  });

  it("serves only gold until the qualification is passed, and bars those who fail it", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token, {
      overlap: 1,
      qualification: { goldItems: 2, minAccuracyBps: 10_000 },
    });
    await addTextItems(owner.token, project.id, ["r1", "g1", "g2"], [undefined, { choice: "pos" }, { choice: "pos" }]);
    const good = await freshSession();
    const bad = await freshSession();
    for (const [who, answer] of [
      [good, "pos"],
      [bad, "neg"],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const lease = await claim(who.token, project.id);
        expect(lease?.item.text?.[0]).toBe("g");
        await submit(who.token, lease?.assignment.id ?? "", { choice: answer });
      }
    }
    expect((await claim(good.token, project.id))?.item.text).toBe("r1");
    const refused = await expectJson<Problem>(
      await call(`/tasks/projects/${project.id}/claim`, { token: bad.token, method: "POST" }),
      403,
    );
    expect(refused.detail).toMatch(/qualify/);
  });
});
