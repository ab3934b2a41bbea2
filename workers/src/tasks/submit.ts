// Submit: records a label within its lease, once per idempotency key; grades gold and triggers consensus.
import type { LabelValue, LabelView } from "@tributary/schemas/tasks";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { agreesWith } from "./agreement.ts";
import { decideItem } from "./decide-item.ts";
import { parseLabelValue } from "./label-value.ts";
import { type ItemRow, type LabelRow, labelSchemaOf, type ProjectRow, toLabelView } from "./rows.ts";

export type SubmitParameters = {
  assignmentId: string;
  annotator: string;
  idempotencyKey: string;
  value: unknown;
  now: number;
};
export type SubmitReturnType = { label: LabelView; replayed: boolean };

type AssignmentRow = {
  id: string;
  project_id: string;
  item_id: string;
  annotator: string;
  state: string;
  expires_at: number;
};

async function byKey(
  db: D1Database,
  annotator: string,
  key: string,
  assignmentId: string,
): Promise<SubmitReturnType | null> {
  const row = await db
    .prepare("SELECT * FROM labels WHERE annotator = ? AND idempotency_key = ?")
    .bind(annotator, key)
    .first<LabelRow>();
  if (!row) return null;
  if (row.assignment_id !== assignmentId) {
    throw new AppError("conflict", "This idempotency key was already used for another assignment.", {
      param: "Idempotency-Key",
    });
  }
  return { label: toLabelView(row), replayed: true };
}

/** Submits a label. A replay with the same key returns the stored label and changes nothing. */
export async function submit(db: D1Database, p: SubmitParameters): Promise<SubmitReturnType> {
  const replay = await byKey(db, p.annotator, p.idempotencyKey, p.assignmentId);
  if (replay) return replay;
  const assignment = await db
    .prepare("SELECT * FROM assignments WHERE id = ? AND annotator = ?")
    .bind(p.assignmentId, p.annotator)
    .first<AssignmentRow>();
  if (!assignment)
    throw new AppError("not_found", `You hold no assignment ${p.assignmentId}.`, { param: "assignmentId" });
  if (assignment.state === "submitted") throw new AppError("conflict", "This assignment was already submitted.");
  if (assignment.state !== "leased" || assignment.expires_at <= p.now) {
    throw new AppError("conflict", "The lease of this assignment ended; claim again.");
  }
  const [project, item] = await Promise.all([
    db.prepare("SELECT * FROM projects WHERE id = ?").bind(assignment.project_id).first<ProjectRow>(),
    db.prepare("SELECT * FROM items WHERE id = ?").bind(assignment.item_id).first<ItemRow>(),
  ]);
  if (!project || !item) throw new Error(`Assignment ${assignment.id} points at a missing project or item.`);
  const schema = labelSchemaOf(project);
  const value = parseLabelValue(schema, p.value, item.text === null ? null : item.text.length);
  const gold = item.is_gold === 1 && item.gold_value !== null ? (JSON.parse(item.gold_value) as LabelValue) : null;
  const goldCorrect = gold === null ? null : agreesWith(schema, project.agreement_bps, value, gold) ? 1 : 0;
  const labelId = newId();
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO labels (id, assignment_id, project_id, item_id, annotator, idempotency_key, value, status, gold_correct, submitted_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
         WHERE EXISTS (SELECT 1 FROM assignments WHERE id = ?2 AND annotator = ?5 AND state = 'leased' AND expires_at > ?10)`,
      )
      .bind(
        labelId,
        assignment.id,
        project.id,
        item.id,
        p.annotator,
        p.idempotencyKey,
        JSON.stringify(value),
        gold === null ? "pending" : "gold",
        goldCorrect,
        p.now,
      ),
    db
      .prepare(
        "UPDATE assignments SET state = 'submitted', ended_at = ?2 WHERE id = ?1 AND state = 'leased' AND EXISTS (SELECT 1 FROM labels WHERE assignment_id = ?1)",
      )
      .bind(assignment.id, p.now),
    db
      .prepare("UPDATE items SET submitted_count = (SELECT count(*) FROM labels WHERE item_id = ?1) WHERE id = ?1")
      .bind(item.id),
  ]);
  if (!inserted?.meta.changes) {
    // Lost a race: either our own replay landed first, or the lease ended in between.
    const raced = await byKey(db, p.annotator, p.idempotencyKey, p.assignmentId);
    if (raced) return raced;
    throw new AppError("conflict", "The lease of this assignment ended; claim again.");
  }
  if (gold === null) await decideItem(db, project, item.id, p.now);
  const row = await db.prepare("SELECT * FROM labels WHERE id = ?").bind(labelId).first<LabelRow>();
  if (!row) throw new Error(`Label ${labelId} vanished after insert.`);
  return { label: toLabelView(row), replayed: false };
}
