/**
 * A featureless proxy built from uWebSockets.js in front and undici `Pool.dispatch` behind (a
 * gatewayd worker's two parts until it got its own HTTP/1.1 upstream client), doing only what any OpenAI-aware
 * proxy must: read the body, JSON.parse it, rename the model (JSON.stringify), send it upstream
 * over a keep-alive pool, return the answer (a `stream: true` answer chunk by chunk, each upstream
 * read written at once, corked). No auth, validation, routing, metrics or logs.
 * gatewayd's rps divided by this leg's compares it, features and all, with that bare design.
 *
 *   node --import tsx lib/bare-proxy-main.ts <port> <upstreamPort>   (prints "listening <port>")
 *
 * Several processes may listen on one port: uWS binds with SO_REUSEPORT on Linux.
 */
import uws from 'uWebSockets.js';
import { Pool, type Dispatcher } from 'undici';

const [port, upstreamPort, upstreamModel] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'gpt-4o-mini'];
const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 128 });
const HEADERS = ['content-type', 'application/json', 'authorization', 'Bearer sk-bench-upstream'];

class Forward implements Dispatcher.DispatchHandler {
  private status = 502;
  private readonly chunks: Buffer[] = [];
  /** Streaming and the upstream said 200: chunks go to the caller as they come. */
  private relaying = false;
  constructor(
    private readonly res: uws.HttpResponse,
    private readonly state: { aborted: boolean; started: boolean },
    private readonly stream: boolean,
  ) {}
  // Its presence selects undici 7's controller API (the one gatewayd uses), not the legacy one.
  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, status: number): void {
    this.status = status;
    this.relaying = this.stream && status === 200;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.relaying) {
      this.chunks.push(chunk);
      return;
    }
    if (this.state.aborted) return;
    this.res.cork(() => {
      if (!this.state.started) {
        this.state.started = true;
        this.res.writeStatus('200 OK').writeHeader('content-type', 'text/event-stream').writeHeader('cache-control', 'no-cache');
      }
      this.res.write(chunk);
    });
  }
  onResponseEnd(): void {
    if (this.state.aborted) return;
    if (this.relaying) {
      this.res.cork(() => this.res.end());
      return;
    }
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    this.res.cork(() => this.res.writeStatus(this.status === 200 ? '200 OK' : `${this.status} Upstream`).writeHeader('content-type', 'application/json').end(body));
  }
  onResponseError(): void {
    if (this.state.aborted) return;
    if (this.state.started) this.res.cork(() => this.res.end());
    else this.res.cork(() => this.res.writeStatus('502 Bad Gateway').end('{"error":"upstream"}'));
  }
}

uws
  .App()
  .post('/v1/chat/completions', (res) => {
    const state = { aborted: false, started: false };
    res.onAborted(() => (state.aborted = true));
    const parts: Buffer[] = [];
    res.onData((chunk, isLast) => {
      parts.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      let request: { stream?: unknown };
      try {
        request = JSON.parse(Buffer.concat(parts).toString()) as { stream?: unknown };
      } catch {
        res.cork(() => res.writeStatus('400 Bad Request').end('{"error":"bad json"}'));
        return;
      }
      const body = JSON.stringify({ ...request, model: upstreamModel });
      pool.dispatch({ path: '/v1/chat/completions', method: 'POST', headers: HEADERS, body }, new Forward(res, state, request.stream === true));
    });
  })
  .listen('127.0.0.1', port, (listening) => {
    if (!listening) {
      console.error(`cannot listen on ${port}`);
      process.exit(1);
    }
    console.log(`listening ${port}`);
  });
