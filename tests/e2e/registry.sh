#!/usr/bin/env bash
# A private image registry with authentication on loopback, for the end-to-end run.
#
#   registry.sh start                       start it (idempotent); installs Debian's docker-registry if missing
#   registry.sh stop                        stop it by its PID (images stay in the run dir)
#   registry.sh status                      running or not, exit 0/1
#   registry.sh env                         export lines: REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD_FILE, ...
#   registry.sh login                       log the e2e docker config ($REGISTRY_DOCKER_CONFIG) in
#   registry.sh push LOCAL_IMAGE REPO:TAG   tag LOCAL_IMAGE as $REGISTRY/REPO:TAG and push it
#   registry.sh check REPO:TAG              prove: anonymous pull refused, authenticated pull works
#   registry.sh clean                       stop and delete the run dir (images, password)
#
# Debian's `docker-registry` (distribution 2.8) with htpasswd (bcrypt) auth, listening on
# 127.0.0.1 only. Plain HTTP by default: Docker treats 127.0.0.0/8 as an insecure registry
# without any daemon flag, and sends basic-auth credentials to it over HTTP; the registry
# accepts htpasswd auth without TLS. XQFC_REGISTRY_TLS=yes serves HTTPS with a throwaway CA
# instead (the daemon still needs no flag on loopback: for an insecure registry it skips
# certificate verification; copy ca.crt to /etc/docker/certs.d/<host:port>/ to verify).
#
# Docker commands (push, login, check) talk to $DOCKER_HOST, e.g. after
#   eval "$(tests/e2e/engine.sh env)"
# and keep their credentials in a private DOCKER_CONFIG under the run dir, never ~/.docker.
#
# Settings: XQFC_E2E_RUN (default /run/xqfc-e2e; this script uses $XQFC_E2E_RUN/registry),
# XQFC_REGISTRY_PORT (default 5443), XQFC_REGISTRY_TLS (no|yes).
set -euo pipefail

RUN_DIR=${XQFC_E2E_RUN:-/run/xqfc-e2e}/registry
PORT=${XQFC_REGISTRY_PORT:-5443}
TLS=${XQFC_REGISTRY_TLS:-no}
ADDR=127.0.0.1:$PORT
USER_NAME=xqfc-ci
DATA_DIR=$RUN_DIR/data
CONFIG=$RUN_DIR/config.yml
HTPASSWD=$RUN_DIR/htpasswd
PASSWORD_FILE=$RUN_DIR/password
PID_FILE=$RUN_DIR/registry.pid
LOG_FILE=$RUN_DIR/registry.log
DOCKER_CONFIG_DIR=$RUN_DIR/docker-config
# The daemon user Debian's package creates; the registry never runs as root.
RUN_AS=docker-registry

if [ "$TLS" = yes ]; then SCHEME=https; else SCHEME=http; fi

log() { printf 'registry: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

pid_alive() {
  # Our registry: the PID in the file runs docker-registry with our config.
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "docker-registry serve $CONFIG"
}

install_packages() {
  local missing=()
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The package starts its own registry on :5000 (all interfaces, no auth file): stop it.
  service docker-registry stop >/dev/null 2>&1 || true
}

write_password() {
  [ -s "$PASSWORD_FILE" ] && return 0
  (
    umask 077
    openssl rand -hex 24 >"$PASSWORD_FILE.tmp"
  )
  mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
}

write_tls() {
  [ -s "$RUN_DIR/tls/server.crt" ] && return 0
  local dir=$RUN_DIR/tls
  mkdir -p "$dir"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=xqfc-e2e throwaway CA" \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 7 -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
  )
  chgrp "$RUN_AS" "$dir/server.key"
  chmod 0640 "$dir/server.key"
  chmod 0644 "$dir/ca.crt" "$dir/server.crt"
  chmod 0755 "$dir"
}

