"""What the rest of the program may know about the cloud: the neutral foundation.

Each cloud adapter under components/cloud/ builds its resources and hands back a
`Foundation`. Runtime services, outputs and tests read only this, so nothing outside
components/cloud/ asks which cloud it is on. Hosts come as a list so a load-balanced
topology can hand out more than one without changing the consumers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.render.host_readiness import cloud_init_ready


@dataclass(frozen=True)
class Host:
    name: str
    public_ip: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    ssh_user: str
    ssh_port: int
    # The VM resource, so that whatever runs on the host can depend on it (None: a host that
    # exists already, cloud ssh).
    resource: pulumi.CustomResource | None
    zone: str = ""
    # The OS hostname (settings.host_name): what node-exporter, logs and alerts call this host.
    hostname: str = ""
    # Shell run over SSH before Docker is used; prints the Docker version (render/host_readiness.py).
    ready_check: str = field(default_factory=cloud_init_ready)

    @property
    def ssh_endpoint(self) -> pulumi.Output[str]:
        return pulumi.Output.concat(self.ssh_user, "@", self.public_ip, ":", str(self.ssh_port))


# The backup job prunes at the retention and always keeps the newest copies; the bucket's own
# expiry is a backstop behind it, late enough never to delete those newest copies during an
# outage of the job shorter than this.
LIFECYCLE_GRACE_DAYS = 14


@dataclass(frozen=True)
class ObjectStore:
    """A bucket reachable through the S3-compatible API (boto3 with endpoint_url)."""

    bucket: pulumi.Output[str]
    s3_endpoint: str
    region: str
    # Keys of a principal limited to this bucket's objects (the backup job's).
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]  # secret


@dataclass(frozen=True)
class Certificate:
    """The site certificate, obtained the same way on every cloud (ACME DNS-01, docs/tls.md).

    nginx serves `certificate_pem` (leaf then issuer) with `private_key_pem`; both change when
    `pulumi up` renews, so whatever writes them on the host must follow them. The CDN, when on,
    presents the copy uploaded to the cloud's certificate service.
    """

    names: list[str]
    certificate_pem: pulumi.Output[str]
    private_key_pem: pulumi.Output[str]  # secret
    not_after: pulumi.Output[str]  # RFC 3339 expiry, for monitoring
    cdn_certificate_id: pulumi.Output[str] | None  # None when the CDN is off


# libpq connection keywords for the managed database of the ha topology
# (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS, read
# 2026-12-04). When a zone is lost the old primary does not close its connections: without
# these, a pooled connection waits on the kernel's retransmissions (about 15 minutes) before
# the app's pool_pre_ping notices. tcp_user_timeout fails unacknowledged data after 10 s;
# keepalives find an idle dead connection within 15 + 3 x 5 s. Then the client reconnects to the
# same address, which the cloud has moved to the standby (docs/ha.md, "What a user sees").
MANAGED_DB_CLIENT_PARAMS: tuple[tuple[str, str], ...] = (
    ("keepalives", "1"), ("keepalives_idle", "15"), ("keepalives_interval", "5"), ("keepalives_count", "3"),
    ("tcp_user_timeout", "10000"),
)


def database_url(user: str, password: str, host: str, port: int | str, name: str,
                 params: tuple[tuple[str, str], ...] = MANAGED_DB_CLIENT_PARAMS) -> str:
    query = "&".join(f"{k}={v}" for k, v in params)
    return f"postgresql://{user}:{password}@{host}:{port}/{name}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class DatabaseEndpoint:
    """The managed PostgreSQL of the ha topology, reachable from the app hosts only."""

    host: pulumi.Output[str]
    port: pulumi.Input[int]
    user: str
    password: pulumi.Output[str]  # secret
    name: str

    @property
    def url(self) -> pulumi.Output[str]:
        return pulumi.Output.secret(pulumi.Output.all(self.password, self.host, self.port).apply(
            lambda a: database_url(self.user, a[0], a[1], a[2], self.name)
        ))


@dataclass(frozen=True)
class CacheEndpoint:
    """The managed Redis of the ha topology, reachable from the app hosts only."""

    host: pulumi.Output[str]
    port: pulumi.Input[int]
    password: pulumi.Output[str]  # secret

    @property
    def url(self) -> pulumi.Output[str]:
        return pulumi.Output.secret(pulumi.Output.concat(
            "redis://:", self.password, "@", self.host, ":", pulumi.Output.from_input(self.port).apply(str), "/0",
        ))


@dataclass(frozen=True)
class LoadBalancer:
    """The public entry of the ha topology: DNS and the CDN origin point here."""

    address: pulumi.Output[str]
    resource: pulumi.Resource


@dataclass(frozen=True)
class Foundation:
    cloud: str
    hosts: list[Host]
    storage: ObjectStore
    certificate: Certificate
    dns_names: list[str]
    cdn_domain: pulumi.Output[str] | None
    # Set only in the ha topology; a single-VM stack runs its own containers instead.
    database: DatabaseEndpoint | None = None
    cache: CacheEndpoint | None = None
    load_balancer: LoadBalancer | None = None
    # The cloud region ("" for an existing host) and the first-boot user data the hosts ran
    # (None: hosts that existed already), for the outputs and the plan's artifacts.
    region: str = ""
    user_data: str | None = None

    @property
    def primary_host(self) -> Host:
        return self.hosts[0]
