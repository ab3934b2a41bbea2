// Export of a dataset version: accepted labels as JSONL and the contributor weights tree, in R2 and D1.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { DatasetExport, LabelValue, WeightsFile } from "@tributary/schemas/tasks";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { computeWeights } from "./weights.ts";

/** The leaf encoding the contracts verify: keccak256(keccak256(abi.encode(account, weight))). */
export const LEAF_ENCODING: ["address", "uint256"] = ["address", "uint256"];

export type ExportRow = {
  id: string;
  dataset_id: string;
  version: number;
  labels_key: string;
  labels_sha256: string;
  labels_count: number;
  weights_key: string;
  merkle_root: string;
  total_weight: string;
  accounts: number;
  created_at: number;
};

export function toDatasetExport(r: ExportRow): DatasetExport {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    version: r.version,
    labelsKey: r.labels_key,
    labelsSha256: r.labels_sha256,
    labelsCount: r.labels_count,
    weightsKey: r.weights_key,
    merkleRoot: r.merkle_root,
    totalWeight: r.total_weight,
    accounts: r.accounts,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

type DoneItem = {
  id: string;
  project_id: string;
  external_id: string | null;
  text: string | null;
  object_key: string | null;
  content_type: string | null;
  final_value: string;
  annotators: string | null;
};

/** Rows read per query while building the JSONL, so large datasets stay within D1's result limits. */
const PAGE = 500;

/** One JSON object per decided item: its input, the decided label and who gave accepted labels. */
async function labelsJsonl(db: D1Database, datasetId: string): Promise<{ body: string; count: number }> {
  const { results: projectIds } = await db
    .prepare("SELECT id FROM projects WHERE dataset_id = ? ORDER BY created_at, id")
    .bind(datasetId)
    .all<{ id: string }>();
  const lines: string[] = [];
  for (const { id: projectId } of projectIds) {
    for (let after = 0; ; ) {
      const { results } = await db
        .prepare(
          `SELECT i.id, i.seq, i.project_id, i.external_id, i.text, i.object_key, i.content_type, i.final_value,
                  (SELECT group_concat(annotator, ',') FROM (SELECT annotator FROM labels
                    WHERE item_id = i.id AND status = 'accepted' ORDER BY annotator)) AS annotators
           FROM items i
           WHERE i.project_id = ? AND i.seq > ? AND i.is_gold = 0 AND i.status = 'done' AND i.final_value IS NOT NULL
           ORDER BY i.seq LIMIT ?`,
        )
        .bind(projectId, after, PAGE)
        .all<DoneItem & { seq: number }>();
      for (const r of results) {
        lines.push(
          JSON.stringify({
            project: r.project_id,
            item: r.id,
            externalId: r.external_id,
            ...(r.text !== null ? { text: r.text } : { objectKey: r.object_key, contentType: r.content_type }),
            label: JSON.parse(r.final_value) as LabelValue,
            annotators: r.annotators ? r.annotators.split(",") : [],
          }),
        );
      }
      const last = results.at(-1);
      if (!last || results.length < PAGE) break;
      after = last.seq;
    }
  }
  return { body: lines.map((l) => `${l}\n`).join(""), count: lines.length };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `0x${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Writes the next version of `datasetId`: the JSONL and the weights file go to R2 under keys unique
 * to this export, then one INSERT records it. A concurrent export of the same version loses on the
 * unique (dataset, version) index and gets a conflict; its R2 objects stay unreferenced.
 */
export async function exportDataset(
  env: Env,
  datasetId: string,
  createdBy: string,
  now: number,
): Promise<DatasetExport> {
  const db = env.TASKS_DB;
  const { weights, total } = await computeWeights(db, datasetId);
  if (weights.length === 0) throw new AppError("conflict", "This dataset has no accepted work to export yet.");
  const jsonl = await labelsJsonl(db, datasetId);
  const bytes = new TextEncoder().encode(jsonl.body);
  const labelsSha256 = await sha256Hex(bytes);
  const tree = StandardMerkleTree.of(
    weights.map((w) => [w.account, w.weight]),
    LEAF_ENCODING,
  );
  const last = await db
    .prepare("SELECT coalesce(max(version), 0) AS v FROM dataset_exports WHERE dataset_id = ?")
    .bind(datasetId)
    .first<{ v: number }>();
  const version = (last?.v ?? 0) + 1;
  const id = newId();
  const prefix = `tasks/exports/${datasetId}/v${version}-${id}`;
  const file: WeightsFile = {
    datasetId,
    version,
    leafEncoding: LEAF_ENCODING,
    merkleRoot: tree.root,
    totalWeight: total.toString(),
    weights,
    tree: tree.dump(),
  };
  await Promise.all([
    env.BUCKET.put(`${prefix}/labels.jsonl`, bytes, {
      httpMetadata: { contentType: "application/x-ndjson" },
      customMetadata: { sha256: labelsSha256 },
    }),
    env.BUCKET.put(`${prefix}/weights.json`, JSON.stringify(file), {
      httpMetadata: { contentType: "application/json" },
    }),
  ]);
  const row: ExportRow = {
    id,
    dataset_id: datasetId,
    version,
    labels_key: `${prefix}/labels.jsonl`,
    labels_sha256: labelsSha256,
    labels_count: jsonl.count,
    weights_key: `${prefix}/weights.json`,
    merkle_root: tree.root,
    total_weight: total.toString(),
    accounts: weights.length,
    created_at: now,
  };
  try {
    await db
      .prepare(
        `INSERT INTO dataset_exports (id, dataset_id, version, labels_key, labels_sha256, labels_count, weights_key,
           merkle_root, total_weight, accounts, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        row.id,
        datasetId,
        version,
        row.labels_key,
        labelsSha256,
        row.labels_count,
        row.weights_key,
        row.merkle_root,
        row.total_weight,
        row.accounts,
        createdBy,
        now,
      )
      .run();
  } catch (cause) {
    throw new AppError(
      "conflict",
      `Version ${version} of this dataset was exported concurrently; try again.`,
      {},
      { cause },
    );
  }
  return toDatasetExport(row);
}
