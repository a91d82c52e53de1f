/** Graceful stop with streams in flight: they finish within drain_timeout, or are cut at it. */
import { existsSync } from 'node:fs';
import t from 'tap';
import { makeSandbox, startForeground, streamChat } from './helpers/gatewayd.js';

t.test('SIGTERM during an SSE stream lets it finish, then the supervisor exits 0', async (t) => {
  const sb = await makeSandbox(t, { drainTimeout: '3s' });
  const gw = await startForeground(t, sb);
  // About 1.5 s of stream; SIGTERM once it is under way.
  const result = await streamChat(sb.port, 15, 100, () => gw.child.kill('SIGTERM'));
  t.equal(result.status, 200);
  t.equal(result.contentChunks, 15, 'every chunk arrived');
  t.ok(result.done, 'ended with [DONE]');
  t.notOk(result.error, 'no reset');
  t.equal((await gw.exited).code, 0);
  t.notOk(existsSync(sb.pidFile));
});

t.test('a stream longer than drain_timeout is cut at the deadline with an error event', async (t) => {
  const sb = await makeSandbox(t, { drainTimeout: '1s' });
  const gw = await startForeground(t, sb);
  // 40 chunks x 200 ms = 8 s, far beyond the 1 s drain timeout.
  const result = await streamChat(sb.port, 40, 200, () => gw.child.kill('SIGTERM'));
  t.equal(result.status, 200);
  t.ok(result.contentChunks > 0 && result.contentChunks < 40, `cut after ${result.contentChunks} chunks`);
  t.notOk(result.done, 'no [DONE]: the stream did not complete');
  t.match(result.events.at(-1) ?? '', /GW_ERR_SHUTTING_DOWN|shutting down/, 'the last event says why');
  t.equal((await gw.exited).code, 0);
  t.notOk(existsSync(sb.pidFile));
});
