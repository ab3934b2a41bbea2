// Assertions over the REST API answers for the scenario's chain.
import { expect } from "vitest";
import type { Facts } from "./lib/scenario.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely; expect() checks their shape.
type Json = { [key: string]: any };

/** GETs `path` and returns status, content type and parsed body. */
export async function get(url: string, path: string): Promise<{ status: number; type: string; body: Json }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: (await res.json()) as Json };
}

export async function expectAssetEndpoints(url: string, f: Facts) {
  const revenue = await get(url, `/api/assets/${f.model}/revenue`);
  expect(revenue.status).toBe(200);
  expect(revenue.body).toMatchObject({
    chainId: 31337,
    assetId: f.model,
    kind: "model",
    owner: f.alice,
    source: "license_fees",
  });
  expect(revenue.body.days).toEqual([
    { day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), token: f.token, licensesMinted: 1, licenseFees: "5000000" },
  ]);
  expect(revenue.body.totals).toEqual([{ token: f.token, licensesMinted: 1, licenseFees: "5000000" }]);
  expect((await get(url, `/api/assets/${f.model}/revenue?from=2999-01-01`)).body.days).toEqual([]);

  const licenses = await get(url, `/api/assets/${f.model}/licenses`);
  expect(licenses.body.licenses).toEqual([
    {
      id: "1",
      termsId: "1",
      holder: f.carol,
      payer: f.bob,
      token: f.token,
      fee: "5000000",
      mintedAt: String(f.mintedAt),
      expiresAt: String(f.mintedAt + 3600n),
      expired: false,
      transferCount: 1,
    },
  ]);
  const later = f.mintedAt + 3600n;
  expect((await get(url, `/api/assets/${f.model}/licenses?at=${later}`)).body.licenses[0].expired).toBe(true);
  expect((await get(url, `/api/assets/${f.model}/licenses?at=${later}&active=true`)).body.licenses).toEqual([]);
  expect((await get(url, `/api/assets/${f.dataset}/licenses`)).body.licenses).toEqual([]);
}

export async function expectAccountEndpoints(url: string, f: Facts) {
  const payouts = await get(url, `/api/accounts/${f.carol.toUpperCase().replace("0X", "0x")}/payouts`);
  expect(payouts.status).toBe(200);
  expect(payouts.body.account).toBe(f.carol);
  // Accrued comes from the newest final epoch's manifest (epoch 1), served by the stand-in settler.
  expect(payouts.body.accruedAsOf).toEqual([{ chainId: 31337, epochId: "1" }]);
  expect(payouts.body.earnings).toEqual([
    {
      chainId: 31337,
      token: f.token,
      claimed: "20000000",
      claimCount: 1,
      lastClaimAt: expect.any(String),
      accrued: "20000000",
      unclaimed: "0",
    },
  ]);
  expect(payouts.body.claims).toEqual([
    {
      chainId: 31337,
      token: f.token,
      amount: "20000000",
      cumulativeAmount: "20000000",
      epochId: "1",
      caller: f.dave,
      timestamp: expect.any(String),
      transactionHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    },
  ]);
  expect(payouts.body.days).toEqual([
    { chainId: 31337, day: expect.any(String), token: f.token, claimed: "20000000", claimCount: 1 },
  ]);
  expect((await get(url, `/api/accounts/${f.bob}/payouts`)).body).toEqual({
    account: f.bob,
    accruedAsOf: [{ chainId: 31337, epochId: "1" }],
    earnings: [],
    claims: [],
    days: [],
  });
  // Dave accrued 15 in epoch 1 and has not claimed: it is all unclaimed.
  expect((await get(url, `/api/accounts/${f.dave}/payouts`)).body.earnings).toEqual([
    {
      chainId: 31337,
      token: f.token,
      claimed: "0",
      claimCount: 0,
      lastClaimAt: null,
      accrued: "15000000",
      unclaimed: "15000000",
    },
  ]);

  const earners = await get(url, "/api/top/earners?limit=5");
  expect(earners.body.earners).toEqual([
    {
      chainId: 31337,
      account: f.carol,
      token: f.token,
      claimed: "20000000",
      claimCount: 1,
      lastClaimAt: expect.any(String),
    },
  ]);
  const top = await get(url, `/api/top/assets?token=${f.token}`);
  expect(top.body.assets).toEqual([
    {
      chainId: 31337,
      assetId: f.model,
      token: f.token,
      kind: "model",
      owner: f.alice,
      metadataUri: "ipfs://model-v2",
      licenseFees: "5000000",
      licensesMinted: 1,
    },
  ]);
}

