#!/usr/bin/env bash
# Installs the Debian packages labrun's sandbox and tests use, when any is missing:
# MariaDB server, client and backup tool, sysbench, the aws CLI, and strace (the guide tests trace the
# commands the generated guides start, to show no password is on a command line).
set -euo pipefail

need=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb-backup >/dev/null 2>&1 || need+=(mariadb-backup)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
command -v sysbench >/dev/null 2>&1 || need+=(sysbench)
command -v aws >/dev/null 2>&1 || need+=(awscli)
command -v strace >/dev/null 2>&1 || need+=(strace)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "labrun: installing ${need[*]}" >&2
# The packages' service scripts must not start a system MariaDB: the sandbox runs its own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
