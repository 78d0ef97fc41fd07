#!/usr/bin/env bash
# Build the local images of the end-to-end run on the private engine (see ../engine.sh).
#
#   eval "$(tests/e2e/engine.sh start)"
#   tests/e2e/images/build.sh              # base + every service image
#   tests/e2e/images/build.sh postgres redis   # just these (and the base)
#
# Base: `xqfc-e2e/debian:base`, a Debian minbase from mmdebstrap (recipe in base/recipe.sh).
# Service images: `xqfc-e2e/<folder>:local`, one folder with a Dockerfile (FROM the base) each.
# Idempotent: an image whose label org.xqfc.e2e.context equals the hash of its folder (and, for
# service images, of the base image id) is skipped. Per-image seconds go to stderr.
# Env: XQFC_E2E_JOBS parallel builds (default 3), XQFC_DEBIAN_MIRROR, XQFC_E2E_SUITE (force one),
# XQFC_E2E_FORCE=1 rebuild everything from scratch (new rootfs, docker build --no-cache).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE_TAG=xqfc-e2e/debian:base
MIRROR=${XQFC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
JOBS=${XQFC_E2E_JOBS:-3}
LABEL=org.xqfc.e2e.context
FORCE=${XQFC_E2E_FORCE:-0}
export DOCKER_BUILDKIT=0 # Debian's engine has no buildx; the classic builder is the one there is

log() { printf 'images: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck disable=SC2016 # the command is meant literally
[[ -n ${DOCKER_HOST:-} ]] || die 'DOCKER_HOST unset: eval "$(tests/e2e/engine.sh start)" first'
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no engine answers at $DOCKER_HOST"

dir_hash() { # $1 folder, $2... extra strings
    local dir=$1
    shift
    {
        (cd "$dir" && find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        printf '%s\n' "$@"
    } | sha256sum | cut -c1-32
}

current_label() {
    docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$1" 2>/dev/null || true
}

pick_suite() {
    local s
    if [[ -n ${XQFC_E2E_SUITE:-} ]]; then
        printf '%s\n' "$XQFC_E2E_SUITE"
        return
    fi
    for s in "${BASE_SUITES[@]}"; do
        if curl -fsS --max-time 10 -o /dev/null "$MIRROR/dists/$s/Release"; then
            printf '%s\n' "$s"
            return
        fi
    done
    die "the mirror $MIRROR serves none of: ${BASE_SUITES[*]}"
}

build_base() {
    # shellcheck source=SCRIPTDIR/base/recipe.sh
    source "$HERE/base/recipe.sh"
    local suite hash start changes=() c
    suite=$(pick_suite)
    hash=$(dir_hash "$HERE/base" "$suite" "$MIRROR")
    if [[ $FORCE != 1 && $(current_label "$BASE_TAG") == "$hash" ]]; then
        log "$BASE_TAG up to date (debian $suite)"
        return
    fi
    command -v mmdebstrap >/dev/null || die "mmdebstrap missing: tests/e2e/engine.sh install"
    start=$SECONDS
    for c in "${BASE_CHANGES[@]}" "LABEL $LABEL=$hash" "LABEL org.xqfc.e2e.suite=$suite"; do
        changes+=(--change "$c")
    done
    local tmp
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    mmdebstrap --quiet "${BASE_MMDEBSTRAP_OPTS[@]}" --include="$(IFS=,; echo "${BASE_INCLUDE[*]}")" \
        "$suite" "$tmp/rootfs.tar" "deb $MIRROR $suite main" >&2
    docker import "${changes[@]}" "$tmp/rootfs.tar" "$BASE_TAG" >/dev/null
    log "$BASE_TAG built from debian $suite in $((SECONDS - start)) s"
}

build_one() { # $1 image folder name; prints nothing on stdout
    local name=$1 dir=$HERE/$1 tag=xqfc-e2e/$1:local hash start base_id
    base_id=$(docker image inspect -f '{{.Id}}' "$BASE_TAG")
    hash=$(dir_hash "$dir" "$base_id")
    if [[ $FORCE != 1 && $(current_label "$tag") == "$hash" ]]; then
        log "$tag up to date"
        return 0
    fi
    start=$SECONDS
    local no_cache=()
    [[ $FORCE == 1 ]] && no_cache=(--no-cache)
    if ! docker build -q "${no_cache[@]}" --label "$LABEL=$hash" -t "$tag" "$dir" >"$HERE/.build-$name.log" 2>&1; then
        tail -n 30 "$HERE/.build-$name.log" >&2
        log "$tag FAILED after $((SECONDS - start)) s (log: $HERE/.build-$name.log)"
        return 1
    fi
    rm -f "$HERE/.build-$name.log"
    log "$tag built in $((SECONDS - start)) s"
}

main() {
    local total=$SECONDS names=("$@") d
    shopt -s nullglob
    build_base
    if ((${#names[@]} == 0)); then
        for d in "$HERE"/*/Dockerfile; do
            names+=("$(basename "$(dirname "$d")")")
        done
    fi
    for d in "${names[@]}"; do
        [[ -f $HERE/$d/Dockerfile ]] || die "no image folder $HERE/$d"
    done
    # postgres is the slowest build: start it first.
    mapfile -t names < <(printf '%s\n' "${names[@]}" | awk '{print ($1 == "postgres" ? 0 : 1), $1}' | sort | cut -d' ' -f2)
    export -f build_one dir_hash current_label log
    export HERE BASE_TAG LABEL FORCE
    local rc=0
    # shellcheck disable=SC2016 # $1 expands in the child bash
    printf '%s\0' "${names[@]}" | xargs -0 -n1 -P "$JOBS" bash -c 'build_one "$1"' _ || rc=$?
    # Dangling layers of replaced images only fill the cache.
    docker image prune -f >/dev/null 2>&1 || true
    log "all done in $((SECONDS - total)) s"
    return "$rc"
}

main "$@"
