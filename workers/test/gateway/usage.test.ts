// The usage API, raw request logs in R2, and the OpenAPI document.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, chat, seed, usageRecord } from "./helpers.ts";

describe("GET /v1/usage", () => {
  it("lists the payer's records and groups them by model and day, with costs as decimal strings", async () => {
    const s = await seed({ pricePerMTokIn: 1_000_000n, pricePerMTokOut: 1_000_000n });
    const ids: string[] = [];
    for (const content of ["one", "two words"]) {
      const res = await call("/v1/chat/completions", {
        method: "POST",
        key: s.apiKey,
        json: chat(s.model, content, { max_tokens: 4 }),
      });
      ids.push(res.headers.get("x-request-id") ?? "");
    }
    await Promise.all(ids.map((id) => usageRecord(id)));
    const list = (await (await call("/v1/usage", { key: s.apiKey })).json()) as {
      data: { request_id: string; model: string; input_tokens: number; output_tokens: number; cost: string }[];
    };
    expect(list.data.map((r) => r.request_id).sort()).toEqual([...ids].sort());
    // "one": 4 in + 4 out = 8; "two words": 5 in + 4 out = 9.
    expect(list.data.map((r) => r.cost).sort()).toEqual(["8", "9"]);
    const byModel = (await (await call("/v1/usage?group_by=model", { key: s.apiKey })).json()) as {
      data: { model: string; requests: number; cost: string }[];
    };
    expect(byModel.data).toEqual([expect.objectContaining({ model: s.model, requests: 2, cost: "17" })]);
    const today = new Date().toISOString().slice(0, 10);
    const byDay = (await (await call("/v1/usage?group_by=day", { key: s.apiKey })).json()) as {
      data: { day: string; cost: string }[];
    };
    expect(byDay.data).toEqual([expect.objectContaining({ day: today, cost: "17" })]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const empty = (await (await call(`/v1/usage?from=${future}`, { key: s.apiKey })).json()) as { data: unknown[] };
    expect(empty.data).toEqual([]);
    expect((await call("/v1/usage?group_by=week", { key: s.apiKey })).status).toBe(400);
  });
});

describe("raw request logs", () => {
  it("writes batches of NDJSON to R2 under unique keys, without bodies", async () => {
    const s = await seed();
    const ids: string[] = [];
    // LOG_BATCH_MAX_LINES is 5 in the tests: ten requests flush at least one full batch.
    for (let i = 0; i < 10; i++) {
      const res = await call("/v1/chat/completions", {
        method: "POST",
        key: s.apiKey,
        json: chat(s.model, `log line ${i}`),
      });
      ids.push(res.headers.get("x-request-id") ?? "");
    }
    await Promise.all(ids.map((id) => usageRecord(id)));
    const deadline = Date.now() + 3000;
    let lines: Record<string, unknown>[] = [];
    let keys: string[] = [];
    while (Date.now() < deadline) {
      const listed = await env.BUCKET.list({ prefix: "logs/local/" });
      keys = listed.objects.map((o) => o.key);
      lines = [];
      for (const key of keys) {
        const text = (await (await env.BUCKET.get(key))?.text()) ?? "";
        lines.push(
          ...text
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        );
      }
      if (lines.filter((l) => ids.includes(String(l.request_id))).length >= 5) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const mine = lines.filter((l) => ids.includes(String(l.request_id)));
    expect(mine.length).toBeGreaterThanOrEqual(5);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((k) => k.endsWith(".ndjson"))).toBe(true);
    expect(mine.every((l) => !("request" in l) && !("response" in l))).toBe(true);
    expect(mine[0]).toMatchObject({ model: s.model, status: "completed", payer: s.payer });
  });
});

describe("GET /openapi.json", () => {
  it("describes the gateway's endpoints in OpenAPI 3.1 with the validating schemas", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: { properties: object } }> } }>
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/keys", "/v1/usage", "/v1/usage/receipts/{id}", "/admin/escrow"]),
    );
    const schema = doc.paths["/v1/keys"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(schema?.properties ?? {})).toEqual(
      expect.arrayContaining(["name", "models", "rpm", "tpm", "daily_spend_limit", "expires_at"]),
    );
  });
});
