// Per-project quality metrics: item progress, label outcomes, agreement and per-annotator accuracy.
import type { LabelValue, Metrics } from "@tributary/schemas/tasks";
import { categoryKey, isCategorical, krippendorffAlphaNominal, pairAgreementBps } from "./agreement.ts";
import { labelSchemaOf, type ProjectRow } from "./rows.ts";
import { qualityBps } from "./weights.ts";

type Count = { k: string; n: number };

export async function projectMetrics(db: D1Database, project: ProjectRow): Promise<Metrics> {
  const [items, labelCounts, values, annotators] = await db.batch([
    db
      .prepare(
        "SELECT CASE WHEN is_gold = 1 THEN 'gold' ELSE status END AS k, count(*) AS n FROM items WHERE project_id = ? GROUP BY k",
      )
      .bind(project.id),
    db.prepare("SELECT status AS k, count(*) AS n FROM labels WHERE project_id = ? GROUP BY status").bind(project.id),
    db
      .prepare("SELECT item_id, value FROM labels WHERE project_id = ? AND status <> 'gold' ORDER BY item_id")
      .bind(project.id),
    db
      .prepare(
        `SELECT annotator AS address, count(*) AS submitted,
                sum(status = 'accepted') AS accepted, sum(status = 'rejected') AS rejected,
                sum(status = 'gold') AS gold_answered,
                sum(CASE WHEN status = 'gold' THEN gold_correct ELSE 0 END) AS gold_correct
         FROM labels WHERE project_id = ? GROUP BY annotator ORDER BY annotator`,
      )
      .bind(project.id),
  ]);
  const count = (rows: Count[] | undefined, k: string) => rows?.find((r) => r.k === k)?.n ?? 0;
  const itemRows = items?.results as Count[] | undefined;
  const labelRows = labelCounts?.results as Count[] | undefined;
  const units = new Map<string, LabelValue[]>();
  for (const r of (values?.results ?? []) as { item_id: string; value: string }[]) {
    units.set(r.item_id, [...(units.get(r.item_id) ?? []), JSON.parse(r.value) as LabelValue]);
  }
  const schema = labelSchemaOf(project);
  const alpha =
    isCategorical(schema) || schema.type === "classification"
      ? krippendorffAlphaNominal([...units.values()].map((u) => u.map(categoryKey)))
      : null;
  let pairSum = 0;
  let pairs = 0;
  for (const unit of units.values()) {
    for (let i = 0; i < unit.length; i++) {
      for (let j = i + 1; j < unit.length; j++) {
        pairSum += pairAgreementBps(unit[i] as LabelValue, unit[j] as LabelValue);
        pairs += 1;
      }
    }
  }
  type AnnotatorRow = {
    address: string;
    submitted: number;
    accepted: number;
    rejected: number;
    gold_answered: number;
    gold_correct: number;
  };
  return {
    items: (itemRows ?? []).reduce((s, r) => s + r.n, 0),
    goldItems: count(itemRows, "gold"),
    open: count(itemRows, "open"),
    inReview: count(itemRows, "review"),
    done: count(itemRows, "done"),
    labels: {
      pending: count(labelRows, "pending"),
      accepted: count(labelRows, "accepted"),
      rejected: count(labelRows, "rejected"),
      gold: count(labelRows, "gold"),
    },
    krippendorffAlpha: alpha,
    meanPairwiseAgreementBps: pairs === 0 ? null : Math.floor(pairSum / pairs),
    annotators: ((annotators?.results ?? []) as AnnotatorRow[]).map((a) => ({
      address: a.address,
      submitted: a.submitted,
      accepted: a.accepted,
      rejected: a.rejected,
      goldAnswered: a.gold_answered,
      goldCorrect: a.gold_correct,
      qualityBps: qualityBps(a.gold_correct, a.gold_answered),
    })),
  };
}
