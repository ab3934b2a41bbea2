// Prices and token bounds: integer cost from license prices, worst-case reservation, estimates when usage is missing.
import type { ChatCompletionRequest } from "@tributary/schemas/openai";

/** Cost in base units: ceil((in·pIn + out·pOut) / 1e6), prices per million tokens. Integers only. */
export function costOf(inputTokens: number, outputTokens: number, pIn: bigint, pOut: bigint): bigint {
  const micro = BigInt(inputTokens) * pIn + BigInt(outputTokens) * pOut;
  return (micro + 999_999n) / 1_000_000n;
}

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

/** Per-message framing tokens tokenizers add (role markers); generous so the bound holds. */
const MESSAGE_OVERHEAD = 8;

/**
 * Tokens held for each content part that is not text (an image, audio, a file): what it costs depends on the model
 * and on the media's size, which the gateway does not read. 1,500 covers an image of any size on GPT-4o and its
 * peers (at most 1,445 tokens at high detail); a model that counts more is charged what it reports all the same
 * (`chargeOf` in meter.ts), beyond what was held.
 */
export const MEDIA_PART_TOKENS = 1500;

/**
 * The fields of a chat request besides `messages` that the model reads as prompt: tool and function definitions,
 * the tool choice, a response format's JSON schema and a predicted output.
 */
const PROMPT_FIELDS = ["tools", "functions", "tool_choice", "function_call", "response_format", "prediction"] as const;

/**
 * What of a chat request becomes prompt tokens: the UTF-8 bytes and the characters of its text, its messages and its
 * media parts.
 */
type Prompt = { bytes: number; chars: number; messages: number; media: number };

/** Adds a text to a prompt's counts. */
function addText(prompt: Prompt, text: string): void {
  prompt.bytes += utf8Length(text);
  prompt.chars += text.length;
}

/** Adds every string in a value (a tool call, a name, a refusal) to a prompt's counts, keys left out. */
function addStrings(prompt: Prompt, value: unknown): void {
  if (typeof value === "string") addText(prompt, value);
  else if (Array.isArray(value)) for (const item of value) addStrings(prompt, item);
  else if (value && typeof value === "object") for (const item of Object.values(value)) addStrings(prompt, item);
}

/**
 * The prompt of a chat request: of each message its content's text (each media part counted, its data left out)
 * and every other string but its role (names, tool calls and their arguments, tool call ids), and the PROMPT_FIELDS
 * as JSON, whose keys the model reads too.
 */
function promptOf(request: ChatCompletionRequest): Prompt {
  const prompt: Prompt = { bytes: 0, chars: 0, messages: request.messages.length, media: 0 };
  for (const { role: _role, content, ...rest } of request.messages) {
    if (typeof content === "string") addText(prompt, content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part.text === "string") addText(prompt, part.text);
        else prompt.media++;
      }
    }
    addStrings(prompt, rest);
  }
  for (const field of PROMPT_FIELDS) if (request[field] != null) addText(prompt, JSON.stringify(request[field]));
  return prompt;
}

/**
 * A chat request's prompt tokens from one reading of it (`promptOf`):
 * - `bound`, an upper bound to reserve the worst case: byte-level BPE tokenizers never emit more tokens than UTF-8
 *   bytes, so the bytes of everything the model reads as text, plus framing per message, bound its text; each media
 *   part adds MEDIA_PART_TOKENS;
 * - `estimate`, for tpm, and for the charge when the upstream reports none.
 */
export function promptTokens(request: ChatCompletionRequest): { bound: number; estimate: number } {
  const prompt = promptOf(request);
  const media = prompt.media * MEDIA_PART_TOKENS;
  return {
    bound: prompt.bytes + (prompt.messages + 1) * MESSAGE_OVERHEAD + media,
    estimate: tokensForChars(prompt.chars) + prompt.messages * 3 + media,
  };
}

/** Embeddings input: text, texts, token ids (as OpenAI's tokenizer numbers them) or lists of token ids. */
export type EmbeddingsInput = string | string[] | number[] | number[][];

/** The inputs of an embeddings request one by one: a text, or a list of token ids. */
function inputsOf(input: EmbeddingsInput): (string | number[])[] {
  if (typeof input === "string") return [input];
  if (input.every((item) => typeof item === "number")) return [input as number[]];
  return input as string[] | number[][];
}

/** An upper bound of an embeddings request's tokens: each text's UTF-8 bytes, each token list's length. */
export function maxInputTokens(input: EmbeddingsInput): number {
  return inputsOf(input).reduce((sum, item) => sum + (typeof item === "string" ? utf8Length(item) : item.length), 0);
}

/** An estimate of an embeddings request's tokens: about 4 characters per token of each text, token lists exactly. */
export function estimateInputTokens(input: EmbeddingsInput): number {
  return inputsOf(input).reduce(
    (sum, item) => sum + (typeof item === "string" ? estimateTokens(item) : item.length),
    0,
  );
}

/** Estimate of tokens in a text when the upstream reports none: about 4 characters per token, at least 1. */
export function estimateTokens(text: string): number {
  return Math.max(1, tokensForChars(text.length));
}

/** Estimate of tokens in `chars` characters of generated text: 0 for none, else about 4 characters per token. */
export function tokensForChars(chars: number): number {
  return Math.ceil(chars / 4);
}
