/** The outage reason a worker sends its supervisor carries no secret (the supervisor logs it as is). */
import t from 'tap';
import { configSecrets, secretScrubber } from '../../src/observe/secrets.js';
import { safeReason } from '../../src/state/health-report.js';
import { stateConfig } from './helpers.js';

t.test('redis passwords, long or short, and URL credentials never reach the reason', async (t) => {
  const long = stateConfig('{ backend: redis, redis: { url: "redis://default:s3cret-redis-pass@10.0.0.5:6379/0" } }');
  const scrubLong = secretScrubber(configSecrets(long));
  t.equal(safeReason('WRONGPASS s3cret-redis-pass rejected', scrubLong), 'WRONGPASS [REDACTED] rejected');
  t.equal(safeReason('cannot reach redis://default:s3cret-redis-pass@10.0.0.5:6379/0', scrubLong), 'cannot reach redis://[REDACTED]@10.0.0.5:6379/0');
  const short = stateConfig('{ backend: redis, redis: { url: "rediss://user:pw1@cache:6380" } }');
  t.equal(safeReason('cannot reach rediss://user:pw1@cache:6380', secretScrubber(configSecrets(short))), 'cannot reach rediss://[REDACTED]@cache:6380', 'short passwords too, in a URL');
  t.equal(safeReason('connect ECONNREFUSED 127.0.0.1:6390', scrubLong), 'connect ECONNREFUSED 127.0.0.1:6390', 'an ordinary reason is unchanged');
});
