// Forwards an admitted request upstream; every way it can fail is metered (charge 0) before it is answered.
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { complete } from "./admission.ts";
import type { Metered } from "./meter.ts";
import type { Route } from "./routing.ts";
import { callUpstream, type UpstreamResult } from "./upstream.ts";

export type ForwardParameters = { path: string; body: (route: Route) => unknown; readBody: boolean };

/** The upstream's answer when it succeeded, or the response to send when it refused the request itself (4xx). */
export type Forwarded = { result: UpstreamResult; refusal: null } | { result: null; refusal: Response };

const failed = { inputTokens: 0, outputTokens: 0, estimated: false, status: "upstream_error" as const };

/** Passes an upstream's non-retryable error through in OpenAI's shape. */
function refusalOf(result: UpstreamResult): Response {
  let body: unknown;
  try {
    body = JSON.parse(result.text ?? "");
  } catch {
    body = {
      error: { message: result.text || "Upstream error.", type: "invalid_request_error", param: null, code: null },
    };
  }
  return Response.json(body, { status: result.response.status });
}

export async function forward(c: Context<AppEnv>, metered: Metered, p: ForwardParameters): Promise<Forwarded> {
  let result: UpstreamResult;
  try {
    result = await callUpstream({
      routes: metered.resolved.routes,
      path: p.path,
      body: p.body,
      readBody: p.readBody,
      secrets: c.env as unknown as Record<string, unknown>,
    });
  } catch (err) {
    const attempts = err instanceof AppError && Array.isArray(err.cause) ? err.cause : [];
    const httpStatus = err instanceof AppError ? err.status : 502;
    await complete(c, metered, { ...failed, routeId: null, httpStatus }, { attempts });
    throw err;
  }
  if (result.response.ok) return { result, refusal: null };
  const { route, response, attempts } = result;
  await complete(c, metered, { ...failed, routeId: route.id, httpStatus: response.status }, { attempts });
  return { result: null, refusal: refusalOf(result) };
}

/** Parses a successful non-streaming answer; an unreadable one is metered as a failure (charge 0) and answered 502. */
export async function upstreamJson<T>(c: Context<AppEnv>, metered: Metered, result: UpstreamResult): Promise<T> {
  try {
    return JSON.parse(result.text ?? "") as T;
  } catch (err) {
    const outcome = { ...failed, routeId: result.route.id, httpStatus: 502 };
    await complete(c, metered, outcome, { attempts: result.attempts });
    throw new AppError("upstream_error", "The upstream answered with a body that is not JSON.", {}, { cause: err });
  }
}
