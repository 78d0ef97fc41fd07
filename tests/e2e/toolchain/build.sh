#!/usr/bin/env bash
# Builds the offline Pulumi toolchain pinned in versions.env from Go modules (Go module proxy
# only: no GitHub, no Pulumi download site) into
#   ${XQFC_CACHE:-$HOME/.cache/xqfc}/toolchain/<key>/bin
# where <key> is the first 12 hex digits of sha256(versions.env + this script), so a version or
# recipe change builds into a new folder. Idempotent: when that folder is complete it exits at
# once. The last line on stdout is the bin dir; progress and timings go to stderr.
#
# Binaries: pulumi, pulumi-language-python, pulumi-language-python-exec,
# pulumi-resource-pulumi-python (Python dynamic providers). Provider plugins are not built:
# see versions.env for why.
#
# Needs: go (>= the go line of pkg/v3's go.mod; GOTOOLCHAIN=local is forced), python3, flock.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
versions="$here/versions.env"
# shellcheck source-path=SCRIPTDIR source=versions.env disable=SC1091
. "$versions"
: "${PULUMI_VERSION:?}" "${PULUMI_LANGUAGE_PYTHON_SDK_VERSION:?}"

cache_root="${XQFC_CACHE:-$HOME/.cache/xqfc}/toolchain"
key="$(cat "$versions" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
out="$cache_root/$key"
bin="$out/bin"
stamp="$out/.complete"
binaries=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)

is_complete() {
  [[ -f "$stamp" ]] || return 1
  local b
  for b in "${binaries[@]}"; do
    [[ -x "$bin/$b" ]] || return 1
  done
}

if is_complete; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache_root"
# One build per key at a time; a second caller waits and then finds the folder complete.
exec 9>"$cache_root/.lock-$key"
flock 9
if is_complete; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="/usr/local/go/bin:$PATH"
fi
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"

log() { printf '[toolchain] %s\n' "$*" >&2; }
timing() { printf '[toolchain] timing: %-28s %5ds\n' "$1" "$2" >&2; }

work="$(mktemp -d "$cache_root/build-$key.XXXXXX")"
trap 'rm -rf "$work"' EXIT
stage="$work/bin"
mkdir -p "$stage"
total_start=$SECONDS
log "building toolchain $key in $work ($(go version))"

# module_field MODULE@VERSION FIELD -> prints the field (Dir, GoMod, ...) of `go mod download -json`.
module_field() {
  go mod download -json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# new_wrapper DIR NAME PACKAGE: a throwaway module whose only file imports PACKAGE (a main
# package) so that `go mod tidy` records every module the build needs.
new_wrapper() {
  mkdir -p "$1"
  (cd "$1" && go mod init "xqfc.local/toolchain/$2" 2>/dev/null)
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$3" >"$1/tools.go"
}

# --- pulumi CLI --------------------------------------------------------------------------------
t=$SECONDS
cli="$work/cli"
new_wrapper "$cli" cli github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
pkg_gomod="$(module_field "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" GoMod)"
(
  cd "$cli"
  go mod edit -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
    -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
  # Copy pkg/v3's non-local replace directives (local ones such as sdk/v3 => ../sdk are dropped:
  # the wrapper requires sdk/v3 at the same tag instead).
  go mod edit -json "$pkg_gomod" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    old, new = r["Old"], r["New"]
    if not new.get("Version"):
        continue  # a local directory replace
    lhs = old["Path"] + ("@" + old["Version"] if old.get("Version") else "")
    print("-replace=%s=%s@%s" % (lhs, new["Path"], new["Version"]))
' | xargs -r go mod edit
  go mod tidy >&2
  go build -trimpath -o "$stage/pulumi" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
)
timing "pulumi $PULUMI_VERSION" $((SECONDS - t))

# --- Python language host ----------------------------------------------------------------------
t=$SECONDS
lang="$work/language-python"
new_wrapper "$lang" language-python github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
(
  cd "$lang"
  go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGUAGE_PYTHON_SDK_VERSION"
  go mod tidy >&2
  go build -trimpath -o "$stage/pulumi-language-python" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_PYTHON_SDK_VERSION" \
    github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python >&2
)
timing "pulumi-language-python $PULUMI_LANGUAGE_PYTHON_SDK_VERSION" $((SECONDS - t))

# --- Python scripts from the sdk/v3 module zip -------------------------------------------------
t=$SECONDS
sdk_dir="$(module_field "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" Dir)"
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$stage/pulumi-language-python-exec"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$stage/pulumi-resource-pulumi-python"
timing "python scripts (sdk/v3 zip)" $((SECONDS - t))

# --- publish atomically ------------------------------------------------------------------------
rm -rf "$out"
mkdir -p "$out"
mv "$stage" "$bin"
cp "$versions" "$out/versions.env"
date -u +%Y-%m-%dT%H:%M:%SZ >"$stamp"
timing "total" $((SECONDS - total_start))
echo "$bin"
