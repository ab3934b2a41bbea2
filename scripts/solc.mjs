#!/usr/bin/env node
// A native-solc look-alike over solc-js from npm, so forge never downloads a compiler.
// Answers `--version` like native solc and compiles `--standard-json` from stdin.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const solc = require("solc");
const args = process.argv.slice(2);

if (args.includes("--version")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("scripts/solc.mjs only supports --version and --standard-json (stdin).\n");
  process.exit(1);
}

// Forge inlines every source into the JSON input; the callback only serves an import it missed.
const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--base-path" || args[i] === "--include-path") roots.push(path.resolve(args[i + 1] ?? "."));
}
const findImports = (importPath) => {
  for (const root of roots) {
    try {
      return { contents: readFileSync(path.resolve(root, importPath), "utf8") };
    } catch {}
  }
  return { error: `File not found: ${importPath}` };
};

process.stdout.write(solc.compile(readFileSync(0, "utf8"), { import: findImports }));
