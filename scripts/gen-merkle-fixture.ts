// Writes contracts/test/fixtures/accruals.json: a cumulative accrual tree built by
// @openzeppelin/merkle-tree exactly as the settler builds it, for the contracts' claim tests.
// Run: node scripts/gen-merkle-fixture.ts (deterministic; commit the output).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "contracts/test/fixtures/accruals.json");

// Fixed accounts and tokens the Solidity test also knows: accounts 0xA0..0xA6, token 0x70.
const token = "0x0000000000000000000000000000000000000070";
const accounts = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6].map((n) => `0x${n.toString(16).padStart(40, "0")}`);
const values: [string, string, string][] = accounts.map((a, i) => [a, token, String(1_000_000n * BigInt(i + 1) + 7n)]);

const tree = StandardMerkleTree.of(values, ["address", "address", "uint256"]);
const leaves = values.map((v, i) => ({ account: v[0], token: v[1], cumulativeAmount: v[2], proof: tree.getProof(i) }));
const fixture = { root: tree.root, total: String(values.reduce((s, v) => s + BigInt(v[2]), 0n)), leaves };
writeFileSync(out, `${JSON.stringify(fixture, null, 2)}\n`);
console.log(`Wrote ${path.relative(root, out)} (root ${tree.root}).`);
