#!/bin/sh
# Zero-downtime release of the app container, run ON THE VM (POSIX sh, no bash needed).
#
#   release.sh deploy IMAGE      migrate, start IMAGE beside the live container, switch nginx
#   release.sh rollback          deploy the previous image again (no migration)
#   release.sh status            print the release state
#   release.sh remove            stop and remove both colours, forget the state (destroy)
#
# Why: pulumi-docker replaces a container delete-before-replace, so the app would be down
# for every release. Instead the app runs as <APP_NAME>-blue / <APP_NAME>-green: the new
# colour starts next to the live one, must pass its health check, then nginx's upstream
# file is rewritten and nginx reloaded gracefully (old workers finish their requests); the
# old colour is stopped only after a drain period. Any failure before the switch leaves the
# old colour serving and exits non-zero.
#
# Every external command is injectable (DOCKER, CURL, FLOCK, NGINX_*_CMD) so tests drive
# this same file without Docker. Settings come from the environment; see docs/releases.md.
#
# Exit codes: 0 ok, 2 usage, 3 migration failed, 4 image not pulled or container not started,
# 5 health check failed, 6 nginx rejected the switch, 7 another release holds the lock.
set -eu

# Settings the platform installs on the VM (KEY=value lines, root-owned). Values in this file
# win over the environment; secrets belong in APP_ENV_FILE, never here.
RELEASE_CONFIG=${RELEASE_CONFIG:-/etc/xqfc/release.conf}
if [ -f "$RELEASE_CONFIG" ]; then
  # shellcheck disable=SC1090 # path chosen at run time
  . "$RELEASE_CONFIG"
fi

DOCKER=${DOCKER:-docker}
CURL=${CURL:-curl}
FLOCK=${FLOCK:-flock}
APP_NAME=${APP_NAME:-xqfc-app}
APP_PORT=${APP_PORT:-8000}
EDGE_NETWORK=${EDGE_NETWORK:-xqfc-edge}
APP_NETWORKS=${APP_NETWORKS:-}
APP_NETWORK_ALIAS=${APP_NETWORK_ALIAS:-}
APP_ENV_FILE=${APP_ENV_FILE:-}
APP_RUN_ARGS=${APP_RUN_ARGS:-}
APP_IP_BLUE=${APP_IP_BLUE:-}
APP_IP_GREEN=${APP_IP_GREEN:-}
PULL=${PULL:-yes}
MIGRATE_CMD=${MIGRATE_CMD:-}
MIGRATE_NETWORK=${MIGRATE_NETWORK:-}
HEALTH_PATH=${HEALTH_PATH:-/health}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-60}
HEALTH_INTERVAL=${HEALTH_INTERVAL:-1}
HEALTH_SUCCESSES=${HEALTH_SUCCESSES:-2}
DRAIN_SECONDS=${DRAIN_SECONDS:-35}
STOP_TIMEOUT=${STOP_TIMEOUT:-30}
NGINX_CONTAINER=${NGINX_CONTAINER:-xqfc-nginx}
if [ -z "${NGINX_STATUS_CMD:-}" ]; then
  NGINX_STATUS_CMD="$DOCKER inspect -f {{.State.Running}} $NGINX_CONTAINER"
fi
NGINX_TEST_CMD=${NGINX_TEST_CMD:-$DOCKER exec $NGINX_CONTAINER nginx -t -q}
NGINX_RELOAD_CMD=${NGINX_RELOAD_CMD:-$DOCKER exec $NGINX_CONTAINER nginx -s reload}
UPSTREAM_FILE=${UPSTREAM_FILE:-/etc/xqfc/nginx/upstream/app.conf}
UPSTREAM_NAME=${UPSTREAM_NAME:-app}
UPSTREAM_KEEPALIVE=${UPSTREAM_KEEPALIVE:-32}
STATE_DIR=${STATE_DIR:-/var/lib/xqfc-release}
LOCK_FILE=${LOCK_FILE:-$STATE_DIR/release.lock}
LOCK_WAIT=${LOCK_WAIT:-0}

