#!/usr/bin/env bash
# "The host" of the end-to-end run: this machine, reached the way Pulumi reaches a real one.
#
#   tests/e2e/host.sh install   apt-get openssh-server, sudo, zstd, python3-boto3, busybox-static (quiet when present)
#   tests/e2e/host.sh start     deploy user + sshd on 127.0.0.1:$XQFC_E2E_SSH_PORT; prints `export ...`
#   tests/e2e/host.sh env       print the `export ...` lines again
#   tests/e2e/host.sh stop      stop sshd by PID; remove the user, sudoers entry and every host path
#                               the platform wrote (only those that did not exist before `start`)
#
# What an existing host (cloud: ssh, docs/existing-host.md) must offer, and nothing more: a
# deploy user in the Docker socket's group with passwordless sudo, reachable by key over SSH.
# Remote sessions reach the private engine of tests/e2e/engine.sh through sshd's SetEnv.
#
# This machine runs no systemd (PID 1 is not systemd), so `systemctl` is a stand-in placed
# first on the deploy user's PATH and sudo's secure_path: it checks each unit it is asked to
# enable with the real `systemd-analyze verify` and records it; the e2e test then runs the
# units' real ExecStart lines. That systemd itself fires the timers is not proven here.
set -euo pipefail

RUN_DIR=${XQFC_E2E_RUN:-/run/xqfc-e2e}
HOST_DIR=$RUN_DIR/host
USER_NAME=${XQFC_E2E_USER:-xqfc-e2e}
PORT=${XQFC_E2E_SSH_PORT:-2222}
DOCKER_GROUP=${DOCKER_GROUP:-xqfc-docker}
SOCK=$RUN_DIR/docker.sock
SUDOERS=/etc/sudoers.d/xqfc-e2e
PACKAGES=(openssh-server openssh-client sudo zstd python3-boto3 busybox-static systemd)
# Host paths the platform writes (components/render/cloud_init.py CONFIG_ROOT, READY_MARKER's
# folder, runtime/monitoring.py TEXTFILE_DIR, the backup units, Pulumi's SSH known_hosts).
PLATFORM_PATHS=(/srv/xqfc /var/lib/xqfc /var/lib/prometheus/node-exporter)

# shellcheck source=tests/e2e/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

log() { printf 'host: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "must run as root (a user, sshd and sudoers are made)"

cmd_install() {
    apt_install_missing "${PACKAGES[@]}"
}

print_env() {
    printf 'export XQFC_E2E_USER=%s\n' "$USER_NAME"
    printf 'export XQFC_E2E_SSH_PORT=%s\n' "$PORT"
    printf 'export XQFC_E2E_SSH_KEY=%s\n' "$HOST_DIR/id_ed25519"
    printf 'export XQFC_E2E_UNITS=%s\n' "$HOST_DIR/systemd"
}

sshd_pid() {
    local pid
    [[ -s $HOST_DIR/sshd.pid ]] || return 1
    pid=$(<"$HOST_DIR/sshd.pid")
    kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

write_systemctl() {
    cat >"$HOST_DIR/bin/systemctl" <<EOF
#!/bin/sh
# systemctl stand-in for a machine without systemd (tests/e2e/host.sh): verifies units with the
# real systemd-analyze and records what is enabled in $HOST_DIR/systemd/enabled.
set -eu
state=$HOST_DIR/systemd
mkdir -p "\$state"
touch "\$state/enabled"
cmd=\$1; shift
case \$cmd in
  daemon-reload) exit 0 ;;
  enable|disable)
    [ "\${1:-}" = --now ] && shift
    for unit in "\$@"; do
      if [ "\$cmd" = enable ]; then
        f=/etc/systemd/system/\$unit
        [ -f "\$f" ] || { echo "Unit \$unit does not exist." >&2; exit 5; }
        svc=\${f%.timer}.service
        systemd-analyze verify --man=no "\$f" "\$svc" >&2
        grep -qx "\$unit" "\$state/enabled" || echo "\$unit" >>"\$state/enabled"
      else
        grep -vx "\$unit" "\$state/enabled" >"\$state/enabled.new" || true
        mv "\$state/enabled.new" "\$state/enabled"
      fi
    done ;;
  is-enabled) grep -qx "\$1" "\$state/enabled" && echo enabled || { echo disabled; exit 1; } ;;
  --version) echo "systemctl stand-in (tests/e2e/host.sh)" ;;
  *) echo "systemctl stand-in: \$cmd is not supported" >&2; exit 1 ;;
esac
EOF
    chmod 0755 "$HOST_DIR/bin/systemctl"
}

