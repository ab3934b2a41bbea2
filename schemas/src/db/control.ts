// D1 tables of the control database (binding DB): keys, models, routes, synced licenses and escrow, spend holds.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Money columns hold integer base units of the payment token (SQLite INTEGER, 64-bit); read them with CAST(... AS TEXT). */

/** API keys: only the SHA-256 of the secret is stored; `prefix` is the recognisable start shown in listings. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    hash: text("hash").notNull(),
    prefix: text("prefix").notNull(),
    name: text("name").notNull().default(""),
    payer: text("payer").notNull(),
    /** JSON array of model names, or null for every model the payer holds a license for. */
    models: text("models"),
    rpm: integer("rpm"),
    tpm: integer("tpm"),
    /** Spend per UTC day in base units of the payment token, or null for no daily cap. */
    dailySpendLimit: integer("daily_spend_limit"),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.hash), index("api_keys_payer").on(t.payer)],
);

/** Model names callers use, each backed by a model asset of the registry. */
export const models = sqliteTable("models", {
  name: text("name").primaryKey(),
  assetId: text("asset_id").notNull(),
  ownedBy: text("owned_by").notNull().default("tributary"),
  /** Output cap used to reserve the worst case when the caller sets no max_tokens. */
  maxOutputTokens: integer("max_output_tokens").notNull().default(4096),
  kind: text("kind").notNull().default("chat"),
  active: integer("active").notNull().default(1),
  updatedAt: integer("updated_at").notNull(),
});

/** Upstream routes of a model, tried in ascending priority. */
export const modelRoutes = sqliteTable(
  "model_routes",
  {
    id: text("id").primaryKey(),
    model: text("model").notNull(),
    priority: integer("priority").notNull(),
    baseUrl: text("base_url").notNull(),
    /** Name of the worker secret holding the upstream API key; null sends no Authorization header. */
    secretName: text("secret_name"),
    upstreamModel: text("upstream_model").notNull(),
    timeoutMs: integer("timeout_ms").notNull().default(30000),
    maxRetries: integer("max_retries").notNull().default(1),
    /**
     * The field the upstream takes the output cap in: `max_tokens` or `max_completion_tokens` (OpenAI's reasoning
     * models refuse `max_tokens`); null sends it in the field the client used, `max_tokens` when it used none.
     */
    maxTokensParam: text("max_tokens_param"),
  },
  (t) => [uniqueIndex("model_routes_model_priority").on(t.model, t.priority)],
);

/** License terms synced from the licensing contract. */
export const licenseTerms = sqliteTable("license_terms", {
  id: text("id").primaryKey(),
  assetId: text("asset_id").notNull(),
  token: text("token").notNull(),
  pricePerMTokIn: integer("price_per_mtok_in").notNull(),
  pricePerMTokOut: integer("price_per_mtok_out").notNull(),
  /** Whether new licenses may be minted under these terms; existing licenses keep their prices either way. */
  active: integer("active").notNull().default(1),
  /** Block the chain sync last read this row at; null when written by the admin API. */
  blockNumber: integer("block_number"),
  updatedAt: integer("updated_at").notNull(),
});

/** Licenses (ERC-721 tokens) synced from the licensing contract: who may use which asset until when. */
export const licenses = sqliteTable(
  "licenses",
  {
    id: text("id").primaryKey(),
    assetId: text("asset_id").notNull(),
    termsId: text("terms_id").notNull(),
    holder: text("holder").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** Block the chain sync last read this row at; null when written by the admin API. */
    blockNumber: integer("block_number"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("licenses_holder_asset").on(t.holder, t.assetId), index("licenses_block").on(t.blockNumber)],
);

/** Escrow balances synced from the escrow contract, per payer and payment token. */
export const escrowBalances = sqliteTable(
  "escrow_balances",
  {
    payer: text("payer").notNull(),
    token: text("token").notNull(),
    balance: integer("balance").notNull(),
    /** Amount of an open withdrawal request: no longer spendable, though still chargeable on-chain until paid out. */
    withdrawal: integer("withdrawal").notNull().default(0),
    /**
     * Sum of the pair's unsettled hold amounts (reservations and unsettled charges), kept by triggers on
     * `spend_holds` (migration 0003), so the reservation checks `balance − withdrawal − held` without summing holds.
     */
    held: integer("held").notNull().default(0),
    /**
     * Block the balance was read at, by the chain sync or by the settler after recording an epoch; null when
     * written by the admin API. Chain writes only replace a balance read at the same or an older block.
     */
    blockNumber: integer("block_number"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.payer, t.token] }), index("escrow_balances_block").on(t.blockNumber)],
);

/**
 * One hold per metered request: the worst case while in flight (state `reserved`), the actual charge once done
 * (`charged`), nothing when the upstream failed (`released`) or when its worker went away before charging it
 * (`expired`, gateway/spend.ts). Unsettled holds count against escrow until the settler marks them settled together
 * with the lowered escrow balance.
 *
 * A row in state `leased` is an isolate's escrow lease (gateway/lease.ts): a slice of a key's spendable escrow that
 * the isolate admits requests against in memory. Its `reserved` is everything ever granted into it, its `amount`
 * what is still held (granted minus the charges written as their own rows); it is `released` (amount 0) when its
 * isolate retires it, or by the next grant for its payer or the hourly housekeeping (gateway/prune.ts) once
 * `expires_at` has passed. The housekeeping deletes released leases once their day is over.
 */