STATE_FILE=$STATE_DIR/state
HISTORY_FILE=$STATE_DIR/history.log

log() {
  printf '%s release: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

die() {
  code=$1
  shift
  log "FAILED: $*"
  exit "$code"
}

usage() {
  sed -n '4,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

state_get() {
  [ -f "$STATE_FILE" ] || return 0
  sed -n "s/^$1=//p" "$STATE_FILE" | tail -n 1
}

state_write() {
  # $1 colour, $2 image, $3 previous image
  mkdir -p "$STATE_DIR"
  printf 'CURRENT_COLOR=%s\nCURRENT_IMAGE=%s\nPREVIOUS_IMAGE=%s\n' "$1" "$2" "$3" \
    >"$STATE_FILE.tmp"
  mv "$STATE_FILE.tmp" "$STATE_FILE"
}

other_colour() {
  if [ "$1" = blue ]; then echo green; else echo blue; fi
}

valid_image() {
  case $1 in
    '' | -* | *[!A-Za-z0-9._:/@-]*) return 1 ;;
  esac
  return 0
}

container_exists() {
  "$DOCKER" inspect -f '{{.Id}}' "$1" >/dev/null 2>&1
}

remove_container() {
  "$DOCKER" rm -f "$1" >/dev/null 2>&1 || log "warning: could not remove $1"
  # A container that died can leave its endpoint on a network behind; the next container of
  # that name then fails with "endpoint with name ... already exists". Drop any such leftover.
  for net in $EDGE_NETWORK $APP_NETWORKS; do
    "$DOCKER" network disconnect -f "$net" "$1" >/dev/null 2>&1 || true
  done
}

# A new colour that failed after `docker run`: show why (its state and last log lines, which
# go with the container), remove it and everything it left, and stop with the old colour serving.
abandon() {
  name=$1 code=$2
  shift 2
  state=$("$DOCKER" inspect -f '{{.State.Status}} (exit code {{.State.ExitCode}}{{if .State.Error}}, {{.State.Error}}{{end}})' "$name" 2>/dev/null || echo unknown)
  log "$name is $state; its last log lines:"
  "$DOCKER" logs --tail "${LOG_LINES:-30}" "$name" 2>&1 | sed 's/^/  | /' >&2 || true
  remove_container "$name"
  die "$code" "$*; ${current_colour:-nothing} still serving"
}

# Same text as components/render/nginx.py render_upstream(); a test keeps them equal.
write_upstream() {
  mkdir -p "$(dirname "$UPSTREAM_FILE")"
  printf 'upstream %s {\n    server %s;\n    keepalive %s;\n}\n' \
    "$UPSTREAM_NAME" "$1" "$UPSTREAM_KEEPALIVE" >"$UPSTREAM_FILE.tmp"
  mv "$UPSTREAM_FILE.tmp" "$UPSTREAM_FILE"
}

nginx_running() {
  # shellcheck disable=SC2086 # the command is a word list by design
  [ "$($NGINX_STATUS_CMD 2>/dev/null || true)" = true ]
}

run_migration() {
  image=$1
  if [ -z "$MIGRATE_CMD" ]; then
    log "no MIGRATE_CMD: skipping migration"
    return 0
  fi
  net=${MIGRATE_NETWORK:-${APP_NETWORKS%% *}}
  net=${net:-$EDGE_NETWORK}
  set -- run --rm --name "$APP_NAME-migrate-$$" --network "$net"
  [ -n "$APP_ENV_FILE" ] && set -- "$@" --env-file "$APP_ENV_FILE"
  log "migrating with $image: $MIGRATE_CMD"
  # The migration runs the app's code with the app's secrets: the same hardening as the app.
  # shellcheck disable=SC2086 # APP_RUN_ARGS and MIGRATE_CMD are word lists by design
  "$DOCKER" "$@" $APP_RUN_ARGS "$image" $MIGRATE_CMD >&2
}

start_container() {
  name=$1 colour=$2 image=$3
  set -- run -d --name "$name" --network "$EDGE_NETWORK" --restart unless-stopped \
    --label "xqfc.release.colour=$colour" --label "xqfc.release.image=$image"
  [ -n "$APP_NETWORK_ALIAS" ] && set -- "$@" --network-alias "$APP_NETWORK_ALIAS"
  [ -n "$APP_ENV_FILE" ] && set -- "$@" --env-file "$APP_ENV_FILE"
  if [ "$colour" = blue ] && [ -n "$APP_IP_BLUE" ]; then set -- "$@" --ip "$APP_IP_BLUE"; fi
  if [ "$colour" = green ] && [ -n "$APP_IP_GREEN" ]; then set -- "$@" --ip "$APP_IP_GREEN"; fi
  # shellcheck disable=SC2086 # APP_RUN_ARGS is a word list of extra docker run options
  "$DOCKER" "$@" $APP_RUN_ARGS "$image" >/dev/null || return 1
  for net in $APP_NETWORKS; do
    # The alias follows the app onto every network: Prometheus scrapes `app` on monitoring.
    if [ -n "$APP_NETWORK_ALIAS" ]; then
      "$DOCKER" network connect --alias "$APP_NETWORK_ALIAS" "$net" "$name" || return 1
    else
      "$DOCKER" network connect "$net" "$name" || return 1
    fi
  done
}

# host:port of the container on the edge network, as nginx (and this host) reach it.
container_address() {
  "$DOCKER" inspect -f \
    "{{(index .NetworkSettings.Networks \"$EDGE_NETWORK\").IPAddress}}:$APP_PORT" "$1"
}

wait_healthy() {
  address=$1 container=${2:-}
  deadline=$(($(date +%s) + HEALTH_TIMEOUT))
  ok=0
  while :; do
    # A container that crashed will never answer: say so now, not after HEALTH_TIMEOUT. Its
    # restart policy may already have started it again, so a restart counts as a crash too.
    if [ -n "$container" ] && [ "$("$DOCKER" inspect -f '{{.State.Running}} {{.RestartCount}}' "$container" 2>/dev/null)" != "true 0" ]; then
      return 2
    fi
    if "$CURL" -fsS -o /dev/null --max-time 3 "http://$address$HEALTH_PATH" 2>/dev/null; then
      ok=$((ok + 1))
      [ "$ok" -ge "$HEALTH_SUCCESSES" ] && return 0
    else
      ok=0
    fi
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep "$HEALTH_INTERVAL"
  done
}

# Points nginx at $1; on any nginx error restores the previous upstream file.
switch_upstream() {
  backup=
  if [ -f "$UPSTREAM_FILE" ]; then
    backup=$UPSTREAM_FILE.previous
    cp "$UPSTREAM_FILE" "$backup"
  fi
  write_upstream "$1"
  if ! nginx_running; then
    log "nginx is not running: it will read the new upstream when it starts"
    return 0
  fi
  # shellcheck disable=SC2086 # the commands are word lists by design
  if $NGINX_TEST_CMD >&2 && $NGINX_RELOAD_CMD >&2; then
    return 0
  fi
  if [ -n "$backup" ]; then
    mv "$backup" "$UPSTREAM_FILE"
    # shellcheck disable=SC2086
    $NGINX_RELOAD_CMD >&2 || log "warning: reload after restoring the upstream failed"
  fi
  return 1
}

deploy() {
  image=$1 skip_migration=$2
  valid_image "$image" || die 2 "not an image reference: '$image'"
  current_colour=$(state_get CURRENT_COLOR)
  current_image=$(state_get CURRENT_IMAGE)
  colour=$(other_colour "$current_colour")
  name=$APP_NAME-$colour
  log "deploying $image as $name (live: ${current_colour:-none} ${current_image:-})"

  # A leftover of an interrupted release; nginx does not point at it (state says so).
  if container_exists "$name"; then
    log "removing stale $name"
    remove_container "$name"
  fi

  # Pull first: a missing image or registry login fails here, before anything changes.
  if [ "$PULL" = yes ]; then
    "$DOCKER" pull -q "$image" >&2 || die 4 "cannot pull $image; ${current_colour:-nothing} still serving"
  elif ! "$DOCKER" image inspect "$image" >/dev/null 2>&1; then
    die 4 "$image is not on this host (PULL=no: it is pulled before the release, with the registry credentials); ${current_colour:-nothing} still serving"
  fi

  if [ "$skip_migration" = yes ]; then
    log "skipping migration (rollback: the schema must stay compatible with older code)"
  elif ! run_migration "$image"; then
    die 3 "migration failed; $image not started, ${current_colour:-nothing} still serving"
  fi

  if ! start_container "$name" "$colour" "$image"; then
    remove_container "$name"
    die 4 "could not start $name; ${current_colour:-nothing} still serving"
  fi
  address=$(container_address "$name" || true)
  case $address in
    :* | '' | *' '*) abandon "$name" 4 "$name exited at start (no address on $EDGE_NETWORK)" ;;
  esac

  log "waiting up to ${HEALTH_TIMEOUT}s for http://$address$HEALTH_PATH"
  wait_healthy "$address" "$name" && healthy=0 || healthy=$?
  case $healthy in
    0) ;;
    2) abandon "$name" 5 "$name stopped running before it became healthy" ;;
    *) abandon "$name" 5 "$name never became healthy" ;;
  esac

  log "switching nginx to $name ($address)"
  if ! switch_upstream "$address"; then
    abandon "$name" 6 "nginx rejected the switch"
  fi
  state_write "$colour" "$image" "$current_image"
  printf '%s %s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$colour" "$image" "$address" \
    >>"$HISTORY_FILE"
  log "switched: $name serves $image"

  if [ -n "$current_colour" ]; then
    old=$APP_NAME-$current_colour
    # Old nginx workers may still be finishing requests to the old container.
    log "draining ${DRAIN_SECONDS}s before stopping $old"
    sleep "$DRAIN_SECONDS"
    if container_exists "$old"; then
      "$DOCKER" stop -t "$STOP_TIMEOUT" "$old" >/dev/null || log "warning: could not stop $old"
      remove_container "$old"
    fi
  fi
  log "done"
}

