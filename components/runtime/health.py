"""Docker health checks of the long-running containers: one per role, run with a binary its image has.

Each probe names the image settings key whose contract (image_contracts.py `health_binaries`)
must hold the binary it runs; tests/test_health_checks.py checks that, and the e2e's hardening
test checks every live container reaches `healthy`. Liveness, not readiness: each asks the
service's own cheapest "am I up" endpoint, so a slow dependency does not mark it unhealthy.

Timing: Docker runs the first probe one `interval` after the start and counts no failure during
`start_period`; a container is unhealthy after `retries` failures in a row. Durations are written
as Go's time.Duration.String() prints them ("2m0s", not "120s"): the provider reads them back that
way (terraform-provider-docker v4.5.0 resource_docker_container_funcs.go, the healthcheck block of
the read), and any other spelling is a diff on every refresh. The start period is
sized from what the service does before it answers (below, per probe); the interval is 30 s (a
probe is one wget of a local page, and nothing restarts on `unhealthy`: it is a signal for the
operator, `docker ps` and the e2e); timeouts are 5 s, far above a local page's milliseconds even
with the CPU limit of components/render/cpu_budget.py. Too tight a start period flaps a
container to unhealthy on every start.

Images without any binary to run (FROM scratch, distroless, or no HTTP client) are probed with the
host's static busybox (HOST_PROBE), bound read-only into the container: a statically linked binary
needs nothing from the image. Its checks are exec form ("CMD"), since there is no shell to run a
CMD-SHELL line; the host readiness gates refuse a host whose /bin/busybox is missing or dynamic
(components/render/host_readiness.py). No `-T` there: Debian 12's busybox-static 1.35 segfaults
on `wget -T` (exit 139, seen on 1.35.0-4+deb12u1); Docker's own `timeout` bounds the probe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components.render.host_readiness import HOST_BUSYBOX

if TYPE_CHECKING:
    import pulumi_docker as docker


# The host's static busybox (package busybox-static; the readiness gates check it) and where containers see it.
PROBE_BUSYBOX = "/usr/local/lib/xqfc-probe/busybox"


@dataclass(frozen=True)
class Probe:
    image_key: str        # the settings key of the image (its contract lists the binaries)
    command: str          # CMD-SHELL line; its first word is the binary (exec form when host_busybox)
    start_period: str
    why: str              # what the service does before it answers, which sizes start_period
    interval: str = "30s"
    timeout: str = "5s"
    retries: int = 3
    host_busybox: bool = False  # the image has no client: run the host's busybox, bound in read-only

    @property
    def binary(self) -> str:
        return PROBE_BUSYBOX if self.host_busybox else self.command.split()[0]

    def tests(self, command: str) -> list[str]:
        # Exec form for the host busybox: the image has no shell to run a CMD-SHELL line.
        return ["CMD", *command.split()] if self.host_busybox else ["CMD-SHELL", command]

    def mount(self) -> docker.ContainerVolumeArgs | None:
        """The read-only bind of the host's busybox a host_busybox probe runs, else None."""
        import pulumi_docker as docker

        if not self.host_busybox:
            return None
        return docker.ContainerVolumeArgs(host_path=HOST_BUSYBOX, container_path=PROBE_BUSYBOX, read_only=True)

    def args(self, **values: Any) -> docker.ContainerHealthcheckArgs:
        """The provider's healthcheck block; `values` fill the command's {placeholders} (Outputs too).
        Pulumi is imported here so the table stays plain data for docs/images.md."""
        import pulumi
        import pulumi_docker as docker

        if all(isinstance(v, str) for v in values.values()):
            tests: Any = self.tests(self.command.format(**values))
        else:
            tests = pulumi.Output.all(**values).apply(lambda v: self.tests(self.command.format(**v)))
        return docker.ContainerHealthcheckArgs(
            tests=tests, interval=self.interval, timeout=self.timeout,
            retries=self.retries, start_period=self.start_period,
        )


def _get(url: str) -> str:
    # busybox wget: exits non-zero on a refused connection, a timeout (-T) or an HTTP error status.
    return f"wget -q -T 4 -O /dev/null {url} || exit 1"


