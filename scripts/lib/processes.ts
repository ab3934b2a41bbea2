// Child processes for the local stack and tests: spawn with a name, wait until they answer, stop them all.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
const bin = path.join(repoRoot, "node_modules/.bin");

/**
 * The environment children get: this repository's tools (Node 22 among them) first on PATH, and the
 * tools' telemetry off, since the stack runs offline.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    WRANGLER_SEND_METRICS: "false",
    PONDER_TELEMETRY_DISABLED: "true",
    ...extra,
  };
}

/** A named child process whose output is kept so a failure can be explained. */
export type Managed = { name: string; child: ChildProcess; output: () => string; stop: () => Promise<void> };

export type StartParameters = {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Called with every chunk of output, e.g. to print it. */
  onOutput?: (text: string) => void;
};

/** Starts a child in its own process group, so stopping it also stops what it spawned. */
export function start({ name, command, args, env, cwd, onOutput }: StartParameters): Managed {
  const child = spawn(command, args, { cwd: cwd ?? repoRoot, env: childEnv(env), detached: true, stdio: "pipe" });
  let output = "";
  const keep = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    onOutput?.(text);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    signalGroup(child.pid, "SIGTERM");
    const killed = setTimeout(() => signalGroup(child.pid as number, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(killed);
  };
  return { name, child, output: () => output, stop };
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Resolves once `probe` succeeds; rejects with the child's last output if it exits or time runs out. */
export async function waitUntil(
  managed: Managed | undefined,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (managed && managed.child.exitCode !== null) {
      throw new Error(`${managed.name} exited with code ${managed.child.exitCode} before ${what}:\n${tail(managed)}`);
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out after ${timeoutMs / 1000}s waiting for ${what}.${managed ? `\n${tail(managed)}` : ""}`);
}

/** Whether an HTTP URL answers with a status below 500. */
export async function answers(url: string, init?: RequestInit): Promise<boolean> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  return res.status < 500;
}

function tail(managed: Managed): string {
  return managed.output().split("\n").slice(-30).join("\n");
}

/** Fails with a one-line explanation when something already listens on `port`. */
export async function assertPortFree(port: number, what: string, host = "127.0.0.1"): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === "EADDRINUSE"
            ? `Port ${port} (${what}) is already in use. Stop what holds it or choose another port (see --help).`
            : `Cannot listen on ${host}:${port} (${what}): ${err.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** A free TCP port on loopback, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
