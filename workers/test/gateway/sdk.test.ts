// The real openai SDK as the client of the gateway, streamed and not.
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { payerRequestId } from "../../src/gateway/request-id.ts";
import { seed, usageRecord } from "./helpers.ts";

function client(apiKey: string, maxRetries = 0) {
  return new OpenAI({
    baseURL: "http://worker/v1",
    apiKey,
    maxRetries,
    fetch: (input, init) => exports.default.fetch(new Request(input as RequestInfo, init as RequestInit)),
  });
}

describe("the openai SDK against the gateway", () => {
  it("gets a completion", async () => {
    const s = await seed();
    const { data, response } = await client(s.apiKey)
      .chat.completions.create({ model: s.model, messages: [{ role: "user", content: "sdk says hi" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toContain("hi says sdk");
    expect(data.usage?.prompt_tokens).toBe(6);
    const record = await usageRecord(response.headers.get("x-request-id") ?? "");
    expect(record.input_tokens).toBe(6);
  });

  it("streams a completion with usage", async () => {
    const s = await seed();
    const stream = await client(s.apiKey).chat.completions.create({
      model: s.model,
      messages: [{ role: "user", content: "stream through the sdk" }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 8,
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.split(" ")).toHaveLength(8);
    expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 8 });
  });

  it("streams without usage when not asked", async () => {
    const s = await seed();
    const stream = await client(s.apiKey).chat.completions.create({
      model: s.model,
      messages: [{ role: "user", content: "no usage" }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it("raises an APIError when the upstream breaks off mid-stream", async () => {
    const s = await seed({ routes: [{ upstreamModel: "broken-stream" }] });
    const stream = await client(s.apiKey).chat.completions.create({
      model: s.model,
      messages: [{ role: "user", content: "one two three four" }],
      stream: true,
    });
    const consume = async () => {
      for await (const _chunk of stream) {
        // Reading until the error event.
      }
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it("creates embeddings and lists models", async () => {
    const s = await seed({ kind: "embedding" });
    const sdk = client(s.apiKey);
    const { data, response } = await sdk.embeddings
      .create({ model: s.model, input: ["alpha beta", "gamma"] })
      .withResponse();
    expect(data.data).toHaveLength(2);
    expect(data.usage.prompt_tokens).toBe(3);
    const record = await usageRecord(response.headers.get("x-request-id") ?? "");
    expect(record).toMatchObject({ input_tokens: 3, output_tokens: 0, estimated: 0 });
    const models = [];
    for await (const m of sdk.models.list()) models.push(m.id);
    expect(models).toEqual([s.model]);
    expect((await sdk.models.retrieve(s.model)).id).toBe(s.model);
  });

  it("embeds token ids as OpenAI takes them, holding one token per id, and refuses empty input", async () => {
    const s = await seed({ kind: "embedding" });
    const sdk = client(s.apiKey);
    for (const [input, embeddings, tokens] of [
      [[1, 2, 3], 1, 3],
      [[[1, 2], [3]], 2, 3],
    ] as const) {
      const { data, response } = await sdk.embeddings
        .create({ model: s.model, input: input as unknown as number[] })
        .withResponse();
      expect(data.data).toHaveLength(embeddings);
      const record = await usageRecord(response.headers.get("x-request-id") ?? "");
      expect(record).toMatchObject({ input_tokens: tokens, estimated: 0, reserved: String(tokens) });
    }
    for (const input of ["", [""], [], [[]]]) {
      await expect(sdk.embeddings.create({ model: s.model, input: input as unknown as string })).rejects.toMatchObject({
        status: 400,
        param: expect.stringMatching(/^input/),
      });
    }
  });

  it("surfaces the upstream's failure, not a conflict, when it retries a request with its own X-Request-Id", async () => {
    const s = await seed({ routes: [{ upstreamModel: "error-500" }] });
    const requestId = `trace-${crypto.randomUUID()}`;
    const failing = client(s.apiKey, 2).chat.completions.create(
      { model: s.model, messages: [{ role: "user", content: "x" }] },
      { headers: { "x-request-id": requestId } },
    );
    const error = await failing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect((error as Error).message).toContain(`The request with id ${requestId} already failed upstream (HTTP 502)`);
    // One request, one record: the retries answered from it, charging nothing.
    expect(await usageRecord(payerRequestId(requestId, s.payer))).toMatchObject({
      status: "upstream_error",
      cost: "0",
    });
    // A used id that succeeded is still a conflict.
    const ok = await seed();
    const id = `trace-${crypto.randomUUID()}`;
    const once = { model: ok.model, messages: [{ role: "user" as const, content: "x" }] };
    await client(ok.apiKey).chat.completions.create(once, { headers: { "x-request-id": id } });
    await usageRecord(payerRequestId(id, ok.payer));
    await expect(
      client(ok.apiKey).chat.completions.create(once, { headers: { "x-request-id": id } }),
    ).rejects.toBeInstanceOf(OpenAI.ConflictError);
  });

  it("raises the SDK's typed errors", async () => {
    const s = await seed();
    await expect(
      client("trb_wrong").chat.completions.create({ model: s.model, messages: [{ role: "user", content: "x" }] }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client(s.apiKey).chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    const poor = await seed({ escrow: 1n });
    await expect(
      client(poor.apiKey).chat.completions.create({ model: poor.model, messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 402, code: "insufficient_quota", type: "insufficient_quota" });
  });
});
