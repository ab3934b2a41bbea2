// Seeds a running gateway through its operator API: model, upstream route, terms, license, escrow, API key.

export type SeedGatewayParameters = {
  /** Base URL of the worker, e.g. http://127.0.0.1:8788. */
  gatewayUrl: string;
  adminToken: string;
  /** Public model name callers use. */
  model: string;
  /** bytes32 id of the model asset in the registry. */
  assetId: `0x${string}`;
  /** Upstream base URL ending in /v1, e.g. the local model server's `${url}/v1`. */
  upstreamBaseUrl: string;
  /** Model id at the upstream; the local model server answers "echo" normally. */
  upstreamModel?: string;
  /** Worker secret (named UPSTREAM_*) holding the upstream API key, if it needs one. */
  upstreamSecretName?: string;
  kind?: "chat" | "embedding";
  termsId: string;
  /** ERC-20 payment token of the terms. */
  token: `0x${string}`;
  /** Base units of the token per million input/output tokens. */
  pricePerMTokIn: bigint;
  pricePerMTokOut: bigint;
  licenseId: string;
  payer: `0x${string}`;
  licenseExpiresAt: Date;
  /** Escrow balance of the payer in base units of the token. */
  escrow: bigint;
  keyName?: string;
};

export type SeedGatewayReturnType = { apiKey: string; keyId: string };

async function put(p: SeedGatewayParameters, method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${p.gatewayUrl}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${p.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} /admin${path} failed with ${res.status}: ${await res.text()}`);
  return res.json();
}

/** Upserts everything a payer needs to call `model`, and creates an API key (its secret is only returned here). */
export async function seedGateway(p: SeedGatewayParameters): Promise<SeedGatewayReturnType> {
  await put(p, "PUT", "/models", { name: p.model, asset_id: p.assetId, kind: p.kind ?? "chat" });
  await put(p, "PUT", "/routes", {
    id: `${p.model}-0`,
    model: p.model,
    priority: 0,
    base_url: p.upstreamBaseUrl,
    upstream_model: p.upstreamModel ?? (p.kind === "embedding" ? "embed" : "echo"),
    secret_name: p.upstreamSecretName ?? null,
  });
  await put(p, "PUT", "/terms", {
    id: p.termsId,
    asset_id: p.assetId,
    token: p.token,
    price_per_mtok_in: p.pricePerMTokIn.toString(),
    price_per_mtok_out: p.pricePerMTokOut.toString(),
  });
  await put(p, "PUT", "/licenses", {
    id: p.licenseId,
    asset_id: p.assetId,
    terms_id: p.termsId,
    holder: p.payer,
    expires_at: p.licenseExpiresAt.toISOString(),
  });
  await put(p, "PUT", "/escrow", { payer: p.payer, token: p.token, balance: p.escrow.toString() });
  const key = (await put(p, "POST", "/keys", { payer: p.payer, name: p.keyName ?? "demo" })) as {
    id: string;
    secret: string;
  };
  return { apiKey: key.secret, keyId: key.id };
}
