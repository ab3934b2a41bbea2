// Consensus over the labels of one item: majority for categorical answers, agreement for the rest.
import type { LabelSchema, LabelValue } from "@tributary/schemas/tasks";
import { agreesWith, categoryKey, isCategorical, pairAgreementBps } from "./agreement.ts";

export type Verdict = "accepted" | "rejected";
export type Ballot = { id: string; value: LabelValue };
/** The decided label and a verdict per label, or null when a reviewer must decide. */
export type Decision = { final: LabelValue; verdicts: Map<string, Verdict> } | null;

function judgeAgainst(schema: LabelSchema, agreementBps: number, ballots: Ballot[], final: LabelValue): Decision {
  const verdicts = new Map<string, Verdict>();
  for (const b of ballots)
    verdicts.set(b.id, agreesWith(schema, agreementBps, b.value, final) ? "accepted" : "rejected");
  return [...verdicts.values()].includes("accepted") ? { final, verdicts } : null;
}

/**
 * Decides an item from its labels (in submission order).
 * - single-choice classification and free text: a strict majority of equal answers wins;
 * - multi-choice: the classes chosen by a strict majority form the answer; a label is accepted when
 *   its Jaccard agreement with it reaches `agreementBps`;
 * - spans and boxes: a label is accepted when its mean pairwise F1 with the others reaches
 *   `agreementBps`; the accepted label agreeing most with the others becomes the answer.
 * No winner (a tie, or nobody agreeing) sends the item to review.
 */
export function decide(schema: LabelSchema, agreementBps: number, ballots: Ballot[]): Decision {
  const n = ballots.length;
  if (n === 0) return null;
  if (isCategorical(schema)) {
    const counts = new Map<string, { count: number; value: LabelValue }>();
    for (const b of ballots) {
      const key = categoryKey(b.value);
      const entry = counts.get(key) ?? { count: 0, value: b.value };
      entry.count += 1;
      counts.set(key, entry);
    }
    const top = [...counts.values()].sort((a, b) => b.count - a.count)[0];
    if (!top || top.count * 2 <= n) return null;
    return judgeAgainst(schema, agreementBps, ballots, top.value);
  }
  if (schema.type === "classification") {
    const votes = new Map<string, number>();
    for (const b of ballots)
      if ("choices" in b.value) for (const c of b.value.choices) votes.set(c, (votes.get(c) ?? 0) + 1);
    const choices = [...votes]
      .filter(([, v]) => v * 2 > n)
      .map(([c]) => c)
      .sort();
    return judgeAgainst(schema, agreementBps, ballots, { choices });
  }
  const scores = ballots.map((b) => {
    if (n === 1) return 10_000;
    const others = ballots.filter((o) => o.id !== b.id);
    return Math.floor(others.reduce((s, o) => s + pairAgreementBps(b.value, o.value), 0) / others.length);
  });
  let best = -1;
  const verdicts = new Map<string, Verdict>();
  ballots.forEach((b, i) => {
    const score = scores[i] ?? 0;
    verdicts.set(b.id, score >= agreementBps ? "accepted" : "rejected");
    if (score >= agreementBps && (best < 0 || score > (scores[best] ?? 0))) best = i;
  });
  const winner = ballots[best];
  return winner ? { final: winner.value, verdicts } : null;
}
