#!/usr/bin/env bash
# Builds the sample app's release images and, with --push, pushes them to the e2e registry.
#
#   examples/app/build.sh [--push] [VERSION...]     default versions: v1 v2 v3
#
#   v1, v2   working releases that differ only in APP_VERSION (GET /version, X-App-Version)
#   v3       BROKEN=health: /health answers 503 (the release script's health gate must refuse it)
#   v4       BROKEN=migration: `alembic upgrade head` exits 1 (the migration gate); not built by default
#   v5       BROKEN=start: the server exits at start, like an image whose code cannot even import
#
# Local tags: $APP_IMAGE_REPO:<version> (default xqfc/app). --push: $REGISTRY/xqfc/app:<version>
# through tests/e2e/registry.sh (start it first). Docker is whatever $DOCKER_HOST names, e.g.
# after eval "$(tests/e2e/engine.sh env)". Settings: BASE_IMAGE (default xqfc-e2e/debian:base),
# BUILD_NETWORK (default host: apt reaches the mirror without the engine's NAT; "" = engine default).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BASE_IMAGE=${BASE_IMAGE:-xqfc-e2e/debian:base}
REPO=${APP_IMAGE_REPO:-xqfc/app}
BUILD_NETWORK=${BUILD_NETWORK-host}

push=no
if [ "${1:-}" = --push ]; then
  push=yes
  shift
fi
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(v1 v2 v3)

log() { printf 'build: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.1f\", $(now)-$1}"; }

docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 ||
  { log "no base image $BASE_IMAGE on ${DOCKER_HOST:-the default engine} (tests/e2e/images/build.sh builds it)"; exit 1; }
log "base $BASE_IMAGE: $(docker image inspect -f '{{.Id}}' "$BASE_IMAGE" | cut -c1-19)," \
  "$(docker run --rm --network none "$BASE_IMAGE" sh -c '. /etc/os-release; echo "$PRETTY_NAME"')"

network_args=()
[ -n "$BUILD_NETWORK" ] && network_args=(--network "$BUILD_NETWORK")

for version in "${versions[@]}"; do
  case $version in
    v3) broken=health ;;
    v4) broken=migration ;;
    v5) broken=start ;;
    v[0-9]*) broken= ;;
    *) log "unknown version '$version' (v1, v2, v3 = broken health, v4 = broken migration, v5 = crashes at start)"; exit 2 ;;
  esac
  t=$(now)
  build_log=$(mktemp)
  if ! docker build "${network_args[@]}" \
    --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg APP_VERSION="$version" --build-arg BROKEN="$broken" \
    -t "$REPO:$version" "$HERE" >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    rm -f "$build_log"
    log "docker build of $REPO:$version failed"
    exit 1
  fi
  rm -f "$build_log"
  size=$(docker image inspect -f '{{.Size}}' "$REPO:$version")
  log "built $REPO:$version${broken:+ (BROKEN=$broken)} in $(since "$t") s," \
    "$(awk "BEGIN{printf \"%.0f\", $size/1000000}") MB"
done

# The image must import and show its migration under the platform's run options
# (components/render/release.py docker_run_args), before anyone deploys it.
docker run --rm --network none --read-only --tmpfs /tmp:rw,noexec,nosuid,size=64m --user 10001:10001 \
  --cap-drop ALL --security-opt no-new-privileges:true --init "$REPO:${versions[0]}" \
  sh -c 'python3 -c "import xqfc_app.main, psycopg2, redis, prometheus_client" && alembic history' >&2

if [ "$push" = yes ]; then
  for version in "${versions[@]}"; do
    t=$(now)
    "$ROOT/tests/e2e/registry.sh" push "$REPO:$version" "xqfc/app:$version" >/dev/null
    log "pushed xqfc/app:$version in $(since "$t") s"
  done
fi