cmd_start() {
    if sshd_pid >/dev/null; then print_env; return 0; fi
    [[ -S $SOCK ]] || die "no engine at $SOCK: run tests/e2e/engine.sh start first"
    command -v /usr/sbin/sshd >/dev/null || die "no sshd: run tests/e2e/host.sh install"
    mkdir -p "$HOST_DIR/bin" "$HOST_DIR/systemd"
    chmod 0755 "$RUN_DIR" "$HOST_DIR"
    # Record what exists now, so `stop` removes only what the run made.
    : >"$HOST_DIR/made"
    local p
    for p in "${PLATFORM_PATHS[@]}"; do [[ -e $p ]] || echo "$p" >>"$HOST_DIR/made"; done
    ls /etc/systemd/system >"$HOST_DIR/units-before"
    [[ -e /root/.ssh/known_hosts_xqfc ]] || echo /root/.ssh/known_hosts_xqfc >>"$HOST_DIR/made"

    # systemd makes / a shared mount; this machine's is private, and node-exporter's rslave
    # bind of / (runtime/monitoring.py) needs shared or slave. Put it back on stop.
    findmnt -no PROPAGATION / >"$HOST_DIR/root-propagation"
    [[ $(<"$HOST_DIR/root-propagation") == shared ]] || mount --make-rshared /

    getent group "$DOCKER_GROUP" >/dev/null || die "group $DOCKER_GROUP missing (engine.sh start makes it)"
    if ! id "$USER_NAME" >/dev/null 2>&1; then
        useradd --system --home-dir "$HOST_DIR/home" --create-home --shell /bin/bash -G "$DOCKER_GROUP" "$USER_NAME"
        echo "user" >>"$HOST_DIR/made"
    fi
    # '*' rather than a locked '!': sshd without PAM refuses a locked account.
    usermod -p '*' "$USER_NAME"
    # secure_path: the systemctl stand-in. env_keep DOCKER_HOST: root's docker (the backup
    # job's `docker exec`) reaches the private engine, as it reaches /var/run/docker.sock on a VM.
    printf 'Defaults:%s secure_path="%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\nDefaults:%s env_keep += "DOCKER_HOST"\n%s ALL=(ALL) NOPASSWD:ALL\n' \
        "$USER_NAME" "$HOST_DIR/bin" "$USER_NAME" "$USER_NAME" >"$SUDOERS"
    chmod 0440 "$SUDOERS"
    visudo -cf "$SUDOERS" >/dev/null
    write_systemctl

    [[ -f $HOST_DIR/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C xqfc-e2e -f "$HOST_DIR/id_ed25519"
    [[ -f $HOST_DIR/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -f "$HOST_DIR/host_ed25519"
    install -d -o "$USER_NAME" -m 0700 "$HOST_DIR/home/.ssh"
    install -o "$USER_NAME" -m 0600 "$HOST_DIR/id_ed25519.pub" "$HOST_DIR/home/.ssh/authorized_keys"
    cat >"$HOST_DIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $HOST_DIR/host_ed25519
PidFile $HOST_DIR/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $USER_NAME
AuthorizedKeysFile .ssh/authorized_keys
# The private engine and the systemctl stand-in, for every remote command.
SetEnv DOCKER_HOST=unix://$SOCK PATH=$HOST_DIR/bin:/usr/local/bin:/usr/bin:/bin
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
EOF
    mkdir -p /run/sshd
    /usr/sbin/sshd -t -f "$HOST_DIR/sshd_config"
    /usr/sbin/sshd -f "$HOST_DIR/sshd_config" -E "$HOST_DIR/sshd.log"
    for _ in $(seq 50); do sshd_pid >/dev/null && break; sleep 0.1; done
    sshd_pid >/dev/null || die "sshd did not start: $(tail -n5 "$HOST_DIR/sshd.log")"
    ssh -q -p "$PORT" -i "$HOST_DIR/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "$USER_NAME@127.0.0.1" \
        'docker version --format "{{.Server.Version}}" && sudo -n true' >&2 \
        || die "the deploy user cannot reach Docker or sudo over SSH"
    print_env
}

cmd_stop() {
    local pid
    if pid=$(sshd_pid); then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    # Sessions sshd forked outlive it; they are the deploy user's.
    pkill -u "$USER_NAME" 2>/dev/null || true
    rm -f "$SUDOERS"
    if [[ -f $HOST_DIR/made ]]; then
        while read -r p; do
            case $p in
                user) userdel "$USER_NAME" 2>/dev/null || true ;;
                /*) rm -rf -- "$p" ;;
            esac
        done <"$HOST_DIR/made"
        # Units the platform installed, when the run started without them.
        if [[ -f $HOST_DIR/units-before ]]; then
            comm -13 "$HOST_DIR/units-before" <(ls /etc/systemd/system) | while read -r u; do
                rm -f -- "/etc/systemd/system/$u"
            done
        fi
    fi
    # A known_hosts file that existed before keeps everything but this run's entry.
    if [[ -f /root/.ssh/known_hosts_xqfc ]]; then
        ssh-keygen -q -R "[127.0.0.1]:$PORT" -f /root/.ssh/known_hosts_xqfc >/dev/null 2>&1 || true
    fi
    rm -f /root/.ssh/known_hosts_xqfc.old
    if [[ -f $HOST_DIR/root-propagation && $(<"$HOST_DIR/root-propagation") == private ]]; then
        mount --make-rprivate /
    fi
    rm -rf -- "$HOST_DIR"
}

case ${1:-} in
    install) cmd_install ;;
    start) cmd_start ;;
    env) print_env ;;
    stop) cmd_stop ;;
    *) die "usage: $0 install|start|env|stop" ;;
esac