def _host_get(url: str) -> str:
    # Exec form words; busybox wget exits non-zero on a refused connection or an HTTP error status.
    return f"{PROBE_BUSYBOX} wget -q -O /dev/null {url}"


PROBES: dict[str, Probe] = {
    "prometheus": Probe(
        "prometheus_image", _get("http://127.0.0.1:9090/-/healthy"), "1m0s",
        "/-/healthy answers once the web server listens, before the WAL replay (prometheus web/web.go: "
        "not behind testReady); the config load and web start take seconds"),
    "alertmanager": Probe(
        "alertmanager_image", _get("http://127.0.0.1:9093/-/healthy"), "30s",
        "reads its config and the notification log from its volume: seconds"),
    "grafana": Probe(
        "grafana_image", _get("http://127.0.0.1:3000/api/health"), "2m0s",
        "the first start runs every database migration into the empty SQLite database before the HTTP "
        "server starts (tens of seconds, more on a throttled CPU); later starts take seconds"),
    "node-exporter": Probe(
        "node_exporter_image", _get("http://{address}/"), "20s",
        "a Go binary that listens at once; in the host's network it listens on the monitoring bridge's "
        "gateway address only, so the probe asks there"),
    "cadvisor": Probe(
        "cadvisor_image", _get("http://127.0.0.1:8080/healthz"), "1m0s",
        "the image's own HEALTHCHECK asks /healthz (deploy/Dockerfile@v0.52.1); the first housekeeping of "
        "every container's cgroup stats comes first"),
    "postgres-exporter": Probe(
        "postgres_exporter_image", _get("http://127.0.0.1:9187/"), "20s",
        "listens at once; its landing page does not connect to PostgreSQL (that is pg_up, alert PostgresDown)"),
    "blackbox-exporter": Probe(
        "blackbox_exporter_image", _get("http://127.0.0.1:9115/-/healthy"), "20s",
        "reads its modules file and listens at once"),
    "loki": Probe(
        "loki_image", _get("http://127.0.0.1:3100/ready"), "2m0s",
        "/ready waits for the ingester to join its ring and then 15 s more (min_ready_duration) after WAL replay"),
    # Host-busybox probes: these images have no HTTP client (nor, but promtail's, any shell).
    # Each asks 127.0.0.1 at the port its own flags or config make it listen on, all interfaces.
    "redis-exporter": Probe(
        "redis_exporter_image", _host_get("http://127.0.0.1:9121/health"), "20s",
        "FROM scratch (oliver006/redis_exporter Dockerfile@v1.75.0); listens on :9121 at once (main.go "
        "web.listen-address default) and /health (exporter/exporter.go, healthHandler) answers without asking Redis",
        host_busybox=True),
    "nginx-exporter": Probe(
        "nginx_exporter_image", _host_get("http://127.0.0.1:9113/"), "20s",
        "FROM scratch (nginx/nginx-prometheus-exporter build/Dockerfile@v1.4.2); listens on :9113 at once "
        "(exporter.go@v1.4.2, kingpinflag.AddFlags default); / is its landing page, served whenever the "
        "metrics path is not / (ours is the default /metrics), and does not ask nginx", host_busybox=True),
    "dingtalk-bridge": Probe(
        "dingtalk_bridge_image", _host_get("http://127.0.0.1:8060/-/healthy"), "20s",
        "distroless static (timonwong/prometheus-webhook-dingtalk Dockerfile@v2.1.0); reads its config and "
        "listens on :8060 (cmd/prometheus-webhook-dingtalk/main.go@v2.1.0 web.listen-address default; "
        "web/web.go routes /-/healthy)", host_busybox=True),
    "promtail": Probe(
        "promtail_image", _host_get("http://127.0.0.1:9080/ready"), "1m0s",
        "ubuntu:noble with no wget or curl (grafana/loki clients/cmd/promtail/Dockerfile); /ready is 200 once its "
        "server runs: it asks the target managers (clients/pkg/promtail/server/server.go@v3.5.3 ready), the Docker one "
        "makes a group per docker_sd_config from the config at start (targets/docker/targetmanager.go NewTargetManager) "
        "and a group is Ready even with no container running (target_group.go Ready); server.http_listen_port "
        "9080 in our config, all interfaces",
        host_busybox=True),
}
