// The one typed environment of the worker: bindings from wrangler.toml plus per-request variables.
import type { RequestIdVariables } from "hono/request-id";
import type { SyncVars } from "./chain/sync.ts";
import type { ApiKeyVariables } from "./gateway/auth.ts";
import type { PayerSessionVariables } from "./gateway/siwe.ts";
import type { SessionVariables } from "./tasks/session.ts";

/** Secrets set with `wrangler secret put` (or .dev.vars locally); upstream keys are looked up by route secret name. */
export type Secrets = {
  /** Bearer token of the operator admin API. */
  ADMIN_TOKEN?: string;
  /** 0x-prefixed secp256k1 private key that signs usage receipts; required outside the local region. */
  GATEWAY_SIGNING_KEY?: string;
};

export type AppEnv = {
  Bindings: Env & Secrets & SyncVars;
  Variables: RequestIdVariables & Partial<ApiKeyVariables & PayerSessionVariables & SessionVariables>;
};
