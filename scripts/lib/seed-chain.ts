// On-chain demo data: a dataset and a model trained on it, license terms for the model, the demo payer's
// escrow deposit and license. Idempotent: what the chain already has is read back, not sent again.
import { assetRegistryAbi, epochLedgerAbi, licensingAbi, mockERC20Abi } from "@tributary/schemas/abis";
import type { Deployment } from "@tributary/schemas/deployment";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  maxUint256,
  parseEventLogs,
  stringToHex,
  zeroAddress,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

/** What the chain holds for the demo; kept in demo.json so a resumed stack finds it again. */
export type ChainDemo = {
  datasetAssetId: Hex;
  modelAssetId: Hex;
  token: Address;
  termsId: string;
  licenseId: string;
  licenseExpiresAt: string;
  pricePerMTokIn: string;
  pricePerMTokOut: string;
  escrow: string;
};

export type SeedChainParameters = {
  rpcUrl: string;
  deployment: Deployment;
  ownerKey: Hex;
  payerKey: Hex;
  saved: Partial<ChainDemo>;
};

const prices = { in: 2_000_000n, out: 6_000_000n };
const deposit = 100_000_000n;
const datasetShareBps = 3_000;
const licenseSeconds = 365n * 24n * 60n * 60n;

export async function seedChainDemo(p: SeedChainParameters): Promise<ChainDemo> {
  const chain = { ...foundry, rpcUrls: { default: { http: [p.rpcUrl] } } };
  const client = createPublicClient({ chain, transport: http(p.rpcUrl) });
  const owner = createWalletClient({ account: privateKeyToAccount(p.ownerKey), chain, transport: http(p.rpcUrl) });
  const payer = createWalletClient({ account: privateKeyToAccount(p.payerKey), chain, transport: http(p.rpcUrl) });
  const contract = (name: string): Address => {
    const address = p.deployment.contracts[name]?.address;
    if (!address) throw new Error(`The deployment has no ${name}.`);
    return address;
  };
  const registry = contract("AssetRegistry");
  const licensing = contract("Licensing");
  const ledger = contract("EpochLedger");
  const token = contract("MockERC20");
  const mined = async (hash: Hex) => {
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`Demo transaction ${hash} reverted.`);
    return receipt;
  };

  const registerOnce = async (name: string, kind: number, uri: string): Promise<Hex> => {
    const salt = keccak256(stringToHex(name));
    const args = [owner.account.address, salt] as const;
    const id = await client.readContract({ address: registry, abi: assetRegistryAbi, functionName: "assetIdOf", args });
    const asset = await client.readContract({
      address: registry,
      abi: assetRegistryAbi,
      functionName: "assetOf",
      args: [id],
    });
    if (asset.owner === zeroAddress) {
      const contentHash = keccak256(stringToHex(uri));
      const reg = { address: registry, abi: assetRegistryAbi, functionName: "register" } as const;
      await mined(await owner.writeContract({ ...reg, args: [salt, kind, contentHash, uri] }));
    }
    return id;
  };
  const datasetAssetId = await registerOnce("demo-dataset", 0, "ipfs://tributary/demo-dataset");
  const modelAssetId = await registerOnce("demo-model", 1, "ipfs://tributary/demo-model");

  // The model was trained on the dataset: 30 % of what reaches the model flows to the dataset.
  const parents = await client.readContract({
    address: registry,
    abi: assetRegistryAbi,
    functionName: "parentsOf",
    args: [modelAssetId],
  });
  if (!parents.some((link) => link.parentId === datasetAssetId)) {
    const link = { address: registry, abi: assetRegistryAbi, functionName: "linkParent" } as const;
    await mined(await owner.writeContract({ ...link, args: [modelAssetId, datasetAssetId, datasetShareBps, 0n] }));
  }

  let termsId = p.saved.termsId ? BigInt(p.saved.termsId) : undefined;
  if (termsId === undefined || (await termsOf(termsId)).assetId !== modelAssetId) {
    const terms = {
      assetId: modelAssetId,
      token,
      pricePerMTokIn: prices.in,
      pricePerMTokOut: prices.out,
      upfrontFee: 0n,
      duration: licenseSeconds,
      commercial: true,
      derivatives: false,
      transferable: false,
      active: true,
    };
    const publish = { address: licensing, abi: licensingAbi, functionName: "publishTerms" } as const;
    const receipt = await mined(await owner.writeContract({ ...publish, args: [terms] }));
    const [event] = parseEventLogs({ abi: licensingAbi, eventName: "TermsPublished", logs: receipt.logs });
    if (!event) throw new Error("publishTerms emitted no TermsPublished.");
    termsId = event.args.termsId;
  }

  let licenseId = p.saved.licenseId ? BigInt(p.saved.licenseId) : undefined;
  let licenseExpiresAt = p.saved.licenseExpiresAt;
  const licenseValid =
    licenseId !== undefined &&
    (await client.readContract({ address: licensing, abi: licensingAbi, functionName: "isValid", args: [licenseId] }));
  if (!licenseValid || !licenseExpiresAt) {
    const mint = { address: token, abi: mockERC20Abi, functionName: "mint" } as const;
    await mined(await owner.writeContract({ ...mint, args: [payer.account.address, deposit * 10n] }));
    const approve = { address: token, abi: mockERC20Abi, functionName: "approve" } as const;
    await mined(await payer.writeContract({ ...approve, args: [ledger, maxUint256] }));
    const depositCall = { address: ledger, abi: epochLedgerAbi, functionName: "deposit" } as const;
    await mined(await payer.writeContract({ ...depositCall, args: [payer.account.address, token, deposit] }));
    const mintLicense = { address: licensing, abi: licensingAbi, functionName: "mintLicense" } as const;
    const receipt = await mined(await payer.writeContract({ ...mintLicense, args: [termsId, payer.account.address] }));
    const [event] = parseEventLogs({ abi: licensingAbi, eventName: "LicenseMinted", logs: receipt.logs });
    if (!event) throw new Error("mintLicense emitted no LicenseMinted.");
    licenseId = event.args.licenseId;
    licenseExpiresAt = new Date(Number(event.args.expiresAt) * 1000).toISOString();
  }

  return {
    datasetAssetId,
    modelAssetId,
    token,
    termsId: String(termsId),
    licenseId: String(licenseId),
    licenseExpiresAt,
    pricePerMTokIn: String(prices.in),
    pricePerMTokOut: String(prices.out),
    escrow: String(deposit),
  };

  async function termsOf(id: bigint) {
    return await client.readContract({ address: licensing, abi: licensingAbi, functionName: "termsOf", args: [id] });
  }
}
