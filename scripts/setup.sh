#!/usr/bin/env bash
# Sets up a fresh checkout: system packages the tests need, pnpm at the pinned version, the
# workspace's dependencies, and a build. Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

missing_packages() {
  missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v logrotate >/dev/null || [ -x /usr/sbin/logrotate ] || missing+=(logrotate)
  command -v promtool >/dev/null || missing+=(prometheus)     # promtool checks etc/prometheus in the tests
  command -v systemd-analyze >/dev/null || missing+=(systemd) # systemd-analyze verify checks the units
}

missing_packages
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null; then
  # One setup at a time installs (two checkouts set up at once): the policy-rc.d one of them writes
  # must not be removed while the other still installs. The second then finds nothing missing.
  lock="${TMPDIR:-/tmp}/gatewayd-setup-apt.lock"
  if command -v flock >/dev/null && { [ ! -e "$lock" ] || [ -w "$lock" ]; }; then
    exec 9>>"$lock"
    flock 9
    missing_packages
  fi
fi
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
  # policy-rc.d 101: install the packages without starting their services (prometheus, redis).
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
    own_policy=1
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT # also when the install fails
  fi
  # Another apt (unattended upgrades) may hold the lock: wait for it, not fail.
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$own_policy" = 0 ] || { as_root rm -f /usr/sbin/policy-rc.d; trap - EXIT; }
fi
exec 9>&- 2>/dev/null || true

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --silent
fi

pnpm install --frozen-lockfile
pnpm run build
