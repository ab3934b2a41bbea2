// `npm run settle`: closes an epoch on the running dev stack through the operator API.
import { readStack, runCli } from "./lib/settlement.ts";

runCli(async () => {
  const stack = readStack();
  const token = process.env.ADMIN_TOKEN ?? "dev-admin-token";
  const res = await fetch(`${stack.gatewayUrl}/admin/settlement/close`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status === 204) {
    console.log("Nothing to settle: no usage record or license fee since the last epoch.");
    return;
  }
  const body = await res.text();
  if (!res.ok) throw new Error(`The close failed with ${res.status}: ${body}`);
  const epoch = JSON.parse(body) as {
    epoch_id: number;
    tx_hash: string;
    root: string;
    records: number;
    accounts: number;
    shortfalls: unknown[];
  };
  console.log(
    `Epoch ${epoch.epoch_id} settled: ${epoch.records} usage records, ${epoch.accounts} accounts in the tree, ` +
      `root ${epoch.root}, transaction ${epoch.tx_hash}.`,
  );
  if (epoch.shortfalls.length > 0)
    console.log(`Carried over (escrow too low or asset unresolvable): ${JSON.stringify(epoch.shortfalls)}`);
  console.log(`Manifest: ${stack.gatewayUrl}/settlement/epochs/${epoch.epoch_id}/manifest`);
});
