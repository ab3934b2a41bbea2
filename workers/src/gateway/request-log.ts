// Raw request logs to R2 as NDJSON batches under unique keys; bodies only when LOG_BODIES is on.

/** One log line: request metadata, and the bodies only when enabled. */
export type RequestLogLine = Record<string, unknown> & { request_id: string; at: string };

const buffer: string[] = [];
let firstAt = 0;

export type LogConfig = { maxLines: number; maxAgeMs: number; region: string };

/**
 * Appends a line; when the batch is full or old enough, returns the promise of its upload (hand it to waitUntil).
 * A batch lives only in the isolate's memory until flushed, so the logs are best effort; usage records in D1
 * are the source of truth for money.
 */
export function appendRequestLog(bucket: R2Bucket, line: RequestLogLine, config: LogConfig): Promise<void> | undefined {
  if (buffer.length === 0) firstAt = Date.now();
  buffer.push(JSON.stringify(line));
  if (buffer.length < config.maxLines && Date.now() - firstAt < config.maxAgeMs) return undefined;
  const lines = buffer.splice(0, buffer.length);
  const now = new Date();
  const day = now.toISOString().slice(0, 10);
  // Unique per batch: R2 allows one write per second per key.
  const key = `logs/${config.region}/${day}/${now.toISOString()}-${crypto.randomUUID()}.ndjson`;
  return bucket
    .put(key, `${lines.join("\n")}\n`, { httpMetadata: { contentType: "application/x-ndjson" } })
    .then(() => undefined)
    .catch((err: unknown) =>
      console.error(JSON.stringify({ level: "error", message: "request log upload failed", key, err: String(err) })),
    );
}
