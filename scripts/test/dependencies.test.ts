import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { missingDependency, requiredTools } from "../lib/dependencies.ts";

const bin = mkdtempSync(path.join(tmpdir(), "tributary-bin-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe("missingDependency", () => {
  it("names the first tool npm did not install, in one line", () => {
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "anvil"), "");
    expect(missingDependency(bin, "22.23.3")).toBe(
      "Missing dependency: forge is not installed. Run `npm install` first.",
    );
    for (const tool of requiredTools) writeFileSync(path.join(bin, tool), "");
    expect(missingDependency(bin, "22.23.3")).toBeUndefined();
  });

  it("refuses a Node older than 22.12", () => {
    expect(missingDependency(bin, "20.20.2")).toMatch(/^Node 20\.20\.2 is too old/);
    expect(missingDependency(bin, "22.11.0")).toMatch(/^Node 22\.11\.0 is too old/);
  });
});
