// The one typed environment of the worker: bindings from wrangler.toml plus per-request variables.
import type { RequestIdVariables } from "hono/request-id";

export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables;
};
