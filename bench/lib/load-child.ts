// A load generator process (bench/lib/load.ts, `startLoadGenerators`): one closed-loop job per line on stdin, its
// result as one JSON line on stdout. Its own event loop, so the client does not share one with the bench.
import { createInterface } from "node:readline";
import { timed } from "./http.ts";
import { closedLoop, type LoadAnswer, type LoadJob } from "./load.ts";

for await (const line of createInterface({ input: process.stdin })) {
  const job = JSON.parse(line) as LoadJob;
  const started = performance.now();
  const result = await closedLoop(() => timed(job.request), job);
  const answer: LoadAnswer = {
    seconds: (performance.now() - started) / 1000,
    latencies: result.latencies,
    errors: result.errors,
  };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
