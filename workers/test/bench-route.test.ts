// The bench's bare pass-through route does not exist unless the bench sets BENCH_UPSTREAMS.
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("answers 404 on /bench/passthrough without BENCH_UPSTREAMS", async () => {
  const res = await exports.default.fetch("http://worker/bench/passthrough/0/v1/models");
  expect(res.status).toBe(404);
});
