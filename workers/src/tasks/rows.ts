// Row types of the tasks database, their mapping to wire shapes, and the lookups every route needs.
import type { ItemView, LabelSchema, LabelValue, LabelView, Project } from "@tributary/schemas/tasks";
import { labelSchemaSchema } from "@tributary/schemas/tasks";
import { AppError } from "../errors.ts";

export type ProjectRow = {
  id: string;
  owner: string;
  dataset_id: string;
  name: string;
  instructions: string;
  label_schema: string;
  overlap: number;
  gold_ratio_bps: number;
  lease_ttl_seconds: number;
  reward_weight: number;
  qualification_gold: number;
  qualification_min_bps: number;
  agreement_bps: number;
  created_at: number;
};

export type ItemRow = {
  id: string;
  project_id: string;
  seq: number;
  external_id: string | null;
  text: string | null;
  object_key: string | null;
  content_type: string | null;
  is_gold: number;
  gold_value: string | null;
  status: "open" | "review" | "done";
  submitted_count: number;
  final_value: string | null;
  decided_by: "consensus" | "review" | null;
};

export type LabelRow = {
  id: string;
  assignment_id: string;
  project_id: string;
  item_id: string;
  annotator: string;
  idempotency_key: string;
  value: string;
  status: "gold" | "pending" | "accepted" | "rejected";
  gold_correct: number | null;
  decided_by: "consensus" | "review" | null;
  submitted_at: number;
};

export function labelSchemaOf(row: ProjectRow): LabelSchema {
  return labelSchemaSchema.parse(JSON.parse(row.label_schema));
}

export function toProject(row: ProjectRow, reviewers: string[]): Project {
  return {
    id: row.id,
    owner: row.owner,
    datasetId: row.dataset_id,
    name: row.name,
    instructions: row.instructions,
    labelSchema: labelSchemaOf(row),
    overlap: row.overlap,
    goldRatioBps: row.gold_ratio_bps,
    leaseTtlSeconds: row.lease_ttl_seconds,
    rewardWeight: row.reward_weight,
    qualification:
      row.qualification_gold > 0
        ? { goldItems: row.qualification_gold, minAccuracyBps: row.qualification_min_bps }
        : null,
    agreementBps: row.agreement_bps,
    reviewers,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function toItemView(row: ItemRow): ItemView {
  return {
    id: row.id,
    externalId: row.external_id,
    text: row.text,
    contentType: row.content_type,
    payloadUrl: row.object_key ? `/tasks/items/${row.id}/payload` : null,
  };
}

export function toLabelView(row: LabelRow): LabelView {
  return {
    id: row.id,
    assignmentId: row.assignment_id,
    itemId: row.item_id,
    annotator: row.annotator,
    value: JSON.parse(row.value) as LabelValue,
    status: row.status,
    goldCorrect: row.gold_correct === null ? null : row.gold_correct === 1,
    decidedBy: row.decided_by,
    submittedAt: new Date(row.submitted_at).toISOString(),
  };
}

export async function getProject(db: D1Database, id: string): Promise<ProjectRow> {
  const row = await db.prepare("SELECT * FROM projects WHERE id = ?").bind(id).first<ProjectRow>();
  if (!row) throw new AppError("not_found", `No project ${id}.`, { param: "projectId" });
  return row;
}

export async function reviewersOf(db: D1Database, projectId: string): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT reviewer FROM project_reviewers WHERE project_id = ? ORDER BY reviewer")
    .bind(projectId)
    .all<{ reviewer: string }>();
  return results.map((r) => r.reviewer);
}

/** Throws unless `account` owns the project. */
export function requireOwner(project: ProjectRow, account: string): void {
  if (project.owner !== account) throw new AppError("forbidden", "Only the project owner may do this.");
}

/** Throws unless `account` owns the project or is one of its reviewers. */
export async function requireReviewer(db: D1Database, project: ProjectRow, account: string): Promise<void> {
  if (project.owner === account) return;
  const row = await db
    .prepare("SELECT 1 AS ok FROM project_reviewers WHERE project_id = ? AND reviewer = ?")
    .bind(project.id, account)
    .first();
  if (!row) throw new AppError("forbidden", "Only the project owner or its reviewers may do this.");
}
