#!/usr/bin/env bash
# One Taro build, its pages of output kept in a log that is shown only when the build fails:
# `scripts/build.sh <type> [taro options…]` (environment such as IM_PROVIDER and TARO_APP_* passes
# through). npm test, CI and the Dockerfile build with it.
set -euo pipefail
cd "$(dirname "$0")/.."
type="$1"
shift
log="${TMPDIR:-/tmp}/medchat-build-${type}${IM_PROVIDER:+-$IM_PROVIDER}.log"
npx taro build --type "$type" "$@" >"$log" 2>&1 || { tail -50 "$log"; exit 1; }
