#!/usr/bin/env bash
# The cluster test (deploy/local-cluster.sh) puts Debian's nginx in front of the replicas.
# Install it when it is missing and we may (nginx-light is enough: upstream, hash, gzip, headers).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "warning: nginx is not installed and cannot be installed without root;" \
       "the cluster test will be skipped (apt-get install nginx-light)." >&2
  exit 0
fi
echo "installing Debian's nginx for the cluster test ..."
$SUDO apt-get update -qq
# the package's service is not started: local-cluster.sh runs its own nginx as a plain process
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null \
  || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
