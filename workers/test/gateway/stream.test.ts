// Streaming pass-through: usage capture and removal, estimates, client disconnects, broken upstreams.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { payerRequestId } from "../../src/gateway/request-id.ts";
import { call, chat, holds, seed, usageRecord, verifyReceipt } from "./helpers.ts";

type Chunk = {
  model?: string;
  choices: { delta: { content?: string } }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens?: number };
};

/** Reads an SSE body into its parsed chunks, whether [DONE] came, and the receipt comment if any. */
async function readSse(res: Response): Promise<{ chunks: Chunk[]; done: boolean; receipt: string | null }> {
  const events = (await res.text()).split("\n\n").filter((e) => e.trim());
  const comment = events.find((e) => e.startsWith(": tributary-receipt "));
  const data = events.filter((e) => e.startsWith("data: ")).map((e) => e.slice(6).trim());
  return {
    chunks: data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d) as Chunk),
    done: data.at(-1) === "[DONE]",
    receipt: comment ? comment.slice(": tributary-receipt ".length) : null,
  };
}

async function upstreamUsage(content: string, maxTokens: number) {
  const res = await fetch(`${env.UPSTREAM_URL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${env.UPSTREAM_KEY}` },
    body: JSON.stringify({ model: "echo", messages: [{ role: "user", content }], max_tokens: maxTokens }),
  });
  return ((await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
}

describe("POST /v1/chat/completions (streaming)", () => {
  it("passes the stream through and keeps the usage chunk when the client asked for it", async () => {
    const s = await seed();
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "stream me some words", {
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 10,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { chunks, done, receipt } = await readSse(res);
    expect(done).toBe(true);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    const expected = await upstreamUsage("stream me some words", 10);
    expect(last?.usage).toMatchObject(expected);
    expect(chunks.every((c) => c.model === s.model)).toBe(true);
    const record = await usageRecord(res.headers.get("x-request-id") ?? "");
    expect(record).toMatchObject({
      input_tokens: expected.prompt_tokens,
      output_tokens: expected.completion_tokens,
      estimated: 0,
      status: "completed",
    });
    // The receipt travels in the stream as an SSE comment, signed over the same payload as the record's.
    const [b64, signature] = (receipt ?? "").split(".");
    const payload = new TextDecoder().decode(
      Uint8Array.from(atob((b64 ?? "").replaceAll("-", "+").replaceAll("_", "/")), (ch) => ch.charCodeAt(0)),
    );
    expect(payload).toBe(record.receipt);
    expect(signature).toBe(record.signature);
    const signer = (await (await call("/v1/usage/signer")).json()) as { public_key: string };
    expect(await verifyReceipt(signer.public_key, payload, signature ?? "")).toBe(true);
  });

  it("asks the upstream for usage but removes that chunk when the client did not ask", async () => {
    const s = await seed();
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "no usage for me please", { stream: true, max_tokens: 12 }),
    });
    const { chunks, done } = await readSse(res);
    expect(done).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    const generated = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(generated.split(" ")).toHaveLength(12);
    const expected = await upstreamUsage("no usage for me please", 12);
    const record = await usageRecord(res.headers.get("x-request-id") ?? "");
    expect(record).toMatchObject({ input_tokens: expected.prompt_tokens, output_tokens: 12, estimated: 0 });
    expect(BigInt(record.cost)).toBeGreaterThan(0n);
  });

  it("estimates and flags a stream whose upstream sends no usage, and reports the estimate when asked", async () => {
    const s = await seed({ routes: [{ upstreamModel: "no-usage" }] });
    const stream = async (includeUsage: boolean) => {
      const res = await call("/v1/chat/completions", {
        method: "POST",
        key: s.apiKey,
        json: chat(s.model, "estimate this stream", { stream: true, stream_options: { include_usage: includeUsage } }),
      });
      const sse = await readSse(res);
      return { sse, record: await usageRecord(res.headers.get("x-request-id") ?? "") };
    };
    const { sse, record } = await stream(true);
    expect(record.estimated).toBe(1);
    expect(record.input_tokens).toBeGreaterThan(0);
    expect(record.output_tokens).toBeGreaterThan(0);
    expect(BigInt(record.cost)).toBeGreaterThan(0n);
    // The client asked for usage: the last chunk before [DONE] carries what was charged, as OpenAI's does.
    const last = sse.chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({
      prompt_tokens: record.input_tokens,
      completion_tokens: record.output_tokens,
      total_tokens: record.input_tokens + record.output_tokens,
    });
    expect(last?.model).toBe(s.model);
    expect(sse.done).toBe(true);
    // Not asked: no usage chunk.
    const quiet = await stream(false);
    expect(quiet.sse.chunks.some((c) => c.usage)).toBe(false);
  });

  it("records what was generated when the client disconnects mid-stream", async () => {
    const s = await seed({ routes: [{ upstreamModel: "echo", slow: true }] });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "a b c d e f g h", { stream: true, max_tokens: 32 }),
    });
    const requestId = res.headers.get("x-request-id") ?? "";
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    await reader.read();
    await reader.read();
    await reader.cancel();
    const record = await usageRecord(requestId);
    expect(record.status).toBe("client_disconnected");
    expect(record.estimated).toBe(1);
    expect(record.output_tokens).toBeGreaterThan(0);
    expect(record.output_tokens).toBeLessThan(32);
    expect(BigInt(record.cost)).toBeGreaterThan(0n);
    expect(BigInt(record.cost)).toBeLessThan(BigInt(record.reserved));
    const [hold] = await holds(s.payer);
    expect(hold).toMatchObject({ state: "charged", amount: record.cost });
  });
});

describe("requests cut short", () => {
  it("charges what was generated when the upstream breaks off mid-stream", async () => {
    const s = await seed({ routes: [{ upstreamModel: "broken-stream" }] });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "one two three four five six", { stream: true, max_tokens: 6 }),
    });
    const text = await res.text();
    expect(text).toContain('"code":"upstream_error"');
    expect(text).not.toContain("[DONE]");
    const record = await usageRecord(res.headers.get("x-request-id") ?? "");
    expect(record.status).toBe("interrupted");
    expect(record.estimated).toBe(1);
    expect(record.output_tokens).toBeGreaterThan(0);
    expect(BigInt(record.cost)).toBeGreaterThan(0n);
    expect((await holds(s.payer))[0]).toMatchObject({ state: "charged", amount: record.cost });
  });

  it("records a non-streaming request whose client hung up while the upstream was working", async () => {
    const s = await seed({ routes: [{ upstreamModel: "sleep-150" }] });
    const requestId = `gone-${crypto.randomUUID()}`;
    const controller = new AbortController();
    const pending = call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      headers: { "x-request-id": requestId },
      json: chat(s.model, "are you still there"),
      signal: controller.signal,
    }).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 40));
    controller.abort();
    await pending;
    const record = await usageRecord(payerRequestId(requestId, s.payer), 5000);
    expect(record.status).toBe("completed");
    expect(BigInt(record.cost)).toBeGreaterThan(0n);
    expect((await holds(s.payer))[0]).toMatchObject({ state: "charged", amount: record.cost });
  });
});
