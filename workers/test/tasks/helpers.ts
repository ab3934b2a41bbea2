// Test helpers: call the worker, sign in with test keys, and set up projects with items.

import { env, exports } from "cloudflare:workers";
import type { CreateProject, Project } from "@tributary/schemas/tasks";
import { type Address, type Hex, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { expect } from "vitest";
import { issueSession } from "../../src/tasks/session.ts";

export const BASE = "http://tasks.test";

/** Calls the worker with an optional session token and JSON body. */
export async function call(
  path: string,
  init: { method?: string; token?: string; json?: unknown; headers?: Record<string, string>; body?: BodyInit } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(`${BASE}${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
}

/** Parses a JSON response after checking its status (shows the body when it differs). */
export async function expectJson<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** Builds the EIP-4361 message a wallet would sign for this worker. */
export function siweMessage(
  address: Address,
  nonce: string,
  overrides: { issuedAt?: Date; expirationTime?: Date; domain?: string } = {},
) {
  return createSiweMessage({
    address,
    chainId: 31337,
    domain: overrides.domain ?? "tasks.test",
    nonce,
    uri: BASE,
    version: "1",
    issuedAt: overrides.issuedAt ?? new Date(),
    ...(overrides.expirationTime ? { expirationTime: overrides.expirationTime } : {}),
    statement: "Sign in to Tributary tasks.",
  });
}

/** The full Sign-In with Ethereum flow for a private key; returns the session token. */
export async function signIn(privateKey: Hex): Promise<{ token: string; address: Address }> {
  const account = privateKeyToAccount(privateKey);
  const { nonce } = await expectJson<{ nonce: string }>(await call("/tasks/auth/nonce", { method: "POST" }), 201);
  const message = siweMessage(account.address, nonce);
  const signature = await account.signMessage({ message });
  const session = await expectJson<{ token: string; address: Address }>(
    await call("/tasks/auth/verify", { json: { message, signature } }),
    200,
  );
  return session;
}

/** A session for a fresh random wallet without going through SIWE (for many annotators). */
export async function freshSession(): Promise<{ token: string; address: Address }> {
  const address = privateKeyToAccount(generatePrivateKey()).address.toLowerCase() as Address;
  const { token } = await issueSession(env, address);
  return { token, address };
}

export function randomDatasetId(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

export async function createProject(token: string, overrides: Partial<CreateProject> = {}): Promise<Project> {
  const input = {
    datasetId: randomDatasetId(),
    name: "Sentiment",
    instructions: "Is the text positive or negative?",
    labelSchema: { type: "classification", multiple: false, classes: ["pos", "neg"] },
    overlap: 3,
    rewardWeight: 100,
    ...overrides,
  };
  return expectJson<Project>(await call("/tasks/projects", { token, json: input }), 201);
}

export async function addTextItems(
  token: string,
  projectId: string,
  texts: string[],
  gold?: unknown[],
): Promise<string[]> {
  const items = texts.map((text, i) => ({ text, ...(gold?.[i] !== undefined ? { gold: gold[i] } : {}) }));
  const { ids } = await expectJson<{ ids: string[] }>(
    await call(`/tasks/projects/${projectId}/items`, { token, json: { items } }),
    201,
  );
  return ids;
}

export type ClaimBody = {
  assignment: { id: string; itemId: string; expiresAt: string };
  item: { id: string; text: string | null };
};

/** Claims once; null on 204. */
export async function claim(token: string, projectId: string): Promise<ClaimBody | null> {
  const res = await call(`/tasks/projects/${projectId}/claim`, { token, method: "POST" });
  if (res.status === 204) return null;
  return expectJson<ClaimBody>(res, 201);
}

export async function submit(
  token: string,
  assignmentId: string,
  value: unknown,
  key = crypto.randomUUID(),
): Promise<Response> {
  return call(`/tasks/assignments/${assignmentId}/submit`, {
    token,
    json: { value },
    headers: { "idempotency-key": key },
  });
}
