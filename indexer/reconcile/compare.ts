// Three-way reconciliation as a pure function: the indexed chain against manifests and gateway metering.
import type { Hex } from "viem";
import type { ChainData, ChainEpoch, EpochManifest, MeteringTotals, Mismatch, ReconciliationReport } from "./types.ts";

export type ReconcileParameters = {
  chain: ChainData;
  /** Manifest per on-chain or expected epoch id (null = missing); undefined when no reader is configured. */
  manifests?: Map<bigint, EpochManifest | null>;
  metering?: MeteringTotals;
};

const key = (...parts: (string | bigint)[]) => parts.map(String).join(":").toLowerCase();

/** Sums `amount` per `keyOf(item)`. */
function sumBy<T>(items: T[], keyOf: (item: T) => string, amount: (item: T) => bigint): Map<string, bigint> {
  const sums = new Map<string, bigint>();
  for (const item of items) sums.set(keyOf(item), (sums.get(keyOf(item)) ?? 0n) + amount(item));
  return sums;
}

/** Compares the sources and lists every mismatch; `ok` when there is none. */
export function reconcile({ chain, manifests, metering }: ReconcileParameters): ReconciliationReport {
  const mismatches: Mismatch[] = [];
  const live = chain.epochs.filter((e) => e.status !== "vetoed");
  for (const e of chain.epochs) mismatches.push(...withinChain(e));
  if (manifests) mismatches.push(...againstManifests(chain, live, manifests));
  if (metering) mismatches.push(...againstMetering(live, metering));
  if (manifests || metering) mismatches.push(...charges(live, manifests, metering));
  return {
    ok: mismatches.length === 0,
    sources: {
      chain: "indexed",
      manifests: manifests ? "checked" : "not configured",
      metering: metering ? "checked" : "not configured",
    },
    epochs: chain.epochs.map((e) => ({
      epochId: e.epochId,
      status: e.status,
      ok: !mismatches.some((m) => m.epochId === e.epochId),
    })),
    mismatches,
  };
}

/** Checks one epoch against itself: totals equal the sum of charges, payer count, vetoes refunded. */
function withinChain(e: ChainEpoch): Mismatch[] {
  const out: Mismatch[] = [];
  const sums = sumBy(
    e.charges,
    (c) => c.token.toLowerCase(),
    (c) => c.amount,
  );
  const tokens = new Set([...sums.keys(), ...e.totals.map((t) => t.token.toLowerCase())]);
  for (const token of tokens) {
    const declared = e.totals.find((t) => t.token.toLowerCase() === token)?.charged ?? null;
    const summed = sums.get(token) ?? null;
    if (declared !== summed) {
      out.push({
        kind: "charge_total_mismatch",
        epochId: e.epochId,
        token: token as Hex,
        amounts: { declaredTotal: declared, sumOfCharges: summed },
        message: `Epoch ${e.epochId} declares ${declared ?? "no"} total charged in ${token} but its charges sum to ${summed ?? "nothing"}.`,
      });
    }
  }
  if (e.payerCount !== BigInt(e.charges.length)) {
    out.push({
      kind: "payer_count_mismatch",
      epochId: e.epochId,
      amounts: { payerCount: e.payerCount, chargeEvents: BigInt(e.charges.length) },
      message: `Epoch ${e.epochId} settled ${e.payerCount} charges but ${e.charges.length} were indexed.`,
    });
  }
  if (e.status === "vetoed") {
    for (const c of e.charges.filter((c) => c.refunded !== c.amount)) {
      out.push({
        kind: "veto_not_refunded",
        epochId: e.epochId,
        payer: c.payer,
        token: c.token,
        amounts: { charged: c.amount, refunded: c.refunded },
        message: `Vetoed epoch ${e.epochId} charged ${c.payer} ${c.amount} but refunded ${c.refunded}.`,
      });
    }
  }
  return out;
}

