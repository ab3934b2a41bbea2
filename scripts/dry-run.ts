// Builds the worker for every wrangler environment with `wrangler deploy --dry-run`, as a deploy would,
// without deploying: a region whose bindings or code do not build fails here first.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { childEnv, repoRoot } from "./lib/processes.ts";

const run = promisify(execFile);
const environments = [
  ...readFileSync(path.join(repoRoot, "wrangler.toml"), "utf8").matchAll(/^\[env\.([a-z0-9-]+)\]$/gm),
]
  .map((m) => m[1])
  .filter((name): name is string => Boolean(name));

let failed = 0;
const outDir = mkdtempSync(path.join(tmpdir(), "tributary-dry-run-"));
for (const env of environments) {
  try {
    await run("wrangler", ["deploy", "--dry-run", "--env", env, "--outdir", path.join(outDir, env)], {
      cwd: repoRoot,
      env: childEnv(),
      maxBuffer: 16 << 20,
    });
    console.log(`✓ ${env}: builds`);
  } catch (err) {
    failed += 1;
    const e = err as { stderr?: string; stdout?: string; message: string };
    console.log(`✗ ${env}: ${(e.stderr || e.stdout || e.message).trim().split("\n").slice(-5).join("\n  ")}`);
  }
}
rmSync(outDir, { recursive: true, force: true });
console.log(`\n${environments.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 || environments.length === 0 ? 1 : 0);
