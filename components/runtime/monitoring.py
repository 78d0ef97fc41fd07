"""The monitoring stack on the VM: Prometheus, Alertmanager, Grafana and the exporters, and
with logsEnabled Loki and Promtail.

Configs come from the pure renderers in components/render/monitoring, are written to the
host as files and bind-mounted read-only; a config change is a reload from inside the
container (runtime/reloading.py) or a restart (Grafana, Loki), never a container
replacement. Nothing is published on the host except Grafana on 127.0.0.1:3000 when it is
kept tunnel-only.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any

import pulumi
import pulumi_docker as docker
import pulumi_random as random
from pulumi_command import remote

from components.render.monitoring import (
    LOKI_CONFIG,
    LOKI_DIR,
    PROMTAIL_CONFIG,
    PROMTAIL_DIR,
    AlertThresholds,
    DingtalkReceiver,
    EmailReceiver,
    HeartbeatReceiver,
    MonitoringSpec,
    Receivers,
    ScrapeTargets,
    WecomReceiver,
    loki_args,
    memory_budget,
    node_exporter_args,
    prometheus_args,
    prometheus_files,
    promtail_args,
    render_alertmanager,
    render_blackbox,
    render_dashboards,
    render_dingtalk_bridge,
    render_grafana_dashboard_provider,
    render_grafana_datasources,
    render_loki,
    render_promtail,
)
from components.render.monitoring.grafana import DASHBOARDS_DIR, PROVISIONING_DIR, grafana_environment
from components.render.cpu_budget import cpu_budget, cpu_limit
from components.runtime.containers import GATEWAYS, Hardening, RuntimeNetworks, attach, hardened, remote_image
from components.runtime.files import CONFIG_ROOT, FileSpec, MountedFolder, RemoteFiles, files_options
from components.runtime.health import PROBES
from components.runtime.image_contracts import CONTRACTS
from components.runtime.reloading import reload_script
from components.settings import Secrets, Settings

HOST_DIR = f"{CONFIG_ROOT}/monitoring"
NODE_EXPORTER_PORT = 9100
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
NOBODY = "65534:65534"  # the user Alertmanager and the DingTalk bridge run as
PROM_DIR = "/etc/prometheus"
# Secrets of the read-only containers, one host folder each (files.MountedFolder), owned by the
# uid the container runs as.
SECRETS = {
    role: MountedFolder(f"{HOST_DIR}/secrets/{role}", "/run/xqfc")
    for role in ("grafana", "postgres-exporter", "redis-exporter")
}
GRAFANA_UID, POSTGRES_EXPORTER_UID, REDIS_EXPORTER_UID = (
    str(CONTRACTS[key].uid) for key in ("grafana_image", "postgres_exporter_image", "redis_exporter_image")
)
DOCKER_SOCKET = "/var/run/docker.sock"
# node-exporter runs in the host's network namespace (its interfaces are the host's, as
# node_exporter's README asks: --net=host --pid=host -v /:/host:ro,rslave) and listens on the
# host's address on the monitoring bridge only; cloud-init's firewall lets that subnet in.
NODE_EXPORTER_ADDRESS = f"{GATEWAYS['monitoring']}:{NODE_EXPORTER_PORT}"


def _receivers(s: Settings, secrets: Secrets, resolved: dict[str, str] | None = None) -> Receivers:
    """Receivers as configured. Without `resolved` the secret fields are empty: enough for
    the shape (which containers run, their memory) but never rendered into a file."""
    r = resolved or {}
    email = wecom = dingtalk = None
    if s.alert_email_to and s.alert_email_from and s.alert_smtp_host:
        email = EmailReceiver(
            to=s.alert_email_to, from_address=s.alert_email_from, smarthost=s.alert_smtp_host,
            username=s.alert_smtp_user or "", password=r.get("smtp", ""),
        )
    if s.alert_wecom_corp_id and s.alert_wecom_agent_id:
        wecom = WecomReceiver(
            corp_id=s.alert_wecom_corp_id, agent_id=s.alert_wecom_agent_id, api_secret=r.get("wecom", ""),
            to_user=s.alert_wecom_to_user or "", to_party=s.alert_wecom_to_party or "",
        )
    if secrets.alert_dingtalk_webhook is not None:
        dingtalk = DingtalkReceiver(webhook_url=r.get("dingtalk", "https://oapi.dingtalk.com/robot/send"), sign_secret=r.get("dingtalk_sign", ""))
    heartbeat = None
    if secrets.alert_heartbeat_url is not None:
        heartbeat = HeartbeatReceiver(url=r.get("heartbeat", "https://hc-ping.com/"))
    return Receivers(email=email, wecom=wecom, dingtalk=dingtalk, heartbeat=heartbeat)


def schedule_interval_hours(on_calendar: str) -> float | None:
    """Hours between runs of the OnCalendar forms the stacks use; None when not one of them."""
    fixed = {"hourly": 1, "daily": 24, "weekly": 168}
    if on_calendar in fixed:
        return float(fixed[on_calendar])
    m = re.fullmatch(r"\*-\*-\* (\d{1,2})/(\d{1,2}):00(:00)?", on_calendar)
    return float(m.group(2)) if m else None


def thresholds(s: Settings) -> AlertThresholds:
    base = AlertThresholds.for_environment(s.environment)
    interval = schedule_interval_hours(s.backup_schedule)
    if interval is None:
        return base
    # Two missed runs page; one late or failed run is the job's own exit status.
    return replace(base, backup_max_age_hours=2 * interval + 1)


def monitoring_spec(s: Settings, secrets: Secrets, public_url: str) -> MonitoringSpec:
    return MonitoringSpec(
        thresholds=thresholds(s),
        targets=ScrapeTargets(app=f"app:{s.app_port}", node_exporter=NODE_EXPORTER_ADDRESS),
        environment=s.environment,
        domain=s.domain,
        public_url=public_url,
        vm_memory_mib=s.vm_memory_gb * 1024,
        host=f"xqfc-{s.environment}",
        receivers=_receivers(s, secrets),
        retention=s.prometheus_retention,
        logs_enabled=s.logs_enabled,
        grafana_public=s.grafana_public,
        config_dir=PROM_DIR,
        data_mountpoint=s.data_mount_path,
    )


def _missing_secret_warnings(s: Settings, secrets: Secrets) -> None:
    if s.alert_smtp_user and secrets.alert_smtp_password is None:
        pulumi.log.warn("alertSmtpUser is set but the secret alertSmtpPassword is not: alert emails will fail to send")
    if s.alert_wecom_corp_id and secrets.alert_wecom_api_secret is None:
        pulumi.log.warn("alertWecomCorpId is set but the secret alertWecomApiSecret is not: WeCom alerts will fail")


@dataclass(frozen=True)
class MonitoringArgs:
    settings: Settings
    secrets: Secrets
    public_url: str
    networks: RuntimeNetworks
    connection: remote.ConnectionArgs
    postgres_password: pulumi.Output[str]
    redis_password: pulumi.Output[str]
    images: dict[str, str] = field(default_factory=dict)
    # ha: the managed services' addresses (PostgreSQL host:port, Redis redis://host:port) and
    # the other app hosts' node-exporters as (host label, private IP). Defaults: the containers.
    postgres_address: pulumi.Input[str] = "postgres:5432"
    redis_address: pulumi.Input[str] = "redis://redis:6379"
    other_hosts: list[tuple[str, pulumi.Output[str]]] = field(default_factory=list)


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:Monitoring", name, None, opts)
        s, sec = args.settings, args.secrets
        _missing_secret_warnings(s, sec)
        self.spec = spec = monitoring_spec(s, sec, args.public_url)
        self.budget = memory_budget(spec)
        child = pulumi.ResourceOptions(parent=self)
        protect = s.deletion_protection

        # --- config files on the host ---------------------------------------------------
        resolved = pulumi.Output.all(
            smtp=sec.alert_smtp_password or "", wecom=sec.alert_wecom_api_secret or "",
            dingtalk=sec.alert_dingtalk_webhook or "", dingtalk_sign=sec.alert_dingtalk_secret or "",
            heartbeat=sec.alert_heartbeat_url or "",
        )
        secret_spec = resolved.apply(lambda r: replace(spec, receivers=_receivers(s, sec, r)))
        prom_files: Mapping[str, pulumi.Input[str]]
        if args.other_hosts:
            labels = [h for h, _ in args.other_hosts]
            rendered = pulumi.Output.all(*[ip for _, ip in args.other_hosts]).apply(
                lambda ips: prometheus_files(replace(spec, other_hosts=tuple((h, f"{ip}:{NODE_EXPORTER_PORT}") for h, ip in zip(labels, ips))))
            )
            prom_files = {path: rendered.apply(itemgetter(path)) for path in prometheus_files(spec)}
        else:
            prom_files = prometheus_files(spec)
        files = [FileSpec(f"{HOST_DIR}/prometheus{path[len(PROM_DIR):]}", text) for path, text in prom_files.items()]
        files += [
            # SMTP and WeCom credentials: readable by Alertmanager's user only.
            FileSpec(f"{HOST_DIR}/alertmanager/alertmanager.yml", pulumi.Output.secret(secret_spec.apply(render_alertmanager)),
                     mode="0600", owner=NOBODY),
            FileSpec(f"{HOST_DIR}/blackbox/blackbox.yml", render_blackbox(spec)),
            FileSpec(f"{HOST_DIR}/grafana/provisioning/datasources/prometheus.yml", render_grafana_datasources(spec)),
            FileSpec(f"{HOST_DIR}/grafana/provisioning/dashboards/xqfc.yml", render_grafana_dashboard_provider()),
        ]
        files += [FileSpec(f"{HOST_DIR}/grafana/dashboards/{n}", text) for n, text in render_dashboards(spec).items()]
        if spec.receivers.dingtalk:
            files.append(FileSpec(f"{HOST_DIR}/dingtalk/config.yml", pulumi.Output.secret(secret_spec.apply(render_dingtalk_bridge)),
                                  mode="0600", owner=NOBODY))
        if spec.logs_enabled:
            files += [
                FileSpec(f"{HOST_DIR}/loki/{LOKI_CONFIG.rsplit('/', 1)[1]}", render_loki(spec)),
                FileSpec(f"{HOST_DIR}/promtail/{PROMTAIL_CONFIG.rsplit('/', 1)[1]}", render_promtail(spec)),
            ]
        self.grafana_password = random.RandomPassword(f"{name}-grafana-admin", length=24, special=False, opts=child)
        redis_password_file = pulumi.Output.all(args.redis_address, args.redis_password).apply(lambda a: json.dumps({a[0]: a[1]}))
        secret_files = [
            SECRETS["grafana"].file("grafana-admin", self.grafana_password.result, mode="0400", owner=GRAFANA_UID),
            SECRETS["postgres-exporter"].file("pg-password", args.postgres_password, mode="0400", owner=POSTGRES_EXPORTER_UID),
            SECRETS["redis-exporter"].file("redis-password.json", pulumi.Output.secret(redis_password_file), mode="0400",
                                           owner=REDIS_EXPORTER_UID),
        ]
        self.files_spec = files
        # The secrets are not shown in a plan's artifacts (files_spec) and never trigger a reload:
        # they are generated once and the exporters read them at each scrape or start.
        self.files = RemoteFiles(f"{name}-files", args.connection, files, files_options(self, opts))
        self.secret_files = RemoteFiles(f"{name}-secrets", args.connection, secret_files, files_options(self, opts))
        after_files = pulumi.ResourceOptions(parent=self, depends_on=[*self.files.commands, *self.secret_files.commands])

        net = args.networks
        mon: tuple[docker.Network, list[str]] = (net.monitoring, [])

        def volume(role: str, docker_name: str) -> docker.Volume:
            return docker.Volume(f"{name}-{role}-data", name=docker_name,
                                 opts=pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect))

        def bind(host: str, container: str, ro: bool = True) -> docker.ContainerVolumeArgs:
            return docker.ContainerVolumeArgs(host_path=host, container_path=container, read_only=ro)

        def container(role: str, image_ref: str, *, harden: Hardening, networks, **kw) -> docker.Container:
            image = remote_image(f"{name}-{role}-image", image_ref, child)
            alias = role
            # In the host's network namespace a container has the host's name and no aliases.
            naming: dict[str, Any] = {"hostname": role, "networks_advanced": attach(*[(n, [alias]) for n, _ in networks])} if networks else {}
            probe_bind = PROBES[role].mount() if role in PROBES else None
            if probe_bind is not None:  # the host's static busybox runs this image's health check
                kw["volumes"] = [*kw.get("volumes", []), probe_bind]
            return docker.Container(
                f"{name}-{role}",
                name=f"xqfc-{role}",
                image=image.image_id,
                **naming,
                **hardened(replace(harden, cpus=cpus[role])),
                **probe(role),
                **kw,
                opts=after_files,
            )

        # --- health checks and CPU limits (issue 22; runtime/health.py, render/cpu_budget.py) ---
        cpus = self.cpus = cpu_budget(s.vm_cpu_count)

        def probe(role: str) -> dict:
            return {"healthcheck": PROBES[role].args(address=NODE_EXPORTER_ADDRESS)} if role in PROBES else {}

        mb = self.budget
        self.containers: dict[str, docker.Container] = {}
        self.containers["prometheus"] = container(
            "prometheus", s.prometheus_image, harden=Hardening(mb["prometheus"], user="65534:65534"), networks=[mon],
            command=prometheus_args(spec, data_dir="/prometheus"),
            volumes=[bind(f"{HOST_DIR}/prometheus", PROM_DIR),
                     docker.ContainerVolumeArgs(volume_name=volume("prometheus", "xqfc-prometheus").name, container_path="/prometheus")],
        )
        self.containers["alertmanager"] = container(
            "alertmanager", s.alertmanager_image, harden=Hardening(mb["alertmanager"], user="65534:65534"), networks=[mon],
            # Alertmanager is never public: links in notifications point at its tunnel address.
            command=["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager",
                     "--web.external-url=http://127.0.0.1:9093"],
            volumes=[bind(f"{HOST_DIR}/alertmanager", "/etc/alertmanager"),
                     docker.ContainerVolumeArgs(volume_name=volume("alertmanager", "xqfc-alertmanager").name, container_path="/alertmanager")],
        )
        grafana_ports = [] if s.grafana_public else [docker.ContainerPortArgs(internal=3000, external=3000, ip="127.0.0.1")]
        self.containers["grafana"] = container(
            "grafana", s.grafana_image, harden=Hardening(mb["grafana"], user=f"{GRAFANA_UID}:0"), networks=[mon],
            envs=[f"{k}={v}" for k, v in grafana_environment(spec).items()]
            + [f"GF_SECURITY_ADMIN_PASSWORD__FILE={SECRETS['grafana'].path('grafana-admin')}",
               # Logs to stdout only: the file logger would write /var/log/grafana on the read-only root.
               "GF_LOG_MODE=console"],
            ports=grafana_ports,
            volumes=[SECRETS["grafana"].mount(), bind(f"{HOST_DIR}/grafana/provisioning", PROVISIONING_DIR), bind(f"{HOST_DIR}/grafana/dashboards", DASHBOARDS_DIR),
                     docker.ContainerVolumeArgs(volume_name=volume("grafana", "xqfc-grafana").name, container_path="/var/lib/grafana")],
        )
        self.containers["node-exporter"] = container(
            "node-exporter", s.node_exporter_image, harden=Hardening(mb["node-exporter"], user="65534:65534", pid_mode="host"),
            networks=[],
            command=[*node_exporter_args(textfile_dir="/textfile"), "--web.listen-address", NODE_EXPORTER_ADDRESS],
            network_mode="host",
            mounts=[docker.ContainerMountArgs(target="/host", source="/", type="bind", read_only=True,
                                              bind_options=docker.ContainerMountBindOptionsArgs(propagation="rslave"))],
            volumes=[bind(TEXTFILE_DIR, "/textfile")],
        )
        self.containers["cadvisor"] = container(
            "cadvisor", s.cadvisor_image, harden=Hardening(mb["cadvisor"], cap_add=("CAP_SYS_PTRACE",)), networks=[mon],
            command=["--docker_only=true", "--housekeeping_interval=30s", "--store_container_labels=false"],
            volumes=[bind("/", "/rootfs"), bind("/var/run", "/var/run"), bind("/sys", "/sys"),
                     bind(s.docker_root, "/var/lib/docker"), bind("/dev/disk", "/dev/disk")],
        )
        # The managed services are outside Docker: reached through the monitoring network's
        # route out, since the data network is internal.
        managed = not isinstance(args.postgres_address, str)
        data_net: list[tuple[docker.Network, list[str]]] = [] if managed else [(net.data, [])]
        self.containers["postgres-exporter"] = container(
            "postgres-exporter", s.postgres_exporter_image, harden=Hardening(mb["postgres-exporter"], user=NOBODY),
            networks=[mon, *data_net],
            envs=[pulumi.Output.concat("DATA_SOURCE_URI=", args.postgres_address, f"/{s.db_name}?sslmode=disable") if managed
                  else f"DATA_SOURCE_URI=postgres:5432/{s.db_name}?sslmode=disable", f"DATA_SOURCE_USER={s.db_user}",
                  f"DATA_SOURCE_PASS_FILE={SECRETS['postgres-exporter'].path('pg-password')}"],
            volumes=[SECRETS["postgres-exporter"].mount()],
        )
        self.containers["redis-exporter"] = container(
            "redis-exporter", s.redis_exporter_image, harden=Hardening(mb["redis-exporter"], user=f"{REDIS_EXPORTER_UID}:{REDIS_EXPORTER_UID}"),
            networks=[mon, *data_net],
            envs=[pulumi.Output.concat("REDIS_ADDR=", args.redis_address) if managed else "REDIS_ADDR=redis://redis:6379"],
            command=[f"--redis.password-file={SECRETS['redis-exporter'].path('redis-password.json')}"],
            volumes=[SECRETS["redis-exporter"].mount()],
        )
        self.containers["nginx-exporter"] = container(
            "nginx-exporter", s.nginx_exporter_image, harden=Hardening(mb["nginx-exporter"], user="65534:65534"), networks=[mon],
            command=["--nginx.scrape-uri=http://nginx:8081/stub_status"],
        )
        self.containers["blackbox-exporter"] = container(
            "blackbox-exporter", s.blackbox_exporter_image, harden=Hardening(mb["blackbox-exporter"], user="65534:65534"), networks=[mon],
            command=["--config.file=/etc/blackbox/blackbox.yml"],
            volumes=[bind(f"{HOST_DIR}/blackbox", "/etc/blackbox")],
        )
        if spec.receivers.dingtalk:
            self.containers["dingtalk-bridge"] = container(
                "dingtalk-bridge", s.dingtalk_bridge_image, harden=Hardening(mb["dingtalk-bridge"], user="65534:65534"), networks=[mon],
                command=["--config.file=/etc/dingtalk/config.yml"],
                volumes=[bind(f"{HOST_DIR}/dingtalk", "/etc/dingtalk")],
            )

        if spec.logs_enabled:
            self.containers["loki"] = container(
                "loki", s.loki_image, harden=Hardening(mb["loki"], user="10001:10001"), networks=[mon],
                command=loki_args(),
                volumes=[bind(f"{HOST_DIR}/loki", LOKI_CONFIG.rsplit("/", 1)[0]),
                         docker.ContainerVolumeArgs(volume_name=volume("loki", "xqfc-loki").name, container_path=LOKI_DIR)],
            )
            # Promtail reads logs through the Docker API (docker_sd_configs), not from
            # /var/lib/docker/containers, so the socket is its only view of the host. A read-only
            # bind does not make the API read-only: the socket is root-equivalent, like cAdvisor's.
            # Root without capabilities: the socket is root:docker 0660 and the docker gid differs per host.
            self.containers["promtail"] = container(
                "promtail", s.promtail_image, harden=Hardening(mb["promtail"], user="0:0"), networks=[mon],
                command=promtail_args(),
                volumes=[bind(f"{HOST_DIR}/promtail", PROMTAIL_CONFIG.rsplit("/", 1)[0]),
                         bind(DOCKER_SOCKET, DOCKER_SOCKET),
                         docker.ContainerVolumeArgs(volume_name=volume("promtail", "xqfc-promtail").name, container_path=PROMTAIL_DIR)],
            )

        # Config changes: each service re-reads its files from inside its container, never by
        # `docker kill`, which would take its restart policy away (runtime/reloading.py).
        roles = ["prometheus", "alertmanager", "blackbox-exporter", "grafana"]
        if spec.logs_enabled:
            roles += ["promtail", "loki"]
        self.reload = remote.Command(
            f"{name}-reload",
            connection=args.connection, add_previous_output_in_env=False,
            create=reload_script(roles),
            triggers=[self.files.digest],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.containers.values())),
        )
        self.grafana_url = f"https://grafana.{s.domain}/" if s.grafana_public else "ssh tunnel: -L 3000:127.0.0.1:3000, then http://127.0.0.1:3000/"
        self.register_outputs({"grafana_url": self.grafana_url})


class NodeExporter(pulumi.ComponentResource):
    """ha: node-exporter on an app host without the monitoring stack, listening on the host's
    private address only, for the first host's Prometheus (the cloud rule admits the VPC only)."""

    def __init__(self, name: str, s: Settings, private_ip: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:NodeExporter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        image = remote_image(f"{name}-image", s.node_exporter_image, child)
        self.container = docker.Container(
            f"{name}-container",
            name="xqfc-node-exporter",
            image=image.image_id,
            # The host's namespaces, as on the first host; it listens on the private address only
            # (the cloud rule and cloud-init's firewall admit the VPC).
            command=[*node_exporter_args(textfile_dir="/textfile"),
                     "--web.listen-address", pulumi.Output.concat(private_ip, f":{NODE_EXPORTER_PORT}")],
            network_mode="host",
            mounts=[docker.ContainerMountArgs(target="/host", source="/", type="bind", read_only=True,
                                              bind_options=docker.ContainerMountBindOptionsArgs(propagation="rslave"))],
            volumes=[docker.ContainerVolumeArgs(host_path=TEXTFILE_DIR, container_path="/textfile", read_only=True)],
            **hardened(Hardening(64, user="65534:65534", pid_mode="host", cpus=cpu_limit("node-exporter", s.vm_cpu_count))),
            healthcheck=PROBES["node-exporter"].args(address=pulumi.Output.concat(private_ip, f":{NODE_EXPORTER_PORT}")),
            opts=child,
        )
        self.register_outputs({})
