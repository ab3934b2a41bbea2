// Wire schemas of contribution weights and dataset exports (the dataset's on-chain contributor split).
import { z } from "zod";
import { addressSchema, bytes32Schema, idSchema } from "./common.ts";

/** One leaf of the contributor tree: StandardMerkleTree ["address", "uint256"] = (account, weight). */
export const weightSchema = z
  .object({
    account: addressSchema,
    /** Decimal string of a uint256. */
    weight: z.string().regex(/^[0-9]+$/),
  })
  .meta({ id: "Weight" });
export type Weight = z.infer<typeof weightSchema>;

export const weightsResponseSchema = z.object({
  datasetId: bytes32Schema,
  weights: z.array(weightSchema),
  totalWeight: z.string(),
});

export const datasetExportSchema = z
  .object({
    id: idSchema,
    datasetId: bytes32Schema,
    version: z.number().int(),
    labelsKey: z.string(),
    /** 0x sha256 of the JSONL bytes in R2. */
    labelsSha256: z.string(),
    labelsCount: z.number().int(),
    weightsKey: z.string(),
    merkleRoot: z.string(),
    totalWeight: z.string(),
    accounts: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: "DatasetExport" });
export type DatasetExport = z.infer<typeof datasetExportSchema>;

/** The JSON stored at `weightsKey`: the list, its totals and the StandardMerkleTree dump for proofs. */
export const weightsFileSchema = z.object({
  datasetId: bytes32Schema,
  version: z.number().int(),
  leafEncoding: z.tuple([z.literal("address"), z.literal("uint256")]),
  merkleRoot: z.string(),
  totalWeight: z.string(),
  weights: z.array(weightSchema),
  tree: z.unknown(),
});
export type WeightsFile = z.infer<typeof weightsFileSchema>;
