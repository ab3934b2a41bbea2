// Writes of the model catalog and the synced chain state (terms, licenses, escrow): for the admin API and chain sync.
import { AppError } from "../errors.ts";
import { clearRoutingCache, type MaxTokensParam } from "./routing.ts";

/** Largest amount an SQLite INTEGER holds; synced balances beyond it are stored clamped (refuses spend, never allows it). */
export const INT64_MAX = 9_223_372_036_854_775_807n;

export type ModelInput = {
  name: string;
  assetId: string;
  ownedBy: string;
  kind: "chat" | "embedding";
  maxOutputTokens: number;
  active: boolean;
};

export type RouteInput = {
  id: string;
  model: string;
  priority: number;
  baseUrl: string;
  secretName: string | null;
  upstreamModel: string;
  timeoutMs: number;
  maxRetries: number;
  maxTokensParam: MaxTokensParam | null;
};

export type TermsInput = {
  id: string;
  assetId: string;
  token: string;
  pricePerMTokIn: bigint;
  pricePerMTokOut: bigint;
  /** Whether new licenses may be minted (default true); prices of existing licenses apply either way. */
  active?: boolean | undefined;
  /** Block the chain sync read the terms at; absent for admin writes. */
  blockNumber?: bigint | undefined;
};
export type LicenseInput = {
  id: string;
  assetId: string;
  termsId: string;
  holder: string;
  /** Unix milliseconds. */
  expiresAt: number;
  blockNumber?: bigint | undefined;
};
/** `settledBefore`: charges created before this instant are already debited in `balance` (epoch settled on-chain). */
export type EscrowInput = {
  payer: string;
  token: string;
  balance: bigint;
  settledBefore?: number | undefined;
  /** Amount of an open on-chain withdrawal request (default 0): not spendable any more. */
  withdrawal?: bigint | undefined;
  blockNumber?: bigint | undefined;
  /** The ledger's tip epoch at `blockNumber` (chain sync only): see `escrowStatement`. */
  ledgerTip?: bigint | undefined;
};

export async function upsertModel(db: D1Database, m: ModelInput): Promise<void> {
  clearRoutingCache();
  await db
    .prepare(
      `INSERT INTO models (name, asset_id, owned_by, kind, max_output_tokens, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET asset_id = excluded.asset_id, owned_by = excluded.owned_by, kind = excluded.kind,
         max_output_tokens = excluded.max_output_tokens, active = excluded.active, updated_at = excluded.updated_at`,
    )
    .bind(m.name, m.assetId.toLowerCase(), m.ownedBy, m.kind, m.maxOutputTokens, m.active ? 1 : 0, Date.now())
    .run();
}

export async function upsertRoute(db: D1Database, r: RouteInput): Promise<void> {
  clearRoutingCache();
  await db
    .prepare(
      `INSERT INTO model_routes (id, model, priority, base_url, secret_name, upstream_model, timeout_ms, max_retries,
         max_tokens_param)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET model = excluded.model, priority = excluded.priority, base_url = excluded.base_url,
         secret_name = excluded.secret_name, upstream_model = excluded.upstream_model, timeout_ms = excluded.timeout_ms,
         max_retries = excluded.max_retries, max_tokens_param = excluded.max_tokens_param`,
    )
    .bind(
      r.id,
      r.model,
      r.priority,
      r.baseUrl.replace(/\/+$/, ""),
      r.secretName,
      r.upstreamModel,
      r.timeoutMs,
      r.maxRetries,
      r.maxTokensParam,
    )
    .run()
    .catch(async (err: unknown) => {
      if (!String((err as Error)?.message).includes("model_routes.model, model_routes.priority")) throw err;
      const taken = await db
        .prepare("SELECT id FROM model_routes WHERE model = ? AND priority = ?")
        .bind(r.model, r.priority)
        .first<{ id: string }>();
      throw new AppError(
        "conflict",
        `The model \`${r.model}\` already has the route \`${taken?.id ?? "?"}\` at priority ${r.priority}; ` +
          "give this route another priority, or change or delete that one.",
        { param: "priority" },
        { cause: err },
      );
    });
}

