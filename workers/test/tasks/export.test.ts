// Contribution weights and dataset export: JSONL hash in R2, Merkle root and proofs, D1 record.

import { env } from "cloudflare:workers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { DatasetExport, WeightsFile } from "@tributary/schemas/tasks";
import { sha256 } from "viem";
import { describe, expect, it } from "vitest";
import {
  addTextItems,
  call,
  claim,
  createProject,
  expectJson,
  freshSession,
  randomDatasetId,
  submit,
} from "./helpers.ts";

type Session = Awaited<ReturnType<typeof freshSession>>;

/** Claims and submits until nothing is left; `answer` sees the item text. */
async function work(who: Session, projectId: string, times: number, answer: (text: string) => object) {
  for (let i = 0; i < times; i++) {
    const lease = await claim(who.token, projectId);
    if (!lease) throw new Error("nothing to claim");
    expect((await submit(who.token, lease.assignment.id, answer(lease.item.text ?? ""))).status).toBe(201);
  }
}

describe("contribution weights and dataset export", () => {
  it("weights accepted work by reward and gold accuracy, exports JSONL and a verifiable Merkle tree", async () => {
    const owner = await freshSession();
    const datasetId = randomDatasetId().toLowerCase();
    const gold = await createProject(owner.token, { datasetId, overlap: 1, goldRatioBps: 5_000, rewardWeight: 100 });
    await addTextItems(
      owner.token,
      gold.id,
      ["g1", "g2", "r1", "r2", "r3", "r4"],
      [{ choice: "pos" }, { choice: "neg" }],
    );
    const plain = await createProject(owner.token, { datasetId, overlap: 1, rewardWeight: 7 });
    await addTextItems(owner.token, plain.id, ["p1", "p2", "p3"]);
    const a = await freshSession();
    const b = await freshSession();
    // a answers "pos" always: gold 1/2 right → quality 5000 bps; b knows the gold answers → 10000 bps.
    await work(a, gold.id, 4, () => ({ choice: "pos" }));
    await work(b, gold.id, 4, (t) => ({ choice: t === "g2" ? "neg" : "pos" }));
    await work(a, plain.id, 3, () => ({ choice: "neg" }));
    // a: floor(2 × 100 × 5000 / 10000) + floor(3 × 7 × 10000 / 10000) = 121; b: 2 × 100 = 200.
    const expected = [
      { account: a.address, weight: "121" },
      { account: b.address, weight: "200" },
    ].sort((x, y) => (x.account < y.account ? -1 : 1));
    const live = await expectJson<{ weights: unknown; totalWeight: string }>(
      await call(`/tasks/datasets/${datasetId}/weights`, { token: owner.token }),
      200,
    );
    expect(live).toMatchObject({ weights: expected, totalWeight: "321" });

    await expectJson(await call(`/tasks/datasets/${datasetId}/exports`, { token: a.token, method: "POST" }), 403);
    const exported = await expectJson<DatasetExport>(
      await call(`/tasks/datasets/${datasetId}/exports`, { token: owner.token, method: "POST" }),
      201,
    );
    expect(exported).toMatchObject({ datasetId, version: 1, labelsCount: 7, totalWeight: "321", accounts: 2 });

    // The record is readable from D1 by the settlement job.
    const row = await env.TASKS_DB.prepare("SELECT * FROM dataset_exports WHERE dataset_id = ? AND version = 1")
      .bind(datasetId)
      .first<{
        merkle_root: string;
        total_weight: string;
        labels_key: string;
        weights_key: string;
      }>();
    expect(row).toMatchObject({ merkle_root: exported.merkleRoot, total_weight: "321" });

    // The JSONL in R2 hashes to the recorded sha256 and holds every decided item.
    const jsonl = await env.BUCKET.get(exported.labelsKey);
    const bytes = new Uint8Array(await (jsonl as R2ObjectBody).arrayBuffer());
    expect(sha256(bytes)).toBe(exported.labelsSha256);
    const lines = new TextDecoder()
      .decode(bytes)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines.filter((l) => l.text === "p1")[0]).toMatchObject({
      label: { choice: "neg" },
      annotators: [a.address],
    });
    expect(lines.every((l) => !String(l.text).startsWith("g"))).toBe(true);

    // The weights file holds the list and the tree; every leaf verifies against the root.
    const file = (await (await env.BUCKET.get(exported.weightsKey))?.json()) as WeightsFile;
    expect(file).toMatchObject({
      merkleRoot: exported.merkleRoot,
      totalWeight: "321",
      weights: expected,
      leafEncoding: ["address", "uint256"],
    });
    const tree = StandardMerkleTree.load(file.tree as Parameters<typeof StandardMerkleTree.load<[string, string]>>[0]);
    expect(tree.root).toBe(exported.merkleRoot);
    expect(
      StandardMerkleTree.of(
        expected.map((w) => [w.account, w.weight]),
        ["address", "uint256"],
      ).root,
    ).toBe(exported.merkleRoot);
    for (const [i, leaf] of tree.entries()) {
      expect(StandardMerkleTree.verify(exported.merkleRoot, ["address", "uint256"], leaf, tree.getProof(i))).toBe(true);
    }
    expect(file.weights.reduce((s, w) => s + BigInt(w.weight), 0n)).toBe(321n);

    // The proof endpoint serves the same proof to anyone.
    const proof = await expectJson<{ weight: string; proof: string[]; merkleRoot: string }>(
      await call(`/tasks/datasets/${datasetId}/exports/1/proofs/${b.address}`),
      200,
    );
    expect(proof.weight).toBe("200");
    expect(
      StandardMerkleTree.verify(exported.merkleRoot, ["address", "uint256"], [b.address, "200"], proof.proof),
    ).toBe(true);
    await expectJson(await call(`/tasks/datasets/${datasetId}/exports/1/proofs/${owner.address}`), 404);

    const second = await expectJson<DatasetExport>(
      await call(`/tasks/datasets/${datasetId}/exports`, { token: owner.token, method: "POST" }),
      201,
    );
    expect(second.version).toBe(2);
    expect(second.merkleRoot).toBe(exported.merkleRoot);
    const list = await expectJson<{ exports: DatasetExport[] }>(
      await call(`/tasks/datasets/${datasetId}/exports`),
      200,
    );
    expect(list.exports.map((e) => e.version)).toEqual([2, 1]);
  }, 30_000);

  it("refuses to export a dataset without accepted work", async () => {
    const owner = await freshSession();
    const project = await createProject(owner.token);
    await expectJson(
      await call(`/tasks/datasets/${project.datasetId}/exports`, { token: owner.token, method: "POST" }),
      409,
    );
    await expectJson(
      await call(`/tasks/datasets/${randomDatasetId()}/exports`, { token: owner.token, method: "POST" }),
      404,
    );
    await expectJson(await call(`/tasks/datasets/0x1234/exports`, { token: owner.token, method: "POST" }), 400);
  });
});
