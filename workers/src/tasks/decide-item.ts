// Applies consensus to an item once it has its overlap of labels; idempotent under concurrent submits.
import type { LabelValue } from "@tributary/schemas/tasks";
import { decide } from "./consensus.ts";
import { type LabelRow, labelSchemaOf, type ProjectRow } from "./rows.ts";

/**
 * Decides `itemId` when all its overlap labels are in and still pending. Every write is guarded by
 * the state it expects (`pending` labels, `open` item), so two submits racing here write once.
 */
export async function decideItem(db: D1Database, project: ProjectRow, itemId: string, now: number): Promise<void> {
  const { results: rows } = await db
    .prepare("SELECT * FROM labels WHERE item_id = ? AND status <> 'gold' ORDER BY submitted_at, id")
    .bind(itemId)
    .all<LabelRow>();
  if (rows.length < project.overlap || rows.some((r) => r.status !== "pending")) return;
  const ballots = rows.map((r) => ({ id: r.id, value: JSON.parse(r.value) as LabelValue }));
  const decision = decide(labelSchemaOf(project), project.agreement_bps, ballots);
  if (!decision) {
    await db.prepare("UPDATE items SET status = 'review' WHERE id = ? AND status = 'open'").bind(itemId).run();
    return;
  }
  await db.batch([
    ...[...decision.verdicts].map(([id, verdict]) =>
      db
        .prepare(
          "UPDATE labels SET status = ?, decided_by = 'consensus', decided_at = ? WHERE id = ? AND status = 'pending'",
        )
        .bind(verdict, now, id),
    ),
    db
      .prepare(
        "UPDATE items SET status = 'done', final_value = ?, decided_by = 'consensus' WHERE id = ? AND status = 'open'",
      )
      .bind(JSON.stringify(decision.final), itemId),
  ]);
}
