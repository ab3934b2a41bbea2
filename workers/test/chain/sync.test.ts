// Chain sync against a real anvil chain: terms, licenses and escrow reach D1 and price and admit gateway calls.

import { env } from "cloudflare:workers";
import { epochLedgerAbi } from "@tributary/schemas/abis";
import { type Hex, keccak256, type PublicClient, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { syncChain } from "../../src/chain/sync.ts";
import { escrowStatement } from "../../src/gateway/catalog.ts";
import { refreshBalances, setHoldsSettled } from "../../src/settler/record.ts";
import { adminCall, call, chat, holds, usageRecord } from "../gateway/helpers.ts";
import {
  type Account,
  account,
  addresses,
  deposit,
  escrowRow,
  mintLicense,
  publicClient,
  publishTerms,
  registerModel,
  sync,
  syncEnv,
  testClient,
} from "./sync-helpers.ts";

const P_IN = 3_000_000n;
const P_OUT = 5_000_000n;

/** The trigger-kept `held` counter equals the sum of the pair's unsettled holds. */
const expectHeldConsistent = async (payer: string) => {
  const row = await env.DB.prepare(
    `SELECT CAST(e.held AS TEXT) AS held, CAST((SELECT coalesce(sum(amount), 0) FROM spend_holds h
       WHERE h.payer = e.payer AND h.token = e.token AND h.settled_at IS NULL) AS TEXT) AS summed
     FROM escrow_balances e WHERE e.payer = ? AND e.token = ?`,
  )
    .bind(payer.toLowerCase(), addresses.token.toLowerCase())
    .first<{ held: string; summed: string }>();
  expect(row?.held).toBe(row?.summed);
};

const settledCount = async (payer: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM spend_holds WHERE payer = ? AND settled_at IS NOT NULL")
      .bind(payer.toLowerCase())
      .first<{ n: number }>()
  )?.n;

/** The test chain's client as the settler uses it. */
const client = publicClient as unknown as PublicClient;

const available = async (apiKey: string) => {
  const res = await call("/v1/escrow", { key: apiKey });
  const body = (await res.json()) as { data: { token: string; available: string; balance: string }[] };
  return body.data.find((d) => d.token === addresses.token.toLowerCase());
};

describe("chain sync", () => {
  let owner: Account;
  let payer: Account;
  let assetId: Hex;
  let termsId: bigint;
  let licenseId: bigint;
  let apiKey: string;
  const model = `onchain-${Date.now().toString(36)}`;

  it("copies terms, licenses and escrow from real transactions; the gateway prices and admits by them", async () => {
    owner = await account();
    payer = await account();
    assetId = await registerModel(owner, "sync-model");
    termsId = await publishTerms(owner, assetId, P_IN, P_OUT);
    licenseId = await mintLicense(payer, termsId);
    await deposit(payer, 50_000_000n);

    const result = await sync();
    expect(result.events).toBeGreaterThan(0);
    expect(result.rewoundTo).toBeNull();
    expect(result.block).toBe(await publicClient.getBlockNumber({ cacheTime: 0 }));

    const terms = await env.DB.prepare(
      "SELECT asset_id, token, CAST(price_per_mtok_in AS TEXT) AS p_in, CAST(price_per_mtok_out AS TEXT) AS p_out, active FROM license_terms WHERE id = ?",
    )
      .bind(termsId.toString())
      .first();
    expect(terms).toEqual({
      asset_id: assetId.toLowerCase(),
      token: addresses.token.toLowerCase(),
      p_in: P_IN.toString(),
      p_out: P_OUT.toString(),
      active: 1,
    });
    const license = await env.DB.prepare("SELECT asset_id, terms_id, holder, expires_at FROM licenses WHERE id = ?")
      .bind(licenseId.toString())
      .first<{ asset_id: string; terms_id: string; holder: string; expires_at: number }>();
    expect(license).toMatchObject({ asset_id: assetId.toLowerCase(), terms_id: termsId.toString() });
    expect(license?.holder).toBe(payer.address.toLowerCase());
    expect(license?.expires_at).toBe(8_640_000_000_000_000);
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "50000000", withdrawal: "0" });

    // The operator maps a model name to the asset; everything else came from the chain.
    await adminCall("PUT", "/models", { name: model, asset_id: assetId, kind: "chat", max_output_tokens: 32 });
    await adminCall("PUT", "/routes", {
      id: `${model}-r0`,
      model,
      priority: 0,
      base_url: env.UPSTREAM_URL,
      secret_name: "UPSTREAM_KEY",
      upstream_model: "echo",
    });
    const key = (await (await adminCall("POST", "/keys", { payer: payer.address, name: "sync" })).json()) as {
      secret: string;
    };
    apiKey = key.secret;
    const reply = await call("/v1/chat/completions", {
      method: "POST",
      key: apiKey,
      json: chat(model, "one two three"),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    const record = await usageRecord(reply.headers.get("x-request-id") ?? "");
    const { prompt_tokens: i, completion_tokens: o } = body.usage;
    expect(record.cost).toBe(((BigInt(i) * P_IN + BigInt(o) * P_OUT + 999_999n) / 1_000_000n).toString());
    expect(record).toMatchObject({ input_tokens: i, output_tokens: o });
    const row = await env.METER_DB.prepare("SELECT license_id, terms_id FROM usage_records WHERE request_id = ?")
      .bind(record.request_id)
      .first();
    expect(row).toEqual({ license_id: licenseId.toString(), terms_id: termsId.toString() });
  });

  it("is idempotent: a second run reads nothing new and changes no row", async () => {
    const before = await env.DB.prepare("SELECT * FROM licenses WHERE id = ?").bind(licenseId.toString()).first();
    const again = await sync();
    expect(again.events).toBe(0);
    expect(await env.DB.prepare("SELECT * FROM licenses WHERE id = ?").bind(licenseId.toString()).first()).toEqual(
      before,
    );
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "50000000", withdrawal: "0" });
  });

  it("takes a requested withdrawal out of what may be spent, and the executed one out of the balance", async () => {
    await payer.send(addresses.ledger, epochLedgerAbi, "requestWithdrawal", [addresses.token, 20_000_000n]);
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "50000000", withdrawal: "20000000" });
    const view = await available(apiKey);
    expect(BigInt(view?.available ?? 0)).toBeLessThanOrEqual(30_000_000n);

    // No epochs settle on this chain here, so the request unlocks by its timeout (7 days).
    await testClient.increaseTime({ seconds: 7 * 86_400 + 1 });
    await testClient.mine({ blocks: 1 });
    await payer.send(addresses.ledger, epochLedgerAbi, "withdraw", [addresses.token]);
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "30000000", withdrawal: "0" });
  });

  it("never marks holds: a settled epoch's debit lowers the balance, the settler alone marks exactly its holds", async () => {
    for (const text of ["alpha beta", "gamma delta epsilon"]) {
      const r = await call("/v1/chat/completions", { method: "POST", key: apiKey, json: chat(model, text) });
      expect(r.status).toBe(200);
      await usageRecord(r.headers.get("x-request-id") ?? "");
    }
    const charged = (await holds(payer.address.toLowerCase())).filter((h) => h.state === "charged");
    const ids = charged.map((h) => h.request_id);
    const total = charged.reduce((sum, h) => sum + BigInt(h.amount), 0n);
    const before = await available(apiKey);
    expect(BigInt(before?.available ?? 0)).toBe(30_000_000n - total);
    await expectHeldConsistent(payer.address);

    // The settler account (anvil account 0, on this private chain only) debits exactly those charges.
    const settler = await account(env.SETTLER_PRIVATE_KEY as Hex);
    const [last] = (await publicClient.readContract({
      address: addresses.ledger,
      abi: epochLedgerAbi,
      functionName: "epochIds",
    })) as readonly [bigint, bigint, bigint, bigint];
    const epochId = last + 1n;
    const charges = [{ payer: payer.address, token: addresses.token, amount: total }];
    await settler.send(addresses.ledger, epochLedgerAbi, "settleEpoch", [
      epochId,
      keccak256(toHex("root")),
      charges,
      [{ token: addresses.token, charged: total, licenseFees: 0n }],
      keccak256(toHex("usage")),
      "r2://manifest",
    ]);

    // The sync copies the lowered balance but leaves the holds alone: the debit is counted twice for a moment
    // (available under-counted, never over-counted) until the settler records the epoch.
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: (30_000_000n - total).toString() });
    expect(await settledCount(payer.address)).toBe(0);
    expect(await available(apiKey)).toMatchObject({
      available: (BigInt(before?.available ?? 0) - total).toString(),
      unsettled: total.toString(),
    });
    await expectHeldConsistent(payer.address);

    // The settler records the epoch (record.ts markSettled): balance at the latest block, then exactly its holds.
    await refreshBalances(env.DB, client, addresses.ledger, charges);
    await setHoldsSettled(env.DB, ids, Date.now());
    await env.DB.prepare(
      `INSERT INTO settlement_epochs (epoch_id, status, watermark, from_block, to_block, created_at, updated_at)
       VALUES (?, 'settled', 0, 0, 0, 0, 0)`,
    )
      .bind(Number(epochId))
      .run();
    expect(await settledCount(payer.address)).toBe(charged.length);
    expect(await available(apiKey)).toMatchObject({ available: before?.available, unsettled: "0" });
    await expectHeldConsistent(payer.address);
    await sync();
    expect(await settledCount(payer.address)).toBe(charged.length);
    expect(await available(apiKey)).toMatchObject({ available: before?.available, unsettled: "0" });

    // Vetoed on-chain: the refund does not reach the balance through the sync while the holds are still settled.
    await settler.send(addresses.ledger, epochLedgerAbi, "veto", [epochId, charges]);
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: (30_000_000n - total).toString() });
    expect(await settledCount(payer.address)).toBe(charged.length);
    expect(await available(apiKey)).toMatchObject({ available: before?.available });

    // The settler's veto reopening (veto.ts): holds unsettled first, then the refunded balance; then the sync.
    await setHoldsSettled(env.DB, ids, null);
    await refreshBalances(env.DB, client, addresses.ledger, charges);
    await env.DB.prepare("UPDATE settlement_epochs SET status = 'vetoed' WHERE epoch_id = ?")
      .bind(Number(epochId))
      .run();
    await expectHeldConsistent(payer.address);
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "30000000" });
    expect(await available(apiKey)).toMatchObject({ available: before?.available, unsettled: total.toString() });
    await expectHeldConsistent(payer.address);
  });

  it("never lets a balance read at an older block overwrite the settler's newer one", async () => {
    await refreshBalances(env.DB, client, addresses.ledger, [{ payer: payer.address, token: addresses.token }]);
    const settled = await escrowRow(payer.address);
    const block = BigInt(settled?.block_number ?? 0);
    expect(block).toBe(await publicClient.getBlockNumber({ cacheTime: 0 }));
    const stale = (blockNumber: bigint, balance: bigint) =>
      escrowStatement(env.DB, { payer: payer.address, token: addresses.token, balance, blockNumber }).run();
    // A sync that read the pair one block earlier (before a debit, say) lands after the settler: ignored.
    await stale(block - 1n, 99_000_000n);
    expect(await escrowRow(payer.address)).toEqual(settled);
    // A read at a newer block replaces it.
    await stale(block + 1n, 29_000_000n);
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "29000000", block_number: Number(block + 1n) });
    await stale(block + 1n, BigInt(settled?.balance ?? 0));

    // The real sync, held CHAIN_CONFIRMATIONS behind the head, reads the pair at the block of the first deposit
    // (three transactions each), after the settler read it at the head: the older read does not move the row back.
    await deposit(payer, 1_000_000n);
    await deposit(payer, 2_000_000n);
    await refreshBalances(env.DB, client, addresses.ledger, [{ payer: payer.address, token: addresses.token }]);
    const fresh = await escrowRow(payer.address);
    expect(fresh?.balance).toBe((BigInt(settled?.balance ?? 0) + 3_000_000n).toString());
    const behind = await syncChain({ ...syncEnv(), CHAIN_CONFIRMATIONS: "3" });
    expect(behind.block).toBe(BigInt(fresh?.block_number ?? 0) - 3n);
    expect(await escrowRow(payer.address)).toEqual(fresh);
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: fresh?.balance });
    await expectHeldConsistent(payer.address);
  });

  it("follows a reorg: what the orphaned blocks wrote is undone and the new blocks are read", async () => {
    const snapshot = await testClient.snapshot();
    const orphanTerms = await publishTerms(owner, assetId, 1n, 1n);
    const orphanLicense = await mintLicense(payer, orphanTerms);
    await deposit(payer, 7_000_000n);
    await sync();
    expect(
      await env.DB.prepare("SELECT id FROM licenses WHERE id = ?").bind(orphanLicense.toString()).first(),
    ).not.toBeNull();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "40000000" });

    await testClient.revert({ id: snapshot });
    // Different blocks at the same heights, and more of them.
    await deposit(payer, 1_000_000n);
    await testClient.mine({ blocks: 5 });
    const result = await sync();
    expect(result.rewoundTo).not.toBeNull();
    expect(
      await env.DB.prepare("SELECT id FROM licenses WHERE id = ?").bind(orphanLicense.toString()).first(),
    ).toBeNull();
    expect(
      await env.DB.prepare("SELECT id FROM license_terms WHERE id = ?").bind(orphanTerms.toString()).first(),
    ).toBeNull();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "34000000" });
    expect(result.blockHash).toBe((await publicClient.getBlock()).hash);
    expect((await sync()).rewoundTo).toBeNull();
  });
});
