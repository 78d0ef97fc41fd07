#!/usr/bin/env bash
# `make e2e`: the platform applied to this machine for real (README, "What runs for real").
#
# Builds or reuses every piece, starts the engine, the registry and the host, runs the
# scenarios (tests/e2e/test_*.py, marker e2e) and stops what it started, whatever happens.
# Figures go to stderr and to build/e2e/figures.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
export XQFC_E2E_RUN=${XQFC_E2E_RUN:-/run/xqfc-e2e}
export XQFC_CACHE=${XQFC_CACHE:-$HOME/.cache/xqfc}
mkdir -p build/e2e
FIGURES=$ROOT/build/e2e/figures.txt
: >"$FIGURES"
figure() { printf '%s\n' "$*" | tee -a "$FIGURES" >&2; }
timed() { # label command...
    local start=$SECONDS
    "${@:2}"
    figure "$1: $((SECONDS - start)) s"
}

[[ $(id -u) -eq 0 ]] || { echo "e2e: run as root (dockerd, sshd, a host user)" >&2; exit 1; }

stop_all() {
    local rc=$?
    bash tests/e2e/host.sh stop || true
    bash tests/e2e/registry.sh stop || true
    bash tests/e2e/engine.sh stop || true
    exit "$rc"
}
trap stop_all EXIT

timed "install (apt, when missing)" bash -c 'tests/e2e/engine.sh install && tests/e2e/host.sh install'
timed "Pulumi toolchain (CLI, language host; cached by version)" bash tests/e2e/toolchain/build.sh >build/e2e/toolchain.path
XQFC_E2E_BIN=$(tail -n1 build/e2e/toolchain.path)
export XQFC_E2E_BIN

eval "$(bash tests/e2e/engine.sh start)"
timed "service images (cached by content)" bash tests/e2e/images/build.sh
timed "app images v1 v2 v3 v5" bash examples/app/build.sh v1 v2 v3 v5
bash tests/e2e/registry.sh start
eval "$(bash tests/e2e/registry.sh env)"
push_all() {
    local img name
    for img in $(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^xqfc-e2e/' | grep -v ':base$'); do
        name=${img#xqfc-e2e/}
        bash tests/e2e/registry.sh push "$img" "xqfc/${name%%:*}:local" >/dev/null
    done
    for v in v1 v2 v3 v5; do bash tests/e2e/registry.sh push "xqfc/app:$v" "xqfc/app:$v" >/dev/null; done
}
timed "push to the private registry" push_all
eval "$(bash tests/e2e/host.sh start)"

# Here a missing piece fails the run instead of skipping it (the tests skip only when run alone).
export XQFC_E2E_REQUIRED=1
"$PY" -m pytest -q -p no:cacheprovider -m e2e -o addopts= tests/e2e "$@"
