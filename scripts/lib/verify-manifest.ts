// The consistency checks of a settlement manifest that need no chain: sums per token, cumulative = parent + amount.

export type ManifestLike = {
  epochId: number;
  root: string;
  usage: { recordCount: number };
  charges: { payer: string; token: string; amount: string; records: number }[];
  totals: { token: string; charged: string; licenseFees: string }[];
  licenseFees: { token: string; amount: string }[];
  accruals: { account: string; token: string; amount: string; cumulative: string }[];
};

/** Returns every inconsistency found (empty when the manifest is consistent). */
export function checkManifest(m: ManifestLike, epochId: number): string[] {
  const problems: string[] = [];
  if (m.epochId !== epochId) problems.push(`the manifest is for epoch ${m.epochId}, not ${epochId}`);
  const sum = <T>(xs: T[], f: (x: T) => bigint) => xs.reduce((s, x) => s + f(x), 0n);
  for (const t of m.totals) {
    const charged = sum(
      m.charges.filter((c) => c.token === t.token),
      (c) => BigInt(c.amount),
    );
    if (charged !== BigInt(t.charged))
      problems.push(`token ${t.token}: charges sum to ${charged}, totals say ${t.charged}`);
    const fees = sum(
      m.licenseFees.filter((f) => f.token === t.token),
      (f) => BigInt(f.amount),
    );
    if (fees !== BigInt(t.licenseFees))
      problems.push(`token ${t.token}: license fees sum to ${fees}, totals say ${t.licenseFees}`);
    const accrued = sum(
      m.accruals.filter((a) => a.token === t.token),
      (a) => BigInt(a.amount),
    );
    if (accrued !== charged + fees)
      problems.push(`token ${t.token}: accruals sum to ${accrued}, charges + fees are ${charged + fees}`);
  }
  const records = m.charges.reduce((n, c) => n + c.records, 0);
  if (records !== m.usage.recordCount)
    problems.push(`charges cover ${records} records, usage says ${m.usage.recordCount}`);
  for (const a of m.accruals) {
    if (BigInt(a.amount) < 0n || BigInt(a.cumulative) < BigInt(a.amount))
      problems.push(`accrual of ${a.account} is inconsistent`);
  }
  return problems;
}

/**
 * What an epoch's on-chain status means for its payouts, as `npm run verify-epoch` prints it beside the root: a vetoed
 * epoch's root still sits on-chain and rebuilds, but its charges were refunded and it pays nobody. `status` is the
 * ledger's `EpochStatus` (0 none, 1 pending, 2 vetoed, 3 final); `claimableAt` unix seconds.
 */
export function epochStatusLine(status: number, claimableAt: bigint): string {
  switch (status) {
    case 1:
      return `pending: in its challenge period, claimable from ${new Date(Number(claimableAt) * 1000).toISOString()} unless vetoed.`;
    case 2:
      return "vetoed: its charges were refunded and it pays nothing; the next epoch settles its usage again.";
    case 3:
      return "final: its accruals can be claimed.";
    default:
      return "not on-chain.";
  }
}
