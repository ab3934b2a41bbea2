// Percentiles and medians for benchmark samples; nothing here knows about time units.

/** The p-th percentile (nearest rank) of `xs`; 0 for no samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}

/** The median of `xs` (mean of the middle two for an even count); 0 for no samples. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Rounds to `digits` decimals, for printing and results.json. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** value ÷ baseline, rounded; undefined when the baseline is 0. */
export function ratio(value: number, baseline: number): number | undefined {
  return baseline === 0 ? undefined : round(value / baseline, 3);
}
