// Row ids: UUIDv7, so that rows inserted together land at the end of their table's primary-key index.
import { v7 as uuidv7 } from "uuid";

/**
 * A new id for a row or a request: a UUIDv7, which starts with its millisecond (monotonic within an isolate). A random
 * UUIDv4 puts each insert on another leaf page of the primary-key index, a time-ordered id on the last one, so a batch
 * of inserts dirties a page or two instead of one per row (docs/decisions.md, "Request ids are UUIDv7").
 */
export function newId(): string {
  return uuidv7();
}
