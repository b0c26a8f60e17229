#!/usr/bin/env bash
# The main job: runs both seed labs end to end on the local Aurora sandbox, with no AWS account.
# Installs what a fresh machine lacks, brings the sandbox up (first time: loads 1,000,000 rows into sbtest1),
# runs runbooks/aurora-clone-backtrack.yaml and runbooks/aurora-backtrack.yaml against it, and takes the
# sandbox down again if it started it (its data stays, so the next run starts fast).
#   LABRUN_TABLE_SIZE  rows in sbtest1 (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/prepare-checkout.sh

labrun() { node dist/cli/main.js "$@"; }

table_size="${LABRUN_TABLE_SIZE:-1000000}"
started=0
if ! labrun sandbox status >/dev/null 2>&1; then
  labrun sandbox up --table-size "$table_size"
  started=1
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
  # The sandbox answers in milliseconds, so poll it often (the runbooks' defaults suit real AWS).
  labrun run "$runbook" --sandbox --set "tableSize=$table_size" \
    --set pollInterval=200ms --set pollMaxInterval=1s || status=$?
  if [ "$status" -ne 0 ]; then
    break
  fi
done
exit "$status"
