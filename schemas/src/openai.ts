// Zod wire schemas of the OpenAI-compatible requests the gateway accepts; unknown fields pass through to the upstream.
import { z } from "zod";

const contentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

export const chatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const chatCompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  n: z
    .literal(1, { error: "Only n = 1 is supported: the gateway reserves and meters one completion per request." })
    .nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** Text, texts, token ids or lists of token ids, as OpenAI takes them; never empty. */
  input: z.union([
    z.string().min(1),
    z.array(z.string().min(1)).min(1),
    z.array(z.int().nonnegative()).min(1),
    z.array(z.array(z.int().nonnegative()).min(1)).min(1),
  ]),
  encoding_format: z.enum(["float", "base64"]).optional(),
});
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** The usage object OpenAI reports; the gateway only reads the token counts. */
export const usageSchema = z.looseObject({
  prompt_tokens: z.int().nonnegative(),
  completion_tokens: z.int().nonnegative().optional(),
  total_tokens: z.int().nonnegative().optional(),
});
export type Usage = z.infer<typeof usageSchema>;

/** Every failure under /v1, in OpenAI's shape: `param` names the request field at fault, `code` is the gateway's. */
export const openAiErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});
export type OpenAIError = z.infer<typeof openAiErrorSchema>;
