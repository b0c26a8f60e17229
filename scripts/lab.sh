#!/usr/bin/env bash
# The main job: runs both seed labs end to end on the local Aurora sandbox, with no AWS account.
# Installs what a fresh machine lacks, brings the sandbox up (first time: loads 1,000,000 rows into sbtest1),
# runs runbooks/aurora-clone-backtrack.yaml and runbooks/aurora-backtrack.yaml against it, and takes the
# sandbox down again if it started it (its data stays, so the next run starts fast).
#   LABRUN_TABLE_SIZE  rows in sbtest1 (default: what the sandbox holds, 1000000 for a new one)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare-checkout.sh

labrun() { node dist/cli/main.js "$@"; }

started=0
if ! labrun sandbox status >/dev/null 2>&1; then
  started=1
fi
# Idempotent; with LABRUN_TABLE_SIZE, a running sandbox holding another size is refused (exit 2) and says how
# to reload it. The runbooks read the table size and the sandbox's poll intervals from its stack outputs.
if [ -n "${LABRUN_TABLE_SIZE:-}" ]; then
  labrun sandbox up --table-size "$LABRUN_TABLE_SIZE"
else
  labrun sandbox up
fi
stop_sandbox() {
  if [ "$started" -eq 1 ]; then
    labrun sandbox down || true
  fi
}
trap stop_sandbox EXIT

status=0
for runbook in runbooks/aurora-clone-backtrack.yaml runbooks/aurora-backtrack.yaml; do
  echo
  labrun run "$runbook" --sandbox || status=$?
  if [ "$status" -ne 0 ]; then
    break
  fi
done
exit "$status"
