#!/usr/bin/env bash
# Installs the real parts the tests start themselves (on loopback ports):
# redis-server (the token server's shared store) and nginx (the load
# balancer in front of several instances). Debian packages; nothing is
# started here.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  echo "services: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# The packages may start a system redis on 6379; the tests use their own.
redis-server --version
"$(command -v nginx || echo /usr/sbin/nginx)" -v 2>&1
