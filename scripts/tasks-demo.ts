// Seeds a demo annotation project through the public tasks API, and with --work runs annotators to an export.
import { type Hex, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";

export async function api<T>(
  url: string,
  init: RequestInit & { token?: string; json?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(url, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${init.method ?? "GET"} ${url} → ${res.status} ${text}`);
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Signs in with Ethereum (EIP-4361) and returns the session token. */
export async function signIn(tasksUrl: string, privateKey: Hex): Promise<string> {
  const account = privateKeyToAccount(privateKey);
  const { body } = await api<{ nonce: string }>(`${tasksUrl}/tasks/auth/nonce`, { method: "POST" });
  const url = new URL(tasksUrl);
  const message = createSiweMessage({
    address: account.address,
    chainId: 31337,
    domain: url.host,
    nonce: body.nonce,
    uri: url.origin,
    version: "1",
    statement: "Sign in to Tributary tasks.",
  });
  const signature = await account.signMessage({ message });
  return (
    await api<{ token: string }>(`${tasksUrl}/tasks/auth/verify`, { method: "POST", json: { message, signature } })
  ).body.token;
}

export type SeedTasksDemoParameters = { tasksUrl: string; ownerKey: Hex; datasetId: Hex };

/** Creates a sentiment project (overlap 3, 10% gold) with 20 text items and 2 gold items. */
export async function seedTasksDemo(p: SeedTasksDemoParameters): Promise<{ projectId: string }> {
  const token = await signIn(p.tasksUrl, p.ownerKey);
  const { body: project } = await api<{ id: string }>(`${p.tasksUrl}/tasks/projects`, {
    method: "POST",
    token,
    json: {
      datasetId: p.datasetId,
      name: "Demo sentiment",
      instructions: "Label each review as positive (pos) or negative (neg).",
      labelSchema: { type: "classification", multiple: false, classes: ["pos", "neg"] },
      overlap: 3,
      goldRatioBps: 1000,
      leaseTtlSeconds: 600,
      rewardWeight: 100,
    },
  });
  const reviews = Array.from({ length: 20 }, (_, i) => ({
    externalId: `review-${i}`,
    text: i % 3 ? `Loved it, ${i}/10 would buy again.` : `Broke after ${i} days.`,
  }));
  const gold = [
    { text: "Absolutely wonderful.", gold: { choice: "pos" } },
    { text: "Terrible, do not buy.", gold: { choice: "neg" } },
  ];
  await api(`${p.tasksUrl}/tasks/projects/${project.id}/items`, {
    method: "POST",
    token,
    json: { items: [...reviews, ...gold] },
  });
  return { projectId: project.id };
}

/** Claims and labels items of `projectId` as the annotator `key` until none is left; returns how many. */
export async function work(tasksUrl: string, key: Hex, projectId: string): Promise<number> {
  const token = await signIn(tasksUrl, key);
  let done = 0;
  for (;;) {
    const claim = await api<{ assignment: { id: string }; item: { text: string } } | null>(
      `${tasksUrl}/tasks/projects/${projectId}/claim`,
      { method: "POST", token },
    );
    if (claim.status === 204 || !claim.body) return done;
    const choice = /Broke|Terrible/.test(claim.body.item.text) ? "neg" : "pos";
    await api(`${tasksUrl}/tasks/assignments/${claim.body.assignment.id}/submit`, {
      method: "POST",
      token,
      headers: { "idempotency-key": crypto.randomUUID() },
      json: { value: { choice } },
    });
    done += 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const tasksUrl = process.env.TASKS_URL ?? "http://127.0.0.1:8787";
  const ownerKey = generatePrivateKey();
  const datasetId = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const { projectId } = await seedTasksDemo({ tasksUrl, ownerKey, datasetId });
  console.log(JSON.stringify({ projectId, datasetId }));
  if (process.argv.includes("--work")) {
    const annotators = Array.from({ length: 4 }, () => generatePrivateKey());
    const counts = await Promise.all(annotators.map((k) => work(tasksUrl, k, projectId)));
    const token = await signIn(tasksUrl, ownerKey);
    const { body } = await api(`${tasksUrl}/tasks/datasets/${datasetId}/exports`, { method: "POST", token });
    console.log(JSON.stringify({ submitted: counts, export: body }, null, 2));
  }
}
