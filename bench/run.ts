// `npm run bench [-- <name>…] [--quick] [--out <file>]`: runs the landed metric modules, prints a table, writes results.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  currentCommit,
  type ModuleOutcome,
  machine,
  type ResultsFile,
  type StoredResult,
  table,
  writeResults,
} from "./lib/report.ts";
import type { BenchModule } from "./types.ts";

/** Every metric module in issue order; a module whose file is missing is reported as not landed yet. */
export const registry = [
  { name: "gateway", metrics: "1–4: gateway overhead, streaming, throughput, CPU per request" },
  { name: "tasks", metrics: "4: task claims per second" },
  { name: "indexer", metrics: "5: indexer events per second" },
  { name: "settlement", metrics: "6: epoch close time and memory" },
  { name: "gas", metrics: "7: claim and settleEpoch gas" },
  { name: "storage", metrics: "database pages per metering batch, time-ordered vs random request ids" },
] as const;

const here = import.meta.dirname;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    show: { type: "boolean", default: false },
    help: { type: "boolean" },
  },
});
if (values.help) {
  console.log("npm run bench [-- <module>…] [--quick] [--out <file>] [--show: print the table of <file>, run nothing]");
  for (const m of registry) console.log(`  ${m.name.padEnd(11)} ${m.metrics}`);
  process.exit(0);
}
const unknown = positionals.filter((p) => !registry.some((m) => m.name === p));
if (unknown.length > 0) {
  console.error(`Unknown benchmark ${unknown.join(", ")}; known: ${registry.map((m) => m.name).join(", ")}.`);
  process.exit(2);
}

const quick = values.quick;
const out = path.resolve(values.out ?? path.join(here, "results.json"));
if (values.show) {
  const file = JSON.parse(readFileSync(out, "utf8")) as ResultsFile;
  console.log(
    `${file.quick ? "quick" : "full"} run of ${file.at}, commit ${file.commit}, load ${file.machine.loadAverage.join(" ")}`,
  );
  console.log(file.modules.map((m) => `${m.name}: ${m.status}${m.seconds ? ` (${m.seconds} s)` : ""}`).join(", "));
  console.log(table(file.results));
  process.exit(0);
}
const commit = currentCommit(here);
const at = new Date().toISOString();
const startMachine = machine();
const outcomes: ModuleOutcome[] = [];
const results: StoredResult[] = [];
const t0 = performance.now();
for (const { name, metrics } of registry.filter((m) => positionals.length === 0 || positionals.includes(m.name))) {
  const file = path.join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.log(`\n━━ ${name} (${metrics}): not landed yet`);
    outcomes.push({ name, status: "not landed yet", seconds: 0 });
    continue;
  }
  console.log(`\n━━ ${name} (${metrics})${quick ? " --quick" : ""}`);
  const started = performance.now();
  try {
    const mod = (await import(file)) as BenchModule;
    const rows = await mod.run({ quick });
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    outcomes.push({ name, status: "ok", seconds });
    results.push(...rows.map((r) => ({ ...r, module: name, commit, quick, at })));
    console.log(`${table(rows)}\n(${seconds} s)`);
  } catch (err) {
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    outcomes.push({ name, status: "failed", seconds, error });
    console.error(`${name} failed after ${seconds} s:\n${error}`);
  }
}
const written = writeResults(out, { commit, at, quick, machine: startMachine, modules: outcomes, results });
const wall = Math.round((performance.now() - t0) / 1000);
console.log(
  `\n━━ all results (${quick ? "quick" : "full"} run, ${wall} s, commit ${commit}, load ${startMachine.loadAverage.join(" ")})\n`,
);
console.log(table(written.results));
console.log(`\nWrote ${path.relative(process.cwd(), out) || out}.`);
process.exit(outcomes.some((o) => o.status === "failed") ? 1 : 0);
