#!/usr/bin/env bash
# `npm test`: the Debian packages the tests need (installed when run as root on Debian, else it says
# what to run), the platforms' own tools (tools/), static checks, the builds the tests drive (H5 for Chromium, also as the NIM build,
# weapp for the simulator and WeChat's tool, tt for Douyin's, alipay for its app.json and sizes), then every jest project in one run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo '== system packages'; bash scripts/system-deps.sh
echo '== platform tools'; bash scripts/tools.sh
echo '== typecheck'; npx tsc --noEmit -p tsconfig.json
echo '== lint'; npx eslint .
echo '== build h5'; bash scripts/build.sh h5
echo '== build h5 (IM_PROVIDER=nim)'; IM_PROVIDER=nim bash scripts/build.sh h5
echo '== build weapp'; bash scripts/build.sh weapp --mode test
echo '== build tt'; bash scripts/build.sh tt --mode test
echo '== build alipay'; bash scripts/build.sh alipay --mode test
echo '== jest'; npx jest "$@"
