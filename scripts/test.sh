#!/usr/bin/env bash
# `npm test`: the Debian packages the tests need (installed when run as root on Debian, else it says
# what to run), static checks, the builds the tests drive (H5 for Chromium, also as the NIM build, and
# weapp for the simulator), then every jest project in one run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo '== system packages'; bash scripts/system-deps.sh
echo '== typecheck'; npx tsc --noEmit -p tsconfig.json
echo '== lint'; npx eslint .
echo '== build h5'; npx taro build --type h5 >/tmp/medchat-build-h5.log 2>&1 || { tail -50 /tmp/medchat-build-h5.log; exit 1; }
echo '== build h5 (IM_PROVIDER=nim)'; IM_PROVIDER=nim npx taro build --type h5 >/tmp/medchat-build-h5-nim.log 2>&1 || { tail -50 /tmp/medchat-build-h5-nim.log; exit 1; }
echo '== build weapp'; npx taro build --type weapp --mode test >/tmp/medchat-build-weapp.log 2>&1 || { tail -50 /tmp/medchat-build-weapp.log; exit 1; }
echo '== jest'; npx jest "$@"
