/** The short cause of a state backend outage (/health/ready) and the terminal's words for its effect. */
import t from 'tap';
import { stateCause, stateOutageEffect } from '../../src/state/health.js';

t.test('stateCause: the error code only, never the address or a secret', async (t) => {
  t.equal(stateCause('connect ECONNREFUSED 127.0.0.1:6390'), 'ECONNREFUSED');
  t.equal(stateCause('connect ETIMEDOUT'), 'ETIMEDOUT');
  t.equal(stateCause('getaddrinfo ENOTFOUND redis.internal'), 'ENOTFOUND');
  t.equal(stateCause('WRONGPASS invalid username-password pair or user is disabled.'), 'WRONGPASS');
  t.equal(stateCause('Ready check failed: NOAUTH Authentication required.'), 'NOAUTH');
  t.equal(stateCause('Connection is closed.'), null);
  t.equal(stateCause('ERR unknown command'), null);
  t.equal(stateCause(null), null);
});

t.test('stateOutageEffect names the policy and what it does', async (t) => {
  t.equal(stateOutageEffect('open'), 'on_error: open: limits and cache are off until Redis answers');
  t.match(stateOutageEffect('closed'), /^on_error: closed: limited requests get 503 GW_ERR_STATE_UNAVAILABLE.*until Redis answers$/);
});
