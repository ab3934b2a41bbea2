// The one typed environment of the worker: bindings from wrangler.toml plus per-request variables.
import type { RequestIdVariables } from "hono/request-id";
import type { SessionVariables } from "./tasks/session.ts";

export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables & Partial<SessionVariables>;
};
