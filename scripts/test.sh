#!/usr/bin/env bash
# The test command: installs what a fresh machine lacks, builds, and runs the mocha suite
# (real MariaDB servers, real sysbench, the real AWS SDK and aws CLI; all on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare-checkout.sh
npx mocha "$@"
