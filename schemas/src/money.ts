// Money arithmetic shared by the gateway, settlement and tests: integers only (bigint base units).

/** Prices are per million tokens. */
export const TOKENS_PER_PRICE_UNIT = 1_000_000n;

export type CallCostParameters = {
  inputTokens: bigint;
  outputTokens: bigint;
  /** Base units of the payment token per million input tokens. */
  pricePerMTokIn: bigint;
  /** Base units of the payment token per million output tokens. */
  pricePerMTokOut: bigint;
};

/**
 * What a call costs in base units of the payment token: `ceil((in·pIn + out·pOut) / 1e6)`.
 * Rounding up means a call is never free because it was small.
 */
export function callCost({ inputTokens, outputTokens, pricePerMTokIn, pricePerMTokOut }: CallCostParameters): bigint {
  if (inputTokens < 0n || outputTokens < 0n || pricePerMTokIn < 0n || pricePerMTokOut < 0n) {
    throw new RangeError("Token counts and prices must not be negative.");
  }
  const numerator = inputTokens * pricePerMTokIn + outputTokens * pricePerMTokOut;
  return (numerator + TOKENS_PER_PRICE_UNIT - 1n) / TOKENS_PER_PRICE_UNIT;
}