function againstManifests(
  chain: ChainData,
  live: ChainEpoch[],
  manifests: Map<bigint, EpochManifest | null>,
): Mismatch[] {
  const out: Mismatch[] = [];
  const onChain = new Set(chain.epochs.map((e) => e.epochId));
  for (const [epochId, m] of manifests) {
    if (m && !onChain.has(epochId)) {
      out.push({
        kind: "epoch_missing_onchain",
        epochId,
        amounts: { chain: null, manifest: m.root },
        message: `A manifest exists for epoch ${epochId} but no such epoch was settled on-chain.`,
      });
    }
  }
  let parent: EpochManifest | null = null;
  for (const e of live) {
    const m = manifests.get(e.epochId) ?? null;
    if (!m) {
      out.push({
        kind: "epoch_missing_manifest",
        epochId: e.epochId,
        amounts: { chain: e.root, manifest: null },
        message: `Epoch ${e.epochId} was settled on-chain but its manifest ${e.manifestUri} is missing.`,
      });
      parent = null;
      continue;
    }
    if (m.root.toLowerCase() !== e.root.toLowerCase()) {
      out.push({
        kind: "root_mismatch",
        epochId: e.epochId,
        amounts: { chain: e.root, manifest: m.root },
        message: `Epoch ${e.epochId}: the manifest's root ${m.root} is not the root posted on-chain, ${e.root}.`,
      });
    }
    if (m.usageDigest && m.usageDigest.toLowerCase() !== e.usageDigest.toLowerCase()) {
      out.push({
        kind: "usage_digest_mismatch",
        epochId: e.epochId,
        amounts: { chain: e.usageDigest, manifest: m.usageDigest },
        message: `Epoch ${e.epochId}: the manifest's usage digest differs from the one posted on-chain.`,
      });
    }
    // Cumulative trees: what this epoch adds per token must equal what it charged plus the license fees it
    // attributed. The manifest's own per-account amounts say it directly; else diff against the parent tree.
    const perAccount = m.accruals.every((a) => a.amount !== undefined);
    if (perAccount || parent) {
      const now = sumBy(
        m.accruals,
        (a) => a.token.toLowerCase(),
        (a) => (perAccount ? (a.amount ?? 0n) : a.cumulativeAmount),
      );
      const before =
        perAccount || !parent
          ? new Map<string, bigint>()
          : sumBy(
              parent.accruals,
              (a) => a.token.toLowerCase(),
              (a) => a.cumulativeAmount,
            );
      for (const t of e.totals) {
        const added = (now.get(t.token.toLowerCase()) ?? 0n) - (before.get(t.token.toLowerCase()) ?? 0n);
        if (added !== t.charged + t.licenseFees) {
          out.push({
            kind: "accrual_total_mismatch",
            epochId: e.epochId,
            token: t.token,
            amounts: { chain: t.charged + t.licenseFees, manifest: added },
            message: `Epoch ${e.epochId} settled ${t.charged + t.licenseFees} of ${t.token} on-chain but its manifest accrues ${added}.`,
          });
        }
      }
    }
    parent = m;
  }
  // Usage the newest live epoch carried over (shortfalls) has been metered but never settled.
  const newest = live.at(-1);
  for (const f of (newest && manifests.get(newest.epochId)?.shortfalls) || []) {
    out.push({
      kind: "unsettled_usage",
      epochId: newest?.epochId,
      payer: f.payer,
      token: f.token,
      amounts: { manifest: f.amount, records: String(f.records), reason: f.reason },
      message: `${f.records} usage records of ${f.payer} worth ${f.amount} of ${f.token} were carried over by epoch ${newest?.epochId} (${f.reason}) and are not settled yet.`,
    });
  }
  // Claims are proven against the newest final epoch's tree: nobody may have claimed more than it accrues them.
  const lastFinal = [...live].reverse().find((e) => e.status === "final");
  const tree = lastFinal ? manifests.get(lastFinal.epochId) : null;
  if (tree) {
    const accrued = new Map(tree.accruals.map((a) => [key(a.account, a.token), a.cumulativeAmount]));
    for (const c of chain.claimed) {
      const a = accrued.get(key(c.account, c.token)) ?? 0n;
      if (c.claimed > a) {
        out.push({
          kind: "claimed_exceeds_accrued",
          epochId: tree.epochId,
          account: c.account,
          token: c.token,
          amounts: { chain: c.claimed, manifest: a },
          message: `${c.account} claimed ${c.claimed} of ${c.token} but epoch ${tree.epochId}'s manifest accrues it ${a}.`,
        });
      }
    }
  }
  return out;
}

