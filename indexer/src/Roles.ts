// Handlers for EpochLedger's role, pause and wiring events.
import { ponder } from "ponder:registry";
import { roleHolder } from "ponder:schema";
import { zeroAddress } from "viem";
import { logAdmin } from "./lib/rows.ts";

const roles = ["owner", "settler", "guardian"] as const;
const contract = "EpochLedger";

ponder.on("EpochLedger:RoleTransferStarted", async ({ event, context }) => {
  const chainId = context.chain.id;
  const role = roles[event.args.role] ?? "unknown";
  const { current, pending } = event.args;
  // Log of the proposal (0x0 cancels one).
  await logAdmin(context.db, event, {
    chainId,
    contract,
    kind: "role_transfer_started",
    role,
    account: pending,
    previous: current,
  });
  // The pending holder of the role.
  await context.db
    .insert(roleHolder)
    .values({
      chainId,
      contract,
      role,
      holder: current,
      pending: pending === zeroAddress ? null : pending,
      updatedAt: event.block.timestamp,
    })
    .onConflictDoUpdate({ pending: pending === zeroAddress ? null : pending, updatedAt: event.block.timestamp });
});

ponder.on("EpochLedger:RoleTransferred", async ({ event, context }) => {
  const chainId = context.chain.id;
  const role = roles[event.args.role] ?? "unknown";
  const { previous, current } = event.args;
  // Log of the change (the constructor's grants included).
  await logAdmin(context.db, event, { chainId, contract, kind: "role_transferred", role, account: current, previous });
  // The current holder; nothing pending any more.
  await context.db
    .insert(roleHolder)
    .values({ chainId, contract, role, holder: current, pending: null, updatedAt: event.block.timestamp })
    .onConflictDoUpdate({ holder: current, pending: null, updatedAt: event.block.timestamp });
});

ponder.on("EpochLedger:PauseChanged", async ({ event, context }) => {
  // Log of the pause or unpause; the latest one is the ledger's pause state.
  await logAdmin(context.db, event, {
    chainId: context.chain.id,
    contract,
    kind: event.args.paused ? "paused" : "unpaused",
    account: event.args.by,
  });
});

ponder.on("EpochLedger:LicensingSet", async ({ event, context }) => {
  // The one-time wiring of the licensing contract that books fees.
  await logAdmin(context.db, event, {
    chainId: context.chain.id,
    contract,
    kind: "licensing_set",
    account: event.args.licensing,
  });
});