export const spendHolds = sqliteTable(
  "spend_holds",
  {
    requestId: text("request_id").primaryKey(),
    payer: text("payer").notNull(),
    token: text("token").notNull(),
    keyId: text("key_id").notNull(),
    day: text("day").notNull(),
    reserved: integer("reserved").notNull(),
    amount: integer("amount").notNull(),
    state: text("state").notNull(),
    settledAt: integer("settled_at"),
    createdAt: integer("created_at").notNull(),
    /**
     * Leases and per-request reservations: when a hold whose isolate stopped confirming it may be released by anyone
     * (ms since epoch; gateway/lease.ts, gateway/spend.ts). Null on charges.
     */
    expiresAt: integer("expires_at"),
  },
  (t) => [
    // Unsettled holds by time, for the admin `settled_before` marking (gateway/catalog.ts upsertEscrow): time-ordered
    // inserts append to it, where an index led by payer takes a page per payer in every metering batch.
    index("spend_holds_unsettled_by_time").on(t.createdAt).where(sql`settled_at IS NULL`),
    index("spend_holds_key_day").on(t.keyId, t.day),
    index("spend_holds_leases").on(t.payer, t.token, t.expiresAt).where(sql`state = 'leased'`),
    index("spend_holds_reservations").on(t.payer, t.token, t.expiresAt).where(sql`state = 'reserved'`),
  ],
);

/** The chain sync's cursor per chain: last block read and its hash (reorg check), and a lease against overlapping runs. */
export const chainSync = sqliteTable("chain_sync", {
  chainId: text("chain_id").primaryKey(),
  blockNumber: integer("block_number"),
  blockHash: text("block_hash"),
  leaseUntil: integer("lease_until").notNull().default(0),
  updatedAt: integer("updated_at").notNull(),
});

/** Fixed one-minute windows counting requests and tokens per key, for rpm/tpm limits; old ones are deleted hourly. */
export const rateWindows = sqliteTable(
  "rate_windows",
  {
    keyId: text("key_id").notNull(),
    window: integer("window").notNull(),
    requests: integer("requests").notNull(),
    tokens: integer("tokens").notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.window] })],
);

/** Sign-In with Ethereum nonces, single use. */
export const siweNonces = sqliteTable("siwe_nonces", {
  nonce: text("nonce").primaryKey(),
  expiresAt: integer("expires_at").notNull(),
});

/** Short-lived payer sessions; only the SHA-256 of the token is stored. Expired ones are deleted hourly. */
export const payerSessions = sqliteTable("payer_sessions", {
  tokenHash: text("token_hash").primaryKey(),
  payer: text("payer").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * The settler's state machine, one row per epoch it closes (docs/settlement.md): `assigned` (usage records
 * tagged with the epoch id up to the watermark) → `built` (manifest in R2, root known) → `posted` (transaction
 * sent) → `settled` (mined; holds marked settled). Ids are the ledger's epoch ids.
 */
export const settlementEpochs = sqliteTable(
  "settlement_epochs",
  {
    epochId: integer("epoch_id").primaryKey(),
    status: text("status").notNull(),
    /** Usage records created before this instant (ms since 1970) are in the epoch unless carried over. */
    watermark: integer("watermark").notNull(),
    /** License fees held in blocks fromBlock..toBlock (inclusive) are attributed in this epoch. */
    fromBlock: integer("from_block").notNull(),
    toBlock: integer("to_block").notNull(),
    manifestKey: text("manifest_key"),
    root: text("root"),
    usageDigest: text("usage_digest"),
    recordCount: integer("record_count"),
    payerCount: integer("payer_count"),
    /** Payer/token pairs whose escrow could not cover their charges; their records wait for a later epoch. */
    shortfallCount: integer("shortfall_count"),
    txHash: text("tx_hash"),
    blockNumber: integer("block_number"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /**
     * When the epoch's usage records were archived to R2 and deleted from the meter databases, with its settled
     * holds (settler/archive.ts); null while they are still in D1.
     */
    archivedAt: integer("archived_at"),
  },
  (t) => [index("settlement_epochs_status").on(t.status)],
);

/**
 * What each meter database metered for an archived epoch, per payer and token, summed from its records before they
 * were deleted: reconciliation (settler/metering.ts) reads these in place of the records.
 */
export const archivedMetering = sqliteTable(
  "archived_metering",
  {
    epochId: integer("epoch_id").notNull(),
    /** The meter database's binding (SETTLEMENT_METER_BINDINGS). */
    binding: text("binding").notNull(),
    payer: text("payer").notNull(),
    token: text("token").notNull(),
    /** Integer base units of `token` (read with CAST(amount AS TEXT)). */
    amount: integer("amount").notNull(),
    records: integer("records").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epochId, t.binding, t.payer, t.token] })],
);