acquire_lock() {
  mkdir -p "$STATE_DIR" "$(dirname "$LOCK_FILE")"
  exec 9>>"$LOCK_FILE"
  if [ "$LOCK_WAIT" -gt 0 ]; then
    "$FLOCK" -w "$LOCK_WAIT" 9 || die 7 "another release holds $LOCK_FILE"
  else
    "$FLOCK" -n 9 || die 7 "another release holds $LOCK_FILE"
  fi
}

main() {
  [ $# -ge 1 ] || usage
  cmd=$1
  shift
  case $cmd in
    deploy)
      [ $# -eq 1 ] || usage
      acquire_lock
      deploy "$1" no
      ;;
    rollback)
      [ $# -eq 0 ] || usage
      acquire_lock
      previous=$(state_get PREVIOUS_IMAGE)
      [ -n "$previous" ] || die 2 "no previous image recorded in $STATE_FILE"
      log "rolling back to $previous"
      deploy "$previous" yes
      ;;
    remove)
      [ $# -eq 0 ] || usage
      acquire_lock
      for colour in blue green; do
        if container_exists "$APP_NAME-$colour"; then
          "$DOCKER" stop -t "$STOP_TIMEOUT" "$APP_NAME-$colour" >/dev/null || true
          remove_container "$APP_NAME-$colour"
        fi
      done
      rm -f "$STATE_FILE"
      log "removed $APP_NAME-blue/green; state cleared"
      ;;
    status)
      if [ -f "$STATE_FILE" ]; then cat "$STATE_FILE"; else echo "no release yet"; fi
      ;;
    *) usage ;;
  esac
}

main "$@"
