// Boots the whole stack with scripts/dev.ts on free ports, calls through it, stops it with Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { mockERC20Abi } from "@tributary/schemas/abis";
import OpenAI from "openai";
import { createPublicClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPortFree, childEnv, freePort, repoRoot } from "../lib/processes.ts";
import type { StackInfo } from "../lib/stack.ts";
import { signIn } from "../tasks-demo.ts";

/** `n` free ports, all different: the OS may hand out a just-released port again (nothing listens on them yet). */
async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

type Run = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function runDev(args: string[]): Run {
  const child = spawn("node", ["scripts/dev.ts", ...args], { cwd: repoRoot, env: childEnv(), stdio: "pipe" });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Runs one of the repository's CLI scripts to completion. */
async function runScript(script: string, args: string[], env: Record<string, string>) {
  const child = spawn("node", [script, ...args], { cwd: repoRoot, env: childEnv(env), stdio: "pipe" });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

async function rpc(rpcUrl: string, method: string, params: unknown[]) {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

async function untilOutput(run: Run, text: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`dev exited with ${run.child.exitCode}:\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}":\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const stateRoot = path.join(repoRoot, ".dev");
mkdirSync(stateRoot, { recursive: true });
const stateDirs: string[] = [];
/** A state folder of its own for one run, removed after the tests. */
const newStateDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(stateRoot, prefix));
  stateDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

describe("npm run dev", () => {
  const stateDir = newStateDir("e2e-");
  let ports: { chain: number; gateway: number; indexer: number; model: number };
  let dev: Run;
  let stack: StackInfo;

  beforeAll(async () => {
    const [chain = 0, gateway = 0, indexer = 0, model = 0] = await distinctPorts(4);
    ports = { chain, gateway, indexer, model };
    dev = runDev([
      "--fresh",
      ...["--state-dir", path.relative(repoRoot, stateDir)],
      ...["--chain-port", String(ports.chain), "--gateway-port", String(ports.gateway)],
      ...["--indexer-port", String(ports.indexer), "--model-port", String(ports.model)],
    ]);
    await untilOutput(dev, "Press Ctrl-C to stop.", 180_000);
    stack = JSON.parse(readFileSync(path.join(stateDir, "stack.json"), "utf8")) as StackInfo;
  });

  afterAll(async () => {
    if (dev?.child.exitCode === null) {
      dev.child.kill("SIGINT");
      await dev.exited;
    }
  });

  it("writes stack.json whose URLs all answer", async () => {
    expect(stack.chainId).toBe(31337);
    const chainId = await fetch(stack.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    expect(((await chainId.json()) as { result: string }).result).toBe("0x7a69");
    expect((await fetch(`${stack.gatewayUrl}/health`)).status).toBe(200);
    expect((await fetch(`${stack.indexerUrl}/ready`)).status).toBe(200);
    const dashboard = await fetch(stack.dashboardUrl);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain("<title>Tributary dashboard</title>");
    expect(stack.contracts.AssetRegistry).toMatch(/^0x[0-9a-fA-F]{40}$/);
    // The operator API answers the admin token that stack.json and the banner show.
    expect(dev.output()).toMatch(new RegExp(`admin token +${stack.adminToken}\n`));
    const keys = await fetch(`${stack.gatewayUrl}/admin/keys`, {
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    expect(keys.status).toBe(200);
  });

  it("indexes the demo assets registered on-chain", async () => {
    const query = "{ assets { items { id kind } } }";
    const res = await fetch(`${stack.indexerUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
    const { data } = (await res.json()) as { data: { assets: { items: { id: string; kind: string }[] } } };
    const byId = Object.fromEntries(data.assets.items.map((a) => [a.id, a.kind]));
    expect(byId[stack.demo.modelAssetId]).toBe("model");
    expect(byId[stack.demo.datasetAssetId]).toBe("dataset");
  });

  it("serves the demo model through the gateway to the openai SDK, metered", async () => {
    const client = new OpenAI({ baseURL: `${stack.gatewayUrl}/v1`, apiKey: stack.demo.apiKey, maxRetries: 0 });
    const { data: completion, response } = await client.chat.completions
      .create({ model: stack.demo.model, messages: [{ role: "user", content: "one two three" }] })
      .withResponse();
    expect(completion.choices[0]?.message.content).toBeTruthy();

    // The receipt verifies as docs/gateway.md ("Receipts") tells a client to: Node's own WebCrypto, the published JWK.
    const signer = (await (await fetch(`${stack.gatewayUrl}/v1/usage/signer`)).json()) as {
      jwk: { kty: string; crv: string; x: string; y: string };
    };
    const key = await crypto.subtle.importKey("jwk", signer.jwk, { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
    const [b64 = "", signature = ""] = (response.headers.get("x-tributary-receipt") ?? "").split(".");
    const payload = Buffer.from(b64, "base64url");
    const verify = (bytes: Buffer) =>
      crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, Buffer.from(signature.slice(2), "hex"), bytes);
    expect(await verify(payload)).toBe(true);
    expect(JSON.parse(payload.toString("utf8"))).toMatchObject({ model: stack.demo.model, status: "completed" });
    expect(await verify(Buffer.concat([payload, Buffer.from(" ")]))).toBe(false);
    const stream = await client.chat.completions.create({
      model: stack.demo.model,
      messages: [{ role: "user", content: "stream me please" }],
      stream: true,
    });
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
    expect(streamed.length).toBeGreaterThan(0);

    // Usage records are written behind the response (docs/gateway.md, "Metering"): wait for both calls' records.
    type Records = { data: { input_tokens: number; output_tokens: number; cost: string }[] };
    let records: Records["data"] = [];
    for (const deadline = Date.now() + 5000; records.length < 2 && Date.now() < deadline; ) {
      const usage = await fetch(`${stack.gatewayUrl}/v1/usage`, {
        headers: { authorization: `Bearer ${stack.demo.apiKey}` },
      });
      records = ((await usage.json()) as Records).data;
      if (records.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(records.length).toBeGreaterThanOrEqual(2);
    const priceIn = BigInt(stack.demo.pricePerMTokIn);
    const priceOut = BigInt(stack.demo.pricePerMTokOut);
    for (const r of records) {
      // Priced by the on-chain terms: ceil((in·pIn + out·pOut) / 1e6).
      const exact = BigInt(r.input_tokens) * priceIn + BigInt(r.output_tokens) * priceOut;
      expect(BigInt(r.cost)).toBe((exact + 999_999n) / 1_000_000n);
    }
  });

  it("lets a demo annotator sign in and lease an item of the demo project", async () => {
    const token = await signIn(stack.tasksUrl, stack.demo.annotatorKeys[0] as `0x${string}`);
    const res = await fetch(`${stack.tasksUrl}/tasks/projects/${stack.demo.projectId}/claim`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(201);
    const claim = (await res.json()) as { assignment: { id: string }; item: { id: string } };
    expect(claim.assignment.id).toBeTruthy();
  });

  it("settles the calls and pays a demo annotator exactly the claimable amount, verifiably", async () => {
    const env = { STACK_DIR: stateDir };
    const settled = await runScript("scripts/settle.ts", [], env);
    expect(settled.code, settled.output).toBe(0);
    const epochId = Number(settled.output.match(/Epoch (\d+) settled/)?.[1]);
    expect(epochId).toBeGreaterThan(0);
    // The manifest URI posted on-chain names the worker, so it can be fetched from anywhere (the dashboard too).
    const posted = (await (await fetch(`${stack.gatewayUrl}/settlement/epochs/${epochId}`)).json()) as {
      manifest_uri: string;
    };
    expect(posted.manifest_uri).toBe(`${stack.gatewayUrl}/settlement/epochs/${epochId}/manifest`);
    expect((await fetch(posted.manifest_uri)).status).toBe(200);

    // The local chain's challenge period is 60 s: move anvil past it instead of waiting.
    await rpc(stack.rpcUrl, "evm_increaseTime", [61]);
    await rpc(stack.rpcUrl, "evm_mine", []);

    const annotatorKey = stack.demo.annotatorKeys[0] as Hex;
    const annotator = privateKeyToAccount(annotatorKey).address;
    const client = createPublicClient({ transport: http(stack.rpcUrl) });
    const balanceOf = () =>
      client.readContract({
        address: stack.demo.token,
        abi: mockERC20Abi,
        functionName: "balanceOf",
        args: [annotator],
      });
    const before = await balanceOf();
    const claimed = await runScript("scripts/claim.ts", ["--private-key", annotatorKey], env);
    expect(claimed.code, claimed.output).toBe(0);
    const payouts = (await (await fetch(`${stack.gatewayUrl}/payouts/${annotator}`)).json()) as {
      payouts: { token: string; cumulative: string; claimed: string; claimable: string }[];
    };
    const payout = payouts.payouts.find((p) => p.token.toLowerCase() === stack.demo.token.toLowerCase());
    expect(BigInt(payout?.cumulative ?? 0)).toBeGreaterThan(0n);
    expect(payout?.claimable).toBe("0");
    expect((await balanceOf()) - before).toBe(BigInt(payout?.cumulative ?? -1));

    const verified = await runScript("scripts/verify-epoch.ts", [String(epochId)], env);
    expect(verified.code, verified.output).toBe(0);
    // The claim finalized it; the script says what the chain holds it as, not only that the root rebuilds.
    expect(verified.output).toContain("On-chain it is final: its accruals can be claimed.");

    // Three-way reconciliation (metering, manifest, chain) is clean once the indexer has seen the claim.
    let reconciled = await runScript("scripts/reconcile.ts", [], { INDEXER_URL: stack.indexerUrl });
    for (let i = 0; i < 40 && reconciled.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      reconciled = await runScript("scripts/reconcile.ts", [], { INDEXER_URL: stack.indexerUrl });
    }
    expect(reconciled.code, reconciled.output).toBe(0);
    expect(reconciled.output).toContain("manifests checked, metering checked");
    // The URI posted on-chain, as the indexer read it from the EpochSettled event, is the same fetchable one.
    const indexed = (await (await fetch(`${stack.indexerUrl}/api/epochs?limit=1`)).json()) as {
      epochs: { id: string; manifestUri: string }[];
    };
    expect(indexed.epochs[0]).toMatchObject({ id: String(epochId), manifestUri: posted.manifest_uri });
  });

  it("stops every process on Ctrl-C and frees its ports", async () => {
    dev.child.kill("SIGINT");
    expect(await dev.exited).toBe(0);
    for (const [name, port] of Object.entries(ports)) await assertPortFree(port, name);
  });

  it("resumes from the same state on a second run", async () => {
    const again = runDev([
      ...["--state-dir", path.relative(repoRoot, stateDir), "--exit-when-ready"],
      ...["--chain-port", String(ports.chain), "--gateway-port", String(ports.gateway)],
      ...["--indexer-port", String(ports.indexer), "--model-port", String(ports.model)],
    ]);
    expect(await again.exited).toBe(0);
    const resumed = JSON.parse(readFileSync(path.join(stateDir, "stack.json"), "utf8")) as StackInfo;
    expect(resumed.contracts).toEqual(stack.contracts);
    expect(resumed.demo.modelAssetId).toBe(stack.demo.modelAssetId);
    expect(resumed.demo.apiKey).toBe(stack.demo.apiKey);
    expect(resumed.demo.licenseId).toBe(stack.demo.licenseId);
    expect(resumed.demo.projectId).toBe(stack.demo.projectId);
  });
});

describe("npm run dev failures", () => {
  it("explains a busy port in one line instead of hanging", async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
    );
    const stateDir = newStateDir("e2e-busy-");
    const run = runDev(["--state-dir", path.relative(repoRoot, stateDir), "--chain-port", String(port)]);
    const code = await run.exited;
    server.close();
    expect(code).toBe(1);
    expect(run.output().trim()).toBe(
      `npm run dev: Port ${port} (anvil, --chain-port) is already in use. Stop what holds it or choose another port (see --help).`,
    );
  });

  it("explains an unreadable saved chain in one line", async () => {
    const stateDir = newStateDir("e2e-bad-");
    writeFileSync(path.join(stateDir, "anvil-state.json"), "{}");
    writeFileSync(path.join(stateDir, "chain.json"), "not json");
    const ports = await distinctPorts(4);
    const run = runDev([
      ...["--state-dir", path.relative(repoRoot, stateDir), "--chain-port", String(ports[0])],
      ...["--gateway-port", String(ports[1]), "--indexer-port", String(ports[2]), "--model-port", String(ports[3])],
    ]);
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split("\n");
    expect(lines.at(-1)).toMatch(/^npm run dev: .*chain\.json is missing or unreadable.*npm run dev -- --fresh/);
    expect(existsSync(path.join(stateDir, "stack.json"))).toBe(false);
  });

  it("rejects a malformed port", async () => {
    const run = runDev(["--chain-port", "eighty"]);
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe('npm run dev: --chain-port must be a port number, got "eighty".');
  });
});
