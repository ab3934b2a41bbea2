// Request ids: the gateway's own (UUIDv7), or a client's `X-Request-Id` made its payer's own by naming the payer.

/**
 * Hono's requestId middleware keeps a client's `X-Request-Id` only when it is word characters, `-` and `=` (else it
 * names the request itself), so `@` occurs in no client id, no gateway UUID and no lease id (`lease:…`).
 */
const PAYER_SEPARATOR = "@";

/**
 * The id a request of `payer` is recorded under when its client named it `clientId`: `<clientId>@<payer>`. Its usage
 * record and its hold are keyed by it, so two payers may use the same id, and the settler, the archive and the usage
 * digest see one globally unique id per request as they do for the gateway's own.
 */
export function payerRequestId(clientId: string, payer: string): string {
  return `${clientId}${PAYER_SEPARATOR}${payer}`;
}

/** The client's own id of a request: its `X-Request-Id` when the middleware kept it as the request id, else null. */
export function clientRequestId(header: string | undefined, requestId: string): string | null {
  return header === requestId ? requestId : null;
}

/**
 * The ids `payer` may mean by `id`: the id as it is (a gateway id, an id as a receipt or its URL names it, or a client
 * id recorded before client ids were scoped), and the id of the payer's request whose client named it `id`. Read them
 * with `payer = ?`: another payer's request then matches neither, whatever its id.
 */
export function idsOfPayer(id: string, payer: string): [string, string] {
  return [id, payerRequestId(id, payer)];
}
