// The usage API's query: instants as users type them, filters by model and key, and parameters it refuses by name.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { listRecords } from "../../src/gateway/usage.ts";
import { call, type Seeded, seed } from "./helpers.ts";

type Record_ = { request_id: string; model: string; key_id: string; created_at: string };
type List<T> = { data: T[]; has_more: boolean; next_page: string | null };
type Group = { model?: string; day?: string; requests: number; cost: string };
type OpenAiError = { error: { message: string; type: string; param: string | null; code: string } };

let counter = 0;

/** A usage record of the payer written straight to the meter database, as metering leaves it. */
async function record(s: Seeded, at: string | number, o: { model?: string; keyId?: string; payer?: string } = {}) {
  const id = `rec-${Date.now()}-${counter++}`;
  await env.METER_DB.prepare(
    `INSERT INTO usage_records (request_id, key_id, payer, model, model_asset, license_id, terms_id, token, route_id,
       endpoint, stream, input_tokens, output_tokens, cost, reserved, status, http_status, latency_ms, region,
       estimated, created_at, signature)
     VALUES (?, ?, ?, ?, ?, 'license', 'terms', ?, 'route', 'chat', 0, 1, 1, 3, 3, 'completed', 200, 5, 'local', 0, ?, '0x')`,
  )
    .bind(
      id,
      o.keyId ?? s.keyId,
      o.payer ?? s.payer,
      o.model ?? s.model,
      s.assetId,
      s.token,
      typeof at === "number" ? at : Date.parse(at),
    )
    .run();
  return id;
}

async function usage<T>(s: Seeded, query: string): Promise<List<T>> {
  const res = await call(`/v1/usage?${query}`, { key: s.apiKey });
  expect(res.status, `${query}: ${res.status}`).toBe(200);
  return (await res.json()) as List<T>;
}

async function refused(s: Seeded, query: string): Promise<OpenAiError["error"]> {
  const res = await call(`/v1/usage?${query}`, { key: s.apiKey });
  expect(res.status, query).toBe(400);
  const body = (await res.json()) as OpenAiError;
  expect(body.error).toMatchObject({ type: "invalid_request_error", code: "invalid_request" });
  return body.error;
}

/** Every record of a query, page by page; returns the ids in order and how many pages it took. */
async function allPages(s: Seeded, query: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  let next: string | null = null;
  do {
    const page: List<Record_> = await usage<Record_>(s, `${query}${next ? `&page=${next}` : ""}`);
    ids.push(...page.data.map((r) => r.request_id));
    next = page.next_page;
    pages++;
  } while (next);
  return { ids, pages };
}

