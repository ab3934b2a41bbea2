import { describe, expect, it } from "vitest";
import { parseDeployment } from "../src/deployment.ts";

describe("parseDeployment", () => {
  it("reads what the deploy script writes", () => {
    const text = JSON.stringify({
      chainId: 31337,
      startBlock: 0,
      contracts: { AssetRegistry: { address: "0x4f0b75317d944276Af79738e397505ea1aAacCB1" } },
    });
    expect(parseDeployment(text, "31337.json").contracts.AssetRegistry?.address).toBe(
      "0x4f0b75317d944276Af79738e397505ea1aAacCB1",
    );
  });

  it("names the file and the field when malformed", () => {
    expect(() => parseDeployment("{", "x.json")).toThrow(/^x\.json is not valid JSON/);
    const bad = JSON.stringify({ chainId: 1, startBlock: 0, contracts: { A: { address: "0x12" } } });
    expect(() => parseDeployment(bad, "y.json")).toThrow(
      "y.json is not a deployment file: contracts.A.address must be a 0x-prefixed 20-byte hex address",
    );
  });
});
