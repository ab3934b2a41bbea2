// The OpenAI-compatible surface under /v1: chat completions (streamed and not), embeddings, models.
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
  embeddingsRequestSchema,
} from "@tributary/schemas/openai";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { admit, complete, receiptHeaders, untilMetered } from "../gateway/admission.ts";
import { apiKeyAuth } from "../gateway/auth.ts";
import { forward, upstreamJson } from "../gateway/forward.ts";
import {
  estimateInputTokens,
  estimateTokens,
  maxInputTokens,
  promptTokens,
  tokensForChars,
} from "../gateway/pricing.ts";
import { receiptHeader } from "../gateway/receipts.ts";
import { listUsableModels, type Route } from "../gateway/routing.ts";
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
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
};

type UpstreamEmbeddings = { model?: string; usage?: { prompt_tokens?: number } };

/**
 * The output cap as the upstream gets it. The reservation covers exactly `cap` output tokens, so each cap field sent
 * says `cap`, never the client's own value: the route's field when it names one (the other left out), else each
 * field the client used, else `max_tokens`.
 */
export function outputCap(
  request: ChatCompletionRequest,
  route: Route,
  cap: number,
): { max_tokens?: number; max_completion_tokens?: number } {
  if (route.maxTokensParam)
    return { max_tokens: undefined, max_completion_tokens: undefined, [route.maxTokensParam]: cap };
  const completion = request.max_completion_tokens != null;
  if (request.max_tokens == null && !completion) return { max_tokens: cap };
  return {
    ...(request.max_tokens != null ? { max_tokens: cap } : {}),
    ...(completion ? { max_completion_tokens: cap } : {}),
  };
}

const modelNotFound = (name: string) =>
  new AppError("model_not_found", `The model \`${name}\` does not exist or you do not have access to it.`, {
    param: "model",
  });

export const openai = new Hono<AppEnv>()
  .post("/chat/completions", limitBody, apiKeyAuth, validate("json", chatCompletionRequestSchema), (c) =>
    untilMetered(c, async () => {
      const body = c.req.valid("json");
      const stream = body.stream === true;
      const { bound: maxPrompt, estimate: promptEstimate } = promptTokens(body);
      const { metered, maxOutputTokens, headers } = await admit(c, {
        model: body.model,
        kind: "chat",
        endpoint: "chat.completions",
        stream,
        maxInputTokens: maxPrompt,
        inputEstimate: promptEstimate,
        maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
      });
      const { result, refusal } = await forward(c, metered, {
        path: "/chat/completions",
        readBody: !stream,
        body: (route) => ({
          ...body,
          model: route.upstreamModel,
          ...outputCap(body, route, maxOutputTokens),
          ...(stream ? { stream_options: { ...body.stream_options, include_usage: true } } : {}),
        }),
      });
      if (refusal) return refusal;
      const { route, attempts } = result;

      if (stream && result.response.body) {
        const outcomeOf = (s: StreamSummary) => ({
          routeId: route.id,
          inputTokens: s.usage?.promptTokens ?? promptEstimate,
          // An estimate never passes the cap the upstream was held to.
          outputTokens: s.usage?.completionTokens ?? Math.min(tokensForChars(s.contentChars), maxOutputTokens),
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
          usageWhenMissing: (s) => {
            const o = outcomeOf(s);
            return { prompt_tokens: o.inputTokens, completion_tokens: o.outputTokens };
          },
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
        outputTokens: json.usage?.completion_tokens ?? Math.min(estimateTokens(content), maxOutputTokens),
        estimated: !json.usage,
        status: "completed" as const,
        httpStatus: 200,
      };
      const { receipt } = await complete(c, metered, outcome, { attempts, request: body, response: json });
      json.model = body.model;
      // Usage the upstream did not report is the estimate charged, flagged as such.
      json.usage ??= {
        prompt_tokens: outcome.inputTokens,
        completion_tokens: outcome.outputTokens,
        total_tokens: outcome.inputTokens + outcome.outputTokens,
      };
      const estimated: Record<string, string> = outcome.estimated ? { "x-tributary-usage-estimated": "true" } : {};
      return c.json(json, 200, { ...headers, ...receiptHeaders(receipt), ...estimated });
    }),
  )
  .post("/embeddings", limitBody, apiKeyAuth, validate("json", embeddingsRequestSchema), (c) =>
    untilMetered(c, async () => {
      const body = c.req.valid("json");
      const inputEstimate = estimateInputTokens(body.input);
      const { metered, headers } = await admit(c, {
        model: body.model,
        kind: "embedding",
        endpoint: "embeddings",
        stream: false,
        maxInputTokens: maxInputTokens(body.input),
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