describe("GET /v1/usage query", () => {
  it("takes from and to as RFC 3339 date-times with offsets or as plain dates (00:00 UTC)", async () => {
    const s = await seed();
    const late = await record(s, "2026-11-21T23:30:00Z");
    const early = await record(s, "2026-11-22T00:30:00Z");
    const ids = async (query: string) => (await usage<Record_>(s, query)).data.map((r) => r.request_id);
    expect(await ids("from=2026-11-22")).toEqual([early]);
    expect(await ids("to=2026-11-22")).toEqual([late]);
    // 00:00 at +01:00 is 23:00 UTC the day before; %2B is the "+" a query string needs escaped.
    expect(await ids("from=2026-11-22T00:00:00%2B01:00")).toEqual([early, late]);
    expect(await ids("from=2026-11-21T23:45:00-00:30")).toEqual([early]);
    expect(await ids("from=2026-11-21&to=2026-11-22T00:30:00.001Z")).toEqual([early, late]);
    for (const bad of ["2026-11-22T00:00:00", "yesterday", "2026-02-30"]) {
      const error = await refused(s, `from=${bad}`);
      expect(error.param).toBe("from");
      expect(error.message).toMatch(/^from: Expected an RFC 3339 date-time with Z or an offset .* or a date/);
    }
  });

  it("filters records and groups by model and by the payer's keys, behind cursors bound to the filter", async () => {
    const s = await seed();
    const other = `other-${s.model}`;
    const otherKey = "key_otherkey00";
    const t0 = Date.parse("2026-11-22T10:00:00Z");
    const a1 = await record(s, t0);
    const b1 = await record(s, t0 + 1, { model: other });
    const a2 = await record(s, t0 + 2, { keyId: otherKey });
    const b2 = await record(s, t0 + 3, { model: other, keyId: otherKey });
    const a3 = await record(s, t0 + 4);
    // Another payer's record of the same model and key is never the payer's.
    await record(s, t0 + 5, { payer: `0x${"9".repeat(40)}` });
    // An archived day of the other model: groups count it, records do not list it.
    await env.METER_DB.prepare(
      `INSERT INTO usage_daily (payer, day, model, token, requests, input_tokens, output_tokens, cost, estimated)
       VALUES (?, '2026-11-01', ?, ?, 7, 1, 1, 70, 0)`,
    )
      .bind(s.payer, other, s.token)
      .run();

    const ids = async (query: string) => (await usage<Record_>(s, query)).data.map((r) => r.request_id);
    expect(await ids("")).toEqual([a3, b2, a2, b1, a1]);
    expect(await ids(`model=${s.model}`)).toEqual([a3, a2, a1]);
    expect(await ids(`model=${s.model}&model=${other}`)).toEqual([a3, b2, a2, b1, a1]);
    expect(await ids(`key_id=${otherKey}`)).toEqual([b2, a2]);
    expect(await ids(`key_id=${otherKey}&key_id=${s.keyId}&model=${other}`)).toEqual([b2, b1]);
    expect(await ids(`model=${other}&key_id=${s.keyId}`)).toEqual([b1]);
    expect(await ids("model=no-such-model")).toEqual([]);

    // One record per page, each match once, in order.
    expect(await allPages(s, `model=${s.model}&limit=1`)).toEqual({ ids: [a3, a2, a1], pages: 3 });

    const groups = async (query: string) =>
      (await usage<Group>(s, query)).data.map((g) => [g.model ?? g.day, g.requests, g.cost]);
    expect(await groups(`group_by=model&model=${other}`)).toEqual([[other, 9, "76"]]);
    expect(await groups(`group_by=day&model=${s.model}`)).toEqual([["2026-11-22", 3, "9"]]);
    expect(await groups(`group_by=day&model=${other}`)).toEqual([
      ["2026-11-01", 7, "70"],
      ["2026-11-22", 2, "6"],
    ]);
    const keyGroups = await refused(s, `group_by=model&key_id=${s.keyId}`);
    expect(keyGroups.param).toBe("key_id");
    expect(keyGroups.message).toMatch(/^key_id: groups cannot be filtered by key/);

    // A cursor continues only the list that issued it: same group_by, same filter (in any order).
    const onlyA = await usage<Record_>(s, `model=${s.model}&limit=1`);
    const both = await usage<Record_>(s, `model=${s.model}&model=${other}&limit=1`);
    const unfiltered = await usage<Record_>(s, "limit=1");
    const byModel = await usage<Group>(s, `group_by=model&model=${other}&model=${s.model}&limit=1`);
    expect(await ids(`model=${other}&model=${s.model}&limit=1&page=${both.next_page}`)).toEqual([b2]);
    expect(
      (await usage<Group>(s, `group_by=model&model=${s.model}&model=${other}&page=${byModel.next_page}`)).data,
    ).toHaveLength(1);
    for (const query of [
      `model=${other}&page=${onlyA.next_page}`,
      `page=${onlyA.next_page}`,
      `key_id=${s.keyId}&page=${onlyA.next_page}`,
      `model=${s.model}&page=${unfiltered.next_page}`,
      `group_by=model&page=${byModel.next_page}`,
    ]) {
      const error = await refused(s, query);
      expect(error.param, query).toBe("page");
    }
    expect((await refused(s, `model=${other}&page=${onlyA.next_page}`)).message).toMatch(/other filters/);
  });

  it("binds cursors to from and to: a cursor of another window is refused, the same instants however written are not", async () => {
    const s = await seed();
    const t0 = Date.parse("2026-11-22T10:00:00Z");
    const [r0, r1, r2] = [await record(s, t0), await record(s, t0 + 3_600_000), await record(s, t0 + 7_200_000)];
    const nextDay = await record(s, "2026-11-23T10:00:00Z");
    const ids = async (query: string) => (await usage<Record_>(s, query)).data.map((x) => x.request_id);
    const windowed = await usage<Record_>(s, "from=2026-11-22&to=2026-11-22T12:30:00Z&limit=1");
    expect(windowed.data.map((x) => x.request_id)).toEqual([r2]);
    // The same instants, written otherwise, continue the list.
    expect(
      await ids(`from=2026-11-22T01:00:00%2B01:00&to=2026-11-22T12:30:00.000Z&limit=2&page=${windowed.next_page}`),
    ).toEqual([r1, r0]);
    const unbounded = await usage<Record_>(s, "limit=1");
    expect(unbounded.data.map((x) => x.request_id)).toEqual([nextDay]);
    expect(await ids(`limit=1&page=${unbounded.next_page}`)).toEqual([r2]);
    const byDay = await usage<Group>(s, `group_by=day&to=2026-12-01&model=${s.model}&limit=1`);
    expect(byDay.data.map((g) => g.day)).toEqual(["2026-11-22"]);
    const byDayNext = await usage<Group>(
      s,
      `group_by=day&to=2026-12-01T00:00:00Z&model=${s.model}&limit=1&page=${byDay.next_page}`,
    );
    expect(byDayNext.data.map((g) => g.day)).toEqual(["2026-11-23"]);
    const message = (from: string, to: string) =>
      `page: this cursor continues a list with another from or to (${from}, ${to}); pass the same from and to as ` +
      "the request that returned it.";
    const cases: [string, string][] = [
      [
        `from=2026-11-21&to=2026-11-22T12:30:00Z&page=${windowed.next_page}`,
        message("from 2026-11-22T00:00:00.000Z", "to 2026-11-22T12:30:00.000Z"),
      ],
      [
        `to=2026-11-22T12:30:00Z&page=${windowed.next_page}`,
        message("from 2026-11-22T00:00:00.000Z", "to 2026-11-22T12:30:00.000Z"),
      ],
      [
        `from=2026-11-22&page=${windowed.next_page}`,
        message("from 2026-11-22T00:00:00.000Z", "to 2026-11-22T12:30:00.000Z"),
      ],
      [`page=${windowed.next_page}`, message("from 2026-11-22T00:00:00.000Z", "to 2026-11-22T12:30:00.000Z")],
      // A cursor of the whole history does not continue a window, nor a group cursor another window.
      [`from=2026-11-22&page=${unbounded.next_page}`, message("no from", "no to")],
      [`to=2026-11-22T13:00:00Z&page=${unbounded.next_page}`, message("no from", "no to")],
      [`group_by=day&model=${s.model}&page=${byDay.next_page}`, message("no from", "to 2026-12-01T00:00:00.000Z")],
      [
        `group_by=day&model=${s.model}&to=2026-11-30&page=${byDay.next_page}`,
        message("no from", "to 2026-12-01T00:00:00.000Z"),
      ],
    ];
    for (const [query, expected] of cases) {
      const error = await refused(s, query);
      expect(error.param, query).toBe("page");
      expect(error.message, query).toBe(expected);
    }
  });

  it("refuses unknown parameters and a parameter given twice, by name", async () => {
    const s = await seed();
    for (const name of ["foo", "models", "api_key_ids"]) {
      const error = await refused(s, `${name}=x`);
      expect(error.param).toBe(name);
      expect(error.message).toBe(
        `${name}: not a parameter of this endpoint, which takes from, to, group_by, model, key_id, limit, page.`,
      );
    }
    const twice = await refused(s, "limit=2&limit=3");
    expect(twice).toMatchObject({ param: "limit", message: "limit: given 2 times; give it once." });
    expect((await refused(s, "group_by=day&group_by=model")).param).toBe("group_by");
    expect((await refused(s, `model=${"m".repeat(201)}`)).param).toBe("model.0");
    const tooMany = Array.from({ length: 21 }, (_, i) => `model=m${i}`).join("&");
    expect((await refused(s, tooMany)).param).toBe("model");
  });
});

