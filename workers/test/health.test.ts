import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("/health", () => {
  it("answers with every database and the bucket reachable", async () => {
    const res = await exports.default.fetch("http://worker/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; region: string; r2: boolean };
    expect(body).toMatchObject({ ok: true, region: "local", r2: true });
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("renders unknown paths as problem JSON", async () => {
    const res = await exports.default.fetch("http://worker/nope");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status: 404, detail: "No route for GET /nope." });
  });

  it("renders unknown /v1 paths as OpenAI errors", async () => {
    const res = await exports.default.fetch("http://worker/v1/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { message: "No route for GET /v1/nope.", type: "invalid_request_error", param: null, code: "not_found" },
    });
  });
});
