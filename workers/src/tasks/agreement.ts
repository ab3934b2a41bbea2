// Agreement between labels: equality of categorical answers, F1 of spans and boxes, Krippendorff's alpha.
import type { Box, LabelSchema, LabelValue, Span } from "@tributary/schemas/tasks";

/** Overlap (intersection over union) at or above which two spans or boxes with one label match. */
const MATCH_IOU = 0.5;

/** True for schemas whose answers are compared as whole categories (majority vote). */
export function isCategorical(schema: LabelSchema): boolean {
  return schema.type === "text" || (schema.type === "classification" && !schema.multiple);
}

/** A string equal for equal categorical answers: the choice, the sorted choices, or normalized text. */
export function categoryKey(value: LabelValue): string {
  if ("choice" in value) return value.choice;
  if ("choices" in value) return JSON.stringify([...value.choices].sort());
  if ("text" in value) return value.text.trim().toLowerCase().replace(/\s+/g, " ");
  return JSON.stringify(value);
}

function spanIou(a: Span, b: Span): number {
  const inter = Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
  const union = Math.max(a.end, b.end) - Math.min(a.start, b.start);
  return union === 0 ? 0 : inter / union;
}

function boxIou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = w * h;
  const union = a.width * a.height + b.width * b.height - inter;
  return union <= 0 ? 0 : inter / union;
}

/** F1 of a greedy one-to-one matching (same label, IoU ≥ 0.5), in basis points; two empty lists agree. */
function matchF1Bps<T extends { label: string }>(a: T[], b: T[], iou: (x: T, y: T) => number): number {
  if (a.length + b.length === 0) return 10_000;
  const used = new Set<number>();
  let matched = 0;
  for (const x of a) {
    let best = -1;
    let bestIou = MATCH_IOU;
    b.forEach((y, j) => {
      if (used.has(j) || y.label !== x.label) return;
      const v = iou(x, y);
      if (v >= bestIou) [best, bestIou] = [j, v];
    });
    if (best >= 0) {
      used.add(best);
      matched += 1;
    }
  }
  return Math.floor((2 * matched * 10_000) / (a.length + b.length));
}

/** Agreement of two values of one schema, basis points (10000 = identical). */
export function pairAgreementBps(a: LabelValue, b: LabelValue): number {
  if ("spans" in a && "spans" in b) return matchF1Bps(a.spans, b.spans, spanIou);
  if ("boxes" in a && "boxes" in b) return matchF1Bps(a.boxes, b.boxes, boxIou);
  if ("choices" in a && "choices" in b) {
    const sa = new Set(a.choices);
    const union = new Set([...a.choices, ...b.choices]);
    if (union.size === 0) return 10_000;
    const inter = b.choices.filter((c) => sa.has(c)).length;
    return Math.floor((inter * 10_000) / union.size);
  }
  return categoryKey(a) === categoryKey(b) ? 10_000 : 0;
}

/** Whether `value` agrees with `reference` (a gold answer or a reviewer's override). */
export function agreesWith(
  schema: LabelSchema,
  agreementBps: number,
  value: LabelValue,
  reference: LabelValue,
): boolean {
  if (isCategorical(schema)) return categoryKey(value) === categoryKey(reference);
  return pairAgreementBps(value, reference) >= agreementBps;
}

/**
 * Krippendorff's alpha for nominal data. `units` holds the category keys given to each item; units
 * with fewer than two values are not pairable and are skipped. Null when nothing is pairable or
 * when every value is the same category (expected disagreement 0).
 */
export function krippendorffAlphaNominal(units: string[][]): number | null {
  const coincidence = new Map<string, Map<string, number>>();
  const add = (c: string, k: string, w: number) => {
    const row = coincidence.get(c) ?? new Map<string, number>();
    row.set(k, (row.get(k) ?? 0) + w);
    coincidence.set(c, row);
  };
  for (const unit of units) {
    const m = unit.length;
    if (m < 2) continue;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) if (i !== j) add(unit[i] as string, unit[j] as string, 1 / (m - 1));
    }
  }
  const marginals = new Map<string, number>();
  for (const [c, row] of coincidence)
    marginals.set(
      c,
      [...row.values()].reduce((s, v) => s + v, 0),
    );
  const n = [...marginals.values()].reduce((s, v) => s + v, 0);
  if (n <= 1) return null;
  let observed = 0;
  for (const [c, row] of coincidence) for (const [k, v] of row) if (c !== k) observed += v;
  let expected = 0;
  for (const [c, nc] of marginals) for (const [k, nk] of marginals) if (c !== k) expected += nc * nk;
  if (expected === 0) return null;
  return 1 - ((n - 1) * observed) / expected;
}
