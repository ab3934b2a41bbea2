// Prices and token bounds: integer cost from license prices, worst-case reservation, estimates when usage is missing.
import type { ChatMessage } from "@tributary/schemas/openai";

/** Cost in base units: ceil((in·pIn + out·pOut) / 1e6), prices per million tokens. Integers only. */
export function costOf(inputTokens: number, outputTokens: number, pIn: bigint, pOut: bigint): bigint {
  const micro = BigInt(inputTokens) * pIn + BigInt(outputTokens) * pOut;
  return (micro + 999_999n) / 1_000_000n;
}

const utf8Length = (text: string) => new TextEncoder().encode(text).length;

function contentText(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p) => p.text ?? "").join(" ");
  return "";
}

/** Per-message framing tokens tokenizers add (role markers); generous so the bound holds. */
const MESSAGE_OVERHEAD = 8;

/**
 * An upper bound of the prompt's tokens: byte-level BPE tokenizers never emit more tokens than UTF-8 bytes,
 * plus framing per message. Used to reserve the worst case.
 */
export function maxPromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + utf8Length(contentText(m.content)) + MESSAGE_OVERHEAD, 0) + MESSAGE_OVERHEAD;
}

export function maxInputTokens(inputs: string[]): number {
  return inputs.reduce((sum, text) => sum + Math.max(1, utf8Length(text)), 0);
}

/** Estimate of tokens in a text when the upstream reports none: about 4 characters per token, at least 1. */
export function estimateTokens(text: string): number {
  return Math.max(1, tokensForChars(text.length));
}

/** Estimate of tokens in `chars` characters of generated text: 0 for none, else about 4 characters per token. */
export function tokensForChars(chars: number): number {
  return Math.ceil(chars / 4);
}

export function estimatePromptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateTokens(contentText(m.content)) + 3, 0);
}
