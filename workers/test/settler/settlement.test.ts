// End to end on anvil: gateway calls, a dataset's Merkle split from annotations, epoch close, finalize and claim.
import { env } from "cloudflare:workers";
import { epochLedgerAbi } from "@tributary/schemas/abis";
import type { Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { type ReceiptRecord, receiptOfRecord } from "../../src/gateway/meter.ts";
import { receiptText } from "../../src/gateway/receipts.ts";
import { RECORD_DAY_SQL } from "../../src/gateway/usage.ts";
import { archiveBucketOf, archiveFinalEpochs } from "../../src/settler/archive.ts";
import { meteringTotals } from "../../src/settler/metering.ts";
import type { PayoutsReturnType } from "../../src/settler/payouts.ts";
import { adminCall, call, verifyReceipt } from "../gateway/helpers.ts";
import { expectJson } from "../tasks/helpers.ts";
import {
  balanceOf,
  client,
  epochIds,
  fundedAccount,
  ledger,
  licenseAndDeposit,
  passChallengePeriod,
  publishTerms,
  token,
} from "./chain.ts";
import { annotatorShare, buildWorld, calls, close, FEE, must, settlerEnv, type World } from "./world.ts";

describe("settlement end to end", () => {
  let w: World;
  beforeAll(async () => {
    w = await buildWorld();
  }, 60_000);

  it("closes an epoch, posts its root, and an annotator claims exactly the attributed amount", async () => {
    // One of the calls names itself (X-Request-Id): its hold is settled by its scoped id like the others.
    const { ids, cost } = await calls(w, 3, true);
    const before = await epochIds();
    const result = await close();
    expect(result?.status).toBe("settled");
    const m = must(result).manifest;
    expect(m.epochId).toBe(before.last + 1);
    const onChain = await epochIds();
    expect(onChain.last).toBe(before.last + 1);
    const epoch = await client.readContract({
      address: ledger,
      abi: epochLedgerAbi,
      functionName: "epochOf",
      args: [BigInt(m.epochId)],
    });
    expect(epoch.root).toBe(m.root);

    // The manifest: our payer's charge, our model's revenue (usage + the license fee), sums exact per token.
    expect(m.charges).toContainEqual({ payer: w.payer.address, token, amount: cost.toString(), records: 3 });
    const revenue = m.revenue.find((r) => r.assetId === w.modelAsset);
    expect(revenue).toMatchObject({ usage: cost.toString(), licenseFees: FEE.toString(), records: 3 });
    for (const t of m.totals) {
      const accrued = m.accruals.filter((a) => a.token === t.token).reduce((s, a) => s + BigInt(a.amount), 0n);
      expect(accrued).toBe(BigInt(t.charged) + BigInt(t.licenseFees));
    }
    // Records are tagged with the epoch; their holds are settled; the gateway's balance is the chain's.
    const tagged = await env.METER_DB.prepare(
      `SELECT count(*) AS n FROM usage_records WHERE epoch_id = ? AND request_id IN (${ids.map(() => "?").join(",")})`,
    )
      .bind(m.epochId, ...ids)
      .first<{ n: number }>();
    expect(tagged?.n).toBe(3);
    const unsettled = await env.DB.prepare(
      `SELECT count(*) AS n FROM spend_holds WHERE settled_at IS NULL AND request_id IN (${ids.map(() => "?").join(",")})`,
    )
      .bind(...ids)
      .first<{ n: number }>();
    expect(unsettled?.n).toBe(0);
    const escrow = await env.DB.prepare(
      "SELECT CAST(balance AS TEXT) AS b FROM escrow_balances WHERE payer = ? AND token = ?",
    )
      .bind(w.payer.address, token)
      .first<{ b: string }>();
    expect(escrow?.b).toBe((50_000_000n - cost).toString());

    // Not claimable during the challenge period; after it, finalize and claim with the proof.
    const a = must(w.annotators[0]);
    const expected = annotatorShare(cost + FEE, a.weight);
    expect(m.accruals.find((x) => x.account === a.address)?.amount).toBe(expected.toString());
    await passChallengePeriod();
    const claimer = await fundedAccount(a.privateKey);
    await claimer.send(ledger, epochLedgerAbi, "finalize", []);
    const payouts = await expectJson<PayoutsReturnType>(await call(`/payouts/${a.address}`), 200);
    const payout = payouts.payouts.find((p) => p.token === token);
    expect(payout).toMatchObject({ cumulative: expected.toString(), claimed: "0", claimable: expected.toString() });
    const balance = await balanceOf(a.address);
    await claimer.send(ledger, epochLedgerAbi, "claim", [
      a.address,
      token,
      BigInt(must(payout).cumulative),
      must(payout).proof,
    ]);
    expect((await balanceOf(a.address)) - balance).toBe(expected);
    const after = await expectJson<PayoutsReturnType>(await call(`/payouts/${a.address}`), 200);
    expect(after.payouts.find((p) => p.token === token)).toMatchObject({
      claimed: expected.toString(),
      claimable: "0",
    });
  });

  it("a second close with no new usage posts nothing", async () => {
    const before = await epochIds();
    const result = await close();
    if (result) {
      // Another test file may have bought a license (a held fee) meanwhile: then only that fee is settled.
      expect(result.manifest.charges).toEqual([]);
    } else {
      expect((await epochIds()).last).toBe(before.last);
    }
  });

  it("recovers from a crash between posting and recording without posting twice", async () => {
    const { ids } = await calls(w, 2);
    const before = await epochIds();
    let sent: Hex | undefined;
    await expect(
      close({
        afterSend: (hash) => {
          sent = hash;
          throw new Error("crash after send");
        },
      }),
    ).rejects.toThrow("crash after send");
    expect(sent).toBeDefined();
    const row = await env.DB.prepare("SELECT status, tx_hash FROM settlement_epochs WHERE epoch_id = ?")
      .bind(before.last + 1)
      .first();
    expect(row).toMatchObject({ status: "built", tx_hash: null });

    const recovered = await close();
    expect(recovered).toMatchObject({ epochId: before.last + 1, status: "settled", txHash: sent });
    expect((await epochIds()).last).toBe(before.last + 1);
    const unsettled = await env.DB.prepare(
      `SELECT count(*) AS n FROM spend_holds WHERE settled_at IS NULL AND request_id IN (${ids.map(() => "?").join(",")})`,
    )
      .bind(...ids)
      .first<{ n: number }>();
    expect(unsettled?.n).toBe(0);
    expect(await close()).toBeNull();
  });

  it("carries over a payer whose on-chain escrow cannot cover the charge, and reports it", async () => {
    // The gateway believes in a large escrow, the chain holds none: the charge cannot be posted.
    const poor = await fundedAccount();
    const termsId = await publishTerms(w.owner, w.modelAsset, { pIn: 1_000_000n, pOut: 2_000_000n, fee: 0n });
    const licenseId = await licenseAndDeposit(poor, termsId, 0n, 0n);
    await adminCall("PUT", "/terms", {
      id: termsId.toString(),
      asset_id: w.modelAsset,
      token,
      price_per_mtok_in: "1000000",
      price_per_mtok_out: "2000000",
    });
    await adminCall("PUT", "/licenses", {
      id: licenseId.toString(),
      asset_id: w.modelAsset,
      terms_id: termsId.toString(),
      holder: poor.address,
      expires_at: "2099-01-01T00:00:00Z",
    });
    await adminCall("PUT", "/escrow", { payer: poor.address, token, balance: "50000000" });
    const key = (await (await adminCall("POST", "/keys", { payer: poor.address, name: "poor" })).json()) as {
      secret: string;
    };
    const poorCalls = await calls({ ...w, apiKey: key.secret }, 1);
    await calls(w, 1);
    const result = await close();
    expect(result?.status).toBe("settled");
    expect(must(result).manifest.shortfalls).toContainEqual(
      expect.objectContaining({
        payer: poor.address,
        token,
        amount: poorCalls.cost.toString(),
        escrow: "0",
        reason: "escrow",
        records: 1,
      }),
    );
    expect(must(result).manifest.charges.some((c) => c.payer === poor.address)).toBe(false);
    const record = await env.METER_DB.prepare("SELECT epoch_id FROM usage_records WHERE request_id = ?")
      .bind(poorCalls.ids[0])
      .first();
    expect(record).toEqual({ epoch_id: null });
    const view = await expectJson<{ shortfall_list: unknown[] }>(
      await call(`/settlement/epochs/${must(result).epochId}`),
      200,
    );
    expect(view.shortfall_list).toHaveLength(1);
  });
  it("reopens a vetoed epoch: the next epoch settles its records again on the last live root", async () => {
    const { ids, cost } = await calls(w, 2);
    const vetoed = await close();
    expect(vetoed?.status).toBe("settled");
    const m = must(vetoed).manifest;
    const guardian = await fundedAccount(env.SETTLER_PRIVATE_KEY as Hex);
    const charges = m.charges.map((c) => ({ payer: c.payer as Hex, token: c.token as Hex, amount: BigInt(c.amount) }));
    await guardian.send(ledger, epochLedgerAbi, "veto", [BigInt(m.epochId), charges]);

    const again = await close();
    expect(again).toMatchObject({ epochId: m.epochId + 1, status: "settled" });
    expect(must(again).manifest.parentEpochId).toBe(m.parentEpochId);
    expect(must(again).manifest.charges).toContainEqual({
      payer: w.payer.address,
      token,
      amount: cost.toString(),
      records: 2,
    });
    const row = await env.DB.prepare("SELECT status FROM settlement_epochs WHERE epoch_id = ?").bind(m.epochId).first();
    expect(row).toEqual({ status: "vetoed" });
    const tagged = await env.METER_DB.prepare(
      `SELECT count(*) AS n FROM usage_records WHERE epoch_id = ? AND request_id IN (${ids.map(() => "?").join(",")})`,
    )
      .bind(m.epochId + 1, ...ids)
      .first<{ n: number }>();
    expect(tagged?.n).toBe(2);
    const escrow = await env.DB.prepare(
      "SELECT CAST(balance AS TEXT) AS b FROM escrow_balances WHERE payer = ? AND token = ?",
    )
      .bind(w.payer.address, token)
      .first<{ b: string }>();
    const onChain = await client.readContract({
      address: ledger,
      abi: epochLedgerAbi,
      functionName: "escrowOf",
      args: [w.payer.address, token],
    });
    expect(escrow?.b).toBe(onChain.toString());
  });
  it("serves the operator close, epochs and manifests over HTTP with problem JSON errors", async () => {
    const denied = await call("/admin/settlement/close", { method: "POST" });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("content-type")).toContain("application/problem+json");
    // The worker's own watermark trails by 60 s, so the records made just now wait for a later epoch.
    const closed = await call("/admin/settlement/close", {
      method: "POST",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect([200, 204]).toContain(closed.status);
    const { epochs } = await expectJson<{ epochs: { epoch_id: number; status: string; root: string }[] }>(
      await call("/settlement/epochs"),
      200,
    );
    const latest = must(
      epochs.find((e) => e.status === "settled"),
      "settled epoch",
    );
    const manifest = await expectJson<{ root: string; epochId: number }>(
      await call(`/settlement/epochs/${latest.epoch_id}/manifest`),
      200,
    );
    expect(manifest).toMatchObject({ root: latest.root, epochId: latest.epoch_id });
    const epoch = await client.readContract({
      address: ledger,
      abi: epochLedgerAbi,
      functionName: "epochOf",
      args: [BigInt(latest.epoch_id)],
    });
    expect(epoch.root).toBe(manifest.root);

    // Metering as reconciliation reads it: the epoch's records sum to what the manifest charged.
    expect((await call("/admin/settlement/metering")).status).toBe(401);
    const metering = await expectJson<{ epochs: { epoch_id: number; amount: string }[]; unsettled: unknown[] }>(
      await call("/admin/settlement/metering", { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } }),
      200,
    );
    const { charges } = await expectJson<{ charges: { amount: string }[] }>(
      await call(`/settlement/epochs/${latest.epoch_id}/manifest`),
      200,
    );
    const sum = (xs: { amount: string }[]) => xs.reduce((s, x) => s + BigInt(x.amount), 0n);
    expect(sum(metering.epochs.filter((e) => e.epoch_id === latest.epoch_id))).toBe(sum(charges));
    expect((await call("/settlement/epochs/999999/manifest")).status).toBe(404);
    expect((await call("/payouts/not-an-address")).status).toBe(400);
  });

  it("archives the usage of final epochs to R2 and deletes it and its settled holds from D1, exactly", async () => {
    const archive = (days: string, now: number) =>
      archiveFinalEpochs({ ...settlerEnv, USAGE_RETENTION_DAYS: days } as typeof settlerEnv, { now });
    const { ids, cost } = await calls(w, 3);
    const settled = must(await close());
    expect(settled.status).toBe("settled");
    const epochId = settled.epochId;
    const held = () =>
      env.DB.prepare("SELECT CAST(held AS TEXT) AS h, CAST(balance AS TEXT) AS b FROM escrow_balances WHERE payer = ?")
        .bind(w.payer.address)
        .first<{ h: string; b: string }>();
    const meteringBefore = await meteringTotals(env);
    const settledWatermark = must(
      await env.DB.prepare("SELECT watermark FROM settlement_epochs WHERE epoch_id = ?")
        .bind(epochId)
        .first<{ watermark: number }>(),
    ).watermark;
    type Groups = { data: { day?: string; model?: string; token: string; requests: number; cost: string }[] };
    type Records = { data: { request_id: string }[]; archived_before: string | null };
    const usage = async <T>(query: string) => expectJson<T>(await call(`/v1/usage${query}`, { key: w.apiKey }), 200);
    const usageView = async () => ({
      day: (await usage<Groups>("?group_by=day")).data,
      model: (await usage<Groups>("?group_by=model")).data,
      list: await usage<Records>("?limit=1000"),
    });
    // The payer's records still in D1, and those counted in the daily rollups.
    const counted = async () => {
      const [live, rolled] = await env.METER_DB.batch<{ n: number }>([
        env.METER_DB.prepare("SELECT count(*) AS n FROM usage_records WHERE payer = ?").bind(w.payer.address),
        env.METER_DB.prepare("SELECT coalesce(sum(requests), 0) AS n FROM usage_daily WHERE payer = ?").bind(
          w.payer.address,
        ),
      ]);
      return { live: must(live?.results[0]).n, rolled: must(rolled?.results[0]).n };
    };

    // Not final yet (challenge period running): its records stay, whatever the retention (earlier tests' final
    // epochs may move).
    expect((await archive("0", Date.now())).some((a) => a.epochId === epochId)).toBe(false);
    const stillThere = await env.METER_DB.prepare("SELECT count(*) AS n FROM usage_records WHERE epoch_id = ?")
      .bind(epochId)
      .first<{ n: number }>();
    expect(stillThere?.n).toBe(3);
    await passChallengePeriod();
    await (await fundedAccount()).send(ledger, epochLedgerAbi, "finalize", []);
    // A later epoch, settled but not final, stays in D1 and holds back nothing before it.
    const later = await calls(w, 1);
    const pending = must(await close());
    expect(pending.status).toBe("settled");
    // Within the retention (30 days by default) nothing moves either.
    expect(await archiveFinalEpochs(settlerEnv)).toEqual([]);

    // Two days on: the final epochs move (today's holds would have stayed: the daily spend limit counts them).
    const now = Date.now() + 2 * 86_400_000;
    const heldBefore = await held();
    const usageBefore = await usageView();
    const countedBefore = await counted();
    expect(usageBefore.list.archived_before).not.toBe(new Date(settledWatermark).toISOString());
    // The receipts the gateway serves from D1 now, to compare with what it serves from the archive afterwards.
    const receiptsBefore = new Map<string, string>();
    for (const id of ids) {
      const served = await expectJson<{ payload: string; archived: boolean }>(
        await call(`/v1/usage/receipts/${id}`, { key: w.apiKey }),
        200,
      );
      expect(served.archived).toBe(false);
      receiptsBefore.set(id, served.payload);
    }
    // Each meter database archives to the bucket SETTLEMENT_ARCHIVE_BUCKETS names (its region's), BUCKET otherwise;
    // a bucket the settler does not have, or a malformed mapping, fails the run before anything moves.
    const withBuckets = (mapping: string) =>
      ({
        ...settlerEnv,
        USAGE_RETENTION_DAYS: "0",
        SETTLEMENT_ARCHIVE_BUCKETS: mapping,
      }) as unknown as typeof settlerEnv;
    expect(archiveBucketOf(withBuckets("METER_DB_EU:NOWHERE"), "METER_DB")).toBe(env.BUCKET);
    expect(archiveBucketOf(withBuckets(" METER_DB : BUCKET "), "METER_DB")).toBe(env.BUCKET);
    expect(() => archiveBucketOf(withBuckets("METER_DB"), "METER_DB")).toThrow(/METER_BINDING:R2_BINDING/);
    await expect(archiveFinalEpochs(withBuckets("METER_DB:ARCHIVE_NOWHERE"), { now })).rejects.toThrow(
      /no R2 binding ARCHIVE_NOWHERE to archive METER_DB/,
    );
    expect(await counted()).toEqual(countedBefore);

    // The final epochs before ours move first (with a clock just before our watermark).
    await archive("0", settledWatermark - 1);
    const countedEarlier = await counted();
    expect(countedEarlier.live + countedEarlier.rolled).toBe(countedBefore.live + countedBefore.rolled);
    // Then a run cut short: the rollups our records go to are poisoned at 2^63 - 1, so adding them overflows, and the
    // batch that would delete them fails as a whole. Nothing is counted twice or lost, and the next run takes them.
    const ourKeys = `(payer, day, model, token) IN (SELECT DISTINCT payer, ${RECORD_DAY_SQL}, model, token
      FROM usage_records WHERE epoch_id = ?)`;
    type Rollup = { payer: string; day: string; model: string; token: string; cost: string } & Record<string, unknown>;
    const { results: saved } = await env.METER_DB.prepare(
      `SELECT payer, day, model, token, requests, input_tokens, output_tokens, CAST(cost AS TEXT) AS cost, estimated
       FROM usage_daily WHERE ${ourKeys}`,
    )
      .bind(epochId)
      .all<Rollup>();
    await env.METER_DB.prepare(
      `INSERT INTO usage_daily (payer, day, model, token, requests, input_tokens, output_tokens, cost, estimated)
       SELECT DISTINCT payer, ${RECORD_DAY_SQL}, model, token, 0, 0, 0, 9223372036854775807, 0
       FROM usage_records WHERE epoch_id = ? ON CONFLICT (payer, day, model, token) DO UPDATE SET cost = excluded.cost`,
    )
      .bind(epochId)
      .run();
    await expect(archive("0", now)).rejects.toThrow(/CHECK constraint failed/);
    expect(await counted()).toEqual(countedEarlier);
    const stillLive = await env.METER_DB.prepare("SELECT count(*) AS n FROM usage_records WHERE epoch_id = ?")
      .bind(epochId)
      .first<{ n: number }>();
    expect(stillLive?.n).toBe(3);
    await env.METER_DB.batch([
      env.METER_DB.prepare(`DELETE FROM usage_daily WHERE ${ourKeys}`).bind(epochId),
      ...saved.map((r) =>
        env.METER_DB.prepare(
          `INSERT INTO usage_daily (payer, day, model, token, requests, input_tokens, output_tokens, cost, estimated)
           VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS INTEGER), ?)`,
        ).bind(r.payer, r.day, r.model, r.token, r.requests, r.input_tokens, r.output_tokens, r.cost, r.estimated),
      ),
    ]);
    const afterFailure = await usageView();
    expect([afterFailure.day, afterFailure.model]).toEqual([usageBefore.day, usageBefore.model]);
    // Our epoch's totals were stored before its first delete was tried: from then on its records may be gone.
    expect(afterFailure.list.archived_before).toBe(new Date(settledWatermark).toISOString());

    const archived = await archive("0", now);
    const ours = must(archived.find((a) => a.epochId === epochId));
    expect(ours.records).toBe(3);
    expect(archived.some((a) => a.epochId === pending.epochId)).toBe(false);
    const remaining = await env.METER_DB.prepare(
      `SELECT request_id, epoch_id FROM usage_records WHERE request_id IN (${[...ids, ...later.ids].map(() => "?").join(",")})`,
    )
      .bind(...ids, ...later.ids)
      .all<{ request_id: string; epoch_id: number }>();
    expect(remaining.results).toEqual([{ request_id: later.ids[0], epoch_id: pending.epochId }]);
    const { h: heldAfter } = must(await held());
    expect(heldAfter).toBe(must(heldBefore).h);
    const holdsLeft = await env.DB.prepare(
      `SELECT request_id FROM spend_holds WHERE request_id IN (${[...ids, ...later.ids].map(() => "?").join(",")})`,
    )
      .bind(...ids, ...later.ids)
      .all<{ request_id: string }>();
    expect(holdsLeft.results.map((r) => r.request_id)).toEqual([later.ids[0]]);

    // The archive has every record, and each receipt still verifies against its stored signature.
    const listed = await env.BUCKET.list({ prefix: `settlement/epochs/${epochId}/usage/METER_DB/` });
    expect(listed.objects).toHaveLength(ours.parts);
    const lines: (ReceiptRecord & { signature: string; signer: string; cost: string })[] = [];
    for (const o of listed.objects) {
      const text = await must(await env.BUCKET.get(o.key)).text();
      for (const line of text.trim().split("\n")) lines.push(JSON.parse(line));
    }
    const mine = lines.filter((l) => ids.includes(l.request_id));
    expect(mine).toHaveLength(3);
    expect(mine.reduce((sum, l) => sum + BigInt(l.cost), 0n)).toBe(cost);
    for (const l of mine) {
      expect(await verifyReceipt(l.signer, receiptText(receiptOfRecord(l)), l.signature)).toBe(true);
    }
    // The gateway still serves those receipts, now from the archive: the same payload and signature as in D1.
    for (const l of mine) {
      const served = await expectJson<{ payload: string; signature: string; signer: string; archived: boolean }>(
        await call(`/v1/usage/receipts/${l.request_id}`, { key: w.apiKey }),
        200,
      );
      expect(served).toMatchObject({ archived: true, signature: l.signature, signer: l.signer });
      expect(served.payload).toBe(must(receiptsBefore.get(l.request_id)));
      expect(await verifyReceipt(served.signer, served.payload, served.signature)).toBe(true);
    }
    // A still-live record is served from D1; an id the gateway did not make is not searched for in the archive.
    const liveReceipt = await call(`/v1/usage/receipts/${must(later.ids[0])}`, { key: w.apiKey });
    expect(await expectJson<{ archived: boolean }>(liveReceipt, 200)).toMatchObject({ archived: false });
    expect((await call(`/v1/usage/receipts/own-${crypto.randomUUID()}`, { key: w.apiKey })).status).toBe(404);

    // Reconciliation sees the same totals as before, now from the stored ones.
    const meteringAfter = await meteringTotals(env);
    const ofEpoch = (t: typeof meteringBefore, id: number) =>
      t.epochs.filter((e) => e.epoch_id === id).sort((a, b) => a.payer.localeCompare(b.payer));
    expect(ofEpoch(meteringAfter, epochId)).toEqual(ofEpoch(meteringBefore, epochId));
    expect(ofEpoch(meteringAfter, epochId).reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(
      BigInt(must(settled.manifest.charges.find((c) => c.payer === w.payer.address)).amount),
    );
    // The payer's usage by day and by model is the same, now partly from the rollups the archive left: each record
    // moved from the live table to its rollup, none counted twice or lost.
    const usageAfter = await usageView();
    expect(usageAfter.day).toEqual(usageBefore.day);
    expect(usageAfter.model).toEqual(usageBefore.model);
    expect(usageAfter.model.find((g) => g.model === w.modelName)?.requests).toBeGreaterThanOrEqual(4);
    const countedAfter = await counted();
    expect(countedAfter.live + countedAfter.rolled).toBe(countedBefore.live + countedBefore.rolled);
    expect(countedAfter.rolled - countedBefore.rolled).toBeGreaterThanOrEqual(ids.length);
    // The record list no longer has them, and says where D1's history may end: the newest archived watermark.
    const live = usageAfter.list.data.map((r) => r.request_id);
    expect(live).toContain(later.ids[0]);
    expect(live.filter((id) => ids.includes(id))).toEqual([]);
    expect(usageAfter.list.archived_before).toBe(new Date(settledWatermark).toISOString());

    // A second run has nothing left to do, and changes nothing.
    expect(await archive("0", now)).toEqual([]);
    expect(await usageView()).toEqual(usageAfter);
    expect(await counted()).toEqual(countedAfter);
  });
});
