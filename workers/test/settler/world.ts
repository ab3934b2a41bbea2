// The world of the settlement end-to-end test: annotations → dataset split on-chain → model → license → gateway.
import { env } from "cloudflare:workers";
import { assetRegistryAbi } from "@tributary/schemas/abis";
import type { DatasetExport } from "@tributary/schemas/tasks";
import type { Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { expect } from "vitest";
import { closeEpoch } from "../../src/settler/close.ts";
import { adminCall, call, chat, recordIdOf, usageRecord } from "../gateway/helpers.ts";
import { addTextItems, claim, createProject, expectJson, signIn, submit, call as tasksCall } from "../tasks/helpers.ts";
import {
  type Funded,
  fundedAccount,
  licenseAndDeposit,
  publishTerms,
  registerAsset,
  registry,
  token,
} from "./chain.ts";

/** The value, or a test failure naming what was missing. */
export function must<T>(value: T | null | undefined, what = "value"): T {
  if (value === null || value === undefined) throw new Error(`expected a ${what}`);
  return value;
}

/** The settler with no watermark lag, so records written just now are in the epoch. */
export const settlerEnv = { ...env, SETTLEMENT_LAG_SECONDS: "0" } as unknown as typeof env;
export const close = (options: Parameters<typeof closeEpoch>[1] = {}) =>
  closeEpoch(settlerEnv, { now: Date.now() + 1, ...options });

export const FEE = 1_000_000n;
export const SHARE_BPS = 4000n;

export type World = {
  owner: Funded;
  payer: Funded;
  annotators: { address: Hex; privateKey: Hex; weight: bigint }[];
  modelName: string;
  modelAsset: Hex;
  apiKey: string;
};

/** Two annotators label a dataset (weights 200 and 100), its export becomes the dataset's Merkle split on-chain,
 * a model trained on it (40 %) gets terms with an upfront fee, and a payer holds a license and escrow. */
export async function buildWorld(): Promise<World> {
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
      const lease = await claim(must(sessions[who]).token, project.id);
      if (!lease) throw new Error("nothing to claim");
      expect((await submit(must(sessions[who]).token, lease.assignment.id, { choice: "pos" })).status).toBe(201);
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
    privateKey: must(keys[i]),
    weight: i === 0 ? 200n : 100n,
  }));
  return { owner, payer, annotators, modelName, modelAsset, apiKey: key.secret };
}

/**
 * Makes `n` metered calls; returns their request ids (as recorded) and summed cost. With `ownIds`, every second call
 * sends an X-Request-Id of its own, recorded as the payer's `<id>@<payer>`.
 */
export async function calls(w: World, n: number, ownIds = false): Promise<{ ids: string[]; cost: bigint }> {
  const ids: string[] = [];
  let cost = 0n;
  for (let i = 0; i < n; i++) {
    const own = ownIds && i % 2 === 1 ? { "x-request-id": `settle-${crypto.randomUUID()}` } : undefined;
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: w.apiKey,
      json: chat(w.modelName, `hello settlement ${i}`),
      ...(own ? { headers: own } : {}),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const id = recordIdOf(res);
    if (own) expect(id).toBe(`${own["x-request-id"]}@${w.payer.address}`);
    ids.push(id);
    cost += BigInt((await usageRecord(id)).cost);
  }
  return { ids, cost };
}

/** An annotator's share per DESIGN.md, computed independently of the attribution module. */
export function annotatorShare(revenue: bigint, weight: bigint): bigint {
  const rest = revenue - (revenue * 500n) / 10_000n;
  const toDataset = (rest * SHARE_BPS) / 10_000n;
  return (toDataset * weight) / 300n;
}
