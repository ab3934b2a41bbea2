// Receipt signatures (ECDSA P-256 over SHA-256 of the payload, low s) and the receipt header.
import { p256 } from "@noble/curves/nist";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.ts";
import { receiptOfRecord } from "../../src/gateway/meter.ts";
import {
  previousSigners,
  type ReceiptPayload,
  receiptHeader,
  receiptText,
  signerOf,
  signReceipt,
} from "../../src/gateway/receipts.ts";
import { verifyReceipt } from "./helpers.ts";

const KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const env = { GATEWAY_SIGNING_KEY: KEY, REGION: "test" };

const payloadOf = (i: number): ReceiptPayload => ({
  v: 1,
  request_id: `req_${i}`,
  region: "test",
  payer: `0x${"ef".repeat(20)}`,
  key_id: "key_1",
  // Unicode and lengths that vary.
  model: `model ${"é€😀".repeat(i)}`,
  model_asset: `0x${"11".repeat(32)}`,
  license_id: "1",
  terms_id: "terms",
  token: `0x${"cd".repeat(20)}`,
  input_tokens: i,
  output_tokens: 2 * i,
  cost: String(3 * i),
  estimated: false,
  status: "completed",
  created_at: new Date(0).toISOString(),
});

describe("previousSigners", () => {
  it("publishes earlier keys uncompressed and lower-cased, and refuses an entry that is not a P-256 key", () => {
    const point = p256.getPublicKey("07".repeat(32), false);
    const uncompressed = `0x${Buffer.from(point).toString("hex")}`;
    const compressed = `0x${Buffer.from(p256.getPublicKey("07".repeat(32), true)).toString("hex")}`;
    expect(previousSigners({})).toEqual([]);
    expect(
      previousSigners({
        GATEWAY_PREVIOUS_SIGNERS: ` ${uncompressed.toUpperCase().replace("0X", "0x")} , ${compressed}`,
      }),
    ).toEqual([uncompressed, uncompressed]);
    for (const bad of ["0x1234", `0x04${"00".repeat(64)}`, "zz", `${uncompressed.slice(0, -2)}00`]) {
      expect(() => previousSigners({ GATEWAY_PREVIOUS_SIGNERS: bad })).toThrow(/not a P-256 public key/);
    }
  });
});

describe("signReceipt", () => {
  it("signs the payload's canonical JSON with the key's P-256 key: each signature verifies, low s, none repeats", async () => {
    const publicKey = `0x${Buffer.from(p256.getPublicKey(KEY.slice(2), false)).toString("hex")}`;
    expect(signerOf(env).publicKey).toBe(publicKey);
    const signatures = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const receipt = await signReceipt(env, payloadOf(i));
      expect(receipt.payload).toBe(JSON.stringify(payloadOf(i)));
      expect(receipt.signer).toBe(publicKey);
      expect(receipt.signature).toMatch(/^0x[0-9a-f]{128}$/);
      const s = BigInt(`0x${receipt.signature.slice(66)}`);
      expect(s <= p256.CURVE.n / 2n && s > 0n).toBe(true);
      expect(await verifyReceipt(publicKey, receipt.payload, receipt.signature)).toBe(true);
      signatures.add(receipt.signature.slice(2, 66));
    }
    expect(signatures.size).toBe(60);
    // Another key's signature does not verify.
    const other = await signReceipt({ GATEWAY_SIGNING_KEY: `0x${"07".repeat(32)}`, REGION: "test" }, payloadOf(1));
    expect(await verifyReceipt(publicKey, other.payload, other.signature)).toBe(false);
  });

  it("signs the same text whatever the payload's key order, and a stored record rebuilds it", async () => {
    for (const i of [0, 3, 7]) {
      const payload = {
        ...payloadOf(i),
        estimated: i === 3,
        created_at: new Date(1_795_000_000_123 + i).toISOString(),
      };
      const signed = await signReceipt(env, payload);
      // The payload's keys reversed: the canonical order wins.
      const reversed = Object.fromEntries(Object.entries(payload).reverse()) as ReceiptPayload;
      expect(receiptText(reversed)).toBe(signed.payload);
      expect(Object.keys(JSON.parse(signed.payload))[0]).toBe("v");
      // A usage record as the meter database returns it: estimated as 0/1, created_at as milliseconds.
      const { v: _, ...columns } = payload;
      const record = {
        ...columns,
        estimated: payload.estimated ? 1 : 0,
        created_at: Date.parse(payload.created_at),
        route_id: "r1",
        latency_ms: 12,
      };
      expect(receiptText(receiptOfRecord(record))).toBe(signed.payload);
      expect(await verifyReceipt(signed.signer, receiptText(receiptOfRecord(record)), signed.signature)).toBe(true);
      // A record whose cost differs rebuilds a payload the signature does not cover.
      const changed = receiptText(receiptOfRecord({ ...record, cost: `${record.cost}1` }));
      expect(await verifyReceipt(signed.signer, changed, signed.signature)).toBe(false);
    }
  });

  it("refuses (503 unavailable) a missing key outside the local region, and keys that are not P-256 scalars", async () => {
    const n = p256.CURVE.n.toString(16);
    for (const bad of [
      undefined,
      "",
      "0x1234",
      `0x${"00".repeat(32)}`,
      `0x${n}`,
      `0x${"ff".repeat(32)}`,
      "zz".repeat(32),
    ]) {
      const refused = signReceipt({ GATEWAY_SIGNING_KEY: bad, REGION: "us" }, payloadOf(0));
      await expect(refused).rejects.toBeInstanceOf(AppError);
      await expect(refused).rejects.toMatchObject({ code: "unavailable" });
    }
    // The local region falls back to the public dev key.
    expect((await signReceipt({ REGION: "local" }, payloadOf(0))).signer).toMatch(/^0x04[0-9a-f]{128}$/);
  });
});

describe("receiptHeader", () => {
  it("encodes the payload as unpadded base64url of its UTF-8 bytes, whatever its length and characters", () => {
    const signature = `0x${"ab".repeat(64)}` as const;
    for (const payload of [
      "",
      "a",
      "ab",
      "abc",
      '{"model":"llama"}',
      "é€😀 ?>~ ÿ",
      // Base64 "Pz4+Pz8/": both characters base64url replaces.
      "?>>???",
      "x".repeat(1000),
    ]) {
      const header = receiptHeader({ payload, signature, signer: `0x04${"00".repeat(64)}` });
      const [b64, sig] = header.split(".");
      expect(sig).toBe(signature);
      expect(b64).toMatch(/^[A-Za-z0-9_-]*$/);
      // What the gateway sent before (btoa over the UTF-8 bytes, made URL-safe, padding dropped).
      const bytes = new TextEncoder().encode(payload);
      let binary = "";
      for (const byte of bytes) binary += String.fromCharCode(byte);
      expect(b64).toBe(btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""));
      expect(Buffer.from(b64 as string, "base64url").toString("utf8")).toBe(payload);
    }
  });
});
