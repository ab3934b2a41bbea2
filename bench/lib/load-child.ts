// A load generator process (bench/lib/load.ts, `startLoadGenerators`): one closed-loop job per line on stdin, its
// result as one JSON line on stdout. Its own event loop, so the client does not share one with the bench; node:http
// rather than fetch, so it takes less of the machine's CPU from the system under test.
import { Agent } from "node:http";
import { createInterface } from "node:readline";
import { send } from "./http.ts";
import { closedLoop, type LoadAnswer, type LoadJob } from "./load.ts";

for await (const line of createInterface({ input: process.stdin })) {
  const job = JSON.parse(line) as LoadJob;
  // Connections are kept alive within a job and closed after it, never reused across an idle gap a server may close.
  const agent = new Agent({ keepAlive: true });
  const started = performance.now();
  const result = await closedLoop(() => send(agent, job.request), job);
  agent.destroy();
  const answer: LoadAnswer = {
    seconds: (performance.now() - started) / 1000,
    latencies: result.latencies,
    errors: result.errors,
  };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
