// The bench runner end to end at minimal size (the gas module), and the statistics it relies on.
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { childEnv, repoRoot } from "../scripts/lib/processes.ts";
import { cpuMs, descendantsNamed } from "./lib/cpu.ts";
import { startLoadGenerators } from "./lib/load.ts";
import type { ResultsFile } from "./lib/report.ts";
import { interleave, medianOfRounds } from "./lib/rounds.ts";
import { median, percentile } from "./lib/stats.ts";

const exec = promisify(execFile);
const dir = await mkdtemp(path.join(tmpdir(), "tributary-bench-test-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run bench", () => {
  it("runs one module and writes results.json with every field", async () => {
    const out = path.join(dir, "results.json");
    const { stdout } = await exec("node", ["bench/run.ts", "gas", "--quick", "--out", out], {
      cwd: repoRoot,
      env: childEnv(),
    });
    expect(stdout).toContain("| gas.claim.repeat-claimant |");
    const file = JSON.parse(await readFile(out, "utf8")) as ResultsFile;
    expect(file.quick).toBe(true);
    expect(file.commit).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    expect(file.modules).toEqual([{ name: "gas", status: "ok", seconds: expect.any(Number) }]);
    expect(file.results.length).toBeGreaterThan(0);
    for (const r of file.results) {
      expect(r).toMatchObject({ module: "gas", commit: file.commit, unit: "gas", parameters: expect.any(Object) });
      expect(Number.isFinite(r.value)).toBe(true);
    }
    const claim = file.results.find((r) => r.metric === "gas.claim.repeat-claimant");
    expect(claim?.baseline).toEqual({ name: "Uniswap merkle-distributor avg", value: 78_600 });
    expect(claim?.ratio).toBeCloseTo((claim?.value ?? 0) / 78_600, 3);
  });

  it("measures the pages a metering batch writes on the migrated schemas, by request id kind (storage)", async () => {
    const out = path.join(dir, "storage.json");
    await exec("node", ["bench/run.ts", "storage", "--quick", "--out", out], { cwd: repoRoot, env: childEnv() });
    const file = JSON.parse(await readFile(out, "utf8")) as ResultsFile;
    expect(file.modules).toEqual([{ name: "storage", status: "ok", seconds: expect.any(Number) }]);
    for (const db of ["meter", "control"]) {
      const pages = file.results.find((r) => r.metric === `storage.${db}.pages-per-batch`);
      // Every batch writes at least its table's new rows; random keys add a leaf page of the key index per insert.
      expect(pages?.value).toBeGreaterThan(1);
      expect(pages?.baseline?.value).toBeGreaterThan((pages?.value ?? 0) + 20);
    }
  });

  it("refuses an unknown module name", async () => {
    const failed = await exec("node", ["bench/run.ts", "nope"], { cwd: repoRoot, env: childEnv() }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown benchmark nope") });
  });
});

describe("statistics", () => {
  it("takes nearest-rank percentiles and medians", () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 99)).toBe(0);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  it("interleaves variants in rotating order after the warm-up and takes the median of round percentiles", async () => {
    const calls: string[] = [];
    const variant = (name: string, value: number) => async () => {
      calls.push(name);
      return value;
    };
    const rounds = await interleave({
      variants: { a: variant("a", 1), b: variant("b", 2) },
      rounds: 2,
      perRound: 1,
      warmup: 1,
    });
    expect(calls).toEqual(["a", "b", "a", "b", "b", "a"]);
    expect(rounds).toEqual({ a: [[1], [1]], b: [[2], [2]] });
    expect(
      medianOfRounds(
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
        50,
        (x) => x,
      ),
    ).toBe(5);
  });
});

describe("load generators", () => {
  it("spread the clients over child processes and merge their results as one closed loop", async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        bodies.push(`${req.method} ${req.headers.authorization} ${body}`);
        res.statusCode = req.url === "/fail" ? 500 : 200;
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const load = await startLoadGenerators(2);
    try {
      const ok = await load.run(
        { url: `${url}/ok`, body: "{}", headers: { authorization: "Bearer k" } },
        { concurrency: 3, seconds: 5, maxRequests: 30 },
      );
      expect(ok).toMatchObject({ errors: 0, requests: 30 });
      expect(ok.latencies).toHaveLength(30);
      expect(ok.rps).toBeGreaterThan(0);
      expect(ok.p99).toBeGreaterThanOrEqual(ok.p50);
      expect(bodies).toHaveLength(30);
      expect(new Set(bodies)).toEqual(new Set(["POST Bearer k {}"]));
      const failed = await load.run({ url: `${url}/fail` }, { concurrency: 2, seconds: 5, maxRequests: 4 });
      expect(failed).toMatchObject({ errors: 4, requests: 0 });
    } finally {
      await load.stop();
      server.close();
    }
  });
});

describe("process CPU time", () => {
  it("finds a spawned process by name among the descendants and reads the CPU it burns", async () => {
    const child = spawn(process.execPath, ["-e", "const end = Date.now() + 400; while (Date.now() < end);"]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const pid = child.pid as number;
      expect(descendantsNamed(process.pid, "node")).toContain(pid);
      expect(descendantsNamed(process.pid, "no-such-process")).toEqual([]);
      const before = cpuMs(pid);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const burnt = cpuMs(pid) - before;
      // Busy while we waited (how much depends on what else the machine runs), and one thread cannot use more
      // than the 200 ms waited, give or take the 10 ms tick.
      expect(burnt).toBeGreaterThan(0);
      expect(burnt).toBeLessThan(300);
    } finally {
      child.kill();
    }
  });
});

describe("the gateway bench's state folder", () => {
  it("is in memory where /dev/shm is, on disk in the temp folder otherwise, and BENCH_STATE_DIR wins", async () => {
    const { stateDirectory } = await import("./gateway/stack.ts");
    expect(stateDirectory({ BENCH_STATE_DIR: dir })).toEqual({ parent: dir, storage: "disk" });
    // Set but empty counts as unset (a shell's `BENCH_STATE_DIR= npm run bench`).
    expect(stateDirectory({ BENCH_STATE_DIR: "" })).toEqual(stateDirectory({}));
    const shm = stateDirectory({});
    if (shm.parent === "/dev/shm") expect(shm.storage).toBe("memory");
    else expect(shm).toEqual({ parent: tmpdir(), storage: "disk" });
  });
});
