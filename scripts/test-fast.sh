#!/usr/bin/env bash
# The edit loop's test command: every test file that starts no MariaDB server and no sandbox (the runbook
# checks, the step statics, the engine against in-process fakes, the CLI's validate and guide), after a build.
# `npm test` stays the full suite that CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# A test file that names one of these starts a real server (test/helpers/mariadb.ts, the sandbox, its API
# harness) and belongs to the full suite only.
SERVERS="helpers/mariadb|sandboxUp|createMariaDbDataPlane|startHarness|sandbox/|startSandbox|sandbox-state|\['sandbox', '|'--sandbox'"

npm run --silent build
mapfile -t files < <(grep -L -E "$SERVERS" $(find test -name '*.test.ts' | sort))
# --no-config: .mocharc.json's spec would add the whole suite to the files named here.
LABRUN_TEST_SUBSET=fast npx mocha --no-config --exit --node-option import=tsx --require test/helpers/audit-hooks.ts \
  --timeout 60000 "$@" "${files[@]}"
