// The payer's usage as `GET /v1/usage` reads it: records newest first, or groups by day or model over the live records
// and the daily rollups of archived ones, in pages behind opaque keyset cursors.
import { z } from "zod";
import { AppError } from "../errors.ts";
import { sha256Hex } from "./crypto.ts";
import { utcDay } from "./spend.ts";

/** The UTC day (YYYY-MM-DD) of a usage record's `created_at`, in SQL: the day of a group and of a rollup. */
export const RECORD_DAY_SQL = "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')";

const DAY_MS = 86_400_000;

/** Records created at `from` or later and before `to` (ms since 1970; null: no upper bound). */
export type UsageWindow = { from: number; to: number | null };

export type UsagePage<T> = { data: T[]; has_more: boolean; next_page: string | null };

export type UsageRecordRow = {
  request_id: string;
  key_id: string;
  model: string;
  endpoint: string;
  stream: number;
  input_tokens: number;
  output_tokens: number;
  cost: string;
  token: string;
  status: string;
  estimated: number;
  latency_ms: number;
  region: string;
  created_at: number;
};

export type UsageGroupRow = {
  grp: string;
  token: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cost: string;
  estimated: number;
};

export type GroupBy = "day" | "model";

/** Only records of any of these models, and of any of these keys; an omitted list matches everything. */
export type UsageFilter = { models?: string[] | undefined; keyIds?: string[] | undefined };

/**
 * At most this many of the payer's records are read for one page of a filtered list. The filter is applied within
 * the payer's range of the (payer, created_at) index, so a rare model would otherwise read the payer's whole history
 * for one page; past this many, the page ends early (fewer rows than `limit`, even none) with a cursor after the last
 * record read. docs/decisions.md, "Usage filters read the payer's range".
 */
export const FILTER_SCAN_ROWS = 5_000;

/**
 * Cursors name the list they continue and the key of the last row served: a record's (created_at, request_id), a
 * group's (group, token). Keyset, not an offset, so a page boundary does not shift when records arrive or are archived.
 * Then what they are bound to: the filter's tag, and the window's from and to when it has either (ms; to null when
 * open). A cursor without them was issued for no filter and the whole history.
 */
const cursorBinding = [z.string().optional(), z.int().optional(), z.int().nullable().optional()] as const;
const cursorSchemas = {
  records: z.tuple([z.literal("records"), z.int(), z.string(), ...cursorBinding]),
  day: z.tuple([z.literal("day"), z.string(), z.string(), ...cursorBinding]),
  model: z.tuple([z.literal("model"), z.string(), z.string(), ...cursorBinding]),
};

type Cursor<K extends keyof typeof cursorSchemas> = z.infer<(typeof cursorSchemas)[K]>;

/**
 * What a cursor remembers of the filter of its list: "" for none (and for cursors issued before filters existed),
 * else 16 hex digits of the SHA-256 of the sorted values, so a cursor is short whatever the filter's length.
 */
function filterTag(filter: UsageFilter): string {
  const sorted = (values: string[] | undefined) => (values ? [...new Set(values)].sort() : null);
  const models = sorted(filter.models);
  const keyIds = sorted(filter.keyIds);
  if (!models && !keyIds) return "";
  return sha256Hex(JSON.stringify([models, keyIds])).slice(0, 16);
}

/** Whether a window has a bound: the whole history (from 0, no to) is the window of a cursor that names none. */
const bounded = (window: UsageWindow) => window.from !== 0 || window.to !== null;

/** A cursor after the row keyed `key` of the list `kind`, with the filter's tag and the window when they narrow it. */
function encodeCursor(
  kind: keyof typeof cursorSchemas,
  key: [number | string, string],
  tag: string,
  window: UsageWindow,
): string {
  const binding = bounded(window) ? [tag, window.from, window.to] : tag ? [tag] : [];
  return Buffer.from(JSON.stringify([kind, ...key, ...binding]), "utf8").toString("base64url");
}

