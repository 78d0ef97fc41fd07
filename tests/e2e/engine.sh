#!/usr/bin/env bash
# A PRIVATE Docker engine for the end-to-end run (`make e2e`).
#
#   tests/e2e/engine.sh install   apt-get the Debian packages it needs (quiet when present)
#   tests/e2e/engine.sh start     start dockerd on a private socket; prints `export ...` lines
#   tests/e2e/engine.sh env       print the `export ...` lines again
#   tests/e2e/engine.sh status    exit 0 when the engine answers
#   tests/e2e/engine.sh stop      stop it by PID; remove the bridges and iptables rules it added
#   tests/e2e/engine.sh restart   stop dockerd and start it again (a host reboot, for the engine)
#   tests/e2e/engine.sh crash     a power loss: SIGKILL to every container process, dockerd,
#                                 containerd and the shims at once; `start` is then the boot
#
# Use:  eval "$(sudo tests/e2e/engine.sh start)"   (as root: eval "$(tests/e2e/engine.sh start)")
#
# It never touches /var/run/docker.sock, the system containerd or ~/.docker:
#   socket      ${XQFC_E2E_RUN:-/run/xqfc-e2e}/docker.sock  (group ${DOCKER_GROUP:-xqfc-docker})
#   exec-root   $XQFC_E2E_RUN/exec, pidfile $XQFC_E2E_RUN/dockerd.pid, log $XQFC_E2E_RUN/dockerd.log
#   data-root   ${XQFC_CACHE:-$HOME/.cache/xqfc}/docker   kept across runs: images stay cached
#   DOCKER_CONFIG  $XQFC_E2E_RUN/docker-config
# Addresses: the default bridge is 10.199.0.1/24 and networks created without a subnet come from
# 10.200.0.0/16, so nothing clashes with the stack's fixed 172.30.0.0/16 networks (containers.py)
# nor with the cloud subnets in settings.py (10.20.x).
set -euo pipefail

RUN_DIR=${XQFC_E2E_RUN:-/run/xqfc-e2e}
CACHE_DIR=${XQFC_CACHE:-$HOME/.cache/xqfc}
DATA_ROOT=$CACHE_DIR/docker
DOCKER_GROUP=${DOCKER_GROUP:-xqfc-docker}
BRIDGE_IP=${XQFC_E2E_BIP:-10.199.0.1/24}
ADDRESS_POOL=${XQFC_E2E_POOL:-base=10.200.0.0/16,size=24}
SOCK=$RUN_DIR/docker.sock
PIDFILE=$RUN_DIR/dockerd.pid
LOG=$RUN_DIR/dockerd.log
STATE=$RUN_DIR/host-state   # what the host looked like before dockerd started
PACKAGES=(docker.io containerd runc iptables mmdebstrap pigz tini curl ca-certificates)

# shellcheck source=tests/e2e/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

log() { printf 'engine: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (dockerd, bridges and iptables need it)"
}

cmd_install() {
    need_root
    apt_install_missing "${PACKAGES[@]}"
}

print_env() {
    printf 'export DOCKER_HOST=unix://%s\n' "$SOCK"
    printf 'export DOCKER_CONFIG=%s\n' "$RUN_DIR/docker-config"
    # Debian's engine has no buildx: use the classic builder (CLI 23+ would want buildx).
    printf 'export DOCKER_BUILDKIT=0\n'
    printf 'export XQFC_E2E_RUN=%s\n' "$RUN_DIR"
}

running_pid() {
    local pid
    [[ -s $PIDFILE ]] || return 1
    pid=$(<"$PIDFILE")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
    printf '%s\n' "$pid"
}

