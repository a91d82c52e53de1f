/**
 * The streaming mock upstream, run as its own process (so its timers do not share an event loop
 * with the load generator): POST /v1/chat/completions answers like api.openai.com. stream:true gets
 * the role chunk and the first content chunk at once, then the other CHUNKS-1 content chunks DELAY_MS apart (each stamped with its send
 * time, see openai-fixtures.ts), the finish chunk, the usage chunk when stream_options.include_usage,
 * and [DONE]; stream:false gets the fixed chat.completion. A request with `"user": "bench-warmup"`
 * gets every chunk at once (no delay): JIT warm-up of the legs without the wall-clock cost.
 * Prints `listening <port>` when ready.
 *
 *   node --import tsx lib/sse-upstream-main.ts <port> <chunks> <delayMs>
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { CHAT_COMPLETION_BODY, contentChunk, finishChunk, roleChunk, SSE_DONE, usageChunk, WARMUP_USER } from './openai-fixtures.js';

const port = Number(process.argv[2] ?? 0);
const chunks = Number(process.argv[3] ?? 20);
const delayMs = Number(process.argv[4] ?? 5);

function stream(res: ServerResponse, includeUsage: boolean, gapMs: number): void {
  const base = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), includeUsage };
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': `req_${randomBytes(16).toString('hex')}`,
    'openai-processing-ms': '1',
  });
  res.write(roleChunk(base));
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    if (res.destroyed) return;
    res.write(contentChunk(base, sent, process.hrtime.bigint()));
    sent++;
    if (sent < chunks) {
      if (gapMs > 0) timer = setTimeout(next, gapMs);
      else next();
      return;
    }
    res.write(finishChunk(base));
    if (includeUsage) res.write(usageChunk(base, chunks));
    res.end(SSE_DONE);
  };
  res.once('close', () => clearTimeout(timer));
  next(); // the first token goes out with the headers: TTFT measures the path, not a timer

}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
    return;
  }
  let request: { stream?: unknown; stream_options?: { include_usage?: unknown } | null; user?: unknown };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error', param: null, code: null } }));
    return;
  }
  if (request.stream === true) {
    stream(res, request.stream_options?.include_usage === true, request.user === WARMUP_USER ? 0 : delayMs);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(CHAT_COMPLETION_BODY);
}

const server = createServer({ noDelay: true, keepAliveTimeout: 75_000 }, (req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => handle(req, res, body));
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
