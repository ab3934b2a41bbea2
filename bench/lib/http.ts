// One timed HTTP request from the load generator: total time, time to first body byte, gaps between chunks.

export type Sample = {
  /** Milliseconds from sending the request to the end of the body. */
  total: number;
  /** Milliseconds from sending the request to the first body chunk (the first token of a stream). */
  first: number;
  /** Milliseconds between consecutive body chunks after the first. */
  gaps: number[];
};

export type TimedRequest = { url: string; body?: string; headers?: Record<string, string> };

/** Sends one request (POST when it has a body), reads the whole body, and fails on a non-200 status. */
export async function timed({ url, body, headers }: TimedRequest): Promise<Sample> {
  const started = performance.now();
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const reader = res.body?.getReader();
  let first = 0;
  let last = 0;
  const gaps: number[] = [];
  for (;;) {
    const chunk = await reader?.read();
    const now = performance.now();
    if (!chunk || chunk.done) break;
    if (first === 0) first = now - started;
    else gaps.push(now - last);
    last = now;
  }
  const total = performance.now() - started;
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}.`);
  return { total, first: first || total, gaps };
}
