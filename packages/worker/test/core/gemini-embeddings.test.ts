/**
 * Gemini embeds at most 100 inputs per batchEmbedContents call (the fake refuses more, as Gemini
 * does): a larger OpenAI embeddings request goes as several calls, one after another, answered as
 * one list in the caller's order; a failing batch is the answer (and fails over like any other).
 */
import t from 'tap';
import { embeddingOf } from '../fakes/server.js';
import { geminiEmbeddingBatches, mergeGeminiEmbeddings, openaiToGeminiEmbeddings } from '../../src/providers/gemini/index.js';
import { call, startGeminiModel } from './helpers.js';

type Json = Record<string, any>;

t.test('the batches and their merge', async (t) => {
  const inputs = Array.from({ length: 250 }, (_, i) => `text ${i}`);
  const plan = openaiToGeminiEmbeddings({ model: 'e', input: inputs }, 'text-embedding-004');
  const batches = geminiEmbeddingBatches(plan);
  t.same(batches.map((b) => b.requests.length), [100, 100, 50]);
  t.equal(batches[2]?.requests[49]?.content.parts[0]?.text, 'text 249', 'in order');
  t.same(geminiEmbeddingBatches(openaiToGeminiEmbeddings({ model: 'e', input: inputs.slice(0, 100) })).length, 1, '100 inputs: one call');
  const answer = (n: number, from: number) => Buffer.from(JSON.stringify({ embeddings: Array.from({ length: n }, (_, i) => ({ values: [from + i] })) }));
  const merged = JSON.parse(mergeGeminiEmbeddings([answer(100, 0), answer(100, 100), answer(50, 200)], 250).toString()) as Json;
  t.same(merged.embeddings.map((e: Json) => e.values[0]), Array.from({ length: 250 }, (_, i) => i));
  t.throws(() => mergeGeminiEmbeddings([answer(100, 0), answer(49, 100)], 150), /149 embeddings for 150 inputs/);
  t.throws(() => mergeGeminiEmbeddings([Buffer.from('{"error":{}}')], 1), /without embeddings/);
});

t.test('through the gateway: 250 inputs in three calls, one answer in order', async (t) => {
  const { gemini, port } = await startGeminiModel(t, 'emb', 'text-embedding-004');
  const input = Array.from({ length: 250 }, (_, i) => `text ${i}`);
  const answer = await call(port, '/v1/embeddings', { model: 'emb', input });
  t.equal(answer.status, 200, answer.body.toString().slice(0, 300));
  const body = JSON.parse(answer.body.toString()) as Json;
  t.equal(body.data.length, 250);
  t.same(body.data.map((d: Json) => d.index), Array.from({ length: 250 }, (_, i) => i));
  t.same(body.data[137].embedding, embeddingOf(JSON.stringify('text 137'), 8), 'each embedding is its input\'s');
  t.same(gemini.requests.map((r) => (r.body as Json).requests.length), [100, 100, 50], 'three calls, in order');

  gemini.reset();
  gemini.script([{ kind: 'ok' }, { kind: 'status', status: 500 }]);
  const failed = await call(port, '/v1/embeddings', { model: 'emb', input });
  t.equal(failed.status, 502, 'a failing batch fails the request');
  t.match(JSON.parse(failed.body.toString()), { error: { code: 'GW_ERR_UPSTREAM_ERROR' } });
  t.equal(gemini.requests.length, 2, 'no call after the failed one');
});

t.test('one call answered with the wrong number of embeddings is an upstream error, not a short list', async (t) => {
  const { gemini, port } = await startGeminiModel(t, 'emb', 'text-embedding-004');
  gemini.script([{ kind: 'status', status: 200, body: { embeddings: [] } }]);
  const answer = await call(port, '/v1/embeddings', { model: 'emb', input: 'one text' });
  t.equal(answer.status, 502, answer.body.toString());
  t.match(JSON.parse(answer.body.toString()), { error: { code: 'GW_ERR_UPSTREAM_ERROR' } });
  gemini.script([{ kind: 'status', status: 200, body: { embeddings: [{ values: [1] }, { values: [2] }, { values: [3] }] } }]);
  t.equal((await call(port, '/v1/embeddings', { model: 'emb', input: ['a', 'b'] })).status, 502, 'three for two');
  t.equal((await call(port, '/v1/embeddings', { model: 'emb', input: ['a', 'b'] })).status, 200, 'the right count still works');
});
