// Sign-In with Ethereum: happy path, replayed/expired/foreign messages, session tokens.
import { env } from "cloudflare:workers";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { issueSession, SESSION_TTL_SECONDS } from "../../src/tasks/session.ts";
import { call, createProject, expectJson, signIn, siweMessage } from "./helpers.ts";

async function nonce(): Promise<string> {
  return (await expectJson<{ nonce: string }>(await call("/tasks/auth/nonce", { method: "POST" }), 201)).nonce;
}

describe("Sign-In with Ethereum", () => {
  it("signs in with a wallet and uses the session", async () => {
    const key = generatePrivateKey();
    const { token, address } = await signIn(key);
    expect(address).toBe(privateKeyToAccount(key).address.toLowerCase());
    const project = await createProject(token);
    expect(project.owner).toBe(address);
  });

  it("refuses a replayed message", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const message = siweMessage(account.address, await nonce());
    const signature = await account.signMessage({ message });
    await expectJson(await call("/tasks/auth/verify", { json: { message, signature } }), 200);
    const replay = await call("/tasks/auth/verify", { json: { message, signature } });
    const problem = await expectJson<{ detail: string }>(replay, 401);
    expect(replay.headers.get("content-type")).toBe("application/problem+json");
    expect(problem.detail).toMatch(/nonce/);
  });

  it("refuses an expired message, an old message, a foreign domain and a wrong signer", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const other = privateKeyToAccount(generatePrivateKey());
    const cases = [
      siweMessage(account.address, await nonce(), { expirationTime: new Date(Date.now() - 1000) }),
      siweMessage(account.address, await nonce(), { issuedAt: new Date(Date.now() - 60 * 60 * 1000) }),
      siweMessage(account.address, await nonce(), { domain: "evil.example" }),
    ];
    for (const message of cases) {
      const signature = await account.signMessage({ message });
      await expectJson(await call("/tasks/auth/verify", { json: { message, signature } }), 401);
    }
    const message = siweMessage(account.address, await nonce());
    const signature = await other.signMessage({ message });
    await expectJson(await call("/tasks/auth/verify", { json: { message, signature } }), 401);
  });

  it("refuses a message dated in the future, beyond a minute of clock skew, saying so (not that it is old)", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const verify = async (issuedAt: Date) => {
      const message = siweMessage(account.address, await nonce(), { issuedAt });
      const signature = await account.signMessage({ message });
      return call("/tasks/auth/verify", { json: { message, signature } });
    };
    const future = new Date(Date.now() + 10 * 60_000);
    const refused = await verify(future);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    const problem = await expectJson<{ detail: string; param: string }>(refused, 401);
    expect(problem.detail).toBe(
      `Sign-in refused: the message is dated in the future (Issued At ${future.toISOString()}, more than a minute ` +
        "after this server's time); check the clock of the device that made it.",
    );
    expect(problem.param).toBe("message");
    // An old one is still refused as old.
    const old = await expectJson<{ detail: string }>(await verify(new Date(Date.now() - 60 * 60_000)), 401);
    expect(old.detail).toBe("Sign-in refused: the message was issued too long ago.");
    // A wallet whose clock runs half a minute fast still signs in.
    await expectJson(await verify(new Date(Date.now() + 30_000)), 200);
  });

  it("refuses a message whose times cannot be read, or without Issued At (an unreadable expiry never expired)", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const verify = async (edit: (message: string) => string) => {
      const message = edit(
        siweMessage(account.address, await nonce(), { expirationTime: new Date(Date.now() + 60_000) }),
      );
      const signature = await account.signMessage({ message });
      return expectJson<{ detail: string; param: string }>(
        await call("/tasks/auth/verify", { json: { message, signature } }),
        401,
      );
    };
    const cases = {
      "Issued At": (m: string) => m.replace(/^Issued At: .*$/m, "Issued At: yesterday"),
      "Expiration Time": (m: string) => m.replace(/^Expiration Time: .*$/m, "Expiration Time: 2099-13-45T99:00:00Z"),
    };
    for (const [name, edit] of Object.entries(cases)) {
      const problem = await verify(edit);
      expect(problem.detail, name).toBe(`Sign-in refused: the message's ${name} is not an RFC 3339 date-time.`);
      expect(problem.param).toBe("message");
    }
    const withoutIssuedAt = await verify((m) => m.replace(/^Issued At: .*\n/m, ""));
    // viem reads no field after a missing required line.
    expect(withoutIssuedAt.detail).toBe("Sign-in refused: the message is not an EIP-4361 message.");
  });

  it("ends the session at the message's Expiration Time when that comes before the session's hour", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const signInUntil = async (expirationTime: Date) => {
      const message = siweMessage(account.address, await nonce(), { expirationTime });
      const signature = await account.signMessage({ message });
      return expectJson<{ token: string; expiresAt: string }>(
        await call("/tasks/auth/verify", { json: { message, signature } }),
        200,
      );
    };
    const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 120_000);
    const short = await signInUntil(soon);
    expect(short.expiresAt).toBe(soon.toISOString());
    const [, payload] = short.token.split(".");
    expect((JSON.parse(atob(payload ?? "")) as { exp: number }).exp).toBe(soon.getTime() / 1000);
    // A later Expiration Time does not lengthen the session past its hour.
    const before = Date.now();
    const long = await signInUntil(new Date(Date.now() + 24 * 60 * 60_000));
    const end = Date.parse(long.expiresAt);
    expect(end).toBeGreaterThan(before + SESSION_TTL_SECONDS * 1000 - 2000);
    expect(end).toBeLessThanOrEqual(Date.now() + SESSION_TTL_SECONDS * 1000);
  });

  it("refuses a session token past the Expiration Time of the message that opened it", async () => {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const now = Date.now();
    const cut = await issueSession(env, address, now - 10 * 60_000, new Date(now - 60_000));
    expect(cut.expiresAt.getTime()).toBe(Math.floor((now - 60_000) / 1000) * 1000);
    const problem = await expectJson<{ detail: string }>(await call("/tasks/projects/x", { token: cut.token }), 401);
    expect(problem.detail).toBe("The session token is invalid or expired.");
    // The same sign-in without the cut would still be open.
    const uncut = await issueSession(env, address, now - 10 * 60_000);
    await expectJson(await call("/tasks/projects/x", { token: uncut.token }), 404);
  });

  it("refuses malformed signatures like a wrong signer", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const message = siweMessage(account.address, await nonce());
    for (const signature of [`0x${"11".repeat(65)}`, "0x00", `0x${"00".repeat(65)}`, `0x${"ab".repeat(64)}`]) {
      const problem = await expectJson<{ detail: string }>(
        await call("/tasks/auth/verify", { json: { message, signature } }),
        401,
      );
      expect(problem.detail, signature).toBe("Sign-in refused: the signature does not match the address.");
    }
  });

  it("refuses an expired nonce", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const n = await nonce();
    await env.TASKS_DB.prepare("UPDATE siwe_nonces SET expires_at = 0 WHERE nonce = ?").bind(n).run();
    const message = siweMessage(account.address, n);
    const signature = await account.signMessage({ message });
    await expectJson(await call("/tasks/auth/verify", { json: { message, signature } }), 401);
  });

  it("refuses missing, forged and expired session tokens", async () => {
    await expectJson(await call("/tasks/projects/x"), 401);
    await expectJson(await call("/tasks/projects/x", { token: "a.b.c" }), 401);
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const stale = await issueSession(env, address, Date.now() - 2 * SESSION_TTL_SECONDS * 1000);
    const problem = await expectJson<{ detail: string }>(await call("/tasks/projects/x", { token: stale.token }), 401);
    expect(problem.detail).toMatch(/expired/);
  });
});
