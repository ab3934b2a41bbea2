// The payer's usage as `GET /v1/usage` reads it: records newest first, or groups by day or model over the live records
// and the daily rollups of archived ones, in pages behind opaque keyset cursors.
import { z } from "zod";
import { AppError } from "../errors.ts";
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

/**
 * Cursors name the list they continue and the key of the last row served: a record's (created_at, request_id), a
 * group's (group, token). Keyset, not an offset, so a page boundary does not shift when records arrive or are archived.
 */
const cursorSchemas = {
  records: z.tuple([z.literal("records"), z.int(), z.string()]),
  day: z.tuple([z.literal("day"), z.string(), z.string()]),
  model: z.tuple([z.literal("model"), z.string(), z.string()]),
};

type Cursor<K extends keyof typeof cursorSchemas> = z.infer<(typeof cursorSchemas)[K]>;

const encodeCursor = (cursor: Cursor<keyof typeof cursorSchemas>) =>
  Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");

function decodeCursor<K extends keyof typeof cursorSchemas>(kind: K, page: string): Cursor<K> {
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
  return parsed.data as Cursor<K>;
}

/** The first `limit` rows of `rows` (fetched with one more), whether there are more, and the cursor after them. */
function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): UsagePage<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  const hasMore = rows.length > limit && last !== undefined;
  return { data, has_more: hasMore, next_page: hasMore ? cursorOf(last) : null };
}

/**
 * The payer's records in the window, newest first (request id descending among records of the same millisecond),
 * `limit` per page. Only what D1 still holds: archived records are in R2 (see `archivedBefore`).
 */
export async function listRecords(
  db: D1Database,
  payer: string,
  window: UsageWindow,
  limit: number,
  page?: string,
): Promise<UsagePage<UsageRecordRow>> {
  const after = page === undefined ? null : decodeCursor("records", page);
  const { results } = await db
    .prepare(
      `SELECT request_id, key_id, model, endpoint, stream, input_tokens, output_tokens, CAST(cost AS TEXT) AS cost,
         token, status, estimated, latency_ms, region, created_at
       FROM usage_records WHERE payer = ? AND created_at >= ? AND created_at < ?
       ${after ? "AND created_at <= ? AND (created_at, request_id) < (?, ?)" : ""}
       ORDER BY created_at DESC, request_id DESC LIMIT ?`,
    )
    .bind(
      payer,
      window.from,
      window.to ?? Number.MAX_SAFE_INTEGER,
      ...(after ? [after[1], after[1], after[2]] : []),
      limit + 1,
    )
    .all<UsageRecordRow>();
  return pageOf(results, limit, (r) => encodeCursor(["records", r.created_at, r.request_id]));
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
  limit: number,
  page?: string,
): Promise<UsagePage<UsageGroupRow>> {
  const after = page === undefined ? null : decodeCursor(groupBy, page);
  const live = groupBy === "day" ? RECORD_DAY_SQL : "model";
  // usage_daily has a column of each group's name.
  const rolled = groupBy;
  // Rollup days from the first midnight at or after `from` up to, not including, the day `to` falls in.
  const firstDay = utcDay(Math.ceil(window.from / DAY_MS) * DAY_MS);
  const endDay = window.to === null ? null : utcDay(window.to);
  const { results } = await db
    .prepare(
      `SELECT grp, token, sum(requests) AS requests, sum(input_tokens) AS input_tokens,
         sum(output_tokens) AS output_tokens, CAST(sum(cost) AS TEXT) AS cost, sum(estimated) AS estimated
       FROM (
         SELECT ${live} AS grp, token, count(*) AS requests, sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens, sum(cost) AS cost, sum(estimated) AS estimated
         FROM usage_records WHERE payer = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY grp, token
         UNION ALL
         SELECT ${rolled} AS grp, token, requests, input_tokens, output_tokens, cost, estimated
         FROM usage_daily WHERE payer = ?1 AND day >= ?4 AND (?5 IS NULL OR day < ?5)
       )
       ${after ? "WHERE (grp, token) > (?7, ?8)" : ""}
       GROUP BY grp, token ORDER BY grp, token LIMIT ?6`,
    )
    .bind(
      payer,
      window.from,
      window.to ?? Number.MAX_SAFE_INTEGER,
      firstDay,
      endDay,
      limit + 1,
      ...(after ? [after[1], after[2]] : []),
    )
    .all<UsageGroupRow>();
  return pageOf(results, limit, (g) => encodeCursor([groupBy, g.grp, g.token]));
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
