// Streaming pass-through: forwards SSE events as they arrive, captures usage, drops usage the client did not ask for.

/** What a stream reported by the time it ended. */
export type StreamSummary = {
  /** Usage as reported by the upstream, if it sent any. */
  usage: { promptTokens: number; completionTokens: number } | null;
  /** Characters of generated content seen, for estimates when usage is missing. */
  contentChars: number;
  /** How it ended: the upstream finished, the client went away, or the upstream broke off. */
  end: "completed" | "client_disconnected" | "interrupted";
};

export type MeterStreamParameters = {
  upstream: ReadableStream<Uint8Array>;
  /** Whether the client asked for `stream_options.include_usage`; if not, the usage chunk is removed. */
  clientWantsUsage: boolean;
  /** The model name the client asked for, shown instead of the upstream's model id. */
  model: string;
  /**
   * Called when the upstream's `[DONE]` arrives, before it is forwarded; the text it returns is sent just before
   * `[DONE]` as an SSE comment line (`: text`), which SSE clients such as the openai SDK ignore.
   */
  beforeDone?: (summary: StreamSummary) => Promise<string | null>;
  /**
   * The usage to report when the upstream reported none and the client asked for it: sent as OpenAI's last chunk
   * (no choices, `usage`) before `[DONE]`, so a client counting tokens gets what is charged.
   */
  usageWhenMissing?: (summary: StreamSummary) => { prompt_tokens: number; completion_tokens: number };
};

type Chunk = {
  id?: string;
  created?: number;
  model?: string;
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
};

const EVENT_END = /\r?\n\r?\n/;

const INTERRUPTED = {
  error: {
    message: "The upstream connection broke off mid-stream.",
    type: "server_error",
    param: null,
    code: "upstream_error",
  },
};

/** The data of an SSE event: its `data:` lines joined. */
function dataOf(event: string): string {
  return event
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart())
    .join("\n");
}

/**
 * Wraps an upstream SSE body. Complete events are forwarded as soon as they are read (no buffering beyond one
 * event); `done` resolves once the stream ended in any way, including the client cancelling it mid-way.
 */
export function meterStream(p: MeterStreamParameters): {
  body: ReadableStream<Uint8Array>;
  done: Promise<StreamSummary>;
} {
  const reader = p.upstream.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const summary: StreamSummary = { usage: null, contentChars: 0, end: "completed" };
  /** The id and creation time of the upstream's chunks, for a usage chunk of our own. */
  let last: { id?: string; created?: number } = {};
  let pending = "";
  let finish: (s: StreamSummary) => void = () => {};
  let finished = false;
  const done = new Promise<StreamSummary>((resolve) => {
    finish = (s) => {
      if (finished) return;
      finished = true;
      resolve(s);
    };
  });

  /** Returns the event to forward (possibly rewritten) or null to drop it. */
  function processEvent(event: string, data: string): string | null {
    if (!data || data === "[DONE]") return event;
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      return event;
    }
    for (const choice of chunk.choices ?? []) summary.contentChars += choice.delta?.content?.length ?? 0;
    last = { id: chunk.id, created: chunk.created };
    if (chunk.usage) {
      summary.usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
      };
      if (!p.clientWantsUsage) {
        if (!chunk.choices || chunk.choices.length === 0) return null;
        delete chunk.usage;
      }
    }
    if (chunk.model !== undefined) chunk.model = p.model;
    return `data: ${JSON.stringify(chunk)}`;
  }

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const { value, done: ended } = await reader.read();
            if (ended) {
              if (pending.trim()) controller.enqueue(encoder.encode(pending));
              controller.close();
              finish({ ...summary });
              return;
            }
            pending += decoder.decode(value, { stream: true });
            const events = pending.split(EVENT_END);
            pending = events.pop() ?? "";
            const out: string[] = [];
            for (const event of events) {
              const data = dataOf(event);
              if (data === "[DONE]") {
                // The outcome is final once the upstream is done, whatever the client does next.
                const snapshot: StreamSummary = { ...summary, end: "completed" };
                finish(snapshot);
                if (snapshot.usage === null && p.clientWantsUsage && p.usageWhenMissing) {
                  const usage = p.usageWhenMissing(snapshot);
                  const total_tokens = usage.prompt_tokens + usage.completion_tokens;
                  const chunk = { ...last, object: "chat.completion.chunk", model: p.model, choices: [] };
                  out.push(`data: ${JSON.stringify({ ...chunk, usage: { ...usage, total_tokens } })}`);
                }
                const comment = p.beforeDone ? await p.beforeDone(snapshot).catch(() => null) : null;
                if (comment) out.push(`: ${comment}`);
              }
              const forwarded = processEvent(event, data);
              if (forwarded !== null) out.push(forwarded);
            }
            if (out.length > 0) {
              controller.enqueue(encoder.encode(`${out.join("\n\n")}\n\n`));
              return;
            }
          }
        } catch {
          // Tell the client the way OpenAI does mid-stream (the SDK raises it as an APIError), then end cleanly.
          finish({ ...summary, end: "interrupted" });
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(INTERRUPTED)}\n\n`));
          controller.close();
        }
      },
      async cancel(reason) {
        finish({ ...summary, end: "client_disconnected" });
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  return { body, done };
}