function decodeCursor<K extends keyof typeof cursorSchemas>(
  kind: K,
  page: string,
  filter: UsageFilter,
  window: UsageWindow,
): Cursor<K> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(page, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const parsed = cursorSchemas[kind].safeParse(value);
  if (!parsed.success) {
    throw new AppError(
      "invalid_request",
      `page: not a cursor of this list; pass the \`next_page\` of a previous response with the same group_by.`,
      { param: "page" },
    );
  }
  if ((parsed.data[3] ?? "") !== filterTag(filter)) {
    throw new AppError(
      "invalid_request",
      "page: this cursor continues a list with other filters; pass the same model and key_id values as the request " +
        "that returned it.",
      { param: "page" },
    );
  }
  const [, , , , from = 0, to = null] = parsed.data;
  if (from !== window.from || to !== window.to) {
    const fromText = from === 0 ? "no from" : `from ${new Date(from).toISOString()}`;
    const toText = to === null ? "no to" : `to ${new Date(to).toISOString()}`;
    throw new AppError(
      "invalid_request",
      `page: this cursor continues a list with another from or to (${fromText}, ${toText}); pass the same from and ` +
        "to as the request that returned it.",
      { param: "page" },
    );
  }
  return parsed.data as Cursor<K>;
}

/** SQL that matches a filter's columns (`?` bound to JSON arrays, in the order of `filterBindings`); "1" for none. */
function filterSql(filter: UsageFilter): string {
  const terms = [
    ...(filter.models ? ["model IN (SELECT value FROM json_each(?))"] : []),
    ...(filter.keyIds ? ["key_id IN (SELECT value FROM json_each(?))"] : []),
  ];
  return terms.length ? terms.join(" AND ") : "1";
}

const filterBindings = (filter: UsageFilter) =>
  [filter.models, filter.keyIds].flatMap((values) => (values ? [JSON.stringify(values)] : []));

/** The first `limit` rows of `rows` (fetched with one more), whether there are more, and the cursor after them. */
function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): UsagePage<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  const hasMore = rows.length > limit && last !== undefined;
  return { data, has_more: hasMore, next_page: hasMore ? cursorOf(last) : null };
}

/**
 * The payer's records in the window that match the filter, newest first (request id descending among records of the
 * same millisecond), `limit` per page. Only what D1 still holds: archived records are in R2 (see `archivedBefore`).
 * A filtered page reads at most `scanRows` records: when they hold fewer than `limit` matches, the page is short and
 * its cursor continues after the last record read.
 */
export async function listRecords(
  db: D1Database,
  payer: string,
  window: UsageWindow,
  filter: UsageFilter,
  limit: number,
  page?: string,
  scanRows = FILTER_SCAN_ROWS,
): Promise<UsagePage<UsageRecordRow>> {
  const tag = filterTag(filter);
  const after = page === undefined ? null : decodeCursor("records", page, filter, window);
  const columns = `request_id, key_id, model, endpoint, stream, input_tokens, output_tokens, CAST(cost AS TEXT) AS cost,
    token, status, estimated, latency_ms, region, created_at`;
  const range = `FROM usage_records WHERE payer = ? AND created_at >= ? AND created_at < ?
    ${after ? "AND created_at <= ? AND (created_at, request_id) < (?, ?)" : ""}
    ORDER BY created_at DESC, request_id DESC`;
  const rangeBindings = [
    payer,
    window.from,
    window.to ?? Number.MAX_SAFE_INTEGER,
    ...(after ? [after[1], after[1], after[2]] : []),
  ];
  const cursorOf = (r: { created_at: number; request_id: string }) =>
    encodeCursor("records", [r.created_at, r.request_id], tag, window);
  if (tag === "") {
    const { results } = await db
      .prepare(`SELECT ${columns} ${range} LIMIT ?`)
      .bind(...rangeBindings, limit + 1)
      .all<UsageRecordRow>();
    return pageOf(results, limit, cursorOf);
  }
  // The matches among the first `scanRows` records of the range, and the last record read with the one after it
  // (two rows: the range goes on past what was read).
  const [matches, edge] = await db.batch<UsageRecordRow | { created_at: number; request_id: string }>([
    db
      .prepare(
        `SELECT * FROM (SELECT ${columns} ${range} LIMIT ?)
         WHERE ${filterSql(filter)} ORDER BY created_at DESC, request_id DESC LIMIT ?`,
      )
      .bind(...rangeBindings, scanRows, ...filterBindings(filter), limit + 1),
    db.prepare(`SELECT created_at, request_id ${range} LIMIT 2 OFFSET ?`).bind(...rangeBindings, scanRows - 1),
  ]);
  const rows = (matches?.results ?? []) as UsageRecordRow[];
  const ends = (edge?.results ?? []) as { created_at: number; request_id: string }[];
  const lastRead = ends[0];
  if (rows.length > limit || ends.length < 2 || lastRead === undefined) return pageOf(rows, limit, cursorOf);
  return { data: rows, has_more: true, next_page: cursorOf(lastRead) };
}

