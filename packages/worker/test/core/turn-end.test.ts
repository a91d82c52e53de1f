/** Complete answers held to the end of the event-loop turn (http/turn-end.ts). */
import t from 'tap';
import { sendAtTurnEnd } from '../../src/http/turn-end.js';

t.test('answers go out together after the poll phase, in order, one failure not stopping the rest', async (t) => {
  const sent: string[] = [];
  sendAtTurnEnd(() => sent.push('a'));
  sendAtTurnEnd(() => {
    throw new Error('uWS said no');
  });
  sendAtTurnEnd(() => sent.push('c'));
  await Promise.resolve();
  t.same(sent, [], 'not within the same turn (microtasks included)');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(sent, ['a', 'c'], 'all at the end of the turn, in order');
  sendAtTurnEnd(() => sent.push('d'));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(sent, ['a', 'c', 'd'], 'the next turn is scheduled anew');
});
