"""Stack settings: read once from Pulumi config, validated as a whole, then passed down typed.

Every problem is collected before anything is reported, so a user fixing a stack file sees
all of them at once, each naming the config key, the bad value and what is allowed.
Nothing here creates resources; `load()` runs before the first resource is registered.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Literal, Mapping, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

PROJECT = "xqfc"

Environment = Literal["dev", "staging", "prod"]
# Where the platform runs: a cloud (its foundation is built here) or `ssh`, a server the user
# already has (components/cloud/ssh.py; no cloud resources, the same runtime and outputs).
Cloud = Literal["tencentcloud", "alicloud", "ssh"]
Topology = Literal["single", "ha"]
TARGETS: tuple[str, ...] = get_args(Cloud)
CLOUDS: tuple[str, ...] = ("tencentcloud", "alicloud")
EXISTING_HOST = "ssh"
TlsSource = Literal["acme", "provided"]

# Region names are the clouds' own; zones are checked against the region's naming scheme so
# that a Tencent zone on an Alibaba stack (or a zone of another region) is caught here.
REGIONS: dict[str, tuple[str, ...]] = {
    "tencentcloud": (
        "ap-guangzhou", "ap-shanghai", "ap-nanjing", "ap-beijing", "ap-chengdu",
        "ap-chongqing", "ap-hongkong", "ap-singapore",
    ),
    "alicloud": (
        "cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-guangzhou",
        "cn-chengdu", "cn-hongkong", "ap-southeast-1",
    ),
}
DISK_TYPES: dict[str, tuple[str, ...]] = {
    "tencentcloud": ("CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD", "CLOUD_HSSD"),
    "alicloud": ("cloud_essd", "cloud_ssd", "cloud_efficiency", "cloud_auto", "cloud_essd_entry"),
}

# Keys whose sensible value depends on the cloud. Pulumi.yaml declares them with default ""
# (the CLI always applies schema defaults, so "unset" must be a value of its own), and ""
# means "this cloud's default" below. `dockerRegistryMirror: none` turns the mirror off.
NO_MIRROR = "none"
CLOUD_DEFAULTS: dict[str, dict[str, str | None]] = {
    "tencentcloud": {
        "region": "ap-guangzhou",
        "zone": "ap-guangzhou-3",
        "instance_type": "S5.MEDIUM4",  # 2 cores, 4 GB
        "image_name_regex": "^Ubuntu Server 24.04 LTS 64",
        "system_disk_type": "CLOUD_PREMIUM",
        "data_disk_type": "CLOUD_PREMIUM",
        "docker_apt_mirror": "https://mirrors.cloud.tencent.com/docker-ce",
        # Reachable only from inside Tencent Cloud, which is where the VM runs.
        "docker_registry_mirror": "https://mirror.ccs.tencentyun.com",
    },
    "alicloud": {
        "region": "cn-hangzhou",
        "zone": "cn-hangzhou-h",
        "instance_type": "ecs.c7.large",  # 2 cores, 4 GB
        "image_name_regex": "^ubuntu_24_04_x64",
        "system_disk_type": "cloud_essd",
        "data_disk_type": "cloud_essd",
        "docker_apt_mirror": "https://mirrors.aliyun.com/docker-ce",
        # Alibaba's registry accelerator is per account (https://<id>.mirror.aliyuncs.com):
        # there is no address that would be right for everyone.
        "docker_registry_mirror": None,
    },
    # An existing host: no region, zone, VM or disks of ours; Docker is already installed.
    EXISTING_HOST: {
        "region": "",
        "zone": "",
        "instance_type": "",
        "image_name_regex": "",
        "system_disk_type": "",
        "data_disk_type": "",
        "docker_apt_mirror": "",
        "docker_registry_mirror": None,
    },
}


def zone_pattern(cloud: str, region: str) -> str:
    """Tencent: ap-guangzhou-3. Alibaba: cn-hangzhou-h, but ap-southeast-1a after a digit."""
    r = re.escape(region)
    if cloud == "tencentcloud":
        return rf"^{r}-[1-9][0-9]?$"
    return rf"^{r}[a-z]$" if region[-1].isdigit() else rf"^{r}-[a-z]$"


def zone_example(cloud: str, region: str) -> str:
    if cloud == "tencentcloud":
        return f"{region}-3"
    return f"{region}a" if region[-1].isdigit() else f"{region}-h"


def cloud_of_region(region: str) -> str | None:
    return next((c for c, regions in REGIONS.items() if region in regions), None)


_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
_SSH_KEY_RE = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]{40,}( \S.*)?$")
_IMAGE_RE = re.compile(r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9._-]{1,128})?(@sha256:[0-9a-f]{64})?$")
_DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")
_UNIX_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
# An existing host: an IPv4/IPv6 address or a DNS name, optionally :port (IPv6 as [addr]:port).
_HOST_RE = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
# S3 bucket names (AWS "Bucket naming rules"; MinIO, COS and OSS accept the same subset).
_S3_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# lego's DNS provider codes (https://go-acme.github.io/lego/dns/): lower-case words.
_LEGO_PROVIDER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,40}$")


# Secret settings are not part of the typed model: they stay Pulumi secrets (Outputs) from
# config to resource, and read_secrets() hands them out. A secret key set in plain text is
# refused, so a password can't sit readable in a stack file.
SECRET_KEYS: dict[str, str] = {
    "registryPassword": "Password of registryServer for pulling private images.",
    "alertSmtpPassword": "Password of alertSmtpUser on alertSmtpHost.",
    "alertWecomApiSecret": "WeCom application secret for alert messages.",
    "alertDingtalkWebhook": "DingTalk robot webhook URL (contains its access token).",
    "alertDingtalkSecret": "DingTalk robot signing secret (加签), if the robot uses one.",
    "appSecretEnv": "Object of extra secret environment variables for the app (e.g. SMS or map API keys).",
    "s3AccessKeyId": "cloud ssh: access key id for s3Bucket (the backup job's; limit it to that bucket).",
    "s3SecretAccessKey": "cloud ssh: secret access key for s3Bucket.",
    "tlsCertificatePem": "cloud ssh with tlsSource provided: the site certificate, leaf then chain (PEM).",
    "tlsPrivateKeyPem": "cloud ssh with tlsSource provided: the certificate's private key (PEM).",
}


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    message: str

    def __str__(self) -> str:
        shown = "(missing)" if self.value is _MISSING else json.dumps(self.value, default=str)
        return f"{PROJECT}:{self.key} = {shown}: {self.message}"


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


_MISSING: Any = _Missing()


class SettingsError(Exception):
    """The stack's configuration is invalid; the message lists every problem."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = problems
        lines = [f"invalid configuration for stack '{stack}' ({len(problems)} problem(s)):"]
        lines += [f"  - {p}" for p in problems]
        lines.append("Fix them with `pulumi config set <key> <value>` or in Pulumi.<stack>.yaml.")
        super().__init__("\n".join(lines))