/**
 * The payer's usage in the window grouped by UTC day or by model, and by token, ordered by group then token: the live
 * records plus the daily rollups of archived ones (`usage_daily`, settler/archive.ts). A rollup has no finer time than
 * its day, so it counts only when its whole UTC day lies inside the window; a window with bounds at UTC midnight
 * therefore counts exactly what was metered in it.
 */
export async function listGroups(
  db: D1Database,
  payer: string,
  groupBy: GroupBy,
  window: UsageWindow,
  filter: Pick<UsageFilter, "models">,
  limit: number,
  page?: string,
): Promise<UsagePage<UsageGroupRow>> {
  const tag = filterTag(filter);
  const after = page === undefined ? null : decodeCursor(groupBy, page, filter, window);
  const live = groupBy === "day" ? RECORD_DAY_SQL : "model";
  // usage_daily has a column of each group's name.
  const rolled = groupBy;
  // Rollup days from the first midnight at or after `from` up to, not including, the day `to` falls in.
  const firstDay = utcDay(Math.ceil(window.from / DAY_MS) * DAY_MS);
  const endDay = window.to === null ? null : utcDay(window.to);
  // Both parts are read within the payer's range; the model filter, like the window, only narrows what is summed.
  const models = "(?9 IS NULL OR model IN (SELECT value FROM json_each(?9)))";
  const { results } = await db
    .prepare(
      `SELECT grp, token, sum(requests) AS requests, sum(input_tokens) AS input_tokens,
         sum(output_tokens) AS output_tokens, CAST(sum(cost) AS TEXT) AS cost, sum(estimated) AS estimated
       FROM (
         SELECT ${live} AS grp, token, count(*) AS requests, sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens, sum(cost) AS cost, sum(estimated) AS estimated
         FROM usage_records WHERE payer = ?1 AND created_at >= ?2 AND created_at < ?3 AND ${models}
         GROUP BY grp, token
         UNION ALL
         SELECT ${rolled} AS grp, token, requests, input_tokens, output_tokens, cost, estimated
         FROM usage_daily WHERE payer = ?1 AND day >= ?4 AND (?5 IS NULL OR day < ?5) AND ${models}
       )
       WHERE ?7 IS NULL OR (grp, token) > (?7, ?8)
       GROUP BY grp, token ORDER BY grp, token LIMIT ?6`,
    )
    .bind(
      payer,
      window.from,
      window.to ?? Number.MAX_SAFE_INTEGER,
      firstDay,
      endDay,
      limit + 1,
      after?.[1] ?? null,
      after?.[2] ?? null,
      filter.models ? JSON.stringify(filter.models) : null,
    )
    .all<UsageGroupRow>();
  return pageOf(results, limit, (g) => encodeCursor(groupBy, [g.grp, g.token], tag, window));
}

/**
 * Where the history in D1 may end: records created before this instant (ms) may have been archived to R2, records
 * created at or after it are all still in D1; null when nothing was archived. An epoch takes only records created
 * before its watermark (settler/close.ts), so the newest watermark of an epoch whose records left bounds every
 * archived record. Not the reverse: a record written late is taken by a later epoch, so records before the instant
 * may still be in D1. The epoch being archived right now counts too: its totals are stored in `archived_metering`
 * before its first record is deleted, while `archived_at` is set only once all of them are gone.
 */
export async function archivedBefore(control: D1Database): Promise<number | null> {
  const row = await control
    .prepare(
      `SELECT max(watermark) AS watermark FROM settlement_epochs
       WHERE archived_at IS NOT NULL OR epoch_id = (SELECT max(epoch_id) FROM archived_metering)`,
    )
    .first<{ watermark: number | null }>();
  return row?.watermark ?? null;
}
