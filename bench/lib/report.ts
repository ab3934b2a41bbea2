// results.json and the printed table: what one bench run measured, with the commit it measured.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import type { BenchResult } from "../types.ts";
import { round } from "./stats.ts";

/** How one module's run went: `not landed yet` when its file does not exist. */
export type ModuleOutcome = {
  name: string;
  status: "ok" | "failed" | "not landed yet";
  seconds: number;
  error?: string;
};

export type StoredResult = BenchResult & { module: string; commit: string; quick: boolean; at: string };

export type ResultsFile = {
  commit: string;
  at: string;
  quick: boolean;
  machine: { cpus: number; node: string; loadAverage: number[] };
  modules: ModuleOutcome[];
  results: StoredResult[];
};

/** The checked-out commit, with `-dirty` when the work tree has uncommitted changes. */
export function currentCommit(cwd: string): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();
  try {
    return `${git("rev-parse", "--short=12", "HEAD")}${git("status", "--porcelain", "--untracked-files=no") ? "-dirty" : ""}`;
  } catch {
    return "unknown";
  }
}

export function machine(): ResultsFile["machine"] {
  return { cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg().map((x) => round(x)) };
}

/**
 * Writes `out`, keeping the results of modules that did not run this time (each result names its own commit),
 * so `npm run bench -- tasks` refreshes one module without losing the rest of the last full run.
 */
export function writeResults(out: string, file: ResultsFile): ResultsFile {
  const ran = new Set(file.modules.filter((m) => m.status !== "not landed yet").map((m) => m.name));
  let kept: StoredResult[] = [];
  if (existsSync(out)) {
    try {
      kept = (JSON.parse(readFileSync(out, "utf8")) as ResultsFile).results.filter((r) => !ran.has(r.module));
    } catch {
      kept = [];
    }
  }
  const merged = { ...file, results: [...kept, ...file.results] };
  writeFileSync(out, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

const fmt = (x: number) => (Number.isInteger(x) ? x.toLocaleString("en-US") : String(round(x)));

/** A Markdown table of results: value, baseline, difference (same unit) and ratio (value ÷ baseline). */
export function table(results: readonly BenchResult[]): string {
  const rows = [
    "| metric | value | baseline | Δ | ratio |",
    "|---|---:|---|---:|---:|",
    ...results.map((r) => {
      const base = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` : "–";
      const delta = r.baseline
        ? `${r.value >= r.baseline.value ? "+" : ""}${fmt(round(r.value - r.baseline.value))}`
        : "–";
      const ratio = r.ratio === undefined ? "–" : `${r.ratio}×`;
      return `| ${r.metric} | ${fmt(r.value)} ${r.unit} | ${base} | ${delta} | ${ratio} |`;
    }),
  ];
  return rows.join("\n");
}
