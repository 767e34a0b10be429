#!/usr/bin/env bash
# The platforms' own tools that the tests run, each in tools/<name> with a lockfile of its own (kept out
# of the app's tree: miniprogram-ci pins an old Babel). Installed with `npm ci` when missing or when
# the lockfile changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in tools/*/; do
  stamp="${dir}node_modules/.lock-sha256"
  want="$(sha256sum "${dir}package-lock.json" | cut -d' ' -f1)"
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "installing ${dir%/}"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
    echo "$want" >"$stamp"
  fi
done
