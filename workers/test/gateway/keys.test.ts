// Payer key management behind Sign-In with Ethereum, and the admin token.
import { env } from "cloudflare:workers";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { call, chat, gatewayOrigin as origin, payerSiweMessage, seed, signInAs } from "./helpers.ts";

const account = privateKeyToAccount("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");

describe("payer key management with Sign-In with Ethereum", () => {
  it("signs in, creates a key shown once, lists it, uses it and revokes it", async () => {
    const res = await signInAs(account);
    expect(res.status).toBe(200);
    const session = (await res.json()) as { token: string; payer: string };
    expect(session.payer).toBe(account.address.toLowerCase());

    const created = await call("/v1/keys", {
      method: "POST",
      key: session.token,
      json: { name: "laptop", rpm: 60, daily_spend_limit: "1000000" },
    });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; secret: string; prefix: string; daily_spend_limit: string };
    expect(key.secret.startsWith("trb_")).toBe(true);
    expect(key.secret.startsWith(key.prefix)).toBe(true);
    expect(key.daily_spend_limit).toBe("1000000");

    const list = (await (await call("/v1/keys", { key: session.token })).json()) as { data: Record<string, unknown>[] };
    const listed = list.data.find((k) => k.id === key.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty("secret");
    expect(JSON.stringify(list)).not.toContain(key.secret);

    expect((await call("/v1/models", { key: key.secret })).status).toBe(200);
    const revoked = await call(`/v1/keys/${key.id}`, { method: "DELETE", key: session.token });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revocation_bound_seconds: number }).revocation_bound_seconds).toBe(30);
    expect((await call("/v1/models", { key: key.secret })).status).toBe(401);
  });

  it("refuses a replayed nonce, a foreign domain, and other payers' keys", async () => {
    const message = await payerSiweMessage(account);
    const signature = await account.signMessage({ message });
    expect((await call("/v1/auth/verify", { method: "POST", origin, json: { message, signature } })).status).toBe(200);
    expect((await call("/v1/auth/verify", { method: "POST", origin, json: { message, signature } })).status).toBe(401);
    expect((await signInAs(account, { domain: "evil.example" })).status).toBe(401);
    // A sign-in for the same host on another chain (another deployment's) does not open this one.
    const mainnet = await payerSiweMessage(account, "gateway.test", 1);
    const refused = await call("/v1/auth/verify", {
      method: "POST",
      origin,
      json: { message: mainnet, signature: await account.signMessage({ message: mainnet }) },
    });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "Sign-in refused: the message is for chain 1, not 31337.",
    );

    const other = await seed();
    const session = (await (await signInAs(account)).json()) as { token: string };
    expect((await call(`/v1/keys/${other.keyId}`, { method: "DELETE", key: session.token })).status).toBe(404);
    const stillWorks = await call("/v1/chat/completions", {
      method: "POST",
      key: other.apiKey,
      json: chat(other.model, "hi"),
    });
    expect(stillWorks.status).toBe(200);
  });

  it("refuses a message dated in the future, beyond a minute of clock skew, saying so", async () => {
    const verify = async (issuedAt: Date) => {
      const message = await payerSiweMessage(account, "gateway.test", 31337, issuedAt);
      const signature = await account.signMessage({ message });
      return call("/v1/auth/verify", { method: "POST", origin, json: { message, signature } });
    };
    const future = new Date(Date.now() + 10 * 60_000);
    const refused = await verify(future);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: {
        message:
          `Sign-in refused: the message is dated in the future (Issued At ${future.toISOString()}, more than a ` +
          "minute after this server's time); check the clock of the device that made it.",
        type: "invalid_request_error",
        param: "message",
        code: "unauthorized",
      },
    });
    // A wallet whose clock runs half a minute fast still signs in.
    expect((await verify(new Date(Date.now() + 30_000))).status).toBe(200);
  });

  it("ends the session at the message's Expiration Time when that comes before the session's hour", async () => {
    const signInUntil = async (expirationTime: Date) => {
      const message = await payerSiweMessage(account, "gateway.test", 31337, new Date(), expirationTime);
      const signature = await account.signMessage({ message });
      const res = await call("/v1/auth/verify", { method: "POST", origin, json: { message, signature } });
      expect(res.status).toBe(200);
      return (await res.json()) as { token: string; expires_at: string };
    };
    const soon = new Date(Date.now() + 1500);
    const short = await signInUntil(soon);
    expect(short.expires_at).toBe(soon.toISOString());
    expect((await call("/v1/keys", { key: short.token })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, soon.getTime() - Date.now() + 100));
    const refused = await call("/v1/keys", { key: short.token });
    expect(refused.status).toBe(401);
    // A later Expiration Time does not lengthen the session past its hour.
    const before = Date.now();
    const long = await signInUntil(new Date(Date.now() + 24 * 60 * 60_000));
    const end = Date.parse(long.expires_at);
    expect(end).toBeGreaterThanOrEqual(before + 60 * 60_000);
    expect(end).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
  });

  it("refuses malformed signatures with the 401 of a wrong signer, and keeps the nonce for a good one", async () => {
    const message = await payerSiweMessage(account);
    const malformed = {
      "an invalid v": `0x${"11".repeat(65)}`,
      "one byte": "0x00",
      "r = 0": `0x${"00".repeat(65)}`,
      "64 bytes (EIP-2098 compact)": `0x${"ab".repeat(64)}`,
    };
    for (const [kind, signature] of Object.entries(malformed)) {
      const res = await call("/v1/auth/verify", { method: "POST", origin, json: { message, signature } });
      expect(res.status, kind).toBe(401);
      expect(await res.json(), kind).toEqual({
        error: {
          message: "Sign-in refused: the signature does not match the address.",
          type: "invalid_request_error",
          param: "signature",
          code: "unauthorized",
        },
      });
    }
    const signature = await account.signMessage({ message });
    expect((await call("/v1/auth/verify", { method: "POST", origin, json: { message, signature } })).status).toBe(200);
  });

  it("refuses key management without a session, and the admin API without the admin token", async () => {
    expect((await call("/v1/keys")).status).toBe(401);
    const s = await seed();
    expect((await call("/v1/keys", { key: s.apiKey })).status).toBe(401);
    const res = await call("/admin/keys", { headers: { authorization: "Bearer wrong" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses admin writes that fail validation, naming the field, and routes that would send the gateway's secrets", async () => {
    const headers = { authorization: `Bearer ${env.ADMIN_TOKEN}` };
    const badTerms = await call("/admin/terms", {
      method: "PUT",
      headers,
      json: {
        id: "t",
        asset_id: `0x${"1".repeat(64)}`,
        token: "0x12",
        price_per_mtok_in: "1.5",
        price_per_mtok_out: "1",
      },
    });
    expect(badTerms.status).toBe(400);
    expect(badTerms.headers.get("content-type")).toBe("application/problem+json");
    expect(((await badTerms.json()) as { param: string }).param).toBe("token");
    const leaky = await call("/admin/routes", {
      method: "PUT",
      headers,
      json: {
        id: "r",
        model: "m",
        priority: 0,
        base_url: "http://example.com/v1",
        secret_name: "GATEWAY_SIGNING_KEY",
        upstream_model: "x",
      },
    });
    expect(leaky.status).toBe(400);
    expect(((await leaky.json()) as { param: string }).param).toBe("secret_name");
    // A second route at a priority the model's first route has: 409 naming both, not a database error.
    const s = await seed();
    const taken = await call("/admin/routes", {
      method: "PUT",
      headers,
      json: {
        id: `${s.model}-other`,
        model: s.model,
        priority: 0,
        base_url: "http://example.com/v1",
        upstream_model: "x",
      },
    });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({
      param: "priority",
      detail: `The model \`${s.model}\` already has the route \`${s.model}-r0\` at priority 0; give this route another priority, or change or delete that one.`,
    });
  });

  it("refuses keys that could never be used: already expired, or scoped to a model the gateway does not have", async () => {
    const s = await seed();
    const session = (await (await signInAs(account)).json()) as { token: string };
    const create = (json: object) => call("/v1/keys", { method: "POST", key: session.token, json });
    const admin = (json: object) =>
      call("/admin/keys", { method: "POST", headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` }, json });
    type OpenAiError = { error: { message: string; param: string; code: string } };

    const past = "2020-01-01T00:00:00Z";
    const expired = await create({ name: "old", expires_at: past });
    expect(expired.status).toBe(400);
    expect(((await expired.json()) as OpenAiError).error).toMatchObject({
      param: "expires_at",
      code: "invalid_request",
      message: expect.stringMatching(/^expires_at: 2020-01-01T00:00:00\.000Z is not in the future/),
    });
    const adminExpired = await admin({ payer: s.payer, expires_at: past });
    expect(adminExpired.status).toBe(400);
    expect(adminExpired.headers.get("content-type")).toBe("application/problem+json");
    expect(((await adminExpired.json()) as { param: string }).param).toBe("expires_at");
    // A future instant may carry an offset or be a plain date (00:00 UTC).
    const nextYear = new Date().getUTCFullYear() + 1;
    for (const [at, stored] of [
      [`${nextYear}-01-01T01:00:00+01:00`, `${nextYear}-01-01T00:00:00.000Z`],
      [`${nextYear}-01-01`, `${nextYear}-01-01T00:00:00.000Z`],
    ]) {
      const res = await create({ name: "next year", expires_at: at });
      expect(res.status, at).toBe(201);
      expect(((await res.json()) as { expires_at: string }).expires_at).toBe(stored);
    }

    const unknown = await create({ name: "typo", models: [s.model, "no-such-model"] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as OpenAiError).error).toMatchObject({
      param: "models",
      message: expect.stringContaining('no model named "no-such-model"'),
    });
    const adminUnknown = await admin({ payer: s.payer, models: ["no-such-model"] });
    expect(adminUnknown.status).toBe(400);
    expect(((await adminUnknown.json()) as { param: string; detail: string }).param).toBe("models");
    const scoped = await create({ name: "scoped", models: [s.model] });
    expect(scoped.status).toBe(201);
    expect(((await scoped.json()) as { models: string[] }).models).toEqual([s.model]);
  });

  it("names a key without a name after its prefix, and refuses a blank name", async () => {
    const session = (await (await signInAs(account)).json()) as { token: string };
    const unnamed = await call("/v1/keys", { method: "POST", key: session.token, json: {} });
    expect(unnamed.status).toBe(201);
    const key = (await unnamed.json()) as { name: string; prefix: string };
    expect(key.prefix).toMatch(/^trb_[0-9a-f]{8}$/);
    expect(key.name).toBe(key.prefix);
    const named = (await (
      await call("/v1/keys", { method: "POST", key: session.token, json: { name: "  ci  " } })
    ).json()) as { name: string };
    expect(named.name).toBe("ci");
    const blank = await call("/v1/keys", { method: "POST", key: session.token, json: { name: " " } });
    expect(blank.status).toBe(400);
    expect(((await blank.json()) as { error: { param: string } }).error.param).toBe("name");
  });
});
