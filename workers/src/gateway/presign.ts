// EIP-191 (personal_sign) signatures whose costly part, the nonce point k·G, is computed before the message is known.
import { Field, FpInvertBatch } from "@noble/curves/abstract/modular";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import type { Hex } from "viem";

const { n } = secp256k1.CURVE;
const Fn = Field(n);
const halfN = n >> 1n;
const encoder = new TextEncoder();

/**
 * A single-use ECDSA nonce, reduced to what a signature needs. With r = (k·G).x, s = k⁻¹·(z + r·d) = k⁻¹·z + k⁻¹·r·d
 * (mod n): the second term does not depend on the message hash z, so it is computed with the nonce. `rHex` is r as
 * the signature's first 64 hex digits, `yOdd` the parity of (k·G).y for the recovery id.
 */
type Nonce = { rHex: string; kInverse: bigint; kInverseRD: bigint; yOdd: boolean };

const toHex64 = (x: bigint) => x.toString(16).padStart(64, "0");

/** A 32-byte big-endian integer, read as four 64-bit words (cheaper than a hex round trip). */
function bigintOf(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 32);
  return (
    (view.getBigUint64(0) << 192n) |
    (view.getBigUint64(8) << 128n) |
    (view.getBigUint64(16) << 64n) |
    view.getBigUint64(24)
  );
}

/**
 * ECDSA over secp256k1 is s = k⁻¹·(z + r·d) mod n with r = (k·G).x; everything but one multiplication and one
 * addition depends only on the random nonce k, and k·G is most of the cost of a signature. This signer keeps a pool
 * of nonces made ahead of time (from the platform's CSPRNG, each used once and dropped) so that signing a receipt on
 * the request path costs one Keccak hash and a few big-integer operations; the nonces of one `prepare` call share a
 * single modular inversion of their k. Signatures are standard 65-byte r‖s‖v with low s: viem's `verifyMessage` /
 * `recoverMessageAddress` (or `ecrecover` on-chain) check them like any other.
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

  /** Computes nonces until `count` are ready, at most `max` in this call (each costs one k·G; all share one inversion). */
  prepare(count: number, max = count): void {
    const wanted = Math.min(count - this.#pool.length, max);
    if (wanted > 0) for (const nonce of nonces(this.#d, wanted)) this.#pool.push(nonce);
  }

  /** Signs `message` as personal_sign does: keccak256("\x19Ethereum Signed Message:\n" + length + message). */
  signMessage(message: string): Hex {
    const bytes = encoder.encode(message);
    const prefix = encoder.encode(`\x19Ethereum Signed Message:\n${bytes.length}`);
    const hash = bigintOf(keccak_256.create().update(prefix).update(bytes).digest());
    const z = hash >= n ? hash - n : hash;
    for (;;) {
      const { rHex, kInverse, kInverseRD, yOdd } = this.#pool.shift() ?? (nonces(this.#d, 1)[0] as Nonce);
      let s = (kInverse * z + kInverseRD) % n;
      if (s === 0n) continue;
      let recovery = yOdd ? 1 : 0;
      // Low s (EIP-2): negating s is the signature of the point with the other y, so the recovery id flips.
      if (s > halfN) {
        s = n - s;
        recovery ^= 1;
      }
      return `0x${rHex}${toHex64(s)}${recovery === 0 ? "1b" : "1c"}`;
    }
  }
}

/**
 * `count` fresh nonces for the key `d`: each k uniform in [1, n−1] (32 random bytes, redrawn when out of range, with
 * probability ~2⁻¹²⁸), its point k·G, and batched inversions (Montgomery's trick: 3 multiplications per nonce
 * instead of an inversion each), one for the k's and one for the points' z.
 */
function nonces(d: bigint, count: number): Nonce[] {
  const ks: bigint[] = [];
  const points: { r: bigint; yOdd: boolean }[] = [];
  while (ks.length < count) {
    const drawn: bigint[] = [];
    while (drawn.length < count - ks.length) {
      const k = bigintOf(crypto.getRandomValues(new Uint8Array(32)));
      if (k !== 0n && k < n) drawn.push(k);
    }
    // k·G in projective coordinates, then all made affine with one field inversion.
    const affine = secp256k1.ProjectivePoint.normalizeZ(drawn.map((k) => secp256k1.ProjectivePoint.BASE.multiply(k)));
    for (const [i, point] of affine.entries()) {
      const { px: r, py: y } = point;
      // r = x mod n; an x ≥ n (probability ~2⁻¹²⁸) would need recovery ids 2–3, which v = 27/28 cannot carry.
      if (r >= n) continue;
      ks.push(drawn[i] as bigint);
      points.push({ r, yOdd: (y & 1n) === 1n });
    }
  }
  const inverses = FpInvertBatch(Fn, ks) as bigint[];
  return points.map(({ r, yOdd }, i) => {
    const kInverse = inverses[i] as bigint;
    return { rHex: toHex64(r), kInverse, kInverseRD: Fn.mul(Fn.mul(kInverse, r), d), yOdd };
  });
}
