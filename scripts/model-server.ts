// A deterministic local model server speaking the OpenAI API, for tests, benchmarks and the dev stack.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Options of the local model server. Behaviour per request is chosen by the model id:
 * - `error-429`, `error-500`: always fail with that status (429 carries `Retry-After: 0`);
 * - `error-429-long`: always fail with 429 and `Retry-After: 30`;
 * - `not-json`: answer 200 with a body that is not JSON;
 * - `flaky-<status>-<n>-<tag>`: fail the first n requests for that exact id, then answer normally;
 * - `hang`: never answer (for timeouts);
 * - `sleep-<ms>`: answer normally after an extra delay of ms milliseconds;
 * - `broken-stream`: stream two words, then drop the connection;
 * - `no-usage`: answer but never report usage, not even when asked;
 * - `caps`: answer with the output caps the request carried (`max_tokens`, `max_completion_tokens`) as JSON;
 * - anything else: answer with a completion derived from the last user message.
 */
export type ModelServerOptions = {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Host to bind; defaults to 127.0.0.1. */
  host?: string;
  /** Delay before the response headers, in milliseconds. */
  latencyMs?: number;
  /** Delay between streamed chunks, in milliseconds. */
  chunkDelayMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Model ids listed by /v1/models. */
  models?: string[];
};

export type ModelServer = { url: string; close: () => Promise<void> };

const wordsOf = (text: string): string[] => text.split(/\s+/).filter(Boolean);

type ChatMessage = { role?: string; content?: unknown };

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join(" ");
  }
  return "";
}

/**
 * Tokens a content part that is not text (an image, audio) counts for: what GPT-4o mini reports for the base of an
 * image, more than the gateway holds for one (a real provider's count is the provider's).
 */
export const MEDIA_PART_TOKENS = 2833;

const mediaParts = (content: unknown) =>
  Array.isArray(content) ? content.filter((part) => typeof part?.text !== "string").length : 0;

/**
 * Prompt tokens: one per whitespace-separated word plus 3 per message, as a fixed stand-in tokenizer, and
 * MEDIA_PART_TOKENS per media part.
 */
export function countPromptTokens(messages: ChatMessage[]): number {
  return messages.reduce(
    (sum, m) => sum + wordsOf(textOf(m.content)).length + 3 + mediaParts(m.content) * MEDIA_PART_TOKENS,
    0,
  );
}

/** The completion for a conversation: the words of the last user message, reversed, capped by maxTokens. */
export function completionWords(messages: ChatMessage[], maxTokens: number | undefined): string[] {
  const last = [...messages].reverse().find((m) => m.role === "user");
  const words = wordsOf(textOf(last?.content)).reverse();
  const out = words.length > 0 ? words : ["ok"];
  const repeated = Array.from({ length: 4 }, () => out).flat();
  return repeated.slice(0, Math.max(1, Math.min(maxTokens ?? 16, repeated.length)));
}

/** A deterministic embedding of a text: 8 numbers derived from its characters. */
export function embeddingOf(text: string): number[] {
  const v = Array.from({ length: 8 }, () => 0);
  for (let i = 0; i < text.length; i++) v[i % 8] = ((v[i % 8] ?? 0) * 31 + text.charCodeAt(i)) % 1000;
  return v.map((x) => x / 1000);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const errorBody = (message: string, type: string) => ({ error: { message, type, param: null, code: null } });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
}

