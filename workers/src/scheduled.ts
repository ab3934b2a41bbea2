// Cron jobs of the worker: each cron expression in wrangler.toml runs the jobs registered for it, in order.
import { syncChain } from "./chain/sync.ts";
import type { AppEnv } from "./env.ts";
import { AppError } from "./errors.ts";
import { pruneGateway } from "./gateway/prune.ts";
import { archiveFinalEpochs } from "./settler/archive.ts";
import { closeEpoch } from "./settler/close.ts";

/** One job run by a cron trigger. Jobs must be idempotent: a trigger can fire twice or be retried. */
export type Job = { name: string; run: (env: AppEnv["Bindings"], ctx: ExecutionContext) => Promise<void> };

/** Jobs by cron expression; the expressions must match `[triggers] crons` in wrangler.toml. */
export const jobsByCron: Record<string, Job[]> = {
  "0 * * * *": [
    {
      name: "settlement-close",
      run: async (env) => {
        await closeEpoch(env);
      },
    },
    {
      name: "usage-archive",
      run: async (env) => {
        await archiveFinalEpochs(env);
      },
    },
    {
      // Expired leases' escrow back to their payers; released leases, sessions and rate windows out of the control DB.
      name: "gateway-prune",
      run: async (env) => {
        await pruneGateway(env.DB);
      },
    },
  ],
  "* * * * *": [
    {
      name: "chain-sync",
      // Every region's worker fires this cron against the shared control database; one run holds the lease.
      run: async (env) => {
        await syncChain(env).catch((err: unknown) => {
          if (!(err instanceof AppError && err.code === "conflict")) throw err;
        });
      },
    },
  ],
};

export async function scheduled(
  controller: ScheduledController,
  env: AppEnv["Bindings"],
  ctx: ExecutionContext,
): Promise<void> {
  for (const job of jobsByCron[controller.cron] ?? []) {
    const started = Date.now();
    try {
      await job.run(env, ctx);
      console.log(JSON.stringify({ level: "info", job: job.name, cron: controller.cron, ms: Date.now() - started }));
    } catch (err) {
      // One failing job must not stop the others; the next trigger retries it.
      console.error(JSON.stringify({ level: "error", job: job.name, cron: controller.cron, message: String(err) }));
    }
  }
}
