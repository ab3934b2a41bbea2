// The usage API, raw request logs in R2, and the OpenAPI document.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, chat, type Seeded, seed, usageRecord } from "./helpers.ts";

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

  it("pages through the records newest first, each exactly once, behind a cursor that new records do not shift", async () => {
    const s = await seed();
    const ids = await metered(s, 5);
    // Three records of the same millisecond: the request id orders them.
    const { results: rows } = await env.METER_DB.prepare(
      "SELECT request_id, created_at FROM usage_records WHERE payer = ?",
    )
      .bind(s.payer)
      .all<{ request_id: string; created_at: number }>();
    const tied = ids.slice(1, 4);
    const at = must(rows.find((r) => r.request_id === ids[1])).created_at;
    await env.METER_DB.prepare(`UPDATE usage_records SET created_at = ? WHERE request_id IN (?, ?, ?)`)
      .bind(at, ...tied)
      .run();
    const createdAt = (id: string) => (tied.includes(id) ? at : must(rows.find((r) => r.request_id === id)).created_at);
    const expected = [...ids].sort((a, b) => createdAt(b) - createdAt(a) || (a < b ? 1 : a > b ? -1 : 0));

    const seen: string[] = [];
    const pages: RecordList[] = [];
    let next: string | null = null;
    do {
      const res = await call(`/v1/usage?limit=2${next ? `&page=${next}` : ""}`, { key: s.apiKey });
      expect(res.status).toBe(200);
      const page = (await res.json()) as RecordList;
      pages.push(page);
      seen.push(...page.data.map((r) => r.request_id));
      next = page.next_page;
      // A record metered after the first page is newer than every cursor: it neither shifts nor repeats a page.
      if (pages.length === 1) await metered(s, 1);
    } while (next);
    expect(seen).toEqual(expected);
    expect(pages.map((p) => [p.data.length, p.has_more])).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    expect(pages.every((p) => p.object === "list" && p.archived_before !== undefined)).toBe(true);
    // The whole list, newest first, has the later record on top.
    const all = (await (await call("/v1/usage", { key: s.apiKey })).json()) as RecordList;
    expect(all.data.map((r) => r.request_id).slice(1)).toEqual(expected);
    expect(all).toMatchObject({ has_more: false, next_page: null });
  });

  it("groups live records with the daily rollups of archived ones, in pages, whole rollup days only", async () => {
    const s = await seed({ pricePerMTokIn: 1_000_000n, pricePerMTokOut: 1_000_000n });
    const ids = await metered(s, 3);
    const moveTo = ["2024-03-01T10:00:00Z", "2024-03-02T10:00:00Z", "2024-03-02T20:00:00Z"];
    for (const [i, id] of ids.entries()) {
      await env.METER_DB.prepare("UPDATE usage_records SET created_at = ? WHERE request_id = ?")
        .bind(Date.parse(must(moveTo[i])), id)
        .run();
    }
    const cost = async (i: number) => BigInt((await usageRecord(must(ids[i]))).cost);
    const [c0, c1, c2] = [await cost(0), await cost(1), await cost(2)];
    const other = `0x${"e".repeat(40)}`;
    // Rollups as the archive leaves them: one on a day with a live record (near 2^63, so a cost read as a JS number
    // would lose its last digits), one of another token.
    const big = 9_000_000_000_000_000_001n;
    for (const [day, token, requests, cost] of [
      ["2024-03-01", s.token, 2, big],
      ["2024-02-28", other, 1, 5n],
    ] as const) {
      await env.METER_DB.prepare(
        `INSERT INTO usage_daily (payer, day, model, token, requests, input_tokens, output_tokens, cost, estimated)
         VALUES (?, ?, ?, ?, ?, 10, 20, CAST(? AS INTEGER), 1)`,
      )
        .bind(s.payer, day, s.model, token, requests, cost.toString())
        .run();
    }
    const groups = async (query: string) => {
      const res = await call(`/v1/usage?${query}`, { key: s.apiKey });
      expect(res.status).toBe(200);
      return (await res.json()) as GroupList;
    };
    const byDay = await groups("group_by=day");
    expect(byDay.data.map((g) => [g.day, g.token, g.requests, g.cost])).toEqual([
      ["2024-02-28", other, 1, "5"],
      ["2024-03-01", s.token, 3, (big + c0).toString()],
      ["2024-03-02", s.token, 2, (c1 + c2).toString()],
    ]);
    const byModel = await groups("group_by=model");
    const [tokenA, tokenB] = [other, s.token].sort();
    expect(byModel.data.map((g) => [g.model, g.token])).toEqual([
      [s.model, tokenA],
      [s.model, tokenB],
    ]);
    expect(byModel.data.find((g) => g.token === s.token)).toMatchObject({
      requests: 5,
      cost: (big + c0 + c1 + c2).toString(),
      estimated: 1,
    });

    // Paging one group at a time returns every group once, in the same order.
    for (const [groupBy, whole] of [
      ["day", byDay],
      ["model", byModel],
    ] as const) {
      const seen: GroupList["data"] = [];
      const pages: GroupList[] = [];
      let next: string | null = null;
      do {
        const page = await groups(`group_by=${groupBy}&limit=1${next ? `&page=${next}` : ""}`);
        pages.push(page);
        seen.push(...page.data);
        next = page.next_page;
      } while (next);
      expect(seen).toEqual(whole.data);
      expect(pages.map((p) => p.has_more)).toEqual([...whole.data.map(() => true).slice(1), false]);
    }

    // A rollup counts only when its whole UTC day is inside [from, to); live records count by their instant.
    const day = (q: string) => groups(`group_by=day&${q}`).then((l) => l.data.map((g) => [g.day, g.requests, g.cost]));
    expect(await day("from=2024-03-01T12:00:00Z")).toEqual([["2024-03-02", 2, (c1 + c2).toString()]]);
    expect(await day("from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z")).toEqual([
      ["2024-03-01", 3, (big + c0).toString()],
    ]);
    expect(await day("from=2024-02-01T00:00:00Z&to=2024-03-01T23:59:59Z")).toEqual([
      ["2024-02-28", 1, "5"],
      ["2024-03-01", 1, c0.toString()],
    ]);
  });

  it("refuses a cursor it did not issue, in OpenAI's error shape", async () => {
    const s = await seed();
    await metered(s, 2);
    const records = (await (await call("/v1/usage?limit=1", { key: s.apiKey })).json()) as RecordList;
    const cursor = must(records.next_page);
    for (const query of ["page=garbage", "page=", `group_by=day&page=${cursor}`, `page=${cursor}x%7B`]) {
      const res = await call(`/v1/usage?${query}`, { key: s.apiKey });
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { message: string; type: string; param: string; code: string } };
      expect(body.error).toMatchObject({ type: "invalid_request_error", param: "page", code: "invalid_request" });
      expect(body.error.message).toMatch(/^page: /);
    }
  });

  it("keeps rolled-up costs integers: an upsert past 2^63 - 1 fails instead of becoming a REAL", async () => {
    const s = await seed();
    const upsert = (cost: string) =>
      env.METER_DB.prepare(
        `INSERT INTO usage_daily (payer, day, model, token, requests, input_tokens, output_tokens, cost, estimated)
         VALUES (?, '2024-01-01', ?, ?, 1, 0, 0, CAST(? AS INTEGER), 0)
         ON CONFLICT (payer, day, model, token) DO UPDATE SET cost = cost + excluded.cost`,
      )
        .bind(s.payer, s.model, s.token, cost)
        .run();
    await upsert("9223372036854775000");
    await expect(upsert("1000")).rejects.toThrow(/CHECK constraint failed/);
    const row = await env.METER_DB.prepare("SELECT CAST(cost AS TEXT) AS cost FROM usage_daily WHERE payer = ?")
      .bind(s.payer)
      .first<{ cost: string }>();
    expect(row?.cost).toBe("9223372036854775000");
  });
});

