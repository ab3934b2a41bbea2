// Writes contracts/test/fixtures/receipts.json: usage receipts signed by the gateway's own signing code
// (workers/src/gateway/receipts.ts), for the contracts' test that verifies them on-chain with OpenZeppelin's P256.
// Run: node scripts/gen-receipt-fixture.ts (ECDSA nonces are random: the signatures change on every run; commit the
// output).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { type ReceiptPayload, signReceipt } from "../workers/src/gateway/receipts.ts";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "contracts/test/fixtures/receipts.json");

/** A fixed, public test key (also GATEWAY_SIGNING_KEY in workers/vitest.config.ts). */
const env = { GATEWAY_SIGNING_KEY: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a", REGION: "eu" };

const payload = (i: number): ReceiptPayload => ({
  v: 1,
  request_id: `req_fixture_${i}`,
  region: env.REGION,
  payer: `0x${"ef".repeat(20)}`,
  key_id: "key_fixture",
  model: i === 2 ? "modèle-ünïcode-😀" : "llama-3.1-8b",
  model_asset: `0x${String(i + 1).repeat(64)}`,
  license_id: String(i + 1),
  terms_id: `terms-${i}`,
  token: `0x${"cd".repeat(20)}`,
  input_tokens: 7 * (i + 1),
  output_tokens: 16 * (i + 1),
  cost: String(39 * (i + 1)),
  estimated: i === 1,
  status: "completed",
  created_at: new Date(Date.UTC(2026, 10, 22, 12, 0, i)).toISOString(),
});

const receipts = [];
let signer = "";
for (let i = 0; i < 3; i++) {
  const receipt = await signReceipt(env, payload(i));
  signer = receipt.signer;
  receipts.push({
    payload: receipt.payload,
    r: `0x${receipt.signature.slice(2, 66)}`,
    s: `0x${receipt.signature.slice(66, 130)}`,
  });
}
// The uncompressed SEC1 key 0x04‖x‖y, split as P256.verify takes it.
const fixture = { signer, x: `0x${signer.slice(4, 68)}`, y: `0x${signer.slice(68, 132)}`, receipts };
writeFileSync(out, `${JSON.stringify(fixture, null, 2)}\n`);
console.log(`Wrote ${path.relative(root, out)} (${receipts.length} receipts by ${signer}).`);
