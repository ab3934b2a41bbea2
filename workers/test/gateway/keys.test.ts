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
  });
});
