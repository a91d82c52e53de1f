/**
 * ClientStream's contract with the upstream connection: chunk() false pauses the upstream read
 * until resumeUpstream(). A stream that ends at the upstream's last event ([DONE], message_stop)
 * must not leave the upstream paused: its response still has to be read to its end for the
 * connection to go back to the pool, and nothing would resume it once the caller's answer ended.
 */
import t from 'tap';
import pino from 'pino';
import { Exchange } from '../../src/http/exchange.js';
import type { HttpResponse } from '../../src/http/uws.js';
import { ClientStream, type StreamOwner } from '../../src/pipeline/client-stream.js';
import type { AttemptInput, ChunkWriter, StreamRelay } from '../../src/pipeline/types.js';
import { WorkerState } from '../../src/state.js';

/** A uWS response whose socket is full: every write reports backpressure. */
function fullSocket(): HttpResponse & { written: string[]; ended: boolean } {
  const res = {
    written: [] as string[],
    ended: false,
    cork(fn: () => void) {
      fn();
      return res;
    },
    writeStatus: () => res,
    writeHeader: () => res,
    onWritable: () => res,
    onAborted: () => res,
    write(data: string | Uint8Array) {
      res.written.push(Buffer.from(data).toString());
      return false;
    },
    end(data: string | Uint8Array) {
      res.written.push(Buffer.from(data).toString());
      res.ended = true;
      return res;
    },
  };
  return res as unknown as HttpResponse & { written: string[]; ended: boolean };
}

/** Bytes as they come; ended once a chunk carried [DONE]. */
class DoneRelay implements StreamRelay {
  private sawDone = false;
  push(chunk: Buffer, out: ChunkWriter): void {
    out.write(chunk);
    if (chunk.includes('[DONE]')) this.sawDone = true;
  }
  finish(): boolean {
    return this.sawDone;
  }
  usage() {
    return undefined;
  }
  complete(): boolean {
    return this.sawDone;
  }
  ended(): boolean {
    return this.sawDone;
  }
}

t.test('the read that ends the stream never pauses the upstream, even into a full socket', async (t) => {
  const res = fullSocket();
  const ex = new Exchange(res, new WorkerState(pino({ level: 'silent' }), false), 'req-1', 'post', '/v1/chat/completions');
  const calls: string[] = [];
  const owner: StreamOwner = {
    resumeUpstream: () => calls.push('resume'),
    abortUpstream: () => calls.push('abort'),
    recordFailure: () => calls.push('failure'),
    streamEnded: () => calls.push('ended'),
    endAfterState: (end) => end(),
  };
  const input = { target: { provider: { name: 'p' } }, keyFromCaller: false, apiKey: undefined } as unknown as AttemptInput;
  const stream = new ClientStream(ex, new DoneRelay(), owner, input, null, undefined);
  t.equal(stream.chunk(Buffer.from('data: {"a":1}\n\n')), false, 'a full socket pauses the upstream mid-stream');
  t.equal(stream.chunk(Buffer.from('data: {"b":2}\n\ndata: [DONE]\n\n')), true, 'the last event: keep reading the upstream to its end');
  t.ok(res.ended, 'the caller\'s answer ended at [DONE]');
  t.same(calls, ['ended'], 'neither aborted nor failed');
});
