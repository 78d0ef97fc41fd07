#!/usr/bin/env bash
# Builds Alertmanager at the stacks' version from the Go module proxy (go install; no GitHub,
# no container registry) into
#   ${XQFC_CACHE:-$HOME/.cache/xqfc}/tools/alertmanager-<version>-<key>/bin/alertmanager
# where <key> is the first 12 hex digits of sha256(this script), so a recipe change builds
# into a new folder. Idempotent: when the binary is there it exits at once. The last line on
# stdout is the binary's path; progress goes to stderr.
#
# Usage: scripts/build-alertmanager.sh v0.28.1   (tests/test_alert_delivery.py passes the
# version of Settings.alertmanager_image, so the tested binary follows the stacks' pin).
#
# A cold build takes about 3 minutes on this project's 2-core machine; a warm call is instant.
# Needs: go (GOTOOLCHAIN=local is forced), flock.
set -euo pipefail

version="${1:?usage: $0 vX.Y.Z (the tag of prom/alertmanager the stacks run)}"
if [[ ! "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "build-alertmanager: version must look like v0.28.1, got ${version@Q}" >&2
  exit 2
fi

key="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
out="${XQFC_CACHE:-$HOME/.cache/xqfc}/tools/alertmanager-$version-$key"
bin="$out/bin/alertmanager"

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$out"
# One build per folder at a time; a second caller waits and then finds the binary.
exec 9>"$out/.lock"
flock 9
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="/usr/local/go/bin:$PATH"
fi
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"

staging="$(mktemp -d "$out/build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
echo "[build-alertmanager] go install github.com/prometheus/alertmanager/cmd/alertmanager@$version" >&2
start=$SECONDS
# The version stamp is what `alertmanager --version` prints; upstream's release build sets it
# the same way (promu), so the tests can check which version they run.
GOBIN="$staging" go install \
  -ldflags "-X github.com/prometheus/common/version.Version=${version#v}" \
  "github.com/prometheus/alertmanager/cmd/alertmanager@$version"
mkdir -p "$out/bin"
mv "$staging/alertmanager" "$bin"
echo "[build-alertmanager] built in $((SECONDS - start))s" >&2
echo "$bin"
