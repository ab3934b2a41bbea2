// The indexer end to end on anvil with the real contracts, once on PGlite and once on PostgreSQL:
// every event kind through real transactions, every table and API answer, then a reorg.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccountEndpoints, expectAssetEndpoints, expectEpochEndpoints, expectProblems, get } from "./api.ts";
import { connect, contractsOf } from "./lib/chain.ts";
import { type ManifestServer, scenarioManifests, startManifestServer } from "./lib/manifests.ts";
import { type Facts, runScenario } from "./lib/scenario.ts";
import { eventually, postgresUrl, reachable, type Stack, startStack, type Variant } from "./lib/stack.ts";
import { expectReorgFollowed } from "./reorg.ts";
import { expectAdmin, expectAssets, expectLedger, expectLicensing, expectRollups, rows } from "./tables.ts";

/** Runs `npm run reconcile`'s script against `url`. */
function runReconcile(url: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile("node", ["../scripts/reconcile.ts"], { env: { ...process.env, INDEXER_URL: url } }, (err, stdout) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }),
    );
  });
}

const postgresUp = await reachable(postgresUrl);
if (!postgresUp) console.warn(`Skipping the PostgreSQL variant: nothing answers at ${new URL(postgresUrl).host}.`);

describe.each<Variant>(["pglite", "postgres"])("indexer on %s", (variant) => {
  const skip = variant === "postgres" && !postgresUp;
  let stack: Stack;
  let facts: Facts;
  let settler: ManifestServer;

  beforeAll(async () => {
    if (skip) return;
    // Stands in for the settler; the indexer reads manifests from SETTLER_URL.
    settler = await startManifestServer();
    stack = await startStack(variant, { settlerUrl: settler.url });
    facts = await runScenario(connect(stack.anvil.rpcUrl), contractsOf(stack.deployment));
    for (const [id, m] of scenarioManifests(facts)) settler.manifests.set(id, m);
    // Wait until the last event of the scenario (the dataset's transfer) is indexed.
    await eventually(async () => expect(await rows(stack.indexer.url, "assetTransfers", "id")).toHaveLength(1));
  });

  afterAll(async () => {
    await stack?.stop();
    await settler?.stop();
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

  it.skipIf(skip)("serves asset revenue and licenses per asset over REST", async () => {
    await expectAssetEndpoints(stack.indexer.url, facts);
  });

  it.skipIf(skip)("serves account payouts, top earners and top assets over REST", async () => {
    await expectAccountEndpoints(stack.indexer.url, facts);
  });

  it.skipIf(skip)("serves epochs with their status and the ledger status over REST", async () => {
    await expectEpochEndpoints(stack.indexer.url, facts);
  });

  it.skipIf(skip)("answers invalid parameters and unknown ids with problem JSON", async () => {
    await expectProblems(stack.indexer.url, facts);
  });

  it.skipIf(skip)("serves SQL over HTTP in the @ponder/client protocol", async () => {
    const query = { json: { sql: "select account, claimed from account_earning", params: [] } };
    const res = await fetch(`${stack.indexer.url}/sql/db?sql=${encodeURIComponent(JSON.stringify(query))}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ rows: [{ account: facts.carol, claimed: "20000000" }] });
    // Errors are problem JSON naming sql, never Ponder's plain text (an unreadable parameter answered 500 with the
    // server's file path).
    const sqlUrl = (sql: string) =>
      `${stack.indexer.url}/sql/db?sql=${encodeURIComponent(JSON.stringify({ json: { sql, params: [] } }))}`;
    for (const [path, detail] of [
      [`${stack.indexer.url}/sql/db?sql=garbage`, expect.stringMatching(/^Invalid sql \(is not the superjson/)],
      [sqlUrl("delete from account_earning"), "The query was refused: DeleteStmt not supported."],
      [sqlUrl("select nope from account_earning"), 'The query was refused: column "nope" does not exist.'],
    ] as const) {
      const refused = await fetch(path);
      expect(refused.status, path).toBe(400);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      const body = (await refused.json()) as { detail: string; errors: { parameter: string }[] };
      expect(body.detail).toEqual(detail);
      expect(body.errors[0]?.parameter).toBe("sql");
    }
    expect((await rows(stack.indexer.url, "accountEarnings", "account")).length).toBe(1);
  });

  it.skipIf(skip)("serves the dashboard", async () => {
    const res = await fetch(`${stack.indexer.url}/dashboard`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const section of ["Epochs", "Top earners", "Assets"]) expect(html).toContain(`<h2>${section}</h2>`);
  });

  it.skipIf(skip)("reconciles clean against the settler's manifests, and names a tampered one", async () => {
    for (const [id, m] of scenarioManifests(facts)) settler.manifests.set(id, m);
    const res = await fetch(`${stack.indexer.url}/api/reconciliation`);
    expect(await res.json()).toEqual({
      chainId: 31337,
      ok: true,
      sources: { chain: "indexed", manifests: "checked", metering: "not configured" },
      epochs: [
        { epochId: "1", status: "final", ok: true },
        { epochId: "2", status: "vetoed", ok: true },
        { epochId: "3", status: "pending", ok: true },
      ],
      mismatches: [],
    });
    const clean = await runReconcile(stack.indexer.url);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("Reconciled: no drift.");

    // Tamper: the manifest of epoch 3 names another root and charges Bob one unit more.
    settler.manifests.set("3", {
      ...settler.manifests.get("3"),
      root: `0x${"11".repeat(32)}`,
      charges: [{ payer: facts.bob, token: facts.token, amount: "2000001", records: 3 }],
    });
    const drift = (await get(stack.indexer.url, "/api/reconciliation")).body;
    expect(drift.ok).toBe(false);
    expect(drift.mismatches).toEqual([
      {
        kind: "root_mismatch",
        epochId: "3",
        amounts: { chain: facts.roots[2], manifest: `0x${"11".repeat(32)}` },
        message: expect.any(String),
      },
      {
        kind: "charge_mismatch",
        epochId: "3",
        payer: facts.bob,
        token: facts.token,
        amounts: { chain: "2000000", manifest: "2000001" },
        message: expect.any(String),
      },
    ]);
    const cli = await runReconcile(stack.indexer.url);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain("root_mismatch");

    // A missing manifest is drift too.
    settler.manifests.delete("3");
    const missing = (await get(stack.indexer.url, "/api/reconciliation")).body;
    expect(missing.mismatches.map((m: { kind: string; epochId: string }) => [m.kind, m.epochId])).toEqual([
      ["epoch_missing_manifest", "3"],
    ]);
  });

  // Last: it adds blocks the other tests do not expect.
  it.skipIf(skip)("follows a reorg: rows of dropped blocks disappear, rows of the new branch appear", async () => {
    await expectReorgFollowed(stack.indexer.url, stack.anvil.rpcUrl, contractsOf(stack.deployment), facts);
  });
});