type RecordList = {
  object: string;
  data: { request_id: string }[];
  has_more: boolean;
  next_page: string | null;
  archived_before: string | null;
};

type GroupList = {
  data: { day?: string; model?: string; token: string; requests: number; cost: string; estimated: number }[];
  has_more: boolean;
  next_page: string | null;
};

/** Makes `n` metered calls for the seeded payer; returns their request ids once each is recorded. */
async function metered(s: Seeded, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await call("/v1/chat/completions", { method: "POST", key: s.apiKey, json: chat(s.model, `page ${i}`) });
    expect(res.status).toBe(200);
    ids.push(must(res.headers.get("x-request-id")));
  }
  await Promise.all(ids.map((id) => usageRecord(id)));
  return ids;
}

function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error("expected a value");
  return value;
}

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
        Record<
          string,
          {
            requestBody?: { content: Record<string, { schema: { properties: object } }> };
            parameters?: { name: string; schema: object }[];
          }
        >
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
    const usageParameters = doc.paths["/v1/usage"]?.get?.parameters ?? [];
    expect(usageParameters.map((p) => p.name)).toEqual(["from", "to", "group_by", "model", "key_id", "limit", "page"]);
    expect(usageParameters.find((p) => p.name === "model")?.schema).toMatchObject({ type: "array" });
    expect(usageParameters.find((p) => p.name === "page")?.schema).toMatchObject({
      type: "string",
      description: expect.stringContaining("next_page"),
    });
  });
});
