// The shape every benchmark module returns and bench/run.ts writes to bench/results.json.

/** One measured figure, optionally beside the baseline it was measured against in the same run. */
export type BenchResult = {
  metric: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  ratio?: number;
  parameters: Record<string, unknown>;
};

/** What a metric module (bench/<name>.ts) exports. */
export type BenchModule = {
  run({ quick }: { quick: boolean }): Promise<BenchResult[]>;
};
