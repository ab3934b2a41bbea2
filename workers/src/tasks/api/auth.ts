// Routes of Sign-In with Ethereum: get a nonce, sign an EIP-4361 message with it, trade it for a session.
import { createRoute } from "@hono/zod-openapi";
import { nonceResponseSchema, sessionSchema, verifyRequestSchema } from "@tributary/schemas/tasks";
import type { Hex } from "viem";
import { deploymentChainId } from "../../siwe.ts";
import { issueSession } from "../session.ts";
import { createNonce, verifySiwe } from "../siwe.ts";
import { tasksApp } from "../validation.ts";
import { body, json, problems } from "./responses.ts";

export const auth = tasksApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/nonce",
      tags: ["auth"],
      summary: "Get a single-use nonce for an EIP-4361 message (valid 5 minutes).",
      responses: { 201: json(nonceResponseSchema, "The nonce.") },
    }),
    async (c) => {
      const { nonce, expiresAt } = await createNonce(c.env.TASKS_DB, Date.now());
      return c.json({ nonce, expiresAt: expiresAt.toISOString() }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/verify",
      tags: ["auth"],
      summary: "Verify a signed EIP-4361 message (domain = this host) and get a one-hour session token.",
      request: { body: body(verifyRequestSchema) },
      responses: { 200: json(sessionSchema, "The session."), 400: problems[400], 401: problems[401] },
    }),
    async (c) => {
      const { message, signature } = c.req.valid("json");
      const now = Date.now();
      const { address, expirationTime } = await verifySiwe(c.env.TASKS_DB, {
        message,
        signature: signature as Hex,
        domain: new URL(c.req.url).host,
        now,
        chainId: deploymentChainId(c.env as { CHAIN_ID?: string }),
      });
      const { token, expiresAt } = await issueSession(c.env, address, now, expirationTime);
      return c.json({ token, address, expiresAt: expiresAt.toISOString() }, 200);
    },
  );
