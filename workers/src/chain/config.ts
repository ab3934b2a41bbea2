// The chain this deployment settles on: RPC URL and contract addresses from the worker's variables.
import { type Address, type Chain, createPublicClient, defineChain, http, isAddress, type PublicClient } from "viem";
import { AppError } from "../errors.ts";

/** Worker variables naming the chain (set per environment in wrangler.toml, or `--var` locally). */
export type ChainVars = {
  CHAIN_ID?: string;
  CHAIN_RPC_URL?: string;
  ASSET_REGISTRY_ADDRESS?: string;
  LICENSING_ADDRESS?: string;
  EPOCH_LEDGER_ADDRESS?: string;
};

export type ChainConfig = {
  chain: Chain;
  rpcUrl: string;
  contracts: { assetRegistry: Address; licensing: Address; epochLedger: Address };
};

/** Reads the chain variables; throws an AppError naming the first one missing or malformed. */
export function chainConfig(vars: ChainVars): ChainConfig {
  const id = Number(vars.CHAIN_ID);
  if (!Number.isInteger(id) || id <= 0) throw notConfigured("CHAIN_ID");
  const rpcUrl = vars.CHAIN_RPC_URL;
  if (!rpcUrl || !/^https?:\/\//.test(rpcUrl)) throw notConfigured("CHAIN_RPC_URL");
  const address = (name: keyof ChainVars): Address => {
    const value = vars[name];
    if (!value || !isAddress(value)) throw notConfigured(name);
    return value;
  };
  const chain = defineChain({
    id,
    name: `chain-${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  return {
    chain,
    rpcUrl,
    contracts: {
      assetRegistry: address("ASSET_REGISTRY_ADDRESS"),
      licensing: address("LICENSING_ADDRESS"),
      epochLedger: address("EPOCH_LEDGER_ADDRESS"),
    },
  };
}

/** A viem public client for the configured chain. */
export function chainClient(config: ChainConfig): PublicClient {
  return createPublicClient({ chain: config.chain, transport: http(config.rpcUrl) });
}

function notConfigured(name: string) {
  return new AppError("unavailable", `The chain is not configured: set the worker variable ${name}.`);
}