export async function deleteRoute(db: D1Database, id: string): Promise<boolean> {
  clearRoutingCache();
  const res = await db.prepare("DELETE FROM model_routes WHERE id = ?").bind(id).run();
  return res.meta.changes > 0;
}

const clamp = (amount: bigint) => (amount > INT64_MAX ? INT64_MAX : amount).toString();
const blockOf = (b: bigint | undefined) => (b === undefined ? null : Number(b));

/** The upsert of one terms row, for batching with other writes. */
export function termsStatement(db: D1Database, t: TermsInput): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO license_terms (id, asset_id, token, price_per_mtok_in, price_per_mtok_out, active, block_number, updated_at)
       VALUES (?, ?, ?, CAST(? AS INTEGER), CAST(? AS INTEGER), ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET asset_id = excluded.asset_id, token = excluded.token,
         price_per_mtok_in = excluded.price_per_mtok_in, price_per_mtok_out = excluded.price_per_mtok_out,
         active = excluded.active, block_number = excluded.block_number, updated_at = excluded.updated_at`,
    )
    .bind(
      t.id,
      t.assetId.toLowerCase(),
      t.token.toLowerCase(),
      t.pricePerMTokIn.toString(),
      t.pricePerMTokOut.toString(),
      t.active === false ? 0 : 1,
      blockOf(t.blockNumber),
      Date.now(),
    );
}

export async function upsertTerms(db: D1Database, t: TermsInput): Promise<void> {
  clearRoutingCache();
  await termsStatement(db, t).run();
}

/** The upsert of one license row, for batching with other writes. */
export function licenseStatement(db: D1Database, l: LicenseInput): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO licenses (id, asset_id, terms_id, holder, expires_at, block_number, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET asset_id = excluded.asset_id, terms_id = excluded.terms_id, holder = excluded.holder,
         expires_at = excluded.expires_at, block_number = excluded.block_number, updated_at = excluded.updated_at`,
    )
    .bind(
      l.id,
      l.assetId.toLowerCase(),
      l.termsId,
      l.holder.toLowerCase(),
      l.expiresAt,
      blockOf(l.blockNumber),
      Date.now(),
    );
}

export async function upsertLicense(db: D1Database, l: LicenseInput): Promise<void> {
  clearRoutingCache();
  await licenseStatement(db, l).run();
}

/**
 * The upsert of one escrow row (balance clamped to INT64_MAX, which can only refuse spend), for batching. Chain
 * reads (the sync's and the settler's) carry the block they were read at, and replace a stored row only if it was
 * read at the same or an older block: the newest chain state wins whichever writer lands last, so a sync read from
 * before an epoch's debit can never overwrite the settler's post-debit balance. Admin writes (no block) always apply.
 * `held` is left to the `spend_holds` triggers, and a new row starts it at 0: no hold of a pair holds anything before
 * its escrow row exists (a reservation, a lease grant and a lease's charges all need available escrow, which only the
 * row has; a free model's reservation holds 0), and escrow rows are never deleted.
 * With `ledgerTip` (the chain sync's read of the ledger's tip epoch at the same block), a balance may only go down
 * while an epoch the settler recorded as settled is above the tip, i.e. vetoed and refunded on-chain but its holds
 * not reopened by the settler yet: the refund reaches `balance` only with the settler's reopening, never before it.
 */
