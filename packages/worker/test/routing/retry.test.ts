/** retry-after parsing, status classification and backoff bounds. */
import t from 'tap';
import { backoffDelay, classifyStatus, parseRetryAfter } from '../../src/routing/index.js';
import { seeded } from './fixtures/index.js';

const now = Date.parse('2025-06-01T12:00:00Z');

t.test('parseRetryAfter: seconds, HTTP-dates, retry-after-ms', async (t) => {
  t.equal(parseRetryAfter({ 'retry-after': '7' }, now), 7000);
  t.equal(parseRetryAfter({ 'retry-after': '0' }, now), 0);
  t.equal(parseRetryAfter({ 'retry-after': ' 1.5 ' }, now), 1500);
  t.equal(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }, now), 30_000);
  t.equal(parseRetryAfter({ 'retry-after': 'Sunday, 01-Jun-25 12:01:00 GMT' }, now), 60_000, 'RFC 850 form');
  t.equal(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }, now), 0, 'a past date means now');
  t.equal(parseRetryAfter({ 'retry-after-ms': '250.4' }, now), 251);
  t.equal(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '9' }, now), 250, 'retry-after-ms wins');
  t.equal(parseRetryAfter({ 'retry-after-ms': 'soon', 'retry-after': '9' }, now), 9000, 'a bad retry-after-ms falls back');
  t.equal(parseRetryAfter({ 'Retry-After': '3' }, now), 3000, 'names match case-insensitively');
  t.equal(parseRetryAfter({ 'retry-after': ['4', '8'] }, now), 4000, 'repeated header: the first');
  t.equal(parseRetryAfter({}, now), undefined);
  t.equal(parseRetryAfter({ 'retry-after': undefined }, now), undefined);
  t.equal(parseRetryAfter({ 'retry-after': 'Sun Jun  1 12:00:05 2025' }, now), 5_000, 'asctime form');
  t.equal(parseRetryAfter({ 'retry-after': '100000000000000000000000' }, now), 86_400_000, 'an absurd wait is capped at a day');
  t.equal(parseRetryAfter({ 'retry-after-ms': '1e30'.replace('1e30', '9'.repeat(30)) }, now), 86_400_000);
  t.equal(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2125 12:00:00 GMT' }, now), 86_400_000, 'a date a century out too');
  for (const junk of ['', '-5', 'soon', '12abc', '2025-06-01', '1e3', 'Mon, 99 Foo 2025', 'soon 2', 'June 1 2025', 'Sun, 01 Jun 2025 12:00:30']) t.equal(parseRetryAfter({ 'retry-after': junk }, now), undefined, `junk ${JSON.stringify(junk)}`);
});

t.test('classifyStatus', async (t) => {
  const cases: Array<[number, string]> = [
    [200, 'ok'], [204, 'ok'], [304, 'ok'],
    [400, 'client_error'], [404, 'client_error'], [413, 'client_error'], [422, 'client_error'],
    [401, 'auth'], [403, 'auth'],
    [408, 'timeout'],
    [429, 'rate_limited'],
    [500, 'server_error'], [502, 'server_error'], [503, 'server_error'], [529, 'server_error'],
  ];
  for (const [status, kind] of cases) t.equal(classifyStatus(status), kind, String(status));
});

t.test('backoffDelay: full jitter within [0, min(max, initial * 2^n))', async (t) => {
  const routing = { backoff_initial: 100, backoff_max: 1000 };
  t.equal(backoffDelay(0, routing, () => 0), 0);
  t.equal(backoffDelay(0, routing, () => 0.999999), 99);
  t.equal(backoffDelay(1, routing, () => 0.5), 100);
  t.equal(backoffDelay(3, routing, () => 0.5), 400);
  t.equal(backoffDelay(4, routing, () => 0.999999), 999, 'capped at backoff_max');
  t.equal(backoffDelay(1e6, routing, () => 0.5), 500, 'huge retry counts do not overflow');
  const random = seeded(7);
  let outside = 0;
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const d = backoffDelay(2, routing, random);
    if (d < 0 || d >= 400) outside++;
    sum += d;
  }
  t.equal(outside, 0);
  t.ok(Math.abs(sum / 10_000 - 200) < 10, `mean ~200: ${sum / 10_000}`);
});
