// The cumulative accrual tree, built like @openzeppelin/merkle-tree's StandardMerkleTree.of but several times faster.
import { bytesToHex, hexToBytes, keccak256 } from "viem";

/** The leaf values: account, token, cumulative amount (decimal string). */
export type AccrualValue = [string, string, string];

/** `StandardMerkleTree.dump()`'s format, which `StandardMerkleTree.load` reads back. */
export type AccrualTreeDump = {
  format: "standard-v1";
  leafEncoding: ["address", "address", "uint256"];
  tree: `0x${string}`[];
  values: { value: AccrualValue; treeIndex: number }[];
};

const MAX_UINT256 = (1n << 256n) - 1n;

/** keccak256(keccak256(abi.encode(address, address, uint256))): the standard leaf, encoded by hand. */
function leafHash([account, token, amount]: AccrualValue): Uint8Array {
  const word = new Uint8Array(96);
  word.set(hexToBytes(account as `0x${string}`, { size: 20 }), 12);
  word.set(hexToBytes(token as `0x${string}`, { size: 20 }), 44);
  const value = BigInt(amount);
  if (value < 0n || value > MAX_UINT256) throw new RangeError(`The amount ${amount} is not a uint256.`);
  word.set(hexToBytes(`0x${value.toString(16).padStart(64, "0")}`), 64);
  return keccak256(keccak256(word, "bytes"), "bytes");
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Same tree, root and dump as `StandardMerkleTree.of(values, ["address","address","uint256"])` (leaves sorted
 * by hash, nodes hash their sorted children), checked against the library in tests. The library validates
 * every value through a generic ABI coder and re-hashes the whole tree, which dominated the epoch close.
 */
export function accrualTree(values: AccrualValue[]): { root: `0x${string}`; dump: AccrualTreeDump } {
  if (values.length === 0) throw new RangeError("An accrual tree needs at least one leaf.");
  const hashed = values.map((value, valueIndex) => ({ valueIndex, hash: leafHash(value) }));
  hashed.sort((a, b) => compareBytes(a.hash, b.hash));
  const tree = new Array<Uint8Array>(2 * hashed.length - 1);
  for (const [i, leaf] of hashed.entries()) tree[tree.length - 1 - i] = leaf.hash;
  const pair = new Uint8Array(64);
  for (let i = tree.length - 1 - hashed.length; i >= 0; i--) {
    const left = tree[2 * i + 1] as Uint8Array;
    const right = tree[2 * i + 2] as Uint8Array;
    const [a, b] = compareBytes(left, right) <= 0 ? [left, right] : [right, left];
    pair.set(a, 0);
    pair.set(b, 32);
    tree[i] = keccak256(pair, "bytes");
  }
  const treeIndex = new Array<number>(values.length);
  for (const [leafIndex, { valueIndex }] of hashed.entries()) treeIndex[valueIndex] = tree.length - leafIndex - 1;
  const hex = tree.map((node) => bytesToHex(node));
  return {
    root: hex[0] as `0x${string}`,
    dump: {
      format: "standard-v1",
      leafEncoding: ["address", "address", "uint256"],
      tree: hex,
      values: values.map((value, i) => ({ value, treeIndex: treeIndex[i] as number })),
    },
  };
}