export function escrowStatement(db: D1Database, e: EscrowInput, now = Date.now()): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO escrow_balances (payer, token, balance, withdrawal, block_number, updated_at, held)
       VALUES (?1, ?2, CAST(?3 AS INTEGER), CAST(?4 AS INTEGER), ?5, ?6, 0)
       ON CONFLICT(payer, token) DO UPDATE SET
         balance = CASE WHEN ?7 IS NOT NULL AND EXISTS (SELECT 1 FROM settlement_epochs
           WHERE status = 'settled' AND epoch_id > ?7) THEN min(excluded.balance, escrow_balances.balance)
           ELSE excluded.balance END,
         withdrawal = excluded.withdrawal,
         block_number = excluded.block_number, updated_at = excluded.updated_at
       WHERE excluded.block_number IS NULL OR escrow_balances.block_number IS NULL
         OR excluded.block_number >= escrow_balances.block_number`,
    )
    .bind(
      e.payer.toLowerCase(),
      e.token.toLowerCase(),
      clamp(e.balance),
      clamp(e.withdrawal ?? 0n),
      blockOf(e.blockNumber),
      now,
      blockOf(e.ledgerTip),
    );
}

/**
 * Sets a payer's escrow balance as read from the chain. When an epoch was settled, the lowered balance and the
 * "settled" mark on the charges it debited are written in one batch (one transaction), so a charge is never
 * counted twice nor dropped while the balance still includes it.
 */
export async function upsertEscrow(db: D1Database, e: EscrowInput): Promise<void> {
  const now = Date.now();
  const upsert = escrowStatement(db, e, now);
  if (e.settledBefore === undefined) {
    await upsert.run();
    return;
  }
  // Found through the unsettled holds by time (`spend_holds_unsettled_by_time`): every payer's before the instant
  // are read, so the cost grows with what all payers left unsettled, which the settler's marking by request id avoids.
  const settle = db
    .prepare(
      `UPDATE spend_holds SET settled_at = ? WHERE settled_at IS NULL AND created_at < ? AND payer = ? AND token = ?
         AND state IN ('charged', 'released')`,
    )
    .bind(now, e.settledBefore, e.payer.toLowerCase(), e.token.toLowerCase());
  await db.batch([settle, upsert]);
}

/**
 * The escrow view of a payer per token: balance, pending withdrawal, unsettled charges, in-flight per-request
 * reservations, and `leased`: what the gateway's isolates hold in escrow leases (gateway/lease.ts), which includes
 * the worst cases of requests in flight through them and is otherwise still the payer's to spend. `available` is
 * balance − withdrawal − unsettled − reserved: spendable through the gateway, leases included.
 *
 * Reservations and leases are summed from their own small indexes (rows in flight only); the unsettled charges are
 * what `held`, the trigger-kept sum of every unsettled hold, leaves besides them, so no index of all charges by payer
 * is needed (one would take a page per payer in every metering batch).
 */
export async function escrowStatus(db: D1Database, payer: string) {
  const sumOf = (state: string) =>
    `CAST(coalesce((SELECT sum(amount) FROM spend_holds h WHERE h.payer = e.payer AND h.token = e.token
       AND h.state = '${state}' AND h.settled_at IS NULL), 0) AS TEXT)`;
  const { results } = await db
    .prepare(
      `SELECT e.token AS token, CAST(e.balance AS TEXT) AS balance, CAST(e.withdrawal AS TEXT) AS withdrawal,
         CAST(e.held AS TEXT) AS held, ${sumOf("reserved")} AS reserved, ${sumOf("leased")} AS leased
       FROM escrow_balances e WHERE e.payer = ?`,
    )
    .bind(payer.toLowerCase())
    .all<{ token: string; balance: string; withdrawal: string; held: string; reserved: string; leased: string }>();
  return results.map(({ held, ...r }) => {
    const unsettled = BigInt(held) - BigInt(r.reserved) - BigInt(r.leased);
    return {
      token: r.token,
      balance: r.balance,
      withdrawal: r.withdrawal,
      unsettled: unsettled.toString(),
      reserved: r.reserved,
      leased: r.leased,
      available: (BigInt(r.balance) - BigInt(r.withdrawal) - unsettled - BigInt(r.reserved)).toString(),
    };
  });
}
