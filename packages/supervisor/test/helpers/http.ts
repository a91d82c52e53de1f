/** HTTP clients for the tests: one fresh connection per request (a draining worker may close it). */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no keep-alive pool: a draining worker may close it). */
export function httpRequest(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export interface StreamResult {
  status: number;
  /** SSE data payloads in arrival order (without the "data: " prefix). */
  events: string[];
  contentChunks: number;
  done: boolean;
  /** Set when the connection failed (reset) rather than ended. */
  error?: string;
}

/**
 * POST /v1/chat/completions with stream: true against the mock provider, read to its end.
 * `onFirstChunk` fires once the first content chunk arrived (the stream is in flight).
 */
export function streamChat(port: number, chunks: number, delayMs: number, onFirstChunk?: () => void): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'hello' }] });
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-mock-chunks': String(chunks), 'x-mock-chunk-delay-ms': String(delayMs) };
    const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', headers, agent: false }, (res) => {
      const result: StreamResult = { status: res.statusCode ?? 0, events: [], contentChunks: 0, done: false };
      let buffer = '';
      let notified = false;
      res.setEncoding('utf8');
      res.on('data', (piece: string) => {
        buffer += piece;
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          for (const line of frame.split('\n')) {
            if (!line.startsWith('data: ')) continue;
            const data = line.slice(6);
            result.events.push(data);
            if (data === '[DONE]') result.done = true;
            else if (data.includes('"delta":{"content":') && !data.includes('"delta":{"content":""')) result.contentChunks++;
          }
        }
        if (!notified && result.contentChunks > 0) {
          notified = true;
          onFirstChunk?.();
        }
      });
      res.on('end', () => resolve(result));
      res.on('error', (err) => resolve({ ...result, error: err.message }));
      res.on('aborted', () => resolve({ ...result, error: 'aborted' }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
