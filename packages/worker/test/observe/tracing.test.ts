/**
 * OpenTelemetry export from a real daemon to a local OTLP/HTTP collector (a node:http server that
 * records what is POSTed): a SERVER span per request (child of the caller's traceparent) with its
 * attributes, a CLIENT span per upstream attempt (a failover shows two), the resource, the
 * configured collector headers, and an unsampled traceparent producing nothing.
 */
import t from 'tap';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeOpenai, startGateway } from '../fakes/index.js';
import { chatBody, http, requestId, until } from './helpers.js';

interface Attr {
  key: string;
  value: { stringValue?: string; intValue?: string; boolValue?: boolean };
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Attr[];
  status: { code: number; message?: string };
}
interface Export {
  headers: IncomingHttpHeaders;
  body: { resourceSpans: Array<{ resource: { attributes: Attr[] }; scopeSpans: Array<{ spans: Span[] }> }> };
}

const attr = (span: Span, key: string): string | boolean | undefined => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? value?.intValue ?? value?.boolValue;
};

async function collector(): Promise<{ url: string; exports: Export[]; spans(): Span[] }> {
  const exports: Export[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => (text += d));
    req.on('end', () => {
      exports.push({ headers: req.headers, body: JSON.parse(text) as Export['body'] });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    exports,
    spans: () => exports.flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
  };
}

t.test('spans per request and per upstream attempt reach an OTLP/HTTP collector', async (t) => {
  const otlp = await collector();
  const bad = await startFakeOpenai();
  const good = await startFakeOpenai({ text: 'Hello from the good one.' });
  t.teardown(() => Promise.all([bad.close(), good.close()]));
  const gw = await startGateway(t, `
tracing: { enabled: true, endpoint: "${otlp.url}", service_name: gw-trace-test, headers: { x-collector-token: "collector-secret-31ab" } }
routing: { retries: 1, backoff_initial: 10ms, backoff_max: 20ms }
providers:
  - { name: local, type: mock, chunks: 3 }
  - { name: bad, type: openai, base_url: "${bad.url}", api_keys: ["sk-trace-bad"] }
  - { name: good, type: openai, base_url: "${good.url}", api_keys: ["sk-trace-good"] }
models:
  - { name: demo, targets: [{ provider: local, model: demo }] }
  - { name: fo, targets: [{ provider: bad, model: gpt-4o-mini }, { provider: good, model: gpt-4o }] }
`, { workers: 1 });

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';
  bad.script([{ kind: 'status', status: 500 }]);
  const failover = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('fo', 'trace me'), { traceparent: `00-${traceId}-${parentId}-01` });
  t.equal(failover.status, 200);
  const stream = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', 'trace me too', true));
  t.equal(stream.status, 200);
  const unsampledTrace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
  const unsampled = await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', 'not me'), { traceparent: `00-${unsampledTrace}-${parentId}-00` });
  t.equal(unsampled.status, 200);

  const serverSpan = (id: string): Span | undefined => otlp.spans().find((s) => s.kind === 2 && attr(s, 'gateway.request_id') === id);
  await until('both sampled requests exported', () => serverSpan(requestId(failover)) !== undefined && serverSpan(requestId(stream)) !== undefined, 15_000);

  const root = serverSpan(requestId(failover)) as Span;
  t.equal(root.traceId, traceId, "the caller's trace");
  t.equal(root.parentSpanId, parentId, "a child of the caller's span");
  t.equal(root.name, 'POST /v1/chat/completions');
  t.match(Object.fromEntries(root.attributes.map((a) => [a.key, attr(root, a.key)])), {
    'http.request.method': 'POST',
    'http.route': '/v1/chat/completions',
    'http.response.status_code': '200',
    'gen_ai.request.model': 'fo',
    'gateway.provider': 'good',
    'gateway.target': 'gpt-4o',
    'gen_ai.usage.input_tokens': '25',
    'gen_ai.usage.output_tokens': '9',
    'gateway.stream': false,
  });
  t.equal(root.status.code, 1, 'OK');
  t.ok(BigInt(root.endTimeUnixNano) > BigInt(root.startTimeUnixNano), 'unix-nanosecond times');
  t.ok(Math.abs(Number(BigInt(root.startTimeUnixNano) / 1_000_000n) - Date.now()) < 60_000, 'times are wall-clock');

  const attempts = otlp.spans().filter((s) => s.parentSpanId === root.spanId).sort((a, b) => Number(attr(a, 'gateway.attempt')) - Number(attr(b, 'gateway.attempt')));
  t.equal(attempts.length, 2, 'one child span per upstream attempt');
  t.match(attempts[0], { kind: 3, traceId, name: 'upstream bad', status: { code: 2 } });
  t.equal(attr(attempts[0]!, 'http.response.status_code'), '500');
  t.equal(attr(attempts[0]!, 'error.type'), 'server_error');
  t.match(attempts[1], { kind: 3, traceId, name: 'upstream good', status: { code: 1 } });
  t.equal(attr(attempts[1]!, 'gen_ai.request.model'), 'gpt-4o');

  const streamed = serverSpan(requestId(stream)) as Span;
  t.notOk(streamed.parentSpanId, 'no traceparent: a root span');
  t.equal(attr(streamed, 'gateway.stream'), true);
  t.ok(Number(attr(streamed, 'gateway.ttft_ms')) >= 0, 'time to first token');
  t.equal(otlp.spans().filter((s) => s.parentSpanId === streamed.spanId).length, 1, 'the mock attempt');

  t.notOk(otlp.spans().some((s) => s.traceId === unsampledTrace), 'an unsampled traceparent is respected');
  const first = otlp.exports[0]!;
  t.equal(first.headers['x-collector-token'], 'collector-secret-31ab', 'configured collector headers');
  t.match(first.headers['content-type'], 'application/json');
  const resource = Object.fromEntries(first.body.resourceSpans[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue]));
  t.match(resource, { 'service.name': 'gw-trace-test', 'gatewayd.worker': '0' });
});

t.test('tracing is off by default: nothing is exported', async (t) => {
  const otlp = await collector();
  // The collector sits on the default endpoint's path, but tracing.enabled is left at its default.
  const gw = await startGateway(t, `
tracing: { endpoint: "${otlp.url}" }
providers: [{ name: local, type: mock }]
models: [{ name: demo, targets: [{ provider: local, model: demo }] }]
`, { workers: 1 });
  for (let i = 0; i < 3; i++) t.equal((await http(gw.port, 'POST', '/v1/chat/completions', chatBody('demo', 'hi'))).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the export interval
  t.equal(otlp.exports.length, 0);
});
