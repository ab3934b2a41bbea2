// The shape every benchmark reports, so `npm run bench` can print and store results uniformly.

/** One measured number, optionally against a baseline (`ratio` = value / baseline.value). */
export type BenchResult = {
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  parameters: Record<string, unknown>;
};
