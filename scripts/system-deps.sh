#!/usr/bin/env bash
# The Debian packages the tests need: Chromium for the H5 tests; CJK and colour-emoji fonts so
# screenshots show what a phone shows; PostgreSQL and Redis for the several-process tests (they start
# private instances themselves); nginx to run deploy/nginx.conf in front of a test server. Installs what is missing where it can (root on Debian, as CI runs);
# elsewhere says exactly what to run. Used by .ci/run and by `npm test`.
set -euo pipefail
PACKAGES="chromium fonts-noto-cjk fonts-noto-color-emoji postgresql redis-server nginx-light"

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: not a Debian system; install the equivalents of: $PACKAGES" >&2
  echo "system-deps: (Chromium at /usr/bin/chromium or CHROMIUM_PATH; PostgreSQL's initdb/pg_ctl under /usr/lib/postgresql/*/bin; redis-server on PATH)" >&2
  exit 1
fi
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing Debian packages:$missing" >&2
  echo "system-deps: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "system-deps: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
