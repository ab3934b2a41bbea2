import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { anvilKeys, anvilMnemonic } from "../lib/chain.ts";

describe("anvilKeys", () => {
  it("are the keys of anvil's default accounts, in order", () => {
    anvilKeys.forEach((key, addressIndex) => {
      const account = mnemonicToAccount(anvilMnemonic, { addressIndex });
      expect(key).toBe(toHex(account.getHdKey().privateKey ?? new Uint8Array()));
    });
  });
});
