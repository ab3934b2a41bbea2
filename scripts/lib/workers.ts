// The worker under wrangler/workerd for the local stack: apply the D1 migrations, then `wrangler dev`.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { answers, childEnv, type Managed, repoRoot, start, waitUntil } from "./processes.ts";

const run = promisify(execFile);

/** The D1 bindings of wrangler.toml, each with its own migrations folder. */
export const d1Bindings = ["DB", "METER_DB", "TASKS_DB"] as const;

/** Applies every binding's migrations to the local D1 state in `persistTo`. */
export async function applyMigrations(persistTo: string): Promise<void> {
  for (const binding of d1Bindings) {
    await run("wrangler", ["d1", "migrations", "apply", binding, "--local", "--persist-to", persistTo], {
      cwd: repoRoot,
      env: childEnv({ CI: "true" }),
    }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`Applying ${binding} migrations failed: ${err.stderr || err.stdout || err.message}`);
    });
  }
}

export type StartWorkerParameters = {
  port: number;
  persistTo: string;
  /** Worker variables and secrets for local use (`--var NAME:VALUE`). */
  vars: Record<string, string>;
  onOutput?: (text: string) => void;
};

export type Worker = Managed & { url: string };

export async function startWorker({ port, persistTo, vars, onOutput }: StartWorkerParameters): Promise<Worker> {
  const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistTo];
  args.push("--show-interactive-dev-session=false", "--inspector-port", "0");
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  const worker = start({ name: "wrangler", command: "wrangler", args, onOutput });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(worker, "the worker answers /health", () => answers(`${url}/health`), 120_000);
  return { ...worker, url };
}
