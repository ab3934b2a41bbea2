// The OpenAI-compatible surface under /v1: chat completions (streamed and not), embeddings, models.
import { chatCompletionRequestSchema, embeddingsRequestSchema } from "@tributary/schemas/openai";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { admit, complete, receiptHeaders } from "../gateway/admission.ts";
import { apiKeyAuth } from "../gateway/auth.ts";
import {
  estimatePromptTokens,
  estimateTokens,
  maxInputTokens,
  maxPromptTokens,
  tokensForChars,
} from "../gateway/pricing.ts";
import { listUsableModels } from "../gateway/routing.ts";
import { meterStream } from "../gateway/stream.ts";
import { callUpstream, type UpstreamResult } from "../gateway/upstream.ts";
import { validate } from "../validate.ts";

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError("payload_too_large", `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  },
});

type UpstreamChat = {
  model?: string;
  choices?: { message?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
};

/** Passes an upstream's non-retryable error (4xx) through in OpenAI's shape. */
function upstreamError(result: UpstreamResult): Response {
  let body: unknown;
  try {
    body = JSON.parse(result.text ?? "");
  } catch {
    body = {
      error: { message: result.text ?? "Upstream error.", type: "invalid_request_error", param: null, code: null },
    };
  }
  return Response.json(body, { status: result.response.status });
}

export const openai = new Hono<AppEnv>()
  .post("/chat/completions", limitBody, apiKeyAuth, validate("json", chatCompletionRequestSchema), async (c) => {
    const body = c.req.valid("json");
    const stream = body.stream === true;
    const clientWantsUsage = stream && body.stream_options?.include_usage === true;
    const asked = body.max_completion_tokens ?? body.max_tokens ?? null;
    const { metered, maxOutputTokens, headers } = await admit(c, {
      model: body.model,
      kind: "chat",
      endpoint: "chat.completions",
      stream,
      maxInputTokens: maxPromptTokens(body.messages),
      inputEstimate: estimatePromptTokens(body.messages),
      maxOutputTokens: asked,
    });
    const upstreamBody = (upstreamModel: string) => ({
      ...body,
      model: upstreamModel,
      // The reservation covers exactly this many output tokens, so the upstream is held to it.
      ...(body.max_completion_tokens ? { max_completion_tokens: maxOutputTokens } : { max_tokens: maxOutputTokens }),
      ...(stream ? { stream_options: { ...body.stream_options, include_usage: true } } : {}),
    });
    const failed = { inputTokens: 0, outputTokens: 0, estimated: false, status: "upstream_error" as const };
    let result: UpstreamResult;
    try {
      result = await callUpstream({
        routes: metered.resolved.routes,
        path: "/chat/completions",
        body: (route) => upstreamBody(route.upstreamModel),
        readBody: !stream,
        secrets: c.env as unknown as Record<string, unknown>,
      });
    } catch (err) {
      const attempts = err instanceof AppError && Array.isArray(err.cause) ? err.cause : [];
      await complete(c, metered, { ...failed, routeId: null, httpStatus: 502 }, { attempts });
      throw err;
    }
    const { response, route, attempts } = result;
    if (!response.ok) {
      await complete(c, metered, { ...failed, routeId: route.id, httpStatus: response.status }, { attempts });
      return upstreamError(result);
    }
    if (stream && response.body) {
      const metering = meterStream({ upstream: response.body, clientWantsUsage, model: body.model });
      c.executionCtx.waitUntil(
        metering.done.then(async (s) => {
          const { settled } = await complete(
            c,
            metered,
            {
              routeId: route.id,
              inputTokens: s.usage?.promptTokens ?? estimatePromptTokens(body.messages),
              outputTokens: s.usage?.completionTokens ?? tokensForChars(s.contentChars),
              estimated: s.usage === null,
              status: s.end,
              httpStatus: 200,
            },
            { attempts, request: body },
          );
          await settled;
        }),
      );
      return c.body(metering.body, 200, {
        ...headers,
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-tributary-receipt-url": `/v1/usage/receipts/${metered.requestId}`,
      });
    }
    const json = JSON.parse(result.text ?? "{}") as UpstreamChat;
    const content = (json.choices ?? []).map((choice) => choice.message?.content ?? "").join("");
    const usage = json.usage;
    const { receipt } = await complete(
      c,
      metered,
      {
        routeId: route.id,
        inputTokens: usage?.prompt_tokens ?? estimatePromptTokens(body.messages),
        outputTokens: usage?.completion_tokens ?? estimateTokens(content),
        estimated: !usage,
        status: "completed",
        httpStatus: 200,
      },
      { attempts, request: body, response: json },
    );
    json.model = body.model;
    return c.json(json, 200, { ...headers, ...receiptHeaders(receipt) });
  })
  .post("/embeddings", limitBody, apiKeyAuth, validate("json", embeddingsRequestSchema), async (c) => {
    const body = c.req.valid("json");
    const inputs = typeof body.input === "string" ? [body.input] : body.input;
    const { metered, headers } = await admit(c, {
      model: body.model,
      kind: "embedding",
      endpoint: "embeddings",
      stream: false,
      maxInputTokens: maxInputTokens(inputs),
      inputEstimate: inputs.reduce((sum, text) => sum + estimateTokens(text), 0),
      maxOutputTokens: null,
    });
    const failed = { inputTokens: 0, outputTokens: 0, estimated: false, status: "upstream_error" as const };
    let result: UpstreamResult;
    try {
      result = await callUpstream({
        routes: metered.resolved.routes,
        path: "/embeddings",
        body: (route) => ({ ...body, model: route.upstreamModel }),
        readBody: true,
        secrets: c.env as unknown as Record<string, unknown>,
      });
    } catch (err) {
      const attempts = err instanceof AppError && Array.isArray(err.cause) ? err.cause : [];
      await complete(c, metered, { ...failed, routeId: null, httpStatus: 502 }, { attempts });
      throw err;
    }
    const { response, route, attempts } = result;
    if (!response.ok) {
      await complete(c, metered, { ...failed, routeId: route.id, httpStatus: response.status }, { attempts });
      return upstreamError(result);
    }
    const json = JSON.parse(result.text ?? "{}") as { model?: string; usage?: { prompt_tokens?: number } };
    const { receipt } = await complete(
      c,
      metered,
      {
        routeId: route.id,
        inputTokens: json.usage?.prompt_tokens ?? inputs.reduce((sum, text) => sum + estimateTokens(text), 0),
        outputTokens: 0,
        estimated: json.usage?.prompt_tokens === undefined,
        status: "completed",
        httpStatus: 200,
      },
      { attempts, request: body },
    );
    json.model = body.model;
    return c.json(json, 200, { ...headers, ...receiptHeaders(receipt) });
  })
  .get("/models", apiKeyAuth, async (c) => {
    const key = c.get("apiKey");
    if (!key) throw new AppError("invalid_api_key", "You didn't provide an API key.");
    const models = await listUsableModels(c.env.DB, key);
    const data = models.map((m) => ({
      id: m.name,
      object: "model",
      created: Math.floor(m.updated_at / 1000),
      owned_by: m.owned_by,
    }));
    return c.json({ object: "list", data });
  })
  .get("/models/:model", apiKeyAuth, async (c) => {
    const key = c.get("apiKey");
    if (!key) throw new AppError("invalid_api_key", "You didn't provide an API key.");
    const name = c.req.param("model");
    const found = (await listUsableModels(c.env.DB, key)).find((m) => m.name === name);
    if (!found) {
      throw new AppError("model_not_found", `The model \`${name}\` does not exist or you do not have access to it.`);
    }
    return c.json({
      id: found.name,
      object: "model",
      created: Math.floor(found.updated_at / 1000),
      owned_by: found.owned_by,
    });
  });
