// Project creation: one dataset asset id belongs to one owner; reviewers are recorded with the project.
import type { CreateProject, Project } from "@tributary/schemas/tasks";
import { AppError } from "../errors.ts";
import { type ProjectRow, toProject } from "./rows.ts";

export async function createProject(db: D1Database, owner: string, p: CreateProject, now: number): Promise<Project> {
  const datasetId = p.datasetId.toLowerCase();
  const other = await db
    .prepare("SELECT owner FROM projects WHERE dataset_id = ? AND owner <> ? LIMIT 1")
    .bind(datasetId, owner)
    .first<{ owner: string }>();
  if (other) throw new AppError("forbidden", `Dataset ${datasetId} is annotated by another owner.`, { param: "datasetId" });
  const row: ProjectRow = {
    id: crypto.randomUUID(),
    owner,
    dataset_id: datasetId,
    name: p.name,
    instructions: p.instructions,
    label_schema: JSON.stringify(p.labelSchema),
    overlap: p.overlap,
    gold_ratio_bps: p.goldRatioBps,
    lease_ttl_seconds: p.leaseTtlSeconds,
    reward_weight: p.rewardWeight,
    qualification_gold: p.qualification?.goldItems ?? 0,
    qualification_min_bps: p.qualification?.minAccuracyBps ?? 0,
    agreement_bps: p.agreementBps,
    created_at: now,
  };
  const reviewers = [...new Set(p.reviewers.map((r) => r.toLowerCase()))].sort();
  await db.batch([
    db
      .prepare(
        `INSERT INTO projects (id, owner, dataset_id, name, instructions, label_schema, overlap, gold_ratio_bps,
           lease_ttl_seconds, reward_weight, qualification_gold, qualification_min_bps, agreement_bps, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(...Object.values(row)),
    ...reviewers.map((r) => db.prepare("INSERT INTO project_reviewers (project_id, reviewer) VALUES (?, ?)").bind(row.id, r)),
  ]);
  return toProject(row, reviewers);
}