export async function expectEpochEndpoints(url: string, f: Facts) {
  const epochs = await get(url, "/api/epochs");
  expect(epochs.body.epochs.map((e: Json) => [e.id, e.status, e.root, e.manifestUri])).toEqual([
    ["3", "pending", f.roots[2], "r2://manifests/3.json"],
    ["2", "vetoed", f.roots[1], "r2://manifests/2.json"],
    ["1", "final", f.roots[0], "r2://manifests/1.json"],
  ]);
  expect(epochs.body.epochs[2].totals).toEqual([{ token: f.token, charged: "30000000", licenseFees: "5000000" }]);
  expect((await get(url, "/api/epochs?status=vetoed")).body.epochs.map((e: Json) => e.id)).toEqual(["2"]);
  expect((await get(url, "/api/epochs?limit=1&offset=2")).body.epochs.map((e: Json) => e.id)).toEqual(["1"]);

  const status = await get(url, "/api/status");
  expect(status.body.paused).toBe(false);
  expect(status.body.lastEpoch).toEqual({ chainId: 31337, id: "3", status: "pending" });
  expect(status.body.roles).toContainEqual({
    chainId: 31337,
    contract: "EpochLedger",
    role: "guardian",
    holder: f.dave,
    pending: null,
  });
}

export async function expectProblems(url: string, f: Facts) {
  const unknown = await get(url, `/api/assets/0x${"ab".repeat(32)}/revenue`);
  expect(unknown.status).toBe(404);
  expect(unknown.type).toBe("application/problem+json");
  expect(unknown.body).toMatchObject({ type: "about:blank", title: "Unknown asset", status: 404 });

  const badId = await get(url, "/api/assets/0x1234/licenses");
  expect(badId.status).toBe(400);
  expect(badId.type).toBe("application/problem+json");
  expect(badId.body.errors).toEqual([{ parameter: "assetId", message: "must be a 0x-prefixed 32-byte hex id" }]);

  const badQuery = await get(url, "/api/epochs?status=done&limit=0");
  expect(badQuery.status).toBe(400);
  expect(badQuery.body.errors.map((e: Json) => e.parameter).sort()).toEqual(["limit", "status"]);
  expect(badQuery.body.detail).toMatch(/^Invalid /);

  const badRange = await get(url, `/api/assets/${f.model}/revenue?from=2026-02-01&to=2026-01-01`);
  expect(badRange.body.errors).toEqual([{ parameter: "from", message: "from must not be after to" }]);
  expect((await get(url, `/api/accounts/${f.bob}/payouts?token=usdc`)).body.errors[0].parameter).toBe("token");
  // Days that do not exist are refused, not answered with an empty list.
  for (const [query, parameter] of [
    ["from=2026-13-01", "from"],
    ["to=2026-02-30", "to"],
  ]) {
    const noDay = await get(url, `/api/assets/${f.model}/revenue?${query}`);
    expect(noDay.status, query).toBe(400);
    expect(noDay.body.errors, query).toEqual([{ parameter, message: "must be a day of the calendar" }]);
  }

  // A chain the indexer does not follow is unknown, not a report of drift (metering would count as off-chain epochs).
  const otherChain = await get(url, "/api/reconciliation?chainId=1");
  expect(otherChain.status).toBe(404);
  expect(otherChain.type).toBe("application/problem+json");
  expect(otherChain.body).toMatchObject({
    title: "Unknown chain",
    detail: "Chain 1 is not indexed here (31337).",
    errors: [{ parameter: "chainId", message: "one of 31337" }],
  });
  expect((await get(url, "/api/reconciliation?chainId=31337")).body.chainId).toBe(31337);

  const missing = await get(url, "/api/nothing");
  expect(missing.status).toBe(404);
  expect(missing.body.title).toBe("Not found");
}
