// Review: reviewers approve or reject labels and may override an item's answer.
import type { LabelValue, ReviewItem, ReviewRequest } from "@tributary/schemas/tasks";
import { AppError } from "../errors.ts";
import { agreesWith } from "./agreement.ts";
import type { Verdict } from "./consensus.ts";
import { parseLabelValue } from "./label-value.ts";
import { type ItemRow, type LabelRow, labelSchemaOf, type ProjectRow, toItemView, toLabelView } from "./rows.ts";

export async function loadReviewItem(db: D1Database, item: ItemRow): Promise<ReviewItem> {
  const { results } = await db
    .prepare("SELECT * FROM labels WHERE item_id = ? AND status <> 'gold' ORDER BY submitted_at, id")
    .bind(item.id)
    .all<LabelRow>();
  return {
    item: {
      ...toItemView(item),
      status: item.status,
      finalValue: item.final_value === null ? null : (JSON.parse(item.final_value) as LabelValue),
      decidedBy: item.decided_by,
    },
    labels: results.map(toLabelView),
  };
}

/**
 * Applies a review to an item whose labels are all in (status review or done). An override becomes
 * the item's answer and re-judges every label against it; explicit decisions then set single
 * labels. The item is done once no label is pending.
 */
export async function reviewItem(
  db: D1Database,
  project: ProjectRow,
  item: ItemRow,
  reviewer: string,
  request: ReviewRequest,
  now: number,
): Promise<ReviewItem> {
  if (item.is_gold === 1) throw new AppError("conflict", "Gold items are graded, not reviewed.");
  if (item.status === "open") throw new AppError("conflict", "This item is still collecting labels.");
  const { labels } = await loadReviewItem(db, item);
  const schema = labelSchemaOf(project);
  const verdicts = new Map<string, Verdict>();
  let final = item.final_value === null ? null : (JSON.parse(item.final_value) as LabelValue);
  if (request.override) {
    final = parseLabelValue(schema, request.override, item.text === null ? null : item.text.length, "body.override");
    for (const l of labels)
      verdicts.set(l.id, agreesWith(schema, project.agreement_bps, l.value, final) ? "accepted" : "rejected");
  }
  for (const d of request.decisions) {
    if (!labels.some((l) => l.id === d.labelId)) {
      throw new AppError("invalid_request", `Label ${d.labelId} does not belong to item ${item.id}.`, {
        param: "decisions",
      });
    }
    verdicts.set(d.labelId, d.status);
  }
  const status = (id: string, current: string) => verdicts.get(id) ?? current;
  const pending = labels.some((l) => status(l.id, l.status) === "pending");
  if (final === null) {
    const firstAccepted = labels.find((l) => status(l.id, l.status) === "accepted");
    final = firstAccepted ? firstAccepted.value : null;
  }
  await db.batch([
    ...[...verdicts].map(([id, verdict]) =>
      db
        .prepare("UPDATE labels SET status = ?, decided_by = 'review', reviewer = ?, decided_at = ? WHERE id = ?")
        .bind(verdict, reviewer, now, id),
    ),
    db
      .prepare("UPDATE items SET status = ?, final_value = ?, decided_by = ? WHERE id = ?")
      .bind(
        pending ? "review" : "done",
        final === null ? null : JSON.stringify(final),
        request.override ? "review" : (item.decided_by ?? "review"),
        item.id,
      ),
  ]);
  const updated = await db.prepare("SELECT * FROM items WHERE id = ?").bind(item.id).first<ItemRow>();
  if (!updated) throw new Error(`Item ${item.id} vanished during review.`);
  return loadReviewItem(db, updated);
}
