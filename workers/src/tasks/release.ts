// Release or skip: gives a live lease back before it expires.
import { AppError } from "../errors.ts";

/**
 * Ends the annotator's live lease. `released` frees the slot and lets the item come back to them
 * later; `skipped` frees the slot and keeps the item away from them for good.
 */
export async function release(
  db: D1Database,
  assignmentId: string,
  annotator: string,
  skip: boolean,
  now: number,
): Promise<void> {
  const ended = await db
    .prepare(
      "UPDATE assignments SET state = ?, ended_at = ? WHERE id = ? AND annotator = ? AND state = 'leased' AND expires_at > ? RETURNING id",
    )
    .bind(skip ? "skipped" : "released", now, assignmentId, annotator, now)
    .first();
  if (ended) return;
  const exists = await db
    .prepare("SELECT state FROM assignments WHERE id = ? AND annotator = ?")
    .bind(assignmentId, annotator)
    .first();
  if (!exists) throw new AppError("not_found", `You hold no assignment ${assignmentId}.`, { param: "assignmentId" });
  throw new AppError("conflict", "This assignment is no longer leased.");
}
