/** etc/sysctl.d/90-gatewayd.conf: the one setting gatewayd's reloads rely on, in sysctl.d syntax. */
import t from 'tap';
import { existsSync } from 'node:fs';
import { readRepoFile } from './helpers.js';

const FILE = 'etc/sysctl.d/90-gatewayd.conf';

t.test('sets net.ipv4.tcp_migrate_req = 1 and says why', async (t) => {
  const text = readRepoFile(FILE);
  const settings = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith(';'));
  t.same(settings.map((line) => line.split('=').map((part) => part.trim())), [['net.ipv4.tcp_migrate_req', '1']]);
  t.match(text, /SO_REUSEPORT/, 'the comment explains the reuseport listener case');
  t.match(text, /reset/i, 'and what goes wrong without it');
});

t.test('the key exists in this kernel (Linux >= 5.14)', { skip: process.platform !== 'linux' && 'sysctl keys are Linux-only' }, async (t) => {
  t.ok(existsSync('/proc/sys/net/ipv4/tcp_migrate_req'), '/proc/sys/net/ipv4/tcp_migrate_req');
});