function againstMetering(live: ChainEpoch[], metering: MeteringTotals): Mismatch[] {
  const out: Mismatch[] = [];
  const liveIds = new Set(live.map((e) => e.epochId));
  for (const epochId of new Set(metering.epochs.map((m) => m.epochId))) {
    if (!liveIds.has(epochId)) {
      const amount = metering.epochs.filter((m) => m.epochId === epochId).reduce((s, m) => s + m.amount, 0n);
      out.push({
        kind: "epoch_missing_onchain",
        epochId,
        amounts: { chain: null, metering: amount },
        message: `Metering assigns ${amount} to epoch ${epochId}, which is not a live epoch on-chain.`,
      });
    }
  }
  for (const e of live) {
    if (!metering.epochs.some((m) => m.epochId === e.epochId)) {
      out.push({
        kind: "epoch_missing_metering",
        epochId: e.epochId,
        amounts: { chain: e.totals.reduce((s, t) => s + t.charged, 0n), metering: null },
        message: `Epoch ${e.epochId} charged payers on-chain but metering has no usage for it.`,
      });
    }
  }
  for (const u of metering.unsettled) {
    out.push({
      kind: "unsettled_usage",
      payer: u.payer,
      token: u.token,
      amounts: { metering: u.amount, records: String(u.records) },
      message: `${u.records} usage records of ${u.payer} worth ${u.amount} of ${u.token} were never settled (oldest at ${new Date(u.oldestAt * 1000).toISOString()}).`,
    });
  }
  return out;
}

/** Per live epoch, payer and token: the on-chain charge against the manifest's and metering's, where present. */
function charges(
  live: ChainEpoch[],
  manifests?: Map<bigint, EpochManifest | null>,
  metering?: MeteringTotals,
): Mismatch[] {
  const out: Mismatch[] = [];
  const metered = metering
    ? sumBy(
        metering.epochs,
        (m) => key(m.epochId, m.payer, m.token),
        (m) => m.amount,
      )
    : undefined;
  for (const e of live) {
    const m = manifests?.get(e.epochId);
    // A missing manifest or metering epoch is reported once by its own check, not per payer.
    const useManifest = m ? m : undefined;
    const useMetering = metered && metering?.epochs.some((x) => x.epochId === e.epochId) ? metered : undefined;
    if (!useManifest && !useMetering) continue;
    const pairs = new Set([
      ...e.charges.map((c) => key(c.payer, c.token)),
      ...(useManifest?.charges.map((c) => key(c.payer, c.token)) ?? []),
      ...(metering?.epochs.filter((x) => useMetering && x.epochId === e.epochId).map((x) => key(x.payer, x.token)) ??
        []),
    ]);
    for (const pair of pairs) {
      const [payer, token] = pair.split(":") as [Hex, Hex];
      const amounts: Mismatch["amounts"] = {
        chain: e.charges.find((c) => key(c.payer, c.token) === pair)?.amount ?? null,
      };
      if (useManifest)
        amounts.manifest = useManifest.charges.find((c) => key(c.payer, c.token) === pair)?.amount ?? null;
      if (useMetering) amounts.metering = useMetering.get(key(e.epochId, pair)) ?? null;
      const values = Object.values(amounts);
      if (values.every((v) => v === values[0])) continue;
      const said = Object.entries(amounts)
        .map(([source, v]) => `${source} ${v ?? "nothing"}`)
        .join(", ");
      out.push({
        kind: "charge_mismatch",
        epochId: e.epochId,
        payer,
        token,
        amounts,
        message: `Epoch ${e.epochId} charges ${payer} in ${token} differently: ${said}.`,
      });
    }
  }
  return out;
}