describe("listRecords with a filter", () => {
  it("reads at most scanRows records per page: short pages continue after the last record read, to every match", async () => {
    const s = await seed();
    const other = `other-${s.model}`;
    const t0 = Date.parse("2026-11-23T10:00:00Z");
    // Ten records, newest first at positions 0..9; the other model's at 1, 7 and 8.
    const ids: string[] = [];
    for (let i = 9; i >= 0; i--) ids.unshift(await record(s, t0 - i, [1, 7, 8].includes(i) ? { model: other } : {}));
    const window = { from: 0, to: null };
    const filter = { models: [other] };
    const pages: [string[], boolean][] = [];
    let page: string | undefined;
    do {
      const p = await listRecords(env.METER_DB, s.payer, window, filter, 2, page, 3);
      pages.push([p.data.map((r) => r.request_id), p.has_more]);
      page = p.next_page ?? undefined;
    } while (page);
    // Reads 0-2, 3-5, 6-8 (two matches fill the page, and the range goes on), then 9.
    expect(pages).toEqual([
      [[ids[1]], true],
      [[], true],
      [[ids[7], ids[8]], true],
      [[], false],
    ]);
    // With room to read everything, one page has every match; unfiltered pages stay full.
    const whole = await listRecords(env.METER_DB, s.payer, window, filter, 5);
    expect([whole.data.map((r) => r.request_id), whole.has_more]).toEqual([[ids[1], ids[7], ids[8]], false]);
    const plain = await listRecords(env.METER_DB, s.payer, window, {}, 4, undefined, 3);
    expect(plain.data.map((r) => r.request_id)).toEqual(ids.slice(0, 4));
  });
});
