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
  /** 0x-prefixed P-256 private key (32-byte scalar) that signs usage receipts; required outside the local region. */
  GATEWAY_SIGNING_KEY?: string;
  /** 0x-prefixed private key holding the ledger's settler role; signs `settleEpoch`. */
  SETTLER_PRIVATE_KEY?: string;
};

/** Receipt keys that signed before the current one (vars, public: `wrangler.toml` or the dashboard). */
export type ReceiptVars = {
  /** Comma-separated 0x-hex SEC1 public keys of earlier receipt signing keys, published at `/v1/usage/signer`. */
  GATEWAY_PREVIOUS_SIGNERS?: string;
};

/** Vars only bench/ sets (`wrangler dev --var`); never in wrangler.toml. */
export type BenchVars = {
  /** Comma-separated upstream base URLs of the bare pass-through route (routes/bench.ts); honoured in `local` only. */
  BENCH_UPSTREAMS?: string;
};

export type AppEnv = {
  Bindings: Env & Secrets & ReceiptVars & BenchVars & SyncVars;
  Variables: RequestIdVariables & Partial<ApiKeyVariables & PayerSessionVariables & SessionVariables>;
};