write_config() {
  local secret tls_block=
  secret=$(openssl rand -hex 32)
  if [ "$TLS" = yes ]; then
    write_tls
    tls_block=$(printf '  tls:\n    certificate: %s\n    key: %s\n' "$RUN_DIR/tls/server.crt" "$RUN_DIR/tls/server.key")
  fi
  # bcrypt; the password goes on stdin, never argv.
  (
    umask 027
    htpasswd -iBc "$HTPASSWD.tmp" "$USER_NAME" <"$PASSWORD_FILE" 2>/dev/null
    cat >"$CONFIG.tmp" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $DATA_DIR
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $ADDR
  secret: $secret
  headers:
    X-Content-Type-Options: [nosniff]
$tls_block
auth:
  htpasswd:
    realm: xqfc-e2e
    path: $HTPASSWD
EOF
  )
  chgrp "$RUN_AS" "$HTPASSWD.tmp" "$CONFIG.tmp"
  mv "$HTPASSWD.tmp" "$HTPASSWD"
  mv "$CONFIG.tmp" "$CONFIG"
}

http_code() {
  # $1 path, then curl options (e.g. -u user:pass via a config on stdin)
  local path=$1 tls=()
  shift
  [ "$TLS" = yes ] && tls=(--cacert "$RUN_DIR/tls/ca.crt")
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "${tls[@]}" "$@" "$SCHEME://$ADDR$path" 2>/dev/null || true
}

authed_code() {
  # curl reads the credentials from a config on stdin, so the password is not in argv.
  printf 'user = "%s:%s"\n' "$USER_NAME" "$(cat "$PASSWORD_FILE")" | http_code "$1" -K -
}

start() {
  if pid_alive; then
    log "already running (pid $(cat "$PID_FILE")) on $SCHEME://$ADDR"
    return 0
  fi
  install_packages
  id "$RUN_AS" >/dev/null 2>&1 || die "user $RUN_AS missing (Debian's docker-registry package creates it)"
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "127.0.0.1:$PORT is taken by another process (set XQFC_REGISTRY_PORT)"
  fi
  mkdir -p "$RUN_DIR" "$DATA_DIR"
  chmod 0711 "$RUN_DIR"
  chown -R "$RUN_AS:$RUN_AS" "$DATA_DIR"
  chmod 0700 "$DATA_DIR"
  write_password
  write_config
  local started as_user=(setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --init-groups --inh-caps=-all)
  if ! "${as_user[@]}" test -r "$CONFIG" -a -r "$HTPASSWD" -a -w "$DATA_DIR"; then
    # e.g. a parent of the run dir that is 0700: the daemon user cannot reach its files.
    log "warning: $RUN_AS cannot read $RUN_DIR; running the registry as root"
    as_user=()
  fi
  started=$(date +%s.%N)
  # setsid and setpriv exec (no intermediate process), so $! is the registry itself.
  setsid "${as_user[@]}" docker-registry serve "$CONFIG" </dev/null >>"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  local i code
  for i in $(seq 1 100); do
    code=$(http_code /v2/)
    [ "$code" = 401 ] && break
    pid_alive || die "docker-registry exited: $(tail -n 5 "$LOG_FILE")"
    sleep 0.1
  done
  [ "$code" = 401 ] || die "no 401 from $SCHEME://$ADDR/v2/ after 10 s (got '$code'): $(tail -n 5 "$LOG_FILE")"
  code=$(authed_code /v2/)
  [ "$code" = 200 ] || die "authenticated /v2/ answered '$code', not 200"
  log "running (pid $(cat "$PID_FILE"), up in $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N)-$started}") s) on $SCHEME://$ADDR; anonymous /v2/ 401, $USER_NAME 200 (tries: $i)"
}

stop() {
  if ! pid_alive; then
    log "not running"
    rm -f "$PID_FILE"
    return 0
  fi
  local pid i
  pid=$(cat "$PID_FILE")
  kill -TERM "$pid"
  for i in $(seq 1 100); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    log "pid $pid ignored SIGTERM for 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid, after ${i} checks)"
}

print_env() {
  local k v
  for k in REGISTRY REGISTRY_URL REGISTRY_USER REGISTRY_PASSWORD_FILE REGISTRY_DOCKER_CONFIG REGISTRY_CA_FILE; do
    case $k in
      REGISTRY) v=$ADDR ;;
      REGISTRY_URL) v=$SCHEME://$ADDR ;;
      REGISTRY_USER) v=$USER_NAME ;;
      REGISTRY_PASSWORD_FILE) v=$PASSWORD_FILE ;;
      REGISTRY_DOCKER_CONFIG) v=$DOCKER_CONFIG_DIR ;;
      REGISTRY_CA_FILE) if [ "$TLS" = yes ]; then v=$RUN_DIR/tls/ca.crt; else v=; fi ;;
    esac
    printf 'export %s=%q\n' "$k" "$v"
  done
}

