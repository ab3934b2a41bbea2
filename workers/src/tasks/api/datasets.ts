// Dataset routes: live contribution weights, exporting a version, reading exports and Merkle proofs.
import { createRoute, z } from "@hono/zod-openapi";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  addressSchema,
  bytes32Schema,
  datasetExportSchema,
  weightsFileSchema,
  weightsResponseSchema,
} from "@tributary/schemas/tasks";
import { AppError } from "../../errors.ts";
import { type ExportRow, exportDataset, toDatasetExport } from "../export.ts";
import { tasksApp } from "../validation.ts";
import { computeWeights } from "../weights.ts";
import { authed, json, problems } from "./responses.ts";

const datasetParams = z.object({ datasetId: bytes32Schema });
const versionParams = datasetParams.extend({ version: z.coerce.number().int().min(1) });

async function requireDatasetOwner(db: D1Database, datasetId: string, account: string): Promise<void> {
  const row = await db
    .prepare("SELECT owner FROM projects WHERE dataset_id = ? LIMIT 1")
    .bind(datasetId)
    .first<{ owner: string }>();
  if (!row) throw new AppError("not_found", `No project annotates dataset ${datasetId}.`, { param: "datasetId" });
  if (row.owner !== account) throw new AppError("forbidden", "Only the dataset owner may do this.");
}

async function getExport(db: D1Database, datasetId: string, version: number): Promise<ExportRow> {
  const row = await db
    .prepare("SELECT * FROM dataset_exports WHERE dataset_id = ? AND version = ?")
    .bind(datasetId, version)
    .first<ExportRow>();
  if (!row)
    throw new AppError("not_found", `No export version ${version} of dataset ${datasetId}.`, { param: "version" });
  return row;
}

export const datasets = tasksApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/datasets/{datasetId}/weights",
      tags: ["owner"],
      summary: "Current contribution weights: Σ floor(accepted × rewardWeight × qualityBps / 10000) per project.",
      ...authed,
      request: { params: datasetParams },
      responses: { 200: json(weightsResponseSchema, "The weights."), ...problems },
    }),
    async (c) => {
      const datasetId = c.req.valid("param").datasetId.toLowerCase();
      await requireDatasetOwner(c.env.TASKS_DB, datasetId, c.var.account);
      const { weights, total } = await computeWeights(c.env.TASKS_DB, datasetId);
      return c.json({ datasetId, weights, totalWeight: total.toString() }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/datasets/{datasetId}/exports",
      tags: ["owner"],
      summary: "Export the next version: accepted labels as JSONL (sha256) and the weights Merkle tree, in R2.",
      ...authed,
      request: { params: datasetParams },
      responses: { 201: json(datasetExportSchema, "The export record."), ...problems },
    }),
    async (c) => {
      const datasetId = c.req.valid("param").datasetId.toLowerCase();
      await requireDatasetOwner(c.env.TASKS_DB, datasetId, c.var.account);
      return c.json(await exportDataset(c.env, datasetId, c.var.account, Date.now()), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/datasets/{datasetId}/exports",
      tags: ["public"],
      summary: "Every exported version of a dataset, newest first.",
      request: { params: datasetParams },
      responses: { 200: json(z.object({ exports: z.array(datasetExportSchema) }), "The exports."), 400: problems[400] },
    }),
    async (c) => {
      const { results } = await c.env.TASKS_DB.prepare(
        "SELECT * FROM dataset_exports WHERE dataset_id = ? ORDER BY version DESC",
      )
        .bind(c.req.valid("param").datasetId.toLowerCase())
        .all<ExportRow>();
      return c.json({ exports: results.map(toDatasetExport) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/datasets/{datasetId}/exports/{version}/proofs/{account}",
      tags: ["public"],
      summary: "An account's weight in an export and its Merkle proof against the export's root.",
      request: { params: versionParams.extend({ account: addressSchema }) },
      responses: {
        200: json(
          z.object({ account: addressSchema, weight: z.string(), proof: z.array(z.string()), merkleRoot: z.string() }),
          "The leaf and its proof.",
        ),
        400: problems[400],
        404: problems[404],
      },
    }),
    async (c) => {
      const { datasetId, version, account } = c.req.valid("param");
      const row = await getExport(c.env.TASKS_DB, datasetId.toLowerCase(), version);
      const object = await c.env.BUCKET.get(row.weights_key);
      if (!object) throw new Error(`Weights file ${row.weights_key} is missing from R2.`);
      const file = weightsFileSchema.parse(await object.json());
      const tree = StandardMerkleTree.load(
        file.tree as Parameters<typeof StandardMerkleTree.load<[string, string]>>[0],
      );
      for (const [i, leaf] of tree.entries()) {
        if (leaf[0].toLowerCase() === account.toLowerCase()) {
          return c.json({ account: leaf[0], weight: leaf[1], proof: tree.getProof(i), merkleRoot: tree.root }, 200);
        }
      }
      throw new AppError("not_found", `Account ${account} has no weight in version ${version}.`, { param: "account" });
    },
  );
