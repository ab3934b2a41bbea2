// Browser apps on other origins: CORS preflights, the headers they may read, and the surfaces that refuse them.
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { call, chat, seed } from "./helpers.ts";

const origin = "http://app.example";

/** Request headers a browser sends without asking first (CORS-safelisted), or never lets a page set. */
const notPreflighted = new Set(["accept", "accept-language", "content-language", "user-agent"]);

/** The names of the headers the openai SDK sends with a chat completion that a browser must ask about first. */
async function sdkHeaderNames(apiKey: string, model: string): Promise<string[]> {
  let sent: Headers | undefined;
  const client = new OpenAI({
    baseURL: "http://worker/v1",
    apiKey,
    maxRetries: 0,
    fetch: (input, init) => {
      const request = new Request(input as RequestInfo, init as RequestInit);
      sent = request.headers;
      return exports.default.fetch(request);
    },
  });
  await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
  return [...(sent?.keys() ?? [])].filter((name) => !notPreflighted.has(name));
}

const list = (header: string | null) => (header ?? "").split(",").map((h) => h.trim().toLowerCase());

describe("CORS", () => {
  it("answers the preflight of an SDK chat completion from any origin, before the API key is checked", async () => {
    const s = await seed();
    const names = await sdkHeaderNames(s.apiKey, s.model);
    expect(names).toEqual(expect.arrayContaining(["authorization", "content-type", "x-stainless-retry-count"]));
    const res = await call("/v1/chat/completions", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": [...names, "x-request-id"].join(","),
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(list(res.headers.get("access-control-allow-methods"))).toContain("post");
    expect(list(res.headers.get("access-control-allow-headers"))).toEqual(
      expect.arrayContaining([...names, "x-request-id"]),
    );
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("lets a page on another origin read a completion and its receipt headers", async () => {
    const s = await seed({ key: { rpm: 100 } });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      headers: { origin },
      json: chat(s.model, "hello"),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    const exposed = list(res.headers.get("access-control-expose-headers"));
    for (const name of [
      "x-request-id",
      "x-tributary-receipt",
      "x-tributary-receipt-signer",
      "x-ratelimit-limit-requests",
    ]) {
      expect(res.headers.has(name), name).toBe(true);
      expect(exposed, name).toContain(name);
    }
    expect(exposed).toEqual(expect.arrayContaining(["x-tributary-receipt-url", "retry-after"]));
    // The receipt signer, which docs/gateway.md says a browser can fetch to verify receipts.
    const signer = await call("/v1/usage/signer", { headers: { origin } });
    expect(signer.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("lets the page read an error too", async () => {
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: "trb_wrong",
      headers: { origin },
      json: chat("any", "hello"),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(list(res.headers.get("access-control-expose-headers"))).toContain("x-request-id");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });

  it("answers annotators' pages too (bearer sessions, no cookies)", async () => {
    const preflight = await call("/tasks/projects", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    const nonce = await call("/tasks/auth/nonce", { method: "POST", headers: { origin } });
    expect(nonce.status).toBe(201);
    expect(nonce.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("keeps the operator API same-origin", async () => {
    const preflight = await call("/admin/models", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "PUT", "access-control-request-headers": "authorization" },
    });
    expect(preflight.status).not.toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const res = await call("/admin/keys", { headers: { origin, authorization: "Bearer wrong" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("cross-origin-resource-policy")).toBe("same-origin");
  });
});
