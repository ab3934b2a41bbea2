// The indexer end to end on anvil with the real contracts, once on PGlite and once on PostgreSQL:
// every event kind through real transactions, every table and API answer, then a reorg.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, contractsOf } from "./lib/chain.ts";
import { type Facts, runScenario } from "./lib/scenario.ts";
import { eventually, postgresUrl, reachable, type Stack, startStack, type Variant } from "./lib/stack.ts";
import { expectAdmin, expectAssets, expectLedger, expectLicensing, expectRollups, rows } from "./tables.ts";

const postgresUp = await reachable(postgresUrl);
if (!postgresUp) console.warn(`Skipping the PostgreSQL variant: nothing answers at ${new URL(postgresUrl).host}.`);

describe.each<Variant>(["pglite", "postgres"])("indexer on %s", (variant) => {
  const skip = variant === "postgres" && !postgresUp;
  let stack: Stack;
  let facts: Facts;

  beforeAll(async () => {
    if (skip) return;
    stack = await startStack(variant);
    facts = await runScenario(connect(stack.anvil.rpcUrl), contractsOf(stack.deployment));
    // Wait until the last event of the scenario (the dataset's transfer) is indexed.
    await eventually(async () => expect(await rows(stack.indexer.url, "assetTransfers", "id")).toHaveLength(1));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.skipIf(skip)("indexes assets, versions, transfers, splits and lineage", async () => {
    await expectAssets(stack.indexer.url, facts);
  });

  it.skipIf(skip)("indexes terms, licenses, license transfers, operators and held fees", async () => {
    await expectLicensing(stack.indexer.url, facts);
  });

  it.skipIf(skip)("indexes escrow, epochs, totals, charges, claims and earnings", async () => {
    await expectLedger(stack.indexer.url, facts);
  });

  it.skipIf(skip)("indexes role, ownership, pause and wiring changes", async () => {
    await expectAdmin(stack.indexer.url, facts);
  });

  it.skipIf(skip)("rolls up per asset and per account per day", async () => {
    await expectRollups(stack.indexer.url, facts);
  });
});
