// The claim: atomically leases the next eligible item slot to an annotator in one conditional INSERT.
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { ItemRow, ProjectRow } from "./rows.ts";

/** Live leases one annotator may hold in one project at a time. */
export const MAX_ACTIVE_LEASES = 10;

/**
 * Leases a slot of the best regular item: open, not done (or skipped, or held) by this annotator,
 * with fewer live slots (submitted labels plus unexpired leases) than the overlap; items closest to
 * completion first, then in insertion order. SQLite runs the whole INSERT … SELECT as one write,
 * and D1 serializes writes, so two claims can never both see the last free slot.
 */
const CLAIM_REGULAR = `
INSERT INTO assignments (id, project_id, item_id, annotator, is_gold, state, leased_at, expires_at)
SELECT ?1, i.project_id, i.id, ?2, 0, 'leased', ?3, ?4
FROM items i
WHERE i.project_id = ?5 AND i.is_gold = 0 AND i.status = 'open'
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.annotator = ?2
                  AND a.state IN ('leased', 'submitted', 'skipped'))
  AND (SELECT count(*) FROM assignments a WHERE a.item_id = i.id
       AND (a.state = 'submitted' OR (a.state = 'leased' AND a.expires_at > ?3))) < ?6
  AND (SELECT count(*) FROM assignments a WHERE a.project_id = ?5 AND a.annotator = ?2
       AND a.state = 'leased' AND a.expires_at > ?3) < ?7
ORDER BY i.submitted_count DESC, i.seq
LIMIT 1
RETURNING id, item_id, expires_at`;

/** Gold items have no overlap cap: every annotator may answer each gold item once. */
const CLAIM_GOLD = `
INSERT INTO assignments (id, project_id, item_id, annotator, is_gold, state, leased_at, expires_at)
SELECT ?1, i.project_id, i.id, ?2, 1, 'leased', ?3, ?4
FROM items i
WHERE i.project_id = ?5 AND i.is_gold = 1
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.annotator = ?2
                  AND a.state IN ('leased', 'submitted', 'skipped'))
  AND (SELECT count(*) FROM assignments a WHERE a.project_id = ?5 AND a.annotator = ?2
       AND a.state = 'leased' AND a.expires_at > ?3) < ?7
ORDER BY i.seq
LIMIT 1
RETURNING id, item_id, expires_at`;

type AnnotatorCounts = { gold_answered: number; gold_correct: number; taken: number; gold_taken: number; live: number };

async function countsOf(db: D1Database, projectId: string, annotator: string, now: number): Promise<AnnotatorCounts> {
  const row = await db
    .prepare(
      `SELECT
        (SELECT count(*) FROM labels WHERE project_id = ?1 AND annotator = ?2 AND status = 'gold') AS gold_answered,
        (SELECT coalesce(sum(gold_correct), 0) FROM labels WHERE project_id = ?1 AND annotator = ?2 AND status = 'gold') AS gold_correct,
        (SELECT count(*) FROM assignments WHERE project_id = ?1 AND annotator = ?2 AND state IN ('leased', 'submitted')) AS taken,
        (SELECT count(*) FROM assignments WHERE project_id = ?1 AND annotator = ?2 AND state IN ('leased', 'submitted') AND is_gold = 1) AS gold_taken,
        (SELECT count(*) FROM assignments WHERE project_id = ?1 AND annotator = ?2 AND state = 'leased' AND expires_at > ?3) AS live`,
    )
    .bind(projectId, annotator, now)
    .first<AnnotatorCounts>();
  return row ?? { gold_answered: 0, gold_correct: 0, taken: 0, gold_taken: 0, live: 0 };
}

/**
 * Which pools to try, in order. Until an annotator has answered the qualification's gold items,
 * only gold; failing it bars them. Afterwards, with a gold ratio of 0 only regular items; otherwise
 * gold whenever the annotator's share of gold claims would fall below the ratio, so gold arrives at
 * that ratio over each annotator's claims, and when one pool is empty the other is tried.
 */
function poolsFor(project: ProjectRow, c: AnnotatorCounts): Array<"gold" | "regular"> {
  if (project.qualification_gold > 0) {
    if (c.gold_answered < project.qualification_gold) return ["gold"];
    const accuracy = Math.floor((c.gold_correct * 10_000) / c.gold_answered);
    if (accuracy < project.qualification_min_bps) {
      throw new AppError(
        "forbidden",
        `You did not qualify: ${accuracy} bps on gold items, ${project.qualification_min_bps} needed.`,
      );
    }
  }
  if (project.gold_ratio_bps === 0) return ["regular"];
  const wantGold = c.gold_taken * 10_000 < project.gold_ratio_bps * (c.taken + 1);
  return wantGold ? ["gold", "regular"] : ["regular", "gold"];
}

export type Lease = { assignmentId: string; item: ItemRow; expiresAt: number };

/**
 * Leases the next slot for `annotator` or returns null when nothing is eligible; `now` in ms.
 * Projects without gold or qualification skip the per-annotator counts, so a claim is one batch.
 */
export async function claim(
  db: D1Database,
  project: ProjectRow,
  annotator: string,
  now: number,
): Promise<Lease | null> {
  const needsCounts = project.gold_ratio_bps > 0 || project.qualification_gold > 0;
  const counts = needsCounts ? await countsOf(db, project.id, annotator, now) : null;
  const pools = counts ? poolsFor(project, counts) : (["regular"] as const);
  const expiresAt = now + project.lease_ttl_seconds * 1000;
  for (const pool of pools) {
    const assignmentId = newId();
    const [, inserted, items] = await db.batch<Record<string, unknown>>([
      // Own expired leases leave the unique (item, annotator) index so the item can come back.
      db
        .prepare(
          "UPDATE assignments SET state = 'expired', ended_at = ?3 WHERE project_id = ?1 AND annotator = ?2 AND state = 'leased' AND expires_at <= ?3",
        )
        .bind(project.id, annotator, now),
      db
        .prepare(pool === "gold" ? CLAIM_GOLD : CLAIM_REGULAR)
        .bind(assignmentId, annotator, now, expiresAt, project.id, project.overlap, MAX_ACTIVE_LEASES),
      db.prepare("SELECT * FROM items WHERE id = (SELECT item_id FROM assignments WHERE id = ?)").bind(assignmentId),
    ]);
    const item = items?.results[0] as ItemRow | undefined;
    if (inserted?.results[0] && item) return { assignmentId, item, expiresAt };
  }
  const live = counts?.live ?? (await countsOf(db, project.id, annotator, now)).live;
  if (live >= MAX_ACTIVE_LEASES) {
    throw new AppError("conflict", `You hold ${live} live leases; submit or release one first.`);
  }
  return null;
}
