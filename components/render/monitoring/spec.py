"""Typed input of the monitoring renderers.

Everything the renderers need arrives here; the Pulumi side builds one MonitoringSpec per
stack from validated settings and passes secrets (SMTP password, WeCom API secret, DingTalk
token) as plain strings inside `apply`, so the rendered text must be treated as secret.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ENVIRONMENTS = ("dev", "staging", "prod")


@dataclass(frozen=True)
class ScrapeTargets:
    """host:port of each scraped container, resolved by Docker's DNS on the monitoring network."""

    prometheus: str = "prometheus:9090"
    alertmanager: str = "alertmanager:9093"
    node_exporter: str = "node-exporter:9100"
    cadvisor: str = "cadvisor:8080"
    postgres_exporter: str = "postgres-exporter:9187"
    redis_exporter: str = "redis-exporter:9121"
    nginx_exporter: str = "nginx-exporter:9113"
    app: str = "app:8000"
    blackbox_exporter: str = "blackbox-exporter:9115"
    grafana: str = "grafana:3000"
    dingtalk_bridge: str = "dingtalk-bridge:8060"
    loki: str = "loki:3100"


@dataclass(frozen=True)
class AlertThresholds:
    """Per-stack alert thresholds; `for_environment` gives the defaults of each stack."""

    target_down_for: str = "2m"
    error_rate_ratio: float = 0.05
    # Below this request rate a single 500 would be a 100 % error rate: leave outages at
    # low traffic to the probe and `up` alerts instead of paging on noise.
    error_rate_min_rps: float = 0.05
    latency_p95_seconds: float = 1.0
    cpu_percent: float = 85.0
    memory_percent: float = 90.0
    disk_warning_percent: float = 80.0
    disk_critical_percent: float = 90.0
    pg_connections_percent: float = 80.0
    redis_memory_percent: float = 90.0
    container_restarts_15m: int = 2
    cert_expiry_warning_days: int = 14
    cert_expiry_critical_days: int = 3
    probe_failing_for: str = "2m"
    backup_max_age_hours: float = 26.0
    restore_drill_max_age_days: float = 8.0

    @classmethod
    def for_environment(cls, environment: str) -> AlertThresholds:
        if environment not in ENVIRONMENTS:
            raise ValueError(f"unknown environment {environment!r}: expected one of {ENVIRONMENTS}")
        if environment == "prod":
            return cls(
                target_down_for="1m",
                error_rate_ratio=0.02,
                latency_p95_seconds=0.5,
                cpu_percent=80.0,
                memory_percent=85.0,
                disk_warning_percent=75.0,
                disk_critical_percent=90.0,
                pg_connections_percent=75.0,
                redis_memory_percent=80.0,
                probe_failing_for="1m",
                backup_max_age_hours=26.0,
            )
        if environment == "staging":
            return cls()
        # dev is a 2-core/4 GB box that is routinely busy with builds and test loads.
        return cls(
            target_down_for="5m",
            error_rate_ratio=0.10,
            latency_p95_seconds=1.0,
            cpu_percent=95.0,
            memory_percent=95.0,
            disk_warning_percent=85.0,
            disk_critical_percent=95.0,
            pg_connections_percent=90.0,
            redis_memory_percent=95.0,
            container_restarts_15m=3,
            probe_failing_for="5m",
            backup_max_age_hours=50.0,
        )


@dataclass(frozen=True)
class EmailReceiver:
    to: str
    from_address: str
    smarthost: str  # host:port
    username: str = ""
    password: str = ""  # secret
    require_tls: bool = True


@dataclass(frozen=True)
class WecomReceiver:
    """Native Alertmanager `wechat_configs` (WeCom application message)."""

    corp_id: str
    agent_id: str
    api_secret: str  # secret
    to_user: str = ""
    to_party: str = ""
    api_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"


@dataclass(frozen=True)
class DingtalkReceiver:
    """DingTalk robot reached through the timonwong/prometheus-webhook-dingtalk bridge."""

    webhook_url: str  # secret: the access_token is in the URL
    sign_secret: str = ""  # secret; robot "加签" security setting


@dataclass(frozen=True)
class HeartbeatReceiver:
    """Dead man's switch: an outside service that pages when the Watchdog stops arriving."""

    url: str  # secret: the check's token is in the URL


@dataclass(frozen=True)
class Receivers:
    email: EmailReceiver | None = None
    wecom: WecomReceiver | None = None
    dingtalk: DingtalkReceiver | None = None
    # Not a channel for people: `any` leaves it out.
    heartbeat: HeartbeatReceiver | None = None

    @property
    def any(self) -> bool:
        return any((self.email, self.wecom, self.dingtalk))


@dataclass(frozen=True)
class MonitoringSpec:
    environment: str
    domain: str
    public_url: str
    vm_memory_mib: int
    host: str = "vm-1"
    # None takes the stack's defaults, so a prod spec never silently gets dev thresholds.
    thresholds: AlertThresholds | None = None
    receivers: Receivers = field(default_factory=Receivers)
    retention: str = "15d"
    retention_size: str = ""
    scrape_interval: str = "15s"
    logs_enabled: bool = False
    grafana_public: bool = False
    targets: ScrapeTargets = field(default_factory=ScrapeTargets)
    # Where the containers see their config; tests lay the same tree out under a temp dir.
    config_dir: str = "/etc/prometheus"
    data_mountpoint: str = "/data"
    root_mountpoint: str = "/"
    # ha: node-exporters of the other app hosts, as (host label, "private-ip:9100").
    other_hosts: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ValueError(f"environment {self.environment!r} is not one of {ENVIRONMENTS}")
        if self.thresholds is None:
            object.__setattr__(self, "thresholds", AlertThresholds.for_environment(self.environment))
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"public_url {self.public_url!r} must be an absolute http(s) URL")
        for mount in (self.root_mountpoint, self.data_mountpoint):
            # They are joined into a PromQL regex; anything but a plain path would change its meaning.
            if not re.fullmatch(r"/[A-Za-z0-9_./-]*", mount):
                raise ValueError(f"mount point {mount!r} must be a plain absolute path")
        if self.vm_memory_mib < 2048:
            raise ValueError(f"vm_memory_mib {self.vm_memory_mib} is too small for the monitoring stack")

    @property
    def rules_dir(self) -> str:
        return f"{self.config_dir.rstrip('/')}/rules"

    @property
    def rule_files_glob(self) -> str:
        return f"{self.rules_dir}/*.yml"

    @property
    def rules_file(self) -> str:
        return f"{self.rules_dir}/xqfc-alerts.yml"

    @property
    def public_is_https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def public_host(self) -> str:
        return urlsplit(self.public_url).hostname or ""

    @property
    def public_tls_target(self) -> str:
        return f"{self.public_host}:{urlsplit(self.public_url).port or 443}"

    @property
    def grafana_root_url(self) -> str:
        if self.grafana_public:
            return f"https://grafana.{self.domain}/"
        # Reached only through `ssh -L 3000:127.0.0.1:3000 <vm>`.
        return "http://127.0.0.1:3000/"
