// End to end on anvil: gateway calls, a dataset's Merkle split from annotations, epoch close, finalize and claim.
import { env } from "cloudflare:workers";
import { assetRegistryAbi, epochLedgerAbi } from "@tributary/schemas/abis";
import type { DatasetExport } from "@tributary/schemas/tasks";
import type { Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { closeEpoch } from "../../src/settler/close.ts";
import type { PayoutsReturnType } from "../../src/settler/payouts.ts";
import { adminCall, call, chat, usageRecord } from "../gateway/helpers.ts";
import { addTextItems, claim, createProject, expectJson, signIn, submit, call as tasksCall } from "../tasks/helpers.ts";
import {
  balanceOf,
  client,
  epochIds,
  type Funded,
  fundedAccount,
  ledger,
  licenseAndDeposit,
  passChallengePeriod,
  publishTerms,
  registerAsset,
  registry,
  token,
} from "./chain.ts";

/** The settler with no watermark lag, so records written just now are in the epoch. */
const settlerEnv = { ...env, SETTLEMENT_LAG_SECONDS: "0" } as unknown as typeof env;
const close = (options: Parameters<typeof closeEpoch>[1] = {}) =>
  closeEpoch(settlerEnv, { now: Date.now() + 1, ...options });

const FEE = 1_000_000n;
const SHARE_BPS = 4000n;

type World = {
  owner: Funded;
  payer: Funded;
  annotators: { address: Hex; privateKey: Hex; weight: bigint }[];
  modelName: string;
  modelAsset: Hex;
  apiKey: string;
};

/** Two annotators label a dataset (weights 200 and 100), its export becomes the dataset's Merkle split on-chain,
 * a model trained on it (40 %) gets terms with an upfront fee, and a payer holds a license and escrow. */
async function buildWorld(): Promise<World> {
  const owner = await fundedAccount();
  const payer = await fundedAccount();
  const ownerSession = await signIn(owner.privateKey);
  const datasetSalt = crypto.getRandomValues(new Uint8Array(32));
  const datasetId = `0x${[...datasetSalt].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  const project = await createProject(ownerSession.token, { datasetId, overlap: 1, rewardWeight: 100 });
  await addTextItems(ownerSession.token, project.id, ["one", "two", "three"]);
  const keys = [generatePrivateKey(), generatePrivateKey()];
  const sessions = await Promise.all(keys.map((k) => signIn(k)));
  for (const [who, times] of [
    [0, 2],
    [1, 1],
  ] as const) {
    for (let i = 0; i < times; i++) {
      const lease = await claim(sessions[who]!.token, project.id);
      if (!lease) throw new Error("nothing to claim");
      expect((await submit(sessions[who]!.token, lease.assignment.id, { choice: "pos" })).status).toBe(201);
    }
  }
  const exported = await expectJson<DatasetExport>(
    await tasksCall(`/tasks/datasets/${datasetId}/exports`, { token: ownerSession.token, method: "POST" }),
    201,
  );
  expect(exported.totalWeight).toBe("300");

  const dataset = await registerAsset(owner, 0);
  await owner.send(registry, assetRegistryAbi, "setMerkleSplit", [
    dataset,
    exported.merkleRoot as Hex,
    300n,
    exported.weightsKey,
  ]);
  const modelAsset = await registerAsset(owner, 1);
  await owner.send(registry, assetRegistryAbi, "linkParent", [modelAsset, dataset, Number(SHARE_BPS), 0n]);
  const termsId = await publishTerms(owner, modelAsset, { pIn: 1_000_000n, pOut: 2_000_000n, fee: FEE });
  const licenseId = await licenseAndDeposit(payer, termsId, FEE, 50_000_000n);

  const modelName = `settle-${crypto.randomUUID().slice(0, 8)}`;
  await adminCall("PUT", "/models", { name: modelName, asset_id: modelAsset, kind: "chat", max_output_tokens: 32 });
  await adminCall("PUT", "/routes", {
    id: `${modelName}-r0`,
    model: modelName,
    priority: 0,
    base_url: env.UPSTREAM_URL,
    secret_name: "UPSTREAM_KEY",
    upstream_model: "echo",
  });
  await adminCall("PUT", "/terms", {
    id: termsId.toString(),
    asset_id: modelAsset,
    token,
    price_per_mtok_in: "1000000",
    price_per_mtok_out: "2000000",
  });
  await adminCall("PUT", "/licenses", {
    id: licenseId.toString(),
    asset_id: modelAsset,
    terms_id: termsId.toString(),
    holder: payer.address,
    expires_at: "2099-01-01T00:00:00Z",
  });
  await adminCall("PUT", "/escrow", { payer: payer.address, token, balance: "50000000" });
  const key = (await (await adminCall("POST", "/keys", { payer: payer.address, name: "settle" })).json()) as {
    secret: string;
  };
  const annotators = sessions.map((s, i) => ({
    address: s.address.toLowerCase() as Hex,
    privateKey: keys[i]!,
    weight: i === 0 ? 200n : 100n,
  }));
  return { owner, payer, annotators, modelName, modelAsset, apiKey: key.secret };
}

/** Makes `n` metered calls; returns their request ids and summed cost. */
async function calls(w: World, n: number): Promise<{ ids: string[]; cost: bigint }> {
  const ids: string[] = [];
  let cost = 0n;
  for (let i = 0; i < n; i++) {
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: w.apiKey,
      json: chat(w.modelName, `hello settlement ${i}`),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const id = res.headers.get("x-request-id") ?? "";
    ids.push(id);
    cost += BigInt((await usageRecord(id)).cost);
  }
  return { ids, cost };
}

/** An annotator's share per DESIGN.md, computed independently of the attribution module. */
function annotatorShare(revenue: bigint, weight: bigint): bigint {
  const rest = revenue - (revenue * 500n) / 10_000n;
  const toDataset = (rest * SHARE_BPS) / 10_000n;
  return (toDataset * weight) / 300n;
}

describe("settlement end to end", () => {
  let w: World;
  beforeAll(async () => {
    w = await buildWorld();
  }, 60_000);

  it("closes an epoch, posts its root, and an annotator claims exactly the attributed amount", async () => {
    const { ids, cost } = await calls(w, 3);
    const before = await epochIds();
    const result = await close();
    expect(result?.status).toBe("settled");
    const m = result!.manifest;
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
    const a = w.annotators[0]!;
    const expected = annotatorShare(cost + FEE, a.weight);
    expect(m.accruals.find((x) => x.account === a.address)?.amount).toBe(expected.toString());
    await passChallengePeriod();
    const claimer = await fundedAccount(a.privateKey);
    await claimer.send(ledger, epochLedgerAbi, "finalize", []);
    const payouts = await expectJson<PayoutsReturnType>(await call(`/payouts/${a.address}`), 200);
    const payout = payouts.payouts.find((p) => p.token === token);
    expect(payout).toMatchObject({ cumulative: expected.toString(), claimed: "0", claimable: expected.toString() });
    const balance = await balanceOf(a.address);
    await claimer.send(ledger, epochLedgerAbi, "claim", [a.address, token, BigInt(payout!.cumulative), payout!.proof]);
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
    expect(result!.manifest.shortfalls).toContainEqual(
      expect.objectContaining({
        payer: poor.address,
        token,
        amount: poorCalls.cost.toString(),
        escrow: "0",
        reason: "escrow",
        records: 1,
      }),
    );
    expect(result!.manifest.charges.some((c) => c.payer === poor.address)).toBe(false);
    const record = await env.METER_DB.prepare("SELECT epoch_id FROM usage_records WHERE request_id = ?")
      .bind(poorCalls.ids[0])
      .first();
    expect(record).toEqual({ epoch_id: null });
    const view = await expectJson<{ shortfall_list: unknown[] }>(
      await call(`/settlement/epochs/${result!.epochId}`),
      200,
    );
    expect(view.shortfall_list).toHaveLength(1);
  });
  it("reopens a vetoed epoch: the next epoch settles its records again on the last live root", async () => {
    const { ids, cost } = await calls(w, 2);
    const vetoed = await close();
    expect(vetoed?.status).toBe("settled");
    const m = vetoed!.manifest;
    const guardian = await fundedAccount(env.SETTLER_PRIVATE_KEY as Hex);
    const charges = m.charges.map((c) => ({ payer: c.payer as Hex, token: c.token as Hex, amount: BigInt(c.amount) }));
    await guardian.send(ledger, epochLedgerAbi, "veto", [BigInt(m.epochId), charges]);

    const again = await close();
    expect(again).toMatchObject({ epochId: m.epochId + 1, status: "settled" });
    expect(again!.manifest.parentEpochId).toBe(m.parentEpochId);
    expect(again!.manifest.charges).toContainEqual({
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
});
