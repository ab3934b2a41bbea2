// The two inserts every metered request makes: its usage record (regional meter database) and its charge (control
// database). Kept apart from the code that batches them so that bench/storage.ts measures the same statements.

/**
 * A request's usage record, inserted once by request id. The receipt's payload is not stored: every field of it is a
 * column, and `receiptOfRecord` (gateway/meter.ts) rebuilds the same text.
 */
export const USAGE_INSERT_SQL = `INSERT INTO usage_records (request_id, key_id, payer, model, model_asset, license_id, terms_id, token,
  route_id, endpoint, stream, input_tokens, output_tokens, cost, reserved, status, http_status, latency_ms, region,
  estimated, created_at, signature, signer)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, CAST(?14 AS INTEGER), CAST(?15 AS INTEGER), ?16, ?17,
  ?18, ?19, ?20, ?21, ?22, ?23)
ON CONFLICT(request_id) DO NOTHING`;

/** A finished request's own hold row with its charge (state `charged`, or `released` for a charge of 0). */
export const CHARGE_INSERT_SQL = `INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state,
  created_at) VALUES (?1, ?2, ?3, ?4, ?5, CAST(?6 AS INTEGER), CAST(?7 AS INTEGER), ?8, ?9)
ON CONFLICT(request_id) DO NOTHING`;
