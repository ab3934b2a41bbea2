// API keys: creation (secret shown once, SHA-256 stored), lookup with a bounded-staleness isolate cache, revocation.
import { AppError } from "../errors.ts";
import { randomHex, sha256Hex } from "./crypto.ts";

/** Every secret starts with this, so leaked keys are recognisable by scanners. */
export const KEY_PREFIX = "trb_";

/** A key as the gateway uses it; money in base units of the payment token. */
export type ApiKey = {
  id: string;
  prefix: string;
  name: string;
  payer: `0x${string}`;
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  dailySpendLimit: bigint | null;
  expiresAt: number | null;
  revokedAt: number | null;
  createdAt: number;
};

export type CreateKeyParameters = {
  payer: `0x${string}`;
  /** Omitted: the key's prefix, as the list shows it anyway. */
  name?: string | undefined;
  models?: string[] | null | undefined;
  rpm?: number | null | undefined;
  tpm?: number | null | undefined;
  dailySpendLimit?: bigint | null | undefined;
  expiresAt?: number | null | undefined;
  createdBy: string;
};

type KeyRow = {
  id: string;
  prefix: string;
  name: string;
  payer: string;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  daily_spend_limit: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
};

const columns =
  "id, prefix, name, payer, models, rpm, tpm, CAST(daily_spend_limit AS TEXT) AS daily_spend_limit, expires_at, revoked_at, created_at";

function fromRow(row: KeyRow): ApiKey {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    payer: row.payer as `0x${string}`,
    models: row.models ? (JSON.parse(row.models) as string[]) : null,
    rpm: row.rpm,
    tpm: row.tpm,
    dailySpendLimit: row.daily_spend_limit === null ? null : BigInt(row.daily_spend_limit),
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}

/**
 * Creates a key and returns it with its secret; the secret is not stored and cannot be shown again. Refuses a key
 * that could never be used: one that has already expired, or one scoped to a model the gateway has not registered
 * (a model is registered before keys name it; a registered model that is inactive or not licensed yet is allowed).
 */
export async function createKey(db: D1Database, p: CreateKeyParameters): Promise<{ key: ApiKey; secret: string }> {
  const now = Date.now();
  if (p.expiresAt != null && p.expiresAt <= now) {
    throw new AppError(
      "invalid_request",
      `expires_at: ${new Date(p.expiresAt).toISOString()} is not in the future; omit expires_at for a key that does not expire.`,
      { param: "expires_at" },
    );
  }
  if (p.models) await requireRegistered(db, p.models);
  const secret = `${KEY_PREFIX}${randomHex(24)}`;
  const id = `key_${randomHex(8)}`;
  const prefix = secret.slice(0, KEY_PREFIX.length + 8);
  await db
    .prepare(
      `INSERT INTO api_keys (id, hash, prefix, name, payer, models, rpm, tpm, daily_spend_limit, expires_at, created_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS INTEGER), ?, ?, ?)`,
    )
    .bind(
      id,
      sha256Hex(secret),
      prefix,
      p.name ?? prefix,
      p.payer,
      p.models ? JSON.stringify(p.models) : null,
      p.rpm ?? null,
      p.tpm ?? null,
      p.dailySpendLimit?.toString() ?? null,
      p.expiresAt ?? null,
      now,
      p.createdBy,
    )
    .run();
  const key = await getKey(db, id);
  if (!key) throw new Error("A key just inserted was not found.");
  return { key, secret };
}

/** Refuses, naming the first, model names that the gateway's catalog does not have. */
async function requireRegistered(db: D1Database, names: string[]): Promise<void> {
  const unknown = await db
    .prepare("SELECT value FROM json_each(?) WHERE value NOT IN (SELECT name FROM models) ORDER BY key LIMIT 1")
    .bind(JSON.stringify(names))
    .first<{ value: string }>();
  if (unknown) {
    throw new AppError(
      "invalid_request",
      `models: no model named "${unknown.value}" is registered at this gateway; a key can only be scoped to registered models.`,
      { param: "models" },
    );
  }
}

export async function getKey(db: D1Database, id: string): Promise<ApiKey | null> {
  const row = await db.prepare(`SELECT ${columns} FROM api_keys WHERE id = ?`).bind(id).first<KeyRow>();
  return row ? fromRow(row) : null;
}

export async function listKeys(db: D1Database, payer?: string): Promise<ApiKey[]> {
  const stmt = payer
    ? db.prepare(`SELECT ${columns} FROM api_keys WHERE payer = ? ORDER BY created_at`).bind(payer)
    : db.prepare(`SELECT ${columns} FROM api_keys ORDER BY created_at`);
  const { results } = await stmt.all<KeyRow>();
  return results.map(fromRow);
}

/** Revokes a key (optionally only if it belongs to `payer`); returns the key, or null when there is none. */
export async function revokeKey(db: D1Database, id: string, payer?: string): Promise<ApiKey | null> {
  const row = await db
    .prepare(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND (? IS NULL OR payer = ?)
       RETURNING ${columns}`,
    )
    .bind(Date.now(), id, payer ?? null, payer ?? null)
    .first<KeyRow>();
  if (!row) return null;
  keyCache.clear();
  return fromRow(row);
}

const keyCache = new Map<string, { key: ApiKey | null; at: number }>();
const KEY_CACHE_MAX = 10_000;

/**
 * Finds the key of a secret. Lookups are cached in the isolate for at most `ttlMs`, which bounds how long a
 * revocation made elsewhere takes to reach this isolate; a revocation through this isolate applies at once.
 */
export async function findKeyBySecret(db: D1Database, secret: string, ttlMs: number): Promise<ApiKey | null> {
  const hash = sha256Hex(secret);
  const hit = keyCache.get(hash);
  if (hit && Date.now() - hit.at < ttlMs) return hit.key;
  const row = await db.prepare(`SELECT ${columns} FROM api_keys WHERE hash = ?`).bind(hash).first<KeyRow>();
  const key = row ? fromRow(row) : null;
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(hash, { key, at: Date.now() });
  return key;
}

/** The key as shown to its owner: never the secret or its hash; money as decimal strings. */
export function keyView(key: ApiKey) {
  return {
    id: key.id,
    object: "api_key" as const,
    prefix: key.prefix,
    name: key.name,
    payer: key.payer,
    models: key.models,
    rpm: key.rpm,
    tpm: key.tpm,
    daily_spend_limit: key.dailySpendLimit?.toString() ?? null,
    expires_at: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    revoked_at: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
    created_at: new Date(key.createdAt).toISOString(),
  };
}
