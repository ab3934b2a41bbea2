// The receipt header: base64url (no padding) of the payload's UTF-8 bytes, a dot, the signature.
import { describe, expect, it } from "vitest";
import { receiptHeader } from "../../src/gateway/receipts.ts";

describe("receiptHeader", () => {
  it("encodes the payload as unpadded base64url of its UTF-8 bytes, whatever its length and characters", () => {
    const signature = `0x${"ab".repeat(65)}` as const;
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
      const header = receiptHeader({ payload, signature, signer: "0x0000000000000000000000000000000000000001" });
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
