// D1 tables of the tasks database (binding TASKS_DB): annotation projects, items, leases, labels, exports.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Sign-In with Ethereum nonces: each is consumed once, so a signed message cannot be replayed. */
export const siweNonces = sqliteTable("siwe_nonces", {
  nonce: text("nonce").primaryKey(),
  /** Unix milliseconds. */
  expiresAt: integer("expires_at").notNull(),
  /** Unix milliseconds; null until a message carrying this nonce signed in. */
  usedAt: integer("used_at"),
});

/** An annotation project feeding one dataset asset (bytes32 hex), owned by the wallet that created it. */
export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    /** Lower-case 0x address of the dataset owner. */
    owner: text("owner").notNull(),
    /** bytes32 asset id of the dataset on-chain, lower-case 0x hex. */
    datasetId: text("dataset_id").notNull(),
    name: text("name").notNull(),
    instructions: text("instructions").notNull(),
    /** JSON of the label schema (see schemas/src/tasks). */
    labelSchema: text("label_schema").notNull(),
    overlap: integer("overlap").notNull(),
    /** Share of claims that serve a gold item, basis points. */
    goldRatioBps: integer("gold_ratio_bps").notNull(),
    leaseTtlSeconds: integer("lease_ttl_seconds").notNull(),
    /** Weight units earned per accepted label before the quality factor. */
    rewardWeight: integer("reward_weight").notNull(),
    /** Gold items an annotator must answer before regular items; 0 = no qualification. */
    qualificationGold: integer("qualification_gold").notNull().default(0),
    qualificationMinBps: integer("qualification_min_bps").notNull().default(0),
    /** Pairwise agreement at or above which a span/box label is accepted, basis points. */
    agreementBps: integer("agreement_bps").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("projects_dataset").on(t.datasetId),
    index("projects_owner").on(t.owner),
    check("projects_overlap", sql`${t.overlap} BETWEEN 1 AND 9`),
  ],
);

/** Wallets that may review a project's labels besides its owner. */
export const projectReviewers = sqliteTable(
  "project_reviewers",
  {
    projectId: text("project_id").notNull(),
    reviewer: text("reviewer").notNull(),
  },
  (t) => [uniqueIndex("project_reviewers_pk").on(t.projectId, t.reviewer)],
);

/**
 * One unit of work. `status`: open (collecting labels), review (consensus inconclusive),
 * done (every label decided). Gold items stay open: every annotator may answer each once.
 */
export const items = sqliteTable(
  "items",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    /** Insertion order within the project; ties in the claim order break on it. */
    seq: integer("seq").notNull(),
    externalId: text("external_id"),
    /** Inline text payload, or null when the payload is an R2 object. */
    text: text("text"),
    objectKey: text("object_key"),
    contentType: text("content_type"),
    isGold: integer("is_gold").notNull().default(0),
    /** JSON of the expected label for gold items. */
    goldValue: text("gold_value"),
    status: text("status", { enum: ["open", "review", "done"] })
      .notNull()
      .default("open"),
    /** Labels submitted so far (denormalized so the claim can walk an index in completion order). */
    submittedCount: integer("submitted_count").notNull().default(0),
    /** JSON of the decided label (consensus or reviewer override); null until decided. */
    finalValue: text("final_value"),
    decidedBy: text("decided_by", { enum: ["consensus", "review"] }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    // Matches the claim's ORDER BY submitted_count DESC, seq exactly, so the claim stops at the first
    // eligible item instead of sorting every open item of the project.
    index("items_claim_order").on(t.projectId, t.isGold, t.status, sql`${t.submittedCount} DESC`, t.seq),
    uniqueIndex("items_project_seq").on(t.projectId, t.seq),
  ],
);

/**
 * A lease of one slot of an item to one annotator. `state`: leased, submitted, released, skipped,
 * expired. A lease whose `expires_at` passed no longer counts against the item's overlap.
 */
export const assignments = sqliteTable(
  "assignments",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    itemId: text("item_id").notNull(),
    annotator: text("annotator").notNull(),
    isGold: integer("is_gold").notNull().default(0),
    state: text("state", { enum: ["leased", "submitted", "released", "skipped", "expired"] }).notNull(),
    leasedAt: integer("leased_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    endedAt: integer("ended_at"),
  },
  (t) => [
    // The safety net of the claim: one live (or finished) slot per annotator per item.
    uniqueIndex("assignments_item_annotator")
      .on(t.itemId, t.annotator)
      .where(sql`state IN ('leased', 'submitted', 'skipped')`),
    index("assignments_item_state").on(t.itemId, t.state, t.expiresAt),
    index("assignments_annotator").on(t.projectId, t.annotator, t.state),
  ],
);

/**
 * A submitted label. `status`: gold (graded against a gold item), pending, accepted, rejected.
 * `goldCorrect` is 1/0 for gold labels and null otherwise.
 */
export const labels = sqliteTable(
  "labels",
  {
    id: text("id").primaryKey(),
    assignmentId: text("assignment_id").notNull(),
    projectId: text("project_id").notNull(),
    itemId: text("item_id").notNull(),
    annotator: text("annotator").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    value: text("value").notNull(),
    status: text("status", { enum: ["gold", "pending", "accepted", "rejected"] }).notNull(),
    goldCorrect: integer("gold_correct"),
    decidedBy: text("decided_by", { enum: ["consensus", "review"] }),
    reviewer: text("reviewer"),
    submittedAt: integer("submitted_at").notNull(),
    decidedAt: integer("decided_at"),
  },
  (t) => [
    uniqueIndex("labels_assignment").on(t.assignmentId),
    uniqueIndex("labels_idempotency").on(t.annotator, t.idempotencyKey),
    index("labels_item").on(t.itemId),
    index("labels_project_annotator").on(t.projectId, t.annotator, t.status),
  ],
);

/**
 * One exported version of a dataset: accepted labels (JSONL in R2) and the contributor weights
 * whose Merkle root is committed on-chain. Read by the settlement job.
 */
export const datasetExports = sqliteTable(
  "dataset_exports",
  {
    id: text("id").primaryKey(),
    datasetId: text("dataset_id").notNull(),
    version: integer("version").notNull(),
    /** R2 key of the JSONL of accepted labels. */
    labelsKey: text("labels_key").notNull(),
    /** 0x sha256 of the JSONL bytes exactly as stored. */
    labelsSha256: text("labels_sha256").notNull(),
    labelsCount: integer("labels_count").notNull(),
    /** R2 key of the JSON weights list and its StandardMerkleTree dump. */
    weightsKey: text("weights_key").notNull(),
    /** 0x root of StandardMerkleTree over ["address", "uint256"] leaves (account, weight). */
    merkleRoot: text("merkle_root").notNull(),
    /** Sum of all weights, decimal string (uint256). */
    totalWeight: text("total_weight").notNull(),
    accounts: integer("accounts").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("dataset_exports_version").on(t.datasetId, t.version)],
);