export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const flakyCounts = new Map<string, number>();
  const models = options.models ?? ["echo", "embed", "no-usage", "error-429", "error-429-long", "error-500", "hang"];

  /** Decides whether this model id fails now; returns the status to fail with or 0. */
  function failureFor(model: string): number {
    if (model === "error-429") return 429;
    if (model === "error-500") return 500;
    const flaky = /^flaky-(\d{3})-(\d+)-/.exec(model);
    if (!flaky) return 0;
    const seen = flakyCounts.get(model) ?? 0;
    flakyCounts.set(model, seen + 1);
    return seen < Number(flaky[2]) ? Number(flaky[1]) : 0;
  }

  async function chat(body: Record<string, unknown>, res: ServerResponse, signal: AbortSignal) {
    const model = String(body.model ?? "echo");
    const messages = (Array.isArray(body.messages) ? body.messages : []) as ChatMessage[];
    const maxTokens = Number(body.max_completion_tokens ?? body.max_tokens ?? 16);
    // `caps`: answers with the output caps it was sent, as one word of JSON.
    const words =
      model === "caps"
        ? [
            JSON.stringify({
              max_tokens: body.max_tokens ?? null,
              max_completion_tokens: body.max_completion_tokens ?? null,
            }),
          ]
        : completionWords(messages, maxTokens);
    const usage = {
      prompt_tokens: countPromptTokens(messages),
      completion_tokens: words.length,
      total_tokens: countPromptTokens(messages) + words.length,
    };
    const withUsage = model !== "no-usage";
    const id = `chatcmpl-${usage.prompt_tokens}-${words.length}`;
    const created = 1_700_000_000;
    if (!body.stream) {
      const message = { role: "assistant", content: words.join(" ") };
      const choice = { index: 0, message, finish_reason: "stop", logprobs: null };
      return send(res, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        choices: [choice],
        ...(withUsage ? { usage } : {}),
      });
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const chunk = (delta: object, finish: string | null) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    const write = (data: object) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    write(chunk({ role: "assistant", content: "" }, null));
    for (const [i, word] of words.entries()) {
      if (signal.aborted) return;
      if (model === "broken-stream" && i === 2) {
        // Let the first chunks reach the client before the connection drops.
        await sleep(20);
        return void res.destroy();
      }
      if (options.chunkDelayMs) await sleep(options.chunkDelayMs);
      write(chunk({ content: i === 0 ? word : ` ${word}` }, null));
    }
    write(chunk({}, "stop"));
    const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
    if (withUsage && streamOptions?.include_usage) {
      write({ id, object: "chat.completion.chunk", created, model, choices: [], usage });
    }
    res.end("data: [DONE]\n\n");
  }

  function embeddings(body: Record<string, unknown>, res: ServerResponse) {
    // Text, texts, token ids or lists of token ids (one token per id), as OpenAI takes them.
    const raw = body.input ?? "";
    const items: unknown[] = Array.isArray(raw) && !raw.every((x) => typeof x === "number") ? raw : [raw];
    const inputs = items.map((item) => (Array.isArray(item) ? item.join(" ") : String(item)));
    const tokens = items.reduce<number>(
      (sum, item) => sum + (Array.isArray(item) ? item.length : Math.max(1, wordsOf(String(item)).length)),
      0,
    );
    send(res, 200, {
      object: "list",
      model: String(body.model ?? "embed"),
      data: inputs.map((text, index) => ({ object: "embedding", index, embedding: embeddingOf(text) })),
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  const server = createServer(async (req, res) => {
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    try {
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        return send(res, 401, errorBody("Invalid API key.", "invalid_request_error"));
      }
      if (req.method === "GET" && req.url === "/v1/models") {
        const data = models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "local" }));
        return send(res, 200, { object: "list", data });
      }
      if (req.method !== "POST") return send(res, 404, errorBody("Not found.", "invalid_request_error"));
      const body = await readJson(req);
      const model = String(body.model ?? "");
      if (model === "hang") return;
      if (options.latencyMs) await sleep(options.latencyMs);
      const extra = /^sleep-(\d+)$/.exec(model);
      if (extra) await sleep(Number(extra[1]));
      const failure = failureFor(model);
      if (model === "error-429-long") {
        return send(res, 429, errorBody("Rate limited.", "requests"), { "retry-after": "30" });
      }
      if (model === "not-json") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("<html>oops</html>");
      }
      if (failure === 429) return send(res, 429, errorBody("Rate limited.", "requests"), { "retry-after": "0" });
      if (failure) return send(res, failure, errorBody("Upstream failure.", "server_error"));
      if (req.url === "/v1/chat/completions") return await chat(body, res, abort.signal);
      if (req.url === "/v1/embeddings") return embeddings(body, res);
      return send(res, 404, errorBody("Not found.", "invalid_request_error"));
    } catch (err) {
      if (!res.headersSent)
        send(res, 400, errorBody(`Bad request: ${(err as Error).message}`, "invalid_request_error"));
      else res.end();
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startModelServer({
    port: Number(argValue("port") ?? 8787),
    latencyMs: Number(argValue("latency-ms") ?? 0),
    chunkDelayMs: Number(argValue("chunk-delay-ms") ?? 0),
    ...(argValue("api-key") ? { apiKey: argValue("api-key") } : {}),
  });
  console.log(`model server listening on ${server.url}`);
  process.on("SIGINT", () => void server.close().then(() => process.exit(0)));
  process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
}
