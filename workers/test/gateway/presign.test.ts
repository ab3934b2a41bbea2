// Receipt signatures with nonces made ahead of time are ordinary EIP-191 signatures of the gateway's key.
import { recoverMessageAddress, verifyMessage } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { PresignedSigner } from "../../src/gateway/presign.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

describe("PresignedSigner", () => {
  it("signs like personal_sign: every signature recovers the key's address, with or without prepared nonces", async () => {
    const signer = new PresignedSigner(KEY);
    const { address } = privateKeyToAccount(KEY);
    signer.prepare(40);
    expect(signer.prepared).toBe(40);
    const rs = new Set<string>();
    for (let i = 0; i < 60; i++) {
      // Unicode and lengths that change the EIP-191 length prefix.
      const message = `receipt ${i} ${"é€".repeat(i)}`;
      const signature = signer.signMessage(message);
      expect(signature).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/);
      expect(await recoverMessageAddress({ message, signature })).toBe(address);
      expect(await verifyMessage({ address, message, signature })).toBe(true);
      rs.add(signature.slice(2, 66));
    }
    // 40 from the pool, 20 made on the spot; a nonce is never used twice.
    expect(signer.prepared).toBe(0);
    expect(rs.size).toBe(60);
  });

  it("signs with low s only (EIP-2), so each receipt has one valid signature", () => {
    const signer = new PresignedSigner(KEY);
    const halfN = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
    for (let i = 0; i < 50; i++) {
      const s = BigInt(`0x${signer.signMessage(`m${i}`).slice(66, 130)}`);
      expect(s <= halfN).toBe(true);
    }
  });

  it("signs with nonces made in batches (one shared inversion): every signature recovers the key, no r repeats", async () => {
    const signer = new PresignedSigner(KEY);
    const { address } = privateKeyToAccount(KEY);
    const rs = new Set<string>();
    for (let batch = 0; batch < 10; batch++) {
      signer.prepare(16);
      expect(signer.prepared).toBe(16);
      for (let i = 0; i < 16; i++) {
        const message = JSON.stringify({ batch, i, text: "ü".repeat(batch * 16 + i) });
        const signature = signer.signMessage(message);
        expect(await recoverMessageAddress({ message, signature })).toBe(address);
        rs.add(signature.slice(2, 66));
      }
    }
    expect(rs.size).toBe(160);
  });

  it("makes distinct nonces in one refill", () => {
    const signer = new PresignedSigner(KEY);
    signer.prepare(64);
    // The same message signed with each nonce of the batch: a repeated nonce would repeat the signature.
    const signatures = Array.from({ length: 64 }, () => signer.signMessage("same message"));
    expect(signer.prepared).toBe(0);
    expect(new Set(signatures.map((s) => s.slice(2, 66))).size).toBe(64);
    expect(new Set(signatures).size).toBe(64);
  });

  it("prepares at most the asked number per call", () => {
    const signer = new PresignedSigner(KEY);
    signer.prepare(16, 2);
    expect(signer.prepared).toBe(2);
    signer.prepare(16, 100);
    expect(signer.prepared).toBe(16);
  });
});