class Settings(BaseModel):
    """Everything a stack can set, typed. Field names map to camelCase config keys."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    environment: Environment
    cloud: Cloud = "tencentcloud"
    # "" = the cloud's default (CLOUD_DEFAULTS); filled in before validation.
    region: str = ""
    zone: str = ""

    domain: str
    # Required on a cloud (its DNS service hosts the zone); an existing host manages no DNS.
    dns_zone: str = ""
    admin_cidrs: list[str] = Field(min_length=1)
    # Required on a cloud (installed on the new VM); an existing host already trusts the operators.
    ssh_public_key: str = ""
    deploy_user: str = "deploy"

    instance_type: str = ""
    image_id: str | None = None
    image_name_regex: str = ""
    system_disk_type: str = ""
    system_disk_size: int = Field(50, ge=20, le=1024)
    data_disk_type: str = ""
    data_disk_size: int = Field(100, ge=20, le=16000)
    data_disk_device: str = "/dev/vdb"
    data_mount_path: str = "/data"
    bandwidth_mbps: int = Field(5, ge=1, le=200)

    vpc_cidr: str = "10.20.0.0/16"
    subnet_cidr: str = "10.20.1.0/24"

    deletion_protection: bool = False
    bucket_name: str | None = None
    tencent_app_id: str | None = None
    backup_retention_days: int = Field(7, ge=1, le=3650)

    cdn_enabled: bool = False
    static_cache_days: int = Field(30, ge=1, le=365)
    certificate_email: str | None = None
    acme_server_url: str = "https://acme-v02.api.letsencrypt.org/directory"
    certificate_renew_days: int = Field(30, ge=7, le=60)

    docker_apt_mirror: str = ""
    docker_registry_mirror: str | None = ""

    # --- an existing host (cloud: ssh, docs/existing-host.md) -----------------------------
    ssh_hosts: list[str] = []
    docker_root_dir: str = ""
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    # "" = virtual-hosted on a cloud (OSS accepts nothing else), path on ssh (MinIO's default).
    s3_addressing_style: Literal["", "virtual", "path"] = ""
    tls_source: TlsSource = "acme"
    acme_dns_provider: str = ""

    # --- cloud-dependent defaults ---------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _cloud_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cloud = data.get("cloud", "tencentcloud")
        defaults = CLOUD_DEFAULTS.get(cloud)
        if defaults is None:
            return data  # the `cloud` field reports the unknown cloud itself
        out = dict(data)
        for field, default in defaults.items():
            alias = to_camel(field)
            given = out.get(alias, out.get(field, ""))
            if given == "":
                out.pop(field, None)
                out[alias] = default
        return out

    # --- topology (docs/ha.md) -----------------------------------------------------------
    # single: one VM runs everything. ha: app hosts in two zones behind the cloud's load
    # balancer, with the cloud's managed PostgreSQL and Redis.
    topology: Topology = "single"
    secondary_zone: str | None = None
    secondary_subnet_cidr: str | None = None
    data_subnet_cidr: str | None = None
    db_storage_gb: int = Field(100, ge=20, le=6000)

    # --- services on the VM -------------------------------------------------------------
    ssh_private_key_path: str | None = None
    vm_memory_gb: int = Field(4, ge=2, le=512)
    app_image: str
    postgres_image: str = "postgres:17-alpine"
    redis_image: str = "redis:7-alpine"
    nginx_image: str = "nginx:1.28-alpine"
    registry_server: str | None = None
    registry_username: str | None = None
    app_port: int = Field(8000, ge=1024, le=65535)
    app_health_path: str = "/health"
    app_migration_command: str = "alembic upgrade head"
    app_user: str | None = "10001:10001"
    app_memory_mb: int = Field(512, ge=128, le=65536)
    app_cpus: float = Field(1.0, gt=0, le=64)
    db_name: str = "xqfc"
    db_user: str = "xqfc"
    postgres_memory_mb: int = Field(1024, ge=256, le=262144)
    postgres_max_connections: int = Field(100, ge=20, le=5000)
    redis_maxmemory_mb: int = Field(256, ge=32, le=65536)
    redis_eviction_policy: Literal[
        "noeviction", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl"
    ] = "allkeys-lru"
    client_max_body_mb: int = Field(20, ge=1, le=1024)

    # --- monitoring ---------------------------------------------------------------------
    prometheus_retention: str = "15d"
    grafana_public: bool = False
    alert_email_to: str | None = None
    alert_email_from: str | None = None
    alert_smtp_host: str | None = None
    alert_smtp_user: str | None = None
    alert_wecom_corp_id: str | None = None
    alert_wecom_agent_id: str | None = None
    alert_wecom_to_user: str | None = None
    alert_wecom_to_party: str | None = None
    prometheus_image: str = "prom/prometheus:v3.5.0"
    alertmanager_image: str = "prom/alertmanager:v0.28.1"
    grafana_image: str = "grafana/grafana:12.1.1"
    node_exporter_image: str = "prom/node-exporter:v1.9.1"
    cadvisor_image: str = "gcr.io/cadvisor/cadvisor:v0.52.1"  # not on Docker Hub: mirror it into your registry
    postgres_exporter_image: str = "prometheuscommunity/postgres-exporter:v0.17.1"
    redis_exporter_image: str = "oliver006/redis_exporter:v1.75.0"
    nginx_exporter_image: str = "nginx/nginx-prometheus-exporter:1.4.2"
    blackbox_exporter_image: str = "prom/blackbox-exporter:v0.27.0"
    dingtalk_bridge_image: str = "timonwong/prometheus-webhook-dingtalk:v2.1.0"
    # Log pipeline (docs/monitoring.md): Loki + Promtail, off unless the VM has room for them.
    logs_enabled: bool = False
    loki_image: str = "grafana/loki:3.5.3"
    promtail_image: str = "grafana/promtail:3.5.3"

    # --- backups ------------------------------------------------------------------------
    backup_schedule: str = "daily"
    backup_keep_newest: int = Field(3, ge=1, le=100)
    backup_local_days: int = Field(2, ge=1, le=30)
    drill_schedule: str = "Sun *-*-* 04:00:00"
    redis_snapshot_schedule: str = "*-*-* 03:30:00"

    # --- field rules: each names what is allowed ---------------------------------------

    @field_validator("domain", "dns_zone")
    @classmethod
    def _domain(cls, v: str, info: Any) -> str:
        if v == "" and info.field_name == "dns_zone":
            return v
        if not _DOMAIN_RE.match(v):
            raise ValueError("must be a lower-case DNS name such as xqfc.example")
        return v

    @field_validator("admin_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        bad = []
        for c in v:
            try:
                ipaddress.ip_network(c, strict=True)
            except ValueError:
                bad.append(c)
        if bad:
            raise ValueError(f"not valid CIDR blocks: {bad}; use forms like 203.0.113.7/32")
        return v

    @field_validator("vpc_cidr", "subnet_cidr", "secondary_subnet_cidr", "data_subnet_cidr")
    @classmethod
    def _private_cidr(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError as e:
            raise ValueError(f"not a valid CIDR block ({e})") from None
        if not net.is_private or net.version != 4:
            raise ValueError("must be a private IPv4 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)")
        if not 16 <= net.prefixlen <= 28:
            raise ValueError("prefix length must be between /16 and /28")
        return v

    @field_validator("ssh_public_key")
    @classmethod
    def _ssh_key(cls, v: str) -> str:
        if v.strip() and not _SSH_KEY_RE.match(v.strip()):
            raise ValueError("must be one OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)")
        return v.strip()

    @field_validator("deploy_user")
    @classmethod
    def _user(cls, v: str) -> str:
        if not _UNIX_USER_RE.match(v) or v == "root":
            raise ValueError("must be a lower-case Unix user name other than root")
        return v

    @field_validator("bucket_name")
    @classmethod
    def _bucket(cls, v: str | None) -> str | None:
        if v is not None and not _BUCKET_RE.match(v):
            raise ValueError("must be 3-40 characters of a-z, 0-9 and '-', not starting or ending with '-'")
        return v

    @field_validator("certificate_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,63}", v):
            raise ValueError("must be an email address such as ops@xqfc.example")
        return v

    @field_validator("tencent_app_id")
    @classmethod
    def _app_id(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9]{6,12}", v):
            raise ValueError("must be the numeric Tencent Cloud APPID (e.g. 1250000000)")
        return v

    @field_validator("acme_server_url", "docker_apt_mirror", "docker_registry_mirror")
    @classmethod
    def _https(cls, v: str | None, info: Any) -> str | None:
        if info.field_name == "docker_registry_mirror" and v == NO_MIRROR:
            return None
        # "" only reaches here on cloud ssh, whose hosts get no mirror from us.
        if v and not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s]*)?", v):
            raise ValueError("must be an https:// URL")
        return v.rstrip("/") if v else v

    @field_validator("ssh_hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        bad = [h for h in v if not _HOST_RE.match(h) or (":" in h.rsplit("]", 1)[-1] and not 0 < int(h.rsplit(":", 1)[1]) < 65536)]
        if bad:
            raise ValueError(f"not host addresses: {bad}; use an IP or DNS name, optionally :port (e.g. 203.0.113.5 or host.example:2222)")
        return v

    @field_validator("s3_endpoint")
    @classmethod
    def _s3_endpoint(cls, v: str) -> str:
        if v == "":
            return v
        # Keys and dumps cross this endpoint: plain http only to this machine itself.
        if not (re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?/?", v)
                or re.fullmatch(r"http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?/?", v)):
            raise ValueError("must be an https:// URL of an S3-compatible service (http:// only for 127.0.0.1)")
        return v.rstrip("/")

    @field_validator("s3_bucket")
    @classmethod
    def _s3_bucket(cls, v: str) -> str:
        if v and (not _S3_BUCKET_RE.match(v) or ".." in v):
            raise ValueError("must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit")
        return v

    @field_validator("acme_dns_provider")
    @classmethod
    def _lego(cls, v: str) -> str:
        if v and not _LEGO_PROVIDER_RE.match(v):
            raise ValueError("must be a lego DNS provider code such as cloudflare, tencentcloud or alidns")
        return v

    @field_validator("docker_root_dir")
    @classmethod
    def _docker_root(cls, v: str) -> str:
        if v and not re.fullmatch(r"/[A-Za-z0-9._/-]+", v):
            raise ValueError("must be an absolute path such as /var/lib/docker")
        return v.rstrip("/")

    @field_validator("data_disk_device")
    @classmethod
    def _device(cls, v: str) -> str:
        if not re.fullmatch(r"/dev/[a-z0-9/]+", v):
            raise ValueError("must be a block device path such as /dev/vdb")
        return v

    @field_validator("data_mount_path")
    @classmethod
    def _mount(cls, v: str) -> str:
        if not re.fullmatch(r"/[a-z0-9_/-]+", v) or v in ("/", "/usr", "/etc", "/var", "/boot"):
            raise ValueError("must be an absolute path of its own such as /data")
        return v.rstrip("/")

    @field_validator("prometheus_retention")
    @classmethod
    def _retention(cls, v: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]*(h|d|w|y)", v):
            raise ValueError("must be a Prometheus duration such as 15d or 4w")
        return v

    @field_validator("alert_email_to", "alert_email_from")
    @classmethod
    def _alert_emails(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s,]+@[^@\s,]+\.[a-z]{2,}(,[^@\s,]+@[^@\s,]+\.[a-z]{2,})*", v):
            raise ValueError("must be an email address (several: comma-separated)")
        return v

    @field_validator("alert_smtp_host")
    @classmethod
    def _smarthost(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9.-]+:[0-9]{2,5}", v):
            raise ValueError("must be host:port, e.g. smtp.exmail.qq.com:465")
        return v

    @field_validator("backup_schedule", "drill_schedule", "redis_snapshot_schedule")
    @classmethod
    def _calendar(cls, v: str) -> str:
        # systemd OnCalendar; systemd-analyze checks the rendered units in the tests.
        if not re.fullmatch(r"[A-Za-z0-9*/:.,~ -]{3,64}", v):
            raise ValueError("must be a systemd OnCalendar expression such as daily or *-*-* 00/6:00:00")
        return v

    @field_validator(
        "app_image", "postgres_image", "redis_image", "nginx_image", "prometheus_image", "alertmanager_image",
        "grafana_image", "node_exporter_image", "cadvisor_image", "postgres_exporter_image", "redis_exporter_image",
        "nginx_exporter_image", "blackbox_exporter_image", "dingtalk_bridge_image", "loki_image", "promtail_image",
    )
    @classmethod
    def _image(cls, v: str) -> str:
        if not _IMAGE_RE.match(v):
            raise ValueError("must be an image reference such as registry/repo:tag or repo@sha256:<64 hex>")
        return v

    @field_validator("db_name", "db_user")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", v):
            raise ValueError("must be a lower-case SQL identifier (a-z, 0-9, _)")
        return v

    @field_validator("app_user")
    @classmethod
    def _uid(cls, v: str | None) -> str | None:
        if v == "":
            # Pulumi.yaml documents "" as "the image's own USER".
            return None
        if v is not None and not re.fullmatch(r"[1-9][0-9]{0,9}(:[0-9]{1,10})?", v):
            raise ValueError("must be a numeric non-root uid[:gid] such as 10001:10001, or empty for the image's own user")
        return v

    @field_validator("app_health_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9/_.-]*", v):
            raise ValueError("must be a URL path such as /health")
        return v

    # --- derived values -----------------------------------------------------------------

    def images(self) -> dict[str, str]:
        """Config key -> image reference, for every container image the stack runs."""
        return {
            to_camel(name): getattr(self, name)
            for name in type(self).model_fields
            if name.endswith("_image")
        }

    @property
    def on_existing_host(self) -> bool:
        return self.cloud == EXISTING_HOST

    @property
    def docker_root(self) -> str:
        """Docker's data root on the host: on a cloud VM the data disk (cloud-init's daemon.json)."""
        if self.on_existing_host:
            return self.docker_root_dir or "/var/lib/docker"
        return f"{self.data_mount_path}/docker"

    @property
    def s3_addressing(self) -> str:
        return self.s3_addressing_style or ("path" if self.on_existing_host else "virtual")

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def www_domain(self) -> str:
        return f"www.{self.domain}"

    @property
    def site_url(self) -> str:
        """The canonical URL: www when the CDN fronts it (an apex can't be a CNAME), else the apex."""
        return f"https://{self.www_domain if self.cdn_enabled else self.domain}"

    @property
    def site_names(self) -> list[str]:
        names = [self.domain, self.www_domain]
        if self.grafana_public:
            names.append(f"grafana.{self.domain}")
        return names

    @property
    def bucket_base_name(self) -> str:
        return self.bucket_name or f"{PROJECT}-{self.environment}"

    @property
    def is_ha(self) -> bool:
        return self.topology == "ha"

    @property
    def ha_subnets(self) -> tuple[str, str]:
        """(second app subnet, data subnet): set, or the two ranges after subnetCidr."""
        net = ipaddress.ip_network(self.subnet_cidr)
        following = [net.network_address + net.num_addresses * i for i in (1, 2)]
        derived = [str(ipaddress.ip_network(f"{a}/{net.prefixlen}")) for a in following]
        return (self.secondary_subnet_cidr or derived[0], self.data_subnet_cidr or derived[1])

    def record_name(self, fqdn: str) -> str:
        """DNS record name relative to the zone (`@` for the apex)."""
        if fqdn == self.dns_zone:
            return "@"
        return fqdn[: -(len(self.dns_zone) + 1)]


def _existing_host_checks(s: Settings, raw_keys: set[str]) -> list[Problem]:
    """cloud ssh: what an existing host needs, and what it cannot do."""
    p: list[Problem] = []
    if len(s.ssh_hosts) != 1:
        p.append(Problem("sshHosts", s.ssh_hosts, "cloud ssh runs on exactly one existing host: give its address, e.g. [203.0.113.5] or [host.example:2222]"))
    if s.is_ha:
        p.append(Problem("topology", s.topology, "ha needs a cloud load balancer and managed PostgreSQL/Redis; cloud ssh supports single"))
    if s.cdn_enabled:
        p.append(Problem("cdnEnabled", True, "cloud ssh has no CDN of ours; set cdnEnabled=false (front the host with your CDN yourself)"))
    for key, value in (("tencentAppId", s.tencent_app_id), ("bucketName", s.bucket_name), ("imageId", s.image_id)):
        if value is not None:
            p.append(Problem(key, value, "a cloud setting; cloud ssh uses none (object storage: s3Endpoint, s3Bucket)"))
    if not s.s3_endpoint:
        p.append(Problem("s3Endpoint", None, "cloud ssh stores backups in any S3-compatible service: set its https:// endpoint"))
    if not s.s3_bucket:
        p.append(Problem("s3Bucket", None, "cloud ssh needs an existing bucket of s3Endpoint for backups"))
    for key in ("s3AccessKeyId", "s3SecretAccessKey"):
        if key not in raw_keys:
            p.append(Problem(key, None, f"cloud ssh needs the bucket's keys as secrets: pulumi config set --secret {key} ..."))
    if s.tls_source == "provided":
        for key in ("tlsCertificatePem", "tlsPrivateKeyPem"):
            if key not in raw_keys:
                p.append(Problem(key, None, f"tlsSource provided needs it as a secret: pulumi config set --secret {key} < file.pem"))
    elif not s.acme_dns_provider:
        p.append(Problem("acmeDnsProvider", None, "tlsSource acme on cloud ssh proves the domain by DNS-01: name the lego DNS provider "
                         "of your DNS host (e.g. cloudflare) and export its credentials, or use tlsSource provided"))
    return p


def _cloud_only_checks(s: Settings, raw_keys: set[str]) -> list[Problem]:
    """A cloud stack: the keys only a new VM on a cloud needs."""
    p: list[Problem] = []
    if not s.dns_zone:
        p.append(Problem("dnsZone", _MISSING, "is required on a cloud: the DNS zone of the cloud's DNS service that contains domain"))
    if not s.ssh_public_key:
        p.append(Problem("sshPublicKey", _MISSING, "is required on a cloud: the operators' OpenSSH public key for the new VM"))
    for key, value in (("sshHosts", s.ssh_hosts), ("s3Endpoint", s.s3_endpoint), ("s3Bucket", s.s3_bucket),
                       ("acmeDnsProvider", s.acme_dns_provider), ("dockerRootDir", s.docker_root_dir)):
        if value:
            p.append(Problem(key, value, f"only used with cloud ssh; a {s.cloud} stack makes its own VM, bucket and DNS"))
    if s.tls_source != "acme":
        p.append(Problem("tlsSource", s.tls_source, f"a {s.cloud} stack obtains its certificate by ACME (docs/tls.md); provided is for cloud ssh"))
    for key in ("s3AccessKeyId", "s3SecretAccessKey", "tlsCertificatePem", "tlsPrivateKeyPem"):
        if key in raw_keys:
            p.append(Problem(key, "(hidden)", f"only used with cloud ssh; unset it on a {s.cloud} stack"))
    return p


def _cross_checks(s: Settings, raw_keys: set[str] = frozenset()) -> list[Problem]:
    """Rules that involve more than one key or depend on the environment."""
    p: list[Problem] = []
    if s.on_existing_host:
        p += _existing_host_checks(s, raw_keys)
    else:
        p += _cloud_only_checks(s, raw_keys)
        p += _cloud_placement_checks(s)
    if s.dns_zone and s.domain != s.dns_zone and not s.domain.endswith("." + s.dns_zone):
        p.append(Problem("domain", s.domain, f"must be {s.dns_zone} or a name under it (dnsZone)"))
    p += _shared_checks(s)
    return p


def _cloud_placement_checks(s: Settings) -> list[Problem]:
    p: list[Problem] = []
    if s.region not in REGIONS[s.cloud]:
        other = cloud_of_region(s.region)
        hint = f"{s.region} is a {other} region but cloud is {s.cloud}; " if other else ""
        p.append(Problem("region", s.region, f"{hint}not a {s.cloud} region; allowed: {', '.join(REGIONS[s.cloud])}"))
    elif not re.match(zone_pattern(s.cloud, s.region), s.zone):
        other = [c for c in CLOUDS if c != s.cloud and any(re.match(zone_pattern(c, r), s.zone) for r in REGIONS[c])]
        hint = f"{s.zone} is a {other[0]} zone but cloud is {s.cloud}; " if other else ""
        p.append(Problem("zone", s.zone, f"{hint}not a zone of {s.cloud} region {s.region} (e.g. {zone_example(s.cloud, s.region)})"))
    for key, value in (("systemDiskType", s.system_disk_type), ("dataDiskType", s.data_disk_type)):
        if value not in DISK_TYPES[s.cloud]:
            p.append(Problem(key, value, f"allowed on {s.cloud}: {', '.join(DISK_TYPES[s.cloud])}"))
    if s.tencent_app_id is not None and s.cloud != "tencentcloud":
        p.append(Problem("tencentAppId", s.tencent_app_id, f"only used on tencentcloud; unset it on a {s.cloud} stack"))
    vpc = ipaddress.ip_network(s.vpc_cidr)
    if not ipaddress.ip_network(s.subnet_cidr).subnet_of(vpc):
        p.append(Problem("subnetCidr", s.subnet_cidr, f"must lie inside vpcCidr {s.vpc_cidr}"))
    p += _topology_checks(s, vpc)
    return p


def _shared_checks(s: Settings) -> list[Problem]:
    p: list[Problem] = []
    world = [c for c in s.admin_cidrs if ipaddress.ip_network(c).prefixlen == 0]
    if world:
        # The same rule as the policy pack's, in every stack: SSH keys leak, networks are known.
        p.append(Problem("adminCidrs", world, f"SSH open to the world is refused (in {s.environment} too); list the operators' networks"))
    if s.is_prod:
        if not s.deletion_protection:
            p.append(Problem("deletionProtection", False, "must be true in prod"))
        if s.backup_retention_days < 30:
            p.append(Problem("backupRetentionDays", s.backup_retention_days, "prod keeps backups at least 30 days"))
    if s.is_prod:
        for key, image in s.images().items():
            if not _DIGEST_RE.search(image):
                p.append(Problem(key, image, "prod runs images pinned by digest: <repo>:<tag>@sha256:<64 hex>"))
    if (s.registry_server is None) != (s.registry_username is None):
        p.append(Problem("registryUsername", s.registry_username, "registryServer and registryUsername are set together (password: secret registryPassword)"))
    if s.postgres_memory_mb + s.app_memory_mb + s.redis_maxmemory_mb > s.vm_memory_gb * 1024 * 0.8:
        p.append(Problem("postgresMemoryMb", s.postgres_memory_mb,
                         f"app, PostgreSQL and Redis memory exceed 80% of vmMemoryGb={s.vm_memory_gb}; lower them or raise vmMemoryGb"))
    email = [s.alert_email_to, s.alert_email_from, s.alert_smtp_host]
    if any(email) and not all(email):
        p.append(Problem("alertEmailTo", s.alert_email_to, "email alerts need alertEmailTo, alertEmailFrom and alertSmtpHost together"))
    if s.alert_wecom_corp_id and not (s.alert_wecom_to_user or s.alert_wecom_to_party):
        p.append(Problem("alertWecomToParty", None, "WeCom alerts need a recipient: alertWecomToUser (e.g. @all) or alertWecomToParty"))
    if (s.alert_wecom_corp_id is None) != (s.alert_wecom_agent_id is None):
        p.append(Problem("alertWecomAgentId", s.alert_wecom_agent_id, "WeCom alerts need alertWecomCorpId and alertWecomAgentId together"))
    if s.backup_local_days > s.backup_retention_days:
        p.append(Problem("backupLocalDays", s.backup_local_days, f"cannot exceed backupRetentionDays ({s.backup_retention_days})"))
    p += _logs_checks(s)
    if s.data_mount_path == s.data_disk_device:
        p.append(Problem("dataMountPath", s.data_mount_path, "must be a directory, not the device"))
    return p


LOGS_MIN_VM_GB = 8
_DURATION_HOURS = {"h": 1, "d": 24, "w": 168, "y": 8760}


def _logs_checks(s: Settings) -> list[Problem]:
    if not s.logs_enabled:
        return []
    p: list[Problem] = []
    if s.vm_memory_gb < LOGS_MIN_VM_GB:
        # The same line as default_logs_enabled(): below it Loki and Promtail would take memory
        # the app and PostgreSQL need (docs/monitoring.md, memory budget).
        p.append(Problem("logsEnabled", True, f"Loki and Promtail need vmMemoryGb >= {LOGS_MIN_VM_GB} "
                         f"(this stack has {s.vm_memory_gb}); set logsEnabled=false or a larger instanceType"))
    amount, unit = int(s.prometheus_retention[:-1]), s.prometheus_retention[-1]
    if amount * _DURATION_HOURS[unit] < 24:
        # Loki keeps logs as long as Prometheus keeps metrics; its compactor works in whole days.
        p.append(Problem("prometheusRetention", s.prometheus_retention, "with logsEnabled it is also Loki's retention: at least 24h (e.g. 1d)"))
    return p


def _topology_checks(s: Settings, vpc: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[Problem]:
    if not s.is_ha:
        return []
    p: list[Problem] = []
    if s.secondary_zone is None:
        return [Problem("secondaryZone", None, f"topology ha runs in two zones: set a second zone of {s.region} other than zone {s.zone}")]
    if s.secondary_zone == s.zone:
        p.append(Problem("secondaryZone", s.secondary_zone, f"must differ from zone ({s.zone}): ha runs in two zones"))
    elif s.region in REGIONS[s.cloud] and not re.match(zone_pattern(s.cloud, s.region), s.secondary_zone):
        p.append(Problem("secondaryZone", s.secondary_zone, f"not a zone of {s.cloud} region {s.region} (e.g. {zone_example(s.cloud, s.region)})"))
    nets = {"subnetCidr": ipaddress.ip_network(s.subnet_cidr)}
    for key, cidr in zip(("secondarySubnetCidr", "dataSubnetCidr"), s.ha_subnets):
        net = ipaddress.ip_network(cidr)
        if not net.subnet_of(vpc):
            p.append(Problem(key, cidr, f"must lie inside vpcCidr {s.vpc_cidr} (empty: the range after subnetCidr)"))
        clash = [k for k, other in nets.items() if net.overlaps(other)]
        if clash:
            p.append(Problem(key, cidr, f"overlaps {clash[0]}"))
        nets[key] = net
    return p


def _list_fields() -> set[str]:
    out = set()
    for name, field in Settings.model_fields.items():
        ann = field.annotation
        if get_origin(ann) is list or any(get_origin(a) is list for a in get_args(ann)):
            out.add(field.alias or name)
    return out


def _optional_fields() -> set[str]:
    return {f.alias or n for n, f in Settings.model_fields.items() if not f.is_required() and f.default is None}


def _problems_from(err: ValidationError, raw: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for e in err.errors():
        key = str(e["loc"][0]) if e["loc"] else "(config)"
        if e["type"] == "missing":
            problems.append(Problem(key, _MISSING, "is required"))
        elif e["type"] == "extra_forbidden":
            problems.append(Problem(key, raw.get(key), "is not a known setting (typo?); see the config table in README"))
        else:
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(Problem(key, raw.get(key, e.get("input")), msg))
    return problems


def from_mapping(raw: Mapping[str, Any], stack: str, secret_keys: set[str] | None = None) -> Settings:
    """Validate a mapping of camelCase keys (strings as Pulumi config holds them, or typed).

    `secret_keys` names the keys whose values are encrypted in the stack's config.
    """
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key in SECRET_KEYS:
        if key in raw and key not in (secret_keys or set()):
            problems.append(Problem(key, "(hidden)", f"must be set as a secret: pulumi config set --secret {key} ..."))
    raw_keys = set(raw)
    secret_values = {k: v for k, v in raw.items() if k in SECRET_KEYS}
    raw = {k: v for k, v in raw.items() if k not in SECRET_KEYS}
    lists = _list_fields()
    optional = _optional_fields()
    for key, value in raw.items():
        if value == "" and key in optional:
            # Pulumi.yaml declares optional strings with default "" (a key without a default is required).
            continue
        if key in lists and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                problems.append(Problem(key, value, "must be a list, e.g. pulumi config set --path 'adminCidrs[0]' 203.0.113.7/32"))
                continue
        values[key] = value
    try:
        settings = Settings.model_validate(values)
    except ValidationError as err:
        raise SettingsError(stack, problems + _problems_from(err, values)) from None
    problems += _cross_checks(settings, raw_keys)
    if settings.on_existing_host and settings.tls_source == "provided" and {"tlsCertificatePem", "tlsPrivateKeyPem"} <= raw_keys:
        from components.pem import certificate_problems

        found = certificate_problems(str(secret_values["tlsCertificatePem"]), str(secret_values["tlsPrivateKeyPem"]), settings.site_names)
        problems += [Problem(key, "(hidden)", message) for key, message in found.items()]
    if settings.is_prod and not (settings.alert_email_to or settings.alert_wecom_corp_id or "alertDingtalkWebhook" in raw_keys):
        problems.append(Problem("alertEmailTo", None, "prod needs an alert receiver: alertEmailTo (+alertEmailFrom, alertSmtpHost), "
                                "alertWecomCorpId (+alertWecomAgentId, secret alertWecomApiSecret) or secret alertDingtalkWebhook"))
    if problems:
        raise SettingsError(stack, problems)
    return settings


def project_config() -> tuple[dict[str, Any], set[str]]:
    """The project's own config keys (`xqfc:*`) as the Pulumi runtime holds them, and which are secret."""
    from pulumi.runtime import config as rc

    merged = {**rc.get_config_env(), **rc.CONFIG.get()}
    out, secret = {}, set()
    for k, v in merged.items():
        ns, _, key = k.partition(":")
        if ns == PROJECT:
            # Older engines send `project:config:key`.
            key = key.removeprefix("config:")
            out[key] = v
            if rc.is_config_secret(k) or k in rc.get_config_secret_keys_env():
                secret.add(key)
    return out, secret


def load() -> Settings:
    import pulumi

    raw, secret = project_config()
    return from_mapping(raw, pulumi.get_stack(), secret)


@dataclass(frozen=True)
class Secrets:
    registry_password: Any  # pulumi.Output[str] | None
    app_secret_env: Any  # pulumi.Output[dict[str, str]]
    alert_smtp_password: Any = None
    alert_wecom_api_secret: Any = None
    alert_dingtalk_webhook: Any = None
    alert_dingtalk_secret: Any = None


def read_secrets() -> Secrets:
    import pulumi

    config = pulumi.Config(PROJECT)
    return Secrets(
        registry_password=config.get_secret("registryPassword"),
        app_secret_env=config.get_secret_object("appSecretEnv") or pulumi.Output.secret({}),
        alert_smtp_password=config.get_secret("alertSmtpPassword"),
        alert_wecom_api_secret=config.get_secret("alertWecomApiSecret"),
        alert_dingtalk_webhook=config.get_secret("alertDingtalkWebhook"),
        alert_dingtalk_secret=config.get_secret("alertDingtalkSecret"),
    )
