// Chain sync against a real anvil chain: terms, licenses and escrow reach D1 and price and admit gateway calls.

import { env } from "cloudflare:workers";
import { epochLedgerAbi } from "@tributary/schemas/abis";
import { type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
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

  it("marks the charges a settled epoch debited as settled, and unmarks them when the epoch is vetoed", async () => {
    for (const text of ["alpha beta", "gamma delta epsilon"]) {
      const r = await call("/v1/chat/completions", { method: "POST", key: apiKey, json: chat(model, text) });
      expect(r.status).toBe(200);
      await usageRecord(r.headers.get("x-request-id") ?? "");
    }
    const charged = (await holds(payer.address.toLowerCase())).filter((h) => h.state === "charged");
    const total = charged.reduce((sum, h) => sum + BigInt(h.amount), 0n);
    const before = await available(apiKey);
    expect(BigInt(before?.available ?? 0)).toBe(30_000_000n - total);
    await expectHeldConsistent(payer.address);

    // The settler (anvil account 0, on this private chain only) debits exactly those charges.
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
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: (30_000_000n - total).toString() });
    const settled = await env.DB.prepare(
      "SELECT count(*) AS n FROM spend_holds WHERE payer = ? AND settled_by IS NOT NULL AND state = 'charged'",
    )
      .bind(payer.address.toLowerCase())
      .first<{ n: number }>();
    expect(settled?.n).toBe(charged.length);
    // The charges moved from "unsettled" into the lowered balance: what may be spent did not change.
    expect(await available(apiKey)).toMatchObject({ available: before?.available, unsettled: "0" });
    await expectHeldConsistent(payer.address);

    await settler.send(addresses.ledger, epochLedgerAbi, "veto", [epochId, charges]);
    await sync();
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "30000000" });
    expect(await available(apiKey)).toMatchObject({ available: before?.available, unsettled: total.toString() });
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
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "37000000" });

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
    expect(await escrowRow(payer.address)).toMatchObject({ balance: "31000000" });
    expect(result.blockHash).toBe((await publicClient.getBlock()).hash);
    expect((await sync()).rewoundTo).toBeNull();
  });
});
