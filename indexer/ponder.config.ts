// Ponder config: every chain from PONDER_RPC_URL_<chainId> and its deployment file; PGlite unless DATABASE_URL.

import { assetRegistryAbi, epochLedgerAbi, licensingAbi } from "@tributary/schemas/abis";
import { createConfig } from "ponder";
import { indexedChains } from "./deployments.ts";

const chains = indexedChains();

/** Where each chain deployed `name`, in the per-chain shape Ponder's contract config takes. */
function deployedOn(name: string) {
  return Object.fromEntries(
    chains.map((chain) => {
      const contract = chain.deployment.contracts[name];
      if (!contract) throw new Error(`Chain ${chain.id} has no ${name} in its deployment file.`);
      return [
        chain.name,
        { address: contract.address, startBlock: contract.startBlock ?? chain.deployment.startBlock },
      ];
    }),
  );
}

export default createConfig({
  database: process.env.DATABASE_URL
    ? { kind: "postgres", connectionString: process.env.DATABASE_URL }
    : { kind: "pglite", directory: process.env.PONDER_PGLITE_DIR ?? ".ponder/pglite" },
  chains: Object.fromEntries(
    chains.map((chain) => [
      chain.name,
      // A local chain is rebuilt on every start, so its RPC responses must not be cached across runs.
      {
        id: chain.id,
        rpc: chain.rpc,
        pollingInterval: chain.id === 31337 ? 250 : 1_000,
        disableCache: chain.id === 31337,
      },
    ]),
  ),
  contracts: {
    AssetRegistry: { abi: assetRegistryAbi, chain: deployedOn("AssetRegistry") },
    Licensing: { abi: licensingAbi, chain: deployedOn("Licensing") },
    EpochLedger: { abi: epochLedgerAbi, chain: deployedOn("EpochLedger") },
  },
});
