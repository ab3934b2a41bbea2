// Chain sync, read side: the Licensing and EpochLedger events of a block range, and the state they touched.
import { epochLedgerAbi, licensingAbi } from "@tributary/schemas/abis";
import { type Address, type Hex, type PublicClient, parseEventLogs, zeroAddress } from "viem";
import type { LicenseInput, TermsInput } from "../gateway/catalog.ts";

/** Ids whose state a range changed (or a reorg may have changed): read again at the synced block. */
export type Touched = { terms: Set<string>; licenses: Set<string>; escrow: Set<string> };

export const emptyTouched = (): Touched => ({ terms: new Set(), licenses: new Set(), escrow: new Set() });

/** An escrow pair is keyed `<payer>|<token>`, both lowercase. */
export const pairKey = (payer: string, token: string) => `${payer.toLowerCase()}|${token.toLowerCase()}`;

export type EscrowState = { payer: string; token: string; balance: bigint; withdrawal: bigint };

/** Everything one range step writes: state read at `block`. */
export type RangeState = {
  block: bigint;
  terms: TermsInput[];
  deletedTerms: string[];
  licenses: LicenseInput[];
  deletedLicenses: string[];
  escrow: EscrowState[];
  events: number;
};

export type Contracts = { licensing: Address; epochLedger: Address };

/** Largest expiry stored, in unix ms (JavaScript's largest Date); perpetual licenses (max uint64) get it. */
const MAX_EXPIRY_MS = 8_640_000_000_000_000;

/**
 * Collects the events of [from, to] into `touched`. Charge debits and refunds only mark their escrow pair to be read
 * again: holds are marked settled by the settler alone, exactly by request id (docs/gateway.md, "Chain sync").
 */
export async function readEvents(
  client: PublicClient,
  contracts: Contracts,
  from: bigint,
  to: bigint,
  touched: Touched,
): Promise<{ events: number }> {
  if (from > to) return { events: 0 };
  const raw = await client.getLogs({
    address: [contracts.licensing, contracts.epochLedger],
    fromBlock: from,
    toBlock: to,
  });
  const licensing = contracts.licensing.toLowerCase();
  const ledger = contracts.epochLedger.toLowerCase();
  const fromLicensing = parseEventLogs({
    abi: licensingAbi,
    logs: raw.filter((l) => l.address.toLowerCase() === licensing),
  });
  const fromLedger = parseEventLogs({
    abi: epochLedgerAbi,
    logs: raw.filter((l) => l.address.toLowerCase() === ledger),
  });
  for (const log of fromLicensing) {
    if (log.eventName === "TermsPublished" || log.eventName === "TermsActiveSet") {
      touched.terms.add(log.args.termsId.toString());
    } else if (log.eventName === "LicenseMinted" || log.eventName === "Transfer") {
      touched.licenses.add((log.eventName === "Transfer" ? log.args.tokenId : log.args.licenseId).toString());
    }
  }
  for (const log of fromLedger) {
    switch (log.eventName) {
      case "Deposited":
      case "WithdrawalRequested":
      case "Withdrawn":
      case "ChargeDebited":
      case "ChargeRefunded":
        touched.escrow.add(pairKey(log.args.payer, log.args.token));
        break;
      default:
        break;
    }
  }
  return { events: fromLicensing.length + fromLedger.length };
}

/** Reads the touched terms, licenses and escrow pairs at `block`; ids that no longer exist are to be deleted. */
export async function readState(
  client: PublicClient,
  contracts: Contracts,
  block: bigint,
  touched: Touched,
): Promise<Pick<RangeState, "terms" | "deletedTerms" | "licenses" | "deletedLicenses" | "escrow">> {
  const at = { blockNumber: block } as const;
  const licenseRows = await Promise.all(
    [...touched.licenses].map(async (id) => {
      const [license, holder] = await Promise.all([
        client.readContract({
          ...at,
          address: contracts.licensing,
          abi: licensingAbi,
          functionName: "licenseOf",
          args: [BigInt(id)],
        }),
        client
          .readContract({
            ...at,
            address: contracts.licensing,
            abi: licensingAbi,
            functionName: "ownerOf",
            args: [BigInt(id)],
          })
          .catch(() => null),
      ]);
      return { id, license, holder };
    }),
  );
  const termsIds = new Set(touched.terms);
  for (const l of licenseRows) if (l.license.termsId !== 0n) termsIds.add(l.license.termsId.toString());
  const termsRows = await Promise.all(
    [...termsIds].map(async (id) => ({
      id,
      terms: await client.readContract({
        ...at,
        address: contracts.licensing,
        abi: licensingAbi,
        functionName: "termsOf",
        args: [BigInt(id)],
      }),
    })),
  );
  const termsById = new Map(termsRows.map((t) => [t.id, t.terms]));
  const escrow = await Promise.all(
    [...touched.escrow].map(async (key) => {
      const [payer, token] = key.split("|") as [Hex, Hex];
      const [balance, withdrawal] = await Promise.all([
        client.readContract({
          ...at,
          address: contracts.epochLedger,
          abi: epochLedgerAbi,
          functionName: "escrowOf",
          args: [payer, token],
        }),
        client.readContract({
          ...at,
          address: contracts.epochLedger,
          abi: epochLedgerAbi,
          functionName: "withdrawalOf",
          args: [payer, token],
        }),
      ]);
      return { payer, token, balance, withdrawal: withdrawal[0] };
    }),
  );
  const state: Pick<RangeState, "terms" | "deletedTerms" | "licenses" | "deletedLicenses" | "escrow"> = {
    terms: [],
    deletedTerms: [],
    licenses: [],
    deletedLicenses: [],
    escrow,
  };
  for (const { id, terms } of termsRows) {
    if (terms.token === zeroAddress) state.deletedTerms.push(id);
    else {
      state.terms.push({
        id,
        assetId: terms.assetId,
        token: terms.token,
        pricePerMTokIn: terms.pricePerMTokIn,
        pricePerMTokOut: terms.pricePerMTokOut,
        active: terms.active,
        blockNumber: block,
      });
    }
  }
  for (const { id, license, holder } of licenseRows) {
    const terms = termsById.get(license.termsId.toString());
    if (license.termsId === 0n || !holder || !terms || terms.token === zeroAddress) {
      state.deletedLicenses.push(id);
      continue;
    }
    const expiresMs = license.expiresAt * 1000n;
    state.licenses.push({
      id,
      assetId: terms.assetId,
      termsId: license.termsId.toString(),
      holder,
      expiresAt: expiresMs > BigInt(MAX_EXPIRY_MS) ? MAX_EXPIRY_MS : Number(expiresMs),
      blockNumber: block,
    });
  }
  return state;
}
