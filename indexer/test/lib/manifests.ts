// Settlement manifests of the scenario's epochs in the settler's format (docs/settlement.md), and a local
// HTTP server standing in for the settler's GET /settlement/epochs/:id/manifest.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Hex, keccak256, stringToHex } from "viem";
import { accrualTree, type Facts } from "./scenario.ts";

type Accrual = [account: Hex, amount: bigint, cumulative: bigint];

/** One manifest as the settler writes it: amounts as decimal strings, the tree as StandardMerkleTree.dump(). */
function manifest(
  f: Facts,
  epochId: number,
  parentEpochId: number,
  charge: bigint,
  licenseFees: bigint,
  accruals: Accrual[],
) {
  const tree = accrualTree(
    f.token,
    accruals.map(([account, , cumulative]) => [account, cumulative]),
  );
  return {
    format: "tributary.settlement-manifest/1",
    chainId: 31337,
    epochId,
    parentEpochId,
    usage: {
      digest: keccak256(stringToHex(`usage-${epochId}`)),
      recordCount: 3,
      regions: [{ binding: "METER_DB", records: 3 }],
    },
    charges: [{ payer: f.bob, token: f.token, amount: String(charge), records: 3 }],
    shortfalls: [],
    totals: [{ token: f.token, charged: String(charge), licenseFees: String(licenseFees), protocolFee: "0" }],
    accruals: accruals.map(([account, amount, cumulative]) => ({
      account,
      token: f.token,
      amount: String(amount),
      cumulative: String(cumulative),
    })),
    root: tree.root,
    tree: tree.dump(),
  };
}

/** Manifests of epochs 1 (final), 2 (vetoed) and 3 (pending), matching what the scenario posted. */
export function scenarioManifests(f: Facts): Map<string, Record<string, unknown>> {
  const m = (n: bigint) => n * 1_000_000n;
  return new Map([
    [
      "1",
      manifest(f, 1, 0, m(30n), m(5n), [
        [f.carol, m(20n), m(20n)],
        [f.dave, m(15n), m(15n)],
      ]),
    ],
    [
      "2",
      manifest(f, 2, 1, m(1n), 0n, [
        [f.carol, 500_000n, 20_500_000n],
        [f.dave, 500_000n, 15_500_000n],
      ]),
    ],
    [
      "3",
      manifest(f, 3, 1, m(2n), 0n, [
        [f.carol, m(1n), m(21n)],
        [f.dave, m(1n), m(16n)],
      ]),
    ],
  ]);
}

export type ManifestServer = {
  url: string;
  manifests: Map<string, Record<string, unknown>>;
  stop: () => Promise<void>;
};

/** Serves `manifests` (mutable: tests tamper with them) at /settlement/epochs/:id/manifest; 404 otherwise. */
export async function startManifestServer(): Promise<ManifestServer> {
  const manifests = new Map<string, Record<string, unknown>>();
  const server = createServer((req, res) => {
    const id = req.url?.match(/^\/settlement\/epochs\/(\d+)\/manifest$/)?.[1];
    const body = id ? manifests.get(id) : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: "not found" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    manifests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
