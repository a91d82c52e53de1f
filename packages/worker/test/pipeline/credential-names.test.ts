/**
 * A header the gateway treats as a credential when a provider config sets it (sent with the
 * config's keys only, endpoint-template.ts) must also be one that /admin/config redacts and the log
 * scrubber hides (SECRET_NAME): the two lists are kept apart (whole words against substrings), so
 * this checks that the one covers the other.
 */
import t from 'tap';
import { SECRET_NAME } from '@gatewayd/shared';
import { CREDENTIAL_WORDS } from '../../src/pipeline/endpoint-template.js';

t.test('every credential word of a header name makes it a secret name too', async (t) => {
  for (const word of CREDENTIAL_WORDS) t.ok(SECRET_NAME.test(`x-${word}`), `x-${word} is redacted`);
});
