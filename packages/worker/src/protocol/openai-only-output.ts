/**
 * OpenAI Chat options that change what the answer is, which Claude and Gemini cannot give: audio
 * output (`modalities` with "audio", `audio`) and built-in web search (`web_search_options`).
 * Dropping them would answer another question (text instead of speech, no search), so they are a
 * TranslationError: a 400 naming the option, unless another target of the model is OpenAI's.
 * Options that only tune how an answer is made (`prediction`, `seed`, ...) are dropped elsewhere.
 */
import type { ChatCompletionRequest } from '@gatewayd/shared';
import { TranslationError } from './errors.js';

/** The end of every TranslationError for what only OpenAI providers serve. */
export const ONLY_OPENAI = 'can only be served by an OpenAI provider';

export function refuseOpenaiOnlyOutput(req: ChatCompletionRequest): void {
  const options = req as unknown as Record<string, unknown>;
  const modalities = options.modalities;
  if ((Array.isArray(modalities) && modalities.includes('audio')) || (options.audio !== undefined && options.audio !== null)) {
    throw new TranslationError(`audio output (modalities: ["audio"], audio) ${ONLY_OPENAI}`);
  }
  if (options.web_search_options !== undefined && options.web_search_options !== null) {
    throw new TranslationError(`web search (web_search_options) ${ONLY_OPENAI}`);
  }
}