answers() { [[ -S $SOCK ]] && [[ $(curl -fsS --max-time 2 --unix-socket "$SOCK" http://engine/_ping 2>/dev/null) == OK ]]; }

save_host_state() {
    # Record only what `stop` has to give back: links, FORWARD policy, ip_forward.
    mkdir -p "$STATE"
    ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' >"$STATE/links"
    iptables -S FORWARD | awk '$1 == "-P" {print $3}' >"$STATE/forward-policy"
    cat /proc/sys/net/ipv4/ip_forward >"$STATE/ip_forward"
}

cmd_start() {
    need_root
    for b in dockerd containerd runc iptables curl; do
        command -v "$b" >/dev/null || die "$b missing: run '$0 install' first"
    done
    if running_pid >/dev/null && answers; then
        print_env
        return 0
    fi
    if pid=$(running_pid); then
        die "dockerd $pid is running but does not answer on $SOCK; see $LOG or run '$0 stop'"
    fi
    getent group "$DOCKER_GROUP" >/dev/null || groupadd --system "$DOCKER_GROUP"
    install -d -m 0755 "$RUN_DIR" "$RUN_DIR/exec" "$RUN_DIR/docker-config"
    install -d -m 0711 "$CACHE_DIR" "$DATA_ROOT"
    rm -f "$PIDFILE" "$SOCK"
    [[ -d $STATE ]] || save_host_state
    # Without --containerd, dockerd supervises its own containerd under --exec-root (no
    # /run/containerd/containerd.sock exists here); refuse to share a system containerd.
    [[ ! -S /run/containerd/containerd.sock ]] ||
        die "a system containerd runs at /run/containerd/containerd.sock; dockerd would share it"
    setsid dockerd \
        --host "unix://$SOCK" \
        --group "$DOCKER_GROUP" \
        --data-root "$DATA_ROOT" \
        --exec-root "$RUN_DIR/exec" \
        --pidfile "$PIDFILE" \
        --bip "$BRIDGE_IP" \
        --default-address-pool "$ADDRESS_POOL" \
        --log-level warn \
        </dev/null >>"$LOG" 2>&1 &
    local i
    for ((i = 0; i < 300; i++)); do
        answers && break
        kill -0 $! 2>/dev/null || { tail -n 20 "$LOG" >&2; die "dockerd exited; log: $LOG"; }
        sleep 0.1
    done
    answers || { tail -n 20 "$LOG" >&2; die "dockerd did not answer within 30 s; log: $LOG"; }
    log "dockerd $(<"$PIDFILE") ready on $SOCK (data root $DATA_ROOT)"
    print_env
}

remove_iptables() {
    local table line
    for table in filter nat; do
        # Rules in the built-in chains that jump to DOCKER* or name a docker bridge.
        while IFS= read -r line; do
            eval "iptables -t $table -D ${line#-A }" 2>/dev/null || true
        done < <(iptables -t "$table" -S | grep -E '^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ' |
            grep -E -- '-j DOCKER|(-i|-o) (docker0|br-[0-9a-f]{12})( |$)' || true)
        # Then the DOCKER* chains themselves: flush all first (they jump to each other), then delete.
        mapfile -t chains < <(iptables -t "$table" -S | awk '$1 == "-N" && $2 ~ /^DOCKER/ {print $2}')
        for line in "${chains[@]}"; do iptables -t "$table" -F "$line" 2>/dev/null || true; done
        for line in "${chains[@]}"; do iptables -t "$table" -X "$line" 2>/dev/null || true; done
    done
}

# systemd's DefaultTimeoutStopSec: what docker.service gets on a reboot before it is killed
# (components/runtime/stopping.py), so a restart here stops the containers as a reboot would.
STOP_WAIT_S=${STOP_WAIT_S:-90}

stop_daemon() {
    local pid i
    if pid=$(running_pid); then
        kill -TERM "$pid"
        for ((i = 0; i < STOP_WAIT_S * 10; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "dockerd $pid ignored TERM for $STOP_WAIT_S s; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # Its supervised containerd (and any shims) live under our exec root: end only those.
    local p
    for p in $(pgrep -x containerd || true) $(pgrep -f containerd-shim || true); do
        if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$RUN_DIR/exec"; then
            kill -TERM "$p" 2>/dev/null || true
        fi
    done
}

# What a host reboot does to the engine: dockerd and its containers stop, then dockerd starts
# and restarts the containers by their restart policy (in whatever order it likes).
cmd_restart() {
    need_root
    stop_daemon
    sleep 1
    cmd_start >/dev/null
    log "restarted"
}

# What a power loss does to the engine: nothing stops cleanly. Every container's processes,
# dockerd, its containerd and the shims get SIGKILL in one go (none of them can react to
# another's death first), then what a reboot wipes is wiped: the mounts of the dead containers
# and the exec root, which lives on /run (tmpfs) on a real host. The data root stays, as the
# disk does. Not simulated: the loss of what the page cache had not written yet.
cmd_crash() {
    need_root
    local dockerd_pid p pids=()
    dockerd_pid=$(running_pid) || die "dockerd is not running"
    # Every process in a container's cgroup, as the engine lists them (PID 1 and its children).
    local c
    for c in $(DOCKER_HOST=unix://$SOCK docker ps -q); do
        while read -r p; do pids+=("$p"); done < <(DOCKER_HOST=unix://$SOCK docker top "$c" -eo pid | tail -n +2)
    done
    for p in $(pgrep -x containerd || true) $(pgrep -f containerd-shim || true); do
        if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "$RUN_DIR/exec"; then
            pids+=("$p")
        fi
    done
    kill -KILL "$dockerd_pid" "${pids[@]}" 2>/dev/null || true
    for ((p = 0; p < 100; p++)); do
        kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -E " ($RUN_DIR/exec|$DATA_ROOT)/" /proc/mounts | awk '{print $2}' | sort -r | while IFS= read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$RUN_DIR/exec" "$PIDFILE" "$SOCK"
    log "crashed: dockerd $dockerd_pid and ${#pids[@]} container, containerd and shim processes killed"
}

cmd_stop() {
    need_root
    stop_daemon
    local link
    while IFS= read -r link; do
        [[ -f $STATE/links ]] && grep -qx -- "$link" "$STATE/links" && continue
        ip link delete "$link" 2>/dev/null || true
    done < <(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^(docker0|br-[0-9a-f]{12}|veth[0-9a-f]+)$' || true)
    remove_iptables
    if [[ -s $STATE/forward-policy ]]; then
        iptables -P FORWARD "$(<"$STATE/forward-policy")"
    fi
    if [[ -s $STATE/ip_forward ]]; then
        cat "$STATE/ip_forward" >/proc/sys/net/ipv4/ip_forward
    fi
    # Unmount anything left under the exec root (netns files), then drop the run dir state.
    grep -F " $RUN_DIR/" /proc/mounts | awk '{print $2}' | sort -r | while IFS= read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$STATE" "$PIDFILE" "$SOCK" "$RUN_DIR/exec"
    log "stopped; data root $DATA_ROOT kept"
}

cmd_status() { running_pid >/dev/null && answers; }

case ${1:-} in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    crash) cmd_crash ;;
    env) print_env ;;
    status) cmd_status ;;
    *) die "usage: $0 install|start|stop|restart|crash|env|status" ;;
esac
