/**
 * The most bytes of a complete (not streamed) upstream answer the worker buffers before it reads
 * it. Such an answer is held whole (to translate it, count its usage, cache it), and so is one the
 * caller asked to stream but that came back without text/event-stream (Ollama's ndjson): without
 * a cap an upstream could make the worker hold any amount of memory, or grow it forever with an
 * endless body. Beyond the cap the upstream call is aborted and the attempt fails (502).
 *
 * 256 MiB, not less: the largest legitimate answers are embeddings, and 2048 inputs of 3072 float
 * dimensions in OpenAI's pretty-printed JSON come to about 145 MB. GATEWAYD_MAX_UPSTREAM_BODY
 * (bytes) overrides it for the worker processes, e.g. for tests.
 */
const DEFAULT_MAX_ANSWER_BYTES = 256 * 1024 * 1024;

export function maxAnswerBytesFrom(env: NodeJS.ProcessEnv): number {
  const value = env['GATEWAYD_MAX_UPSTREAM_BODY'];
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return DEFAULT_MAX_ANSWER_BYTES;
  const bytes = Number(value);
  return bytes >= 1 ? bytes : DEFAULT_MAX_ANSWER_BYTES;
}

export const MAX_ANSWER_BYTES = maxAnswerBytesFrom(process.env);
