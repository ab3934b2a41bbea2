// The deployment file the forge deploy script writes: contracts/deployments/<chainId>.json.
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");

export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  startBlock: z.number().int().nonnegative(),
  contracts: z.record(
    z.string(),
    z.looseObject({
      address: address.transform((a) => a as `0x${string}`),
      startBlock: z.number().int().nonnegative().optional(),
    }),
  ),
});

export type Deployment = z.infer<typeof deploymentSchema>;

/** Parses a deployment file's text, naming the file and the first problem when it is malformed. */
export function parseDeployment(text: string, file: string): Deployment {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file} is not a deployment file: ${issue?.path.join(".") || "(root)"} ${issue?.message}`);
  }
  return parsed.data;
}
