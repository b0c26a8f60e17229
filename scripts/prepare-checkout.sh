#!/usr/bin/env bash
# Makes a checkout runnable: the Debian packages when missing, the npm dependencies when missing, a fresh build.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
