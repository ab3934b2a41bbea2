// Receipts of usage records that the usage archive moved from D1 to R2 (settler/archive.ts), found from the time a
// request id carries, so `GET /v1/usage/receipts/:id` keeps serving them after the retention.
import { archivePrefix } from "../settler/archive.ts";
import type { SignedRecord } from "./meter.ts";

/** An archived usage record: the receipt's columns, its signature and signer, and the epoch it was settled in. */
export type ArchivedRecord = SignedRecord & { epoch_id: number };

/**
 * Archived epochs searched for one record. A record belongs to the first epoch closed after it was written whose
 * watermark is past its `created_at` (settler/meters.ts `tagRecords`), which is at or after the millisecond its id
 * was made: the first archived epoch with a later watermark, or the next one for a record written as that epoch
 * closed; more only for a stream that outlasted whole epochs.
 */
const EPOCHS_SEARCHED = 4;

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The millisecond a gateway request id (UUIDv7) was made; null for any other id, such as a client's own. */
export function requestIdTime(requestId: string): number | null {
  if (!UUIDV7.test(requestId)) return null;
  return Number.parseInt(requestId.slice(0, 8) + requestId.slice(9, 13), 16);
}

/**
 * Looks a request's usage record up in the archive of `bucket` (this region's: the settler archives each meter
 * database to its region's bucket). Only archived epochs are searched, as only they left D1: archived epochs are a
 * prefix of the settled ones, so the first EPOCHS_SEARCHED archived epochs whose watermark is past the id's time.
 * Each epoch's parts are named by their first request id and hold the records between that id and the next part's,
 * so one part per meter database is read. Null when the id is not a gateway id or the record is not there.
 */
export async function findArchivedRecord(
  control: D1Database,
  bucket: R2Bucket,
  requestId: string,
): Promise<ArchivedRecord | null> {
  const at = requestIdTime(requestId);
  if (at === null) return null;
  const { results: epochs } = await control
    .prepare(
      `SELECT epoch_id FROM settlement_epochs WHERE watermark > ?
         AND (archived_at IS NOT NULL OR epoch_id IN (SELECT epoch_id FROM archived_metering))
       ORDER BY epoch_id LIMIT ?`,
    )
    .bind(at, EPOCHS_SEARCHED)
    .all<{ epoch_id: number }>();
  for (const { epoch_id } of epochs) {
    const prefix = archivePrefix(epoch_id);
    // The part of each meter database folder whose first request id is the last one at or before this id.
    const parts = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const listed = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
      for (const { key } of listed.objects) {
        const [folder, file] = key.slice(prefix.length).split("/");
        const first = file?.replace(/\.ndjson$/, "");
        if (folder && first && first <= requestId) parts.set(folder, key);
      }
      cursor = listed.truncated ? listed.cursor : undefined;
    } while (cursor);
    for (const key of parts.values()) {
      const text = await (await bucket.get(key))?.text();
      for (const line of text?.split("\n") ?? []) {
        if (!line.includes(requestId)) continue;
        const record = JSON.parse(line) as ArchivedRecord;
        if (record.request_id === requestId) return record;
      }
    }
  }
  return null;
}
