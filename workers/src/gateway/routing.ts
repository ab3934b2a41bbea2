// Routing: model name → model asset → the caller's valid license and its prices → ordered upstream routes.
import { AppError } from "../errors.ts";
import type { ApiKey } from "./keys.ts";

/** The request fields an upstream may take the output cap in. */
export type MaxTokensParam = "max_tokens" | "max_completion_tokens";

export type Route = {
  id: string;
  priority: number;
  baseUrl: string;
  secretName: string | null;
  upstreamModel: string;
  timeoutMs: number;
  maxRetries: number;
  /** Where this upstream takes the output cap; null: where the client put it (`outputCap`, routes/openai.ts). */
  maxTokensParam: MaxTokensParam | null;
};

/** Everything needed to call and price one request; prices in base units of `token` per million tokens. */
export type Resolved = {
  model: string;
  kind: "chat" | "embedding";
  assetId: string;
  maxOutputTokens: number;
  licenseId: string;
  termsId: string;
  token: string;
  pricePerMTokIn: bigint;
  pricePerMTokOut: bigint;
  routes: Route[];
};

type ModelRow = { name: string; asset_id: string; kind: "chat" | "embedding"; max_output_tokens: number };
type LicenseRow = { id: string; terms_id: string; token: string; p_in: string; p_out: string; expires_at: number };
type RouteRow = {
  id: string;
  priority: number;
  base_url: string;
  secret_name: string | null;
  upstream_model: string;
  timeout_ms: number;
  max_retries: number;
  max_tokens_param: MaxTokensParam | null;
};

const notFound = (model: string) =>
  new AppError("model_not_found", `The model \`${model}\` does not exist or you do not have access to it.`, {
    param: "model",
  });

/** How long a resolution (model, license, prices, routes) is reused by an isolate, in milliseconds. */
export const ROUTING_CACHE_TTL_MS = 5_000;
const cache = new Map<string, { resolved: Resolved; licenseExpiresAt: number; at: number }>();

/** Forgets cached resolutions; catalog writes call it so an isolate sees its own writes at once. */
export function clearRoutingCache(): void {
  cache.clear();
}

/**
 * Resolves a model for a key, or throws the error OpenAI would. Successful resolutions are reused for up to
 * ROUTING_CACHE_TTL_MS (never past the license's expiry), so a catalog or price change reaches every isolate
 * within that bound; otherwise it costs one round trip to the control database.
 */
export async function resolveModel(
  db: D1Database,
  key: ApiKey,
  model: string,
  kind: Resolved["kind"],
): Promise<Resolved> {
  if (key.models && !key.models.includes(model)) throw notFound(model);
  const now = Date.now();
  const cacheKey = `${key.payer}|${model}`;
  const hit = cache.get(cacheKey);
  if (hit && now - hit.at < ROUTING_CACHE_TTL_MS && hit.licenseExpiresAt > now && hit.resolved.kind === kind) {
    return hit.resolved;
  }
  const resolved = await lookup(db, key, model, kind, now);
  if (cache.size >= 10_000) cache.clear();
  cache.set(cacheKey, { resolved: resolved.resolved, licenseExpiresAt: resolved.licenseExpiresAt, at: now });
  return resolved.resolved;
}

async function lookup(
  db: D1Database,
  key: ApiKey,
  model: string,
  kind: Resolved["kind"],
  now: number,
): Promise<{ resolved: Resolved; licenseExpiresAt: number }> {
  const [models, licenses, routes] = await db.batch([
    db.prepare("SELECT name, asset_id, kind, max_output_tokens FROM models WHERE name = ? AND active = 1").bind(model),
    db
      .prepare(
        `SELECT l.id, l.terms_id, l.expires_at, t.token, CAST(t.price_per_mtok_in AS TEXT) AS p_in, CAST(t.price_per_mtok_out AS TEXT) AS p_out
         FROM licenses l JOIN license_terms t ON t.id = l.terms_id
         WHERE l.holder = ? AND l.asset_id = (SELECT asset_id FROM models WHERE name = ?) AND l.expires_at > ?
         ORDER BY l.expires_at DESC LIMIT 1`,
      )
      .bind(key.payer, model, now),
    db
      .prepare(
        `SELECT id, priority, base_url, secret_name, upstream_model, timeout_ms, max_retries, max_tokens_param
         FROM model_routes WHERE model = ? ORDER BY priority`,
      )
      .bind(model),
  ]);
  const m = (models?.results as ModelRow[] | undefined)?.[0];
  if (!m) throw notFound(model);
  if (m.kind !== kind) {
    const endpoint = kind === "chat" ? "/v1/chat/completions" : "/v1/embeddings";
    throw new AppError(
      "invalid_request",
      `The model \`${model}\` is ${m.kind === "chat" ? "a chat" : "an embedding"} model and cannot be used with ${endpoint}.`,
      { param: "model" },
    );
  }
  const license = (licenses?.results as LicenseRow[] | undefined)?.[0];
  if (!license) {
    throw new AppError(
      "forbidden",
      `You hold no valid license for the model \`${model}\`; acquire one on-chain first.`,
      {
        param: "model",
      },
    );
  }
  const routeRows = (routes?.results as RouteRow[] | undefined) ?? [];
  if (routeRows.length === 0) throw new AppError("unavailable", `The model \`${model}\` has no upstream route.`);
  const resolved: Resolved = {
    model,
    kind: m.kind,
    assetId: m.asset_id,
    maxOutputTokens: m.max_output_tokens,
    licenseId: license.id,
    termsId: license.terms_id,
    token: license.token,
    pricePerMTokIn: BigInt(license.p_in),
    pricePerMTokOut: BigInt(license.p_out),
    routes: routeRows.map((r) => ({
      id: r.id,
      priority: r.priority,
      baseUrl: r.base_url,
      secretName: r.secret_name,
      upstreamModel: r.upstream_model,
      timeoutMs: r.timeout_ms,
      maxRetries: r.max_retries,
      maxTokensParam: r.max_tokens_param,
    })),
  };
  return { resolved, licenseExpiresAt: license.expires_at };
}

/** The models a key may call now: active, allowed by the key, covered by a valid license of its payer. */
export async function listUsableModels(db: D1Database, key: ApiKey) {
  const { results } = await db
    .prepare(
      `SELECT m.name, m.owned_by, m.updated_at FROM models m
       WHERE m.active = 1 AND EXISTS (SELECT 1 FROM licenses l WHERE l.holder = ? AND l.asset_id = m.asset_id AND l.expires_at > ?)
       ORDER BY m.name`,
    )
    .bind(key.payer, Date.now())
    .all<{ name: string; owned_by: string; updated_at: number }>();
  return results.filter((m) => !key.models || key.models.includes(m.name));
}
