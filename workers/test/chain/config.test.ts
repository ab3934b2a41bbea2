import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { chainClient, chainConfig } from "../../src/chain/config.ts";
import { AppError } from "../../src/errors.ts";

describe("chainConfig", () => {
  it("reaches the test chain and finds the deployed contracts", async () => {
    const config = chainConfig(env);
    const client = chainClient(config);
    expect(await client.getChainId()).toBe(31337);
    for (const address of Object.values(config.contracts)) {
      expect(await client.getCode({ address })).toMatch(/^0x[0-9a-f]{10,}/);
    }
  });

  it("names the first missing or malformed variable", () => {
    expect(() => chainConfig({ ...env, CHAIN_RPC_URL: undefined })).toThrow(
      new AppError("unavailable", "The chain is not configured: set the worker variable CHAIN_RPC_URL."),
    );
    expect(() => chainConfig({ ...env, LICENSING_ADDRESS: "0x12" })).toThrow(/LICENSING_ADDRESS/);
  });
});
