// The OpenAI-compatible surface under /v1: chat completions (streamed and not), embeddings, models.
import { chatCompletionRequestSchema, embeddingsRequestSchema } from "@tributary/schemas/openai";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { admit, complete, receiptHeaders, untilMetered } from "../gateway/admission.ts";
import { apiKeyAuth } from "../gateway/auth.ts";
import { forward, upstreamJson } from "../gateway/forward.ts";
import {
  estimatePromptTokens,
  estimateTokens,
  maxInputTokens,
  maxPromptTokens,
  tokensForChars,
} from "../gateway/pricing.ts";
import { receiptHeader } from "../gateway/receipts.ts";
import { listUsableModels } from "../gateway/routing.ts";
import { meterStream, type StreamSummary } from "../gateway/stream.ts";
import { validate } from "../validate.ts";

/** Streams carry their receipt as the SSE comment `: tributary-receipt <base64url payload>.<signature>` before [DONE]. */
export const RECEIPT_COMMENT = "tributary-receipt";

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

type UpstreamEmbeddings = { model?: string; usage?: { prompt_tokens?: number } };

const modelNotFound = (name: string) =>
  new AppError("model_not_found", `The model \`${name}\` does not exist or you do not have access to it.`, {
    param: "model",
  });

export const openai = new Hono<AppEnv>()
  .post("/chat/completions", limitBody, apiKeyAuth, validate("json", chatCompletionRequestSchema), (c) =>
    untilMetered(c, async () => {
      const body = c.req.valid("json");
      const stream = body.stream === true;
      const promptEstimate = estimatePromptTokens(body.messages);
      const { metered, maxOutputTokens, headers } = await admit(c, {
        model: body.model,
        kind: "chat",
        endpoint: "chat.completions",
        stream,
        maxInputTokens: maxPromptTokens(body.messages),
        inputEstimate: promptEstimate,
        maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
      });
      const { result, refusal } = await forward(c, metered, {
        path: "/chat/completions",
        readBody: !stream,
        body: (route) => ({
          ...body,
          model: route.upstreamModel,
          // The reservation covers exactly this many output tokens, so the upstream is held to it.
          ...(body.max_completion_tokens
            ? { max_completion_tokens: maxOutputTokens }
            : { max_tokens: maxOutputTokens }),
          ...(stream ? { stream_options: { ...body.stream_options, include_usage: true } } : {}),
        }),
      });
      if (refusal) return refusal;
      const { route, attempts } = result;

      if (stream && result.response.body) {
        const outcomeOf = (s: StreamSummary) => ({
          routeId: route.id,
          inputTokens: s.usage?.promptTokens ?? promptEstimate,
          outputTokens: s.usage?.completionTokens ?? tokensForChars(s.contentChars),
          estimated: s.usage === null,
          status: s.end,
          httpStatus: 200,
        });
        // Metered once: at the upstream's [DONE] (the receipt then goes into the stream), or when the stream ends.
        let completion: ReturnType<typeof complete> | undefined;
        const finishOnce = (s: StreamSummary) => {
          completion ??= complete(c, metered, outcomeOf(s), { attempts, request: body });
          return completion;
        };
        const metering = meterStream({
          upstream: result.response.body,
          clientWantsUsage: body.stream_options?.include_usage === true,
          model: body.model,
          beforeDone: async (s) => `${RECEIPT_COMMENT} ${receiptHeader((await finishOnce(s)).receipt)}`,
        });
        c.executionCtx.waitUntil(metering.done.then(async (s) => (await finishOnce(s)).settled));
        return c.body(metering.body, 200, {
          ...headers,
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          "x-tributary-receipt-url": `/v1/usage/receipts/${metered.requestId}`,
        });
      }

      const json = await upstreamJson<UpstreamChat>(c, metered, result);
      const content = (json.choices ?? []).map((choice) => choice.message?.content ?? "").join("");
      const outcome = {
        routeId: route.id,
        inputTokens: json.usage?.prompt_tokens ?? promptEstimate,
        outputTokens: json.usage?.completion_tokens ?? estimateTokens(content),
        estimated: !json.usage,
        status: "completed" as const,
        httpStatus: 200,
      };
      const { receipt } = await complete(c, metered, outcome, { attempts, request: body, response: json });
      json.model = body.model;
      return c.json(json, 200, { ...headers, ...receiptHeaders(receipt) });
    }),
  )
  .post("/embeddings", limitBody, apiKeyAuth, validate("json", embeddingsRequestSchema), (c) =>
    untilMetered(c, async () => {
      const body = c.req.valid("json");
      const inputs = typeof body.input === "string" ? [body.input] : body.input;
      const inputEstimate = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
      const { metered, headers } = await admit(c, {
        model: body.model,
        kind: "embedding",
        endpoint: "embeddings",
        stream: false,
        maxInputTokens: maxInputTokens(inputs),
        inputEstimate,
        maxOutputTokens: null,
      });
      const { result, refusal } = await forward(c, metered, {
        path: "/embeddings",
        readBody: true,
        body: (route) => ({ ...body, model: route.upstreamModel }),
      });
      if (refusal) return refusal;
      const json = await upstreamJson<UpstreamEmbeddings>(c, metered, result);
      const outcome = {
        routeId: result.route.id,
        inputTokens: json.usage?.prompt_tokens ?? inputEstimate,
        outputTokens: 0,
        estimated: json.usage?.prompt_tokens === undefined,
        status: "completed" as const,
        httpStatus: 200,
      };
      const { receipt } = await complete(c, metered, outcome, { attempts: result.attempts, request: body });
      json.model = body.model;
      return c.json(json, 200, { ...headers, ...receiptHeaders(receipt) });
    }),
  )
  .get("/models", apiKeyAuth, async (c) => {
    const key = c.get("apiKey");
    if (!key) throw new AppError("invalid_api_key", "You didn't provide an API key.");
    const data = (await listUsableModels(c.env.DB, key)).map((m) => ({
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
    if (!found) throw modelNotFound(name);
    return c.json({
      id: found.name,
      object: "model",
      created: Math.floor(found.updated_at / 1000),
      owned_by: found.owned_by,
    });
  });
