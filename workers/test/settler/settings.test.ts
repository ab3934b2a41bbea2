// Settlement parameters: a treasury nobody could claim for is refused before an epoch is opened.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.ts";
import { closeEpoch } from "../../src/settler/close.ts";
import { type SettlerEnv, settlementSettings } from "../../src/settler/settings.ts";

const zero = "0x0000000000000000000000000000000000000000";

describe("settlement settings", () => {
  it("refuses the zero address as treasury: its protocol fees could never be claimed", () => {
    let refused: unknown;
    try {
      settlementSettings({ TREASURY_ADDRESS: zero, PROTOCOL_FEE_BPS: "500" });
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe("unavailable");
    expect((refused as AppError).message).toBe(
      "Settlement is not configured: TREASURY_ADDRESS is the zero address, to which protocol fees could never be " +
        "claimed; set it to the treasury's address.",
    );
    expect(() => settlementSettings({})).toThrow("set the worker variable TREASURY_ADDRESS");
    const treasury = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    expect(settlementSettings({ TREASURY_ADDRESS: treasury }).treasury).toBe(treasury.toLowerCase());
  });

  it("opens no epoch when the treasury is the zero address", async () => {
    const count = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM settlement_epochs").first<{ n: number }>())?.n ?? 0;
    const before = await count();
    const settlerEnv = { ...env, TREASURY_ADDRESS: zero } as unknown as SettlerEnv;
    await expect(closeEpoch(settlerEnv)).rejects.toThrow("TREASURY_ADDRESS is the zero address");
    expect(await count()).toBe(before);
  });
});
