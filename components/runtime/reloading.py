"""How each monitoring container takes a new config without losing its restart policy.

A sourced data table and the shell script the reload command runs on the host. Pure: no Pulumi.

Why not `docker kill -s HUP`: the Docker daemon marks a container it signals through the kill
API as manually stopped, whatever the signal, unless the daemon itself is shutting down
(moby v20.10.24 daemon/kill.go `Daemon.killWithSignal`: `container.HasBeenManuallyStopped =
true`). An `unless-stopped` container so marked is neither restarted when it dies
(daemon/monitor.go `Daemon.ProcessEvent`, `ShouldRestart(..., c.HasBeenManuallyStopped, ...)`)
nor started with the daemon (daemon/daemon.go `Daemon.restore`, `c.ShouldRestart()`); only a
start through the API clears the mark (daemon/start.go `Daemon.containerStart` with
resetRestartManager). So every reload below reaches the service from inside its container:
its own HTTP reload endpoint, or a signal sent by a process in the container.

`docker restart` keeps the policy: it stops (which sets the mark, daemon/stop.go
`containerStop` -> `killPossiblyDeadProcess` -> `killWithSignal`) and then starts with
resetRestartManager=true, which clears it (daemon/restart.go `Daemon.containerRestart`). Only a
daemon crash between the two would leave the mark; the next apply's reload starts it again.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

HTTP = "http"  # POST to the service's reload endpoint, with the image's own wget
SIGNAL = "signal"  # a signal to PID 1 (Docker's init, which forwards it), sent from inside
RESTART = "restart"  # the service reads this config only at start

# busybox wget: --post-data makes it a POST; it exits non-zero on an HTTP error status
# (busybox networking/wget.c). The upstream Prometheus, Alertmanager and blackbox images are
# built FROM quay.io/prometheus/busybox (prometheus/busybox glibc/Dockerfile: FROM busybox:glibc),
# whose wget the stack's health checks already use (image_contracts.py health_binaries).
WGET = "wget -qO- --post-data="
# Seconds the script waits for a container that is restarting, and for its endpoint to answer
# (a Prometheus replaying its WAL after a crash listens only when done). An HTTP error status is
# the service refusing the config: that fails at once (busybox wget: "server returned error").
WAIT_S = 60
ENDPOINT_TRIES = 60


@dataclass(frozen=True)
class Reload:
    container: str
    how: str
    target: str  # the URL inside the container (HTTP), the signal (SIGNAL), "" (RESTART)
    source: str


RELOADS: dict[str, Reload] = {
    "prometheus": Reload(
        "xqfc-prometheus", HTTP, "http://127.0.0.1:9090/-/reload",
        "prometheus/prometheus web/web.go New (router.Post(\"/-/reload\") only with --web.enable-lifecycle, else 403) "
        "and Handler.reload (HTTP 500 'failed to reload config' when refused), v2.53.4 and v3.5.0"),
    "alertmanager": Reload(
        "xqfc-alertmanager", HTTP, "http://127.0.0.1:9093/-/reload",
        "prometheus/alertmanager ui/web.go Register (r.Post(\"/-/reload\"), always on; HTTP 500 when refused), v0.28.1"),
    "blackbox-exporter": Reload(
        "xqfc-blackbox-exporter", HTTP, "http://127.0.0.1:9115/-/reload",
        "prometheus/blackbox_exporter main.go run (/-/reload, POST only; HTTP 500 when refused), v0.26.0 and v0.27.0"),
    "promtail": Reload(
        "xqfc-promtail", SIGNAL, "HUP",
        "grafana/loki clients/pkg/promtail/promtail.go Promtail.watchConfig (SIGHUP -> reload; its HTTP /reload "
        "needs -server.enable-runtime-reload). The image has sh but no HTTP client (image_contracts.py)"),
    "grafana": Reload(
        "xqfc-grafana", RESTART, "",
        "datasource provisioning is read at start; dashboards are re-read by the provider itself"),
    "loki": Reload(
        "xqfc-loki", RESTART, "",
        "Loki reads -config.file only at start; its WAL on the volume makes the restart lossless"),
}

_FUNCTIONS = f"""set -eu
# up NAME: 0 when NAME runs and can be reloaded; 1 when it was stopped and has just been started,
# reading the new files (a start through the API also clears a manual-stop mark).
up() {{
  i=0
  while :; do
    state=$(docker inspect -f '{{{{.State.Status}}}}' "$1")
    case $state in
      running) return 0 ;;
      exited | created)
        docker start "$1" >/dev/null
        echo "$1 was $state: started; it reads the new config at start" >&2
        return 1 ;;
    esac
    i=$((i + 1))
    if [ "$i" -ge {WAIT_S} ]; then
      echo "$1 is still $state after {WAIT_S} s: not reloaded" >&2
      exit 1
    fi
    sleep 1
  done
}}
http_reload() {{
  up "$1" || return 0
  i=0
  until out=$(docker exec "$1" {WGET} "$2" 2>&1); do
    i=$((i + 1))
    case $out in *"returned error"*) i={ENDPOINT_TRIES} ;; esac
    if [ "$i" -ge {ENDPOINT_TRIES} ]; then
      echo "$1: POST $2 failed: $out; its last log lines:" >&2
      docker logs --tail 5 "$1" >&2 || true
      exit 1
    fi
    sleep 1
  done
}}
signal_reload() {{
  up "$1" || return 0
  docker exec "$1" sh -c "kill -$2 1"
}}
restart() {{
  docker restart "$1" >/dev/null
}}
"""


def reload_script(roles: list[str]) -> str:
    """The host-side script that makes these containers read their new config, in this order."""
    lines = [_FUNCTIONS]
    for role in roles:
        r = RELOADS[role]
        if r.how == HTTP:
            lines.append(f"http_reload {r.container} {shlex.quote(r.target)}")
        elif r.how == SIGNAL:
            lines.append(f"signal_reload {r.container} {r.target}")
        else:
            lines.append(f"restart {r.container}")
    return "\n".join(lines) + "\n"
