// Contribution weights of a dataset's annotators: integers, from accepted labels and gold accuracy.
import type { Weight } from "@tributary/schemas/tasks";

/** Quality factor when an annotator answered no gold item in a project, basis points. */
export const NEUTRAL_QUALITY_BPS = 10_000;

/** floor(goldCorrect × 10000 / goldAnswered), or the neutral factor without gold answers. */
export function qualityBps(goldCorrect: number, goldAnswered: number): number {
  return goldAnswered === 0 ? NEUTRAL_QUALITY_BPS : Math.floor((goldCorrect * 10_000) / goldAnswered);
}

/**
 * weight(account) = Σ over the dataset's projects of
 *   floor(acceptedLabels × rewardWeight × qualityBps / 10000)
 * in bigint, so the sum is exact for any size. Accounts with weight 0 are left out (they would be
 * dead leaves). Sorted by account so equal inputs give equal trees.
 */
export async function computeWeights(db: D1Database, datasetId: string): Promise<{ weights: Weight[]; total: bigint }> {
  const { results } = await db
    .prepare(
      `SELECT l.annotator AS account, p.reward_weight AS reward,
              sum(l.status = 'accepted') AS accepted,
              sum(l.status = 'gold') AS gold_answered,
              sum(CASE WHEN l.status = 'gold' THEN l.gold_correct ELSE 0 END) AS gold_correct
       FROM labels l JOIN projects p ON p.id = l.project_id
       WHERE p.dataset_id = ?
       GROUP BY l.annotator, l.project_id`,
    )
    .bind(datasetId)
    .all<{ account: string; reward: number; accepted: number; gold_answered: number; gold_correct: number }>();
  const byAccount = new Map<string, bigint>();
  for (const r of results) {
    const w = (BigInt(r.accepted) * BigInt(r.reward) * BigInt(qualityBps(r.gold_correct, r.gold_answered))) / 10_000n;
    byAccount.set(r.account, (byAccount.get(r.account) ?? 0n) + w);
  }
  const weights = [...byAccount]
    .filter(([, w]) => w > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([account, w]) => ({ account, weight: w.toString() }));
  return { weights, total: weights.reduce((s, w) => s + BigInt(w.weight), 0n) };
}
