// Interleaved rounds: every variant (system and baselines) runs once per round, in rotating order, after a warm-up.
import { median, percentile } from "./stats.ts";

export type RoundsParameters<S> = {
  /** The system and its baselines, each one sequential call. */
  variants: Record<string, () => Promise<S>>;
  rounds: number;
  /** Calls per variant per round. */
  perRound: number;
  /** Calls per variant before the first round, discarded. */
  warmup: number;
};

/** Samples of every round, per variant: `result[variant][round]`. */
export async function interleave<S>({
  variants,
  rounds,
  perRound,
  warmup,
}: RoundsParameters<S>): Promise<Record<string, S[][]>> {
  const names = Object.keys(variants);
  const out: Record<string, S[][]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names) for (let i = 0; i < warmup; i++) await variants[name]?.();
  for (let r = 0; r < rounds; r++) {
    // Rotating the order spreads any drift of the machine (other load, thermal) over every variant.
    const order = names.map((_, i) => names[(i + r) % names.length] as string);
    for (const name of order) {
      const samples: S[] = [];
      for (let i = 0; i < perRound; i++) samples.push(await (variants[name] as () => Promise<S>)());
      out[name]?.push(samples);
    }
  }
  return out;
}

/** The median over rounds of each round's p-th percentile of `pick(sample)`. */
export function medianOfRounds<S>(rounds: S[][], p: number, pick: (s: S) => number | number[]): number {
  return median(rounds.map((samples) => percentile(samples.flatMap(pick), p)));
}
