/** Fields shared by OpenAI chat and legacy completions: streaming, stop, sampling, logit_bias. */
import { booleanField, numberField, objectField } from './fields.js';
import { expected, fail } from './issue.js';

/** OpenAI accepts at most 4 stop sequences. */
export const OPENAI_MAX_STOP = 4;

/** `stream` is a boolean; `stream_options` (an object) only when streaming, as OpenAI requires. */
export function checkStreaming(req: Record<string, unknown>): void {
  booleanField(req, 'stream');
  const options = objectField(req, 'stream_options');
  if (options === undefined) return;
  if (req.stream !== true) fail(['stream_options'], 'only allowed when "stream" is true');
  booleanField(options, 'include_usage', ['stream_options']);
  booleanField(options, 'include_obfuscation', ['stream_options']);
}

/** `stop`: a string or an array of at most 4 strings (or null). */
export function checkStop(req: Record<string, unknown>): void {
  const stop = req.stop;
  if (stop === undefined || stop === null || typeof stop === 'string') return;
  if (!Array.isArray(stop)) return expected(['stop'], 'a string or an array of strings', stop);
  if (stop.length > OPENAI_MAX_STOP) fail(['stop'], `expected at most ${OPENAI_MAX_STOP} stop sequences, got ${stop.length}`);
  for (let i = 0; i < stop.length; i++) if (typeof stop[i] !== 'string') expected(['stop', i], 'a string', stop[i]);
}

/** `logit_bias`: token id -> bias between -100 and 100. */
export function checkLogitBias(req: Record<string, unknown>): void {
  const bias = objectField(req, 'logit_bias');
  if (bias === undefined) return;
  for (const token of Object.keys(bias)) numberField(bias, token, { min: -100, max: 100, nullable: false }, ['logit_bias']);
}

/** Sampling parameters with OpenAI's ranges (temperature 0..2, top_p 0..1, penalties -2..2). */
export function checkSampling(req: Record<string, unknown>): void {
  numberField(req, 'temperature', { min: 0, max: 2 });
  numberField(req, 'top_p', { min: 0, max: 1 });
  numberField(req, 'n', { integer: true, min: 1, max: 128 });
  numberField(req, 'presence_penalty', { min: -2, max: 2 });
  numberField(req, 'frequency_penalty', { min: -2, max: 2 });
  numberField(req, 'seed', { integer: true, int64: true });
  checkStop(req);
  checkLogitBias(req);
}
