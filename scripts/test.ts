// `npm test`: every suite in turn (contracts, schemas, workers in workerd, indexer on anvil, the bench runner, the dev
// stack end to end), each runner's own output, then one line of totals. `npm test -- workers indexer` runs some.
import { spawn } from "node:child_process";
import { childEnv, repoRoot } from "./lib/processes.ts";

type Suite = {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Output that fails the suite even when the runner exits 0. */
  failOn?: RegExp;
  /** Whether its tests count towards the totals (not for a suite that re-runs another's tests). */
  counted?: boolean;
};

const suites: Suite[] = [
  { name: "contracts", command: "forge", args: ["test"] },
  // Gas of the unit tests against the committed snapshot. Left out: fuzz and invariant gas (depends on the
  // runs), the deploy script's test (its gas depends on the checkout's path) and the receipt signature test (its gas
  // depends on the fixture's random ECDSA nonces). forge 1.7 prints a difference but still exits 0, hence failOn.
  {
    name: "gas",
    command: "forge",
    args: [
      ...["snapshot", "--check", "contracts/.gas-snapshot"],
      ...["--no-match-test", "^(testFuzz|invariant)_", "--no-match-contract", "^(DeployTest|ReceiptSignatureTest)$"],
    ],
    failOn: /^Diff in "/m,
    counted: false,
  },
  { name: "schemas", command: "vitest", args: ["run"], cwd: "schemas" },
  { name: "workers", command: "vitest", args: ["run"], cwd: "workers" },
  // `wrangler deploy --dry-run` for every region's environment.
  { name: "deploy", command: "node", args: ["scripts/dry-run.ts"] },
  { name: "indexer", command: "vitest", args: ["run"], cwd: "indexer" },
  // The bench runner at minimal size (the gas module, ≈10 s) and its statistics; benchmarks are `npm run bench`.
  { name: "bench", command: "vitest", args: ["run", "--config", "bench/vitest.config.ts"] },
  { name: "e2e", command: "vitest", args: ["run", "--config", "scripts/vitest.config.ts"] },
];

/** Passed/failed counts from a runner's summary line (forge's, vitest's, or a plain "N passed, M failed"). */
function counts(output: string): { passed: number; failed: number } {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours.
  const text = output.replace(/\x1b\[[0-9;]*m/g, "");
  const forge = [...text.matchAll(/(\d+) tests passed, (\d+) failed/g)].at(-1);
  if (forge) return { passed: Number(forge[1]), failed: Number(forge[2]) };
  const plain = text.match(/^(\d+) passed, (\d+) failed$/m);
  if (plain) return { passed: Number(plain[1]), failed: Number(plain[2]) };
  const vitest = text.match(/^\s*Tests\s+(.*)$/m)?.[1] ?? "";
  return {
    passed: Number(vitest.match(/(\d+) passed/)?.[1] ?? 0),
    failed: Number(vitest.match(/(\d+) failed/)?.[1] ?? 0),
  };
}

function run(suite: Suite): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(suite.command, suite.args, {
      cwd: suite.cwd ? `${repoRoot}/${suite.cwd}` : repoRoot,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const tee = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      stream.write(chunk);
    };
    child.stdout.on("data", tee(process.stdout));
    child.stderr.on("data", tee(process.stderr));
    child.once("exit", (code) => resolve({ code: code ?? 1, output }));
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
if (unknown.length > 0) {
  console.error(`Unknown suite ${unknown.join(", ")}; suites: ${suites.map((s) => s.name).join(", ")}.`);
  process.exit(2);
}
const total = { passed: 0, failed: 0 };
const failedSuites: string[] = [];
for (const suite of suites.filter((s) => wanted.length === 0 || wanted.includes(s.name))) {
  console.log(`\n━━ ${suite.name} ━━ ${suite.command} ${suite.args.join(" ")}\n`);
  const result = await run(suite);
  const output = result.output;
  const code = result.code === 0 && suite.failOn?.test(output) ? 1 : result.code;
  const c = counts(output);
  if (suite.counted !== false) {
    total.passed += c.passed;
    total.failed += c.failed;
  }
  if (code !== 0) failedSuites.push(suite.name);
  console.log(`\n${suite.name}: ${c.passed} passed, ${c.failed} failed${code !== 0 ? ` (exit code ${code})` : ""}`);
}
console.log(`\n${failedSuites.length ? `Failing suites: ${failedSuites.join(", ")}\n` : ""}`);
console.log(`total: ${total.passed} passed, ${total.failed} failed`);
process.exit(failedSuites.length > 0 ? 1 : 0);
