// EIP-191 (personal_sign) signatures whose costly part, the nonce point k·G, is computed before the message is known.
import { invert, mod } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import type { Hex } from "viem";

const { n } = secp256k1.CURVE;
const encoder = new TextEncoder();

/** A single-use ECDSA nonce: r = (k·G).x, k⁻¹ mod n, and the parity of (k·G).y for the recovery id. */
type Nonce = { r: bigint; kInverse: bigint; yOdd: boolean };

const toHex64 = (x: bigint) => x.toString(16).padStart(64, "0");

/**
 * ECDSA over secp256k1 is s = k⁻¹·(z + r·d) mod n with r = (k·G).x; everything but the last multiplication depends
 * only on the random nonce k, and k·G is ~95 % of the cost of a signature. This signer keeps a pool of nonces made
 * ahead of time (from the platform's CSPRNG, each used once and dropped) so that signing a receipt on the request
 * path costs one Keccak hash and a few big-integer operations. Signatures are standard 65-byte r‖s‖v with low s:
 * viem's `verifyMessage` / `recoverMessageAddress` (or `ecrecover` on-chain) check them like any other.
 */
export class PresignedSigner {
  readonly #d: bigint;
  readonly #pool: Nonce[] = [];

  constructor(privateKey: Hex) {
    this.#d = BigInt(privateKey);
    if (this.#d <= 0n || this.#d >= n) throw new Error("The signing key is not a valid secp256k1 private key.");
  }

  /** Nonces ready for use. */
  get prepared(): number {
    return this.#pool.length;
  }

  /** Computes nonces until `count` are ready, at most `max` in this call (each costs one k·G). */
  prepare(count: number, max = count): void {
    for (let made = 0; this.#pool.length < count && made < max; made++) this.#pool.push(nonce());
  }

  /** Signs `message` as personal_sign does: keccak256("\x19Ethereum Signed Message:\n" + length + message). */
  signMessage(message: string): Hex {
    const bytes = encoder.encode(message);
    const prefixed = new Uint8Array([...encoder.encode(`\x19Ethereum Signed Message:\n${bytes.length}`), ...bytes]);
    const z = mod(BigInt(`0x${Buffer.from(keccak_256(prefixed)).toString("hex")}`), n);
    for (;;) {
      const { r, kInverse, yOdd } = this.#pool.shift() ?? nonce();
      let s = mod(kInverse * (z + r * this.#d), n);
      if (s === 0n) continue;
      let recovery = yOdd ? 1 : 0;
      // Low s (EIP-2): negating s is the signature of the point with the other y, so the recovery id flips.
      if (s > n >> 1n) {
        s = n - s;
        recovery ^= 1;
      }
      return `0x${toHex64(r)}${toHex64(s)}${(27 + recovery).toString(16)}`;
    }
  }
}

/** A fresh nonce: k uniform in [1, n−1] from 384 random bits, and the parts of k·G a signature needs. */
function nonce(): Nonce {
  for (;;) {
    const random = BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("hex")}`);
    const k = mod(random, n - 1n) + 1n;
    const point = secp256k1.ProjectivePoint.BASE.multiply(k).toAffine();
    // r = x mod n; an x ≥ n (probability ~2⁻¹²⁸) would need recovery ids 2–3, which v = 27/28 cannot carry.
    if (point.x >= n) continue;
    return { r: point.x, kInverse: invert(k, n), yOdd: (point.y & 1n) === 1n };
  }
}
