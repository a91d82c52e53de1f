/**
 * concurrency: 1 and a caller that never has two requests open: a streamed answer's slot is free
 * before the stream ends for the caller, so the next request, on a new connection and so on
 * either of two workers, is never refused for the stream it just finished (both backends).
 */
import t from 'tap';
import { chatBody, countStatuses, post, startSlotGateway, workerOf, type Reply } from './helpers.js';

const KEY = 'gw-stream-slot-key-000001';
const ROUNDS = 200;

for (const backend of ['local', 'redis'] as const) {
  t.test(`backend ${backend}: one stream after another, each on a new connection`, async (t) => {
    const gw = await startSlotGateway(t, backend, { key: KEY, concurrency: 1, workers: 2 });
    const replies: Reply[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      replies.push(await post(gw.url, '/v1/chat/completions', chatBody('demo', `round ${i}`, { stream: true }), { authorization: `Bearer ${KEY}` }));
    }
    t.same(countStatuses(replies), { 200: ROUNDS }, 'never refused for the stream the caller just finished');
    t.ok(replies.every((r) => r.body.endsWith('data: [DONE]\n\n')), 'every stream is complete');
    t.ok(new Set(replies.map(workerOf)).size >= 2, 'both workers served');
  });
}
