// Project creation: one dataset asset id belongs to one owner; reviewers are recorded with the project.
import type { CreateProject, Project } from "@tributary/schemas/tasks";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { type ProjectRow, toProject } from "./rows.ts";

/**
 * Creates a project. The dataset check and the insert are one conditional statement, so two wallets
 * racing to claim the same dataset id cannot both win; reviewers are inserted only if it landed.
 */
export async function createProject(db: D1Database, owner: string, p: CreateProject, now: number): Promise<Project> {
  const datasetId = p.datasetId.toLowerCase();
  const row: ProjectRow = {
    id: newId(),
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
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO projects (id, owner, dataset_id, name, instructions, label_schema, overlap, gold_ratio_bps,
           lease_ttl_seconds, reward_weight, qualification_gold, qualification_min_bps, agreement_bps, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14
         WHERE NOT EXISTS (SELECT 1 FROM projects WHERE dataset_id = ?3 AND owner <> ?2)`,
      )
      .bind(...Object.values(row)),
    ...reviewers.map((r) =>
      db
        .prepare(
          "INSERT INTO project_reviewers (project_id, reviewer) SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM projects WHERE id = ?1)",
        )
        .bind(row.id, r),
    ),
  ]);
  if (!inserted?.meta.changes) {
    throw new AppError("forbidden", `Dataset ${datasetId} is annotated by another owner.`, { param: "datasetId" });
  }
  return toProject(row, reviewers);
}