need_docker() {
  command -v docker >/dev/null 2>&1 || die "no docker CLI"
  pid_alive || die "the registry is not running: $0 start"
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
    die "no Docker engine at ${DOCKER_HOST:-the default socket}: eval \"\$(tests/e2e/engine.sh env)\" first"
}

login() {
  need_docker
  mkdir -p "$DOCKER_CONFIG_DIR"
  chmod 0700 "$DOCKER_CONFIG_DIR"
  DOCKER_CONFIG=$DOCKER_CONFIG_DIR docker login -u "$USER_NAME" --password-stdin "$ADDR" \
    <"$PASSWORD_FILE" >/dev/null 2>"$RUN_DIR/login.err" || die "docker login $ADDR failed: $(cat "$RUN_DIR/login.err")"
  log "logged in to $ADDR (DOCKER_CONFIG=$DOCKER_CONFIG_DIR)"
}

target_ref() {
  # REPO:TAG, or ADDR/REPO:TAG naming this registry
  local ref=${1#"$ADDR"/}
  case $ref in
    '' | [!a-z0-9]* | *[!a-z0-9._:/-]* | *:*/* | *:*:*) die "not a repository:tag: '$1'" ;;
    *:?*) ;;
    *) die "give a tag: '$1' (repo:tag)" ;;
  esac
  printf '%s/%s' "$ADDR" "$ref"
}

push() {
  local local_image=$1 remote start end digest
  remote=$(target_ref "$2")
  need_docker
  docker image inspect "$local_image" >/dev/null 2>&1 || die "no local image $local_image"
  login
  docker tag "$local_image" "$remote"
  start=$(date +%s.%N)
  DOCKER_CONFIG=$DOCKER_CONFIG_DIR docker push -q "$remote" >&2 || die "docker push $remote failed"
  end=$(date +%s.%N)
  digest=$(docker image inspect -f '{{join .RepoDigests " "}}' "$remote" | tr ' ' '\n' | grep -F "$ADDR/" | head -n 1)
  log "pushed $local_image as $remote in $(awk "BEGIN{printf \"%.1f\", $end-$start}") s (${digest:-no digest})"
  printf '%s\n' "$remote"
}

check() {
  local remote anon
  remote=$(target_ref "$1")
  need_docker
  [ "$(http_code /v2/_catalog)" = 401 ] || die "anonymous GET /v2/_catalog was not refused with 401"
  [ "$(authed_code /v2/_catalog)" = 200 ] || die "authenticated GET /v2/_catalog did not answer 200"
  anon=$(mktemp -d)
  # An empty client config: no credentials at all.
  if DOCKER_CONFIG=$anon docker pull -q "$remote" >"$anon/out" 2>&1; then
    rm -rf "$anon"
    die "anonymous pull of $remote succeeded: the registry does not enforce authentication"
  fi
  grep -qiE 'unauthorized|no basic auth credentials|authentication required' "$anon/out" ||
    die "anonymous pull failed, but not for lack of credentials: $(cat "$anon/out")"
  log "anonymous pull refused: $(tr '\n' ' ' <"$anon/out")"
  rm -rf "$anon"
  login
  DOCKER_CONFIG=$DOCKER_CONFIG_DIR docker pull -q "$remote" >/dev/null || die "authenticated pull of $remote failed"
  log "authenticated pull of $remote works"
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1
  shift
  case $cmd in
    start) [ $# -eq 0 ] || usage; start ;;
    stop) [ $# -eq 0 ] || usage; stop ;;
    status)
      [ $# -eq 0 ] || usage
      if pid_alive; then echo "running pid $(cat "$PID_FILE") $SCHEME://$ADDR"; else echo "not running"; exit 1; fi
      ;;
    env) [ $# -eq 0 ] || usage; print_env ;;
    login) [ $# -eq 0 ] || usage; login ;;
    push) [ $# -eq 2 ] || usage; push "$1" "$2" ;;
    check) [ $# -eq 1 ] || usage; check "$1" ;;
    clean)
      [ $# -eq 0 ] || usage
      stop
      rm -rf "$RUN_DIR"
      log "removed $RUN_DIR"
      ;;
    *) usage ;;
  esac
}

main "$@"
