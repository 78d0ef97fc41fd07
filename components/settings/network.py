"""Network and host: the site's names and certificate, who may reach SSH, the VPC, the existing host."""
from __future__ import annotations

import difflib
import ipaddress
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.errors import MISSING, Problem
from components.settings.lego_providers import LEGO_DNS_PROVIDERS, NOT_UNATTENDED, SOURCE_VERSION

if TYPE_CHECKING:
    from components.settings.model import Settings

TlsSource = Literal["acme", "provided"]

# All used with fullmatch: `$` would let a trailing newline through (formats.py).
_SSH_KEY_RE = re.compile(r"(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]{40,}( [^\n]*)?")
_UNIX_USER_RE = re.compile(r"[a-z_][a-z0-9_-]{0,30}")
# An existing host: an IPv4/IPv6 address or a DNS name, optionally :port (IPv6 as [addr]:port).
_HOST_RE = re.compile(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")
# Folders Docker's data root must not be (or, for the kernel's, be inside): the OS's own.
SYSTEM_DIRS = ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp",
               "/usr", "/var")
KERNEL_DIRS = ("/proc", "/sys", "/dev", "/boot", "/etc", "/usr")

# SSH from the admin networks: above this many addresses a list is the world in effect. 2**24 is
# one /8, the largest block IANA has ever allocated to anyone (the IPv4 address space registry,
# https://www.iana.org/assignments/ipv4-address-space/, is made of /8 units): no operator's
# office or CI egress is larger, and 0.0.0.0/1 + 128.0.0.0/1 (the world in two pieces) is far above.
ADMIN_MAX_ADDRESSES = 2**24

# Networks Docker creates on the host by itself (moby daemon/libnetwork/ipamutils/utils.go,
# localScopeDefaultNetworks): the default bridge docker0 takes 172.17.0.0/16, and networks made
# without a subnet take /16s of 172.17.0.0-172.31.255.255 and /20s of 192.168.0.0/16. A VPC range
# overlapping them makes VPC hosts (the managed database in ha) unreachable from the containers.
DOCKER_DEFAULT_NETWORKS: dict[str, str] = {
    "172.17.0.0/16": "Docker's default bridge (docker0)",
    **{c: "Docker's default address pool" for c in (
        "172.18.0.0/16", "172.19.0.0/16", "172.20.0.0/14", "172.24.0.0/14", "172.28.0.0/14", "192.168.0.0/16")},
}


class NetworkFields(Fields):
    domain: str
    # Required on a cloud (its DNS service hosts the zone); an existing host manages no DNS.
    dns_zone: str = ""
    admin_cidrs: list[str] = Field(min_length=1)
    # Required on a cloud (installed on the new VM); an existing host already trusts the operators.
    ssh_public_key: str = ""
    deploy_user: str = "deploy"
    ssh_private_key_path: str | None = None

    vpc_cidr: str = "10.20.0.0/16"
    subnet_cidr: str = "10.20.1.0/24"

    cdn_enabled: bool = False
    static_cache_days: int = Field(30, ge=1, le=365)
    certificate_email: str | None = None
    acme_server_url: str = "https://acme-v02.api.letsencrypt.org/directory"
    certificate_renew_days: int = Field(30, ge=7, le=60)

    # --- an existing host (cloud: ssh, docs/existing-host.md) -----------------------------
    ssh_hosts: list[str] = []  # noqa: RUF012 (a pydantic field: copied per instance; ruff sees only the mixin)
    docker_root_dir: str = ""
    tls_source: TlsSource = "acme"
    acme_dns_provider: str = ""

    @field_validator("domain", "dns_zone")
    @classmethod
    def _domain(cls, v: str, info: Any) -> str:
        if v == "" and info.field_name == "dns_zone":
            return v
        if not formats.DOMAIN_RE.fullmatch(v):
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
        nets = [ipaddress.ip_network(c) for c in v]
        v6 = [c for c, n in zip(v, nets) if n.version == 6]
        if v6:
            # firewall.py hands each one to the clouds' IPv4 rule field (Tencent cidr_block,
            # Alibaba cidr_ip) and to ufw; the VMs have no public IPv6 address to reach anyway.
            raise ValueError(f"IPv6 blocks {v6} cannot reach the VM: it has a public IPv4 address only; list IPv4 networks")
        # No SSH client has a multicast, unspecified or broadcast source address (formats.address_problem).
        odd = [f"{c}: {formats.address_problem(n.network_address)}" for c, n in zip(v, nets)
               if n.is_multicast or (n.prefixlen == n.max_prefixlen and formats.address_problem(n.network_address))]
        if odd:
            raise ValueError(f"no SSH client comes from {odd}; list the operators' own networks (e.g. 203.0.113.7/32)")
        v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]  # all of them, after the check above
        dupes = sorted({str(n) for n in v4 if v4.count(n) > 1})
        if dupes:
            raise ValueError(f"lists {dupes} more than once; list each network once")
        covered = [f"{a} (inside {b})" for a, na in zip(v, v4) for b, nb in zip(v, v4) if na != nb and na.subnet_of(nb)]
        if covered:
            raise ValueError(f"lists networks already covered by another entry: {covered}; keep the wider one")
        partial = [n for n in v4 if n.prefixlen > 0]
        total = sum(n.num_addresses for n in ipaddress.collapse_addresses(partial))
        if total > ADMIN_MAX_ADDRESSES:
            raise ValueError(f"opens SSH to {total} addresses, the world in effect; at most {ADMIN_MAX_ADDRESSES} "
                             "(one /8, the largest block IANA allocates): list the operators' own networks")
        return v

    @field_validator("vpc_cidr", "subnet_cidr")
    @classmethod
    def _private_cidr(cls, v: str) -> str:
        return formats.private_cidr(v)

    @field_validator("ssh_public_key")
    @classmethod
    def _ssh_key(cls, v: str) -> str:
        if v.strip() and not _SSH_KEY_RE.fullmatch(v.strip()):
            raise ValueError("must be one OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)")
        return v.strip()

    @field_validator("deploy_user")
    @classmethod
    def _user(cls, v: str) -> str:
        if not _UNIX_USER_RE.fullmatch(v) or v == "root":
            raise ValueError("must be a lower-case Unix user name other than root")
        return v

    @field_validator("certificate_email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,63}", v):
            raise ValueError("must be an email address such as ops@xqfc.example")
        return v

    @field_validator("acme_server_url")
    @classmethod
    def _acme_url(cls, v: str) -> str:
        return formats.https_url(v)

    @field_validator("ssh_hosts")
    @classmethod
    def _hosts(cls, v: list[str]) -> list[str]:
        bad = [h for h in v if not _HOST_RE.fullmatch(h)]
        if bad:
            raise ValueError(f"not host addresses: {bad}; use an IP or DNS name, optionally :port (e.g. 203.0.113.5 or host.example:2222)")
        for h in v:
            host, port = formats.split_host_port(h)
            problem = formats.host_problem(host)
            if problem:
                raise ValueError(f"not host addresses: {problem}; use the server's own IP or DNS name (e.g. 203.0.113.5)")
            if port and not 1 <= int(port) <= 65535:
                raise ValueError(f"not host addresses: port {port} of {h!r} is not a TCP port (1-65535)")
        return v

    @field_validator("ssh_private_key_path")
    @classmethod
    def _key_path(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if "-----BEGIN" in v or "PRIVATE KEY" in v or not formats.control_free(v):
            raise ValueError("must be the path of the private key file (e.g. ~/.ssh/id_ed25519), not the key itself")
        if not v.strip() or v != v.strip():
            raise ValueError("must be a file path without surrounding spaces, e.g. ~/.ssh/id_ed25519; empty: ssh-agent")
        if v.endswith(".pub"):
            raise ValueError("is a public key file; give the private key next to it (the same path without .pub)")
        return v

    @field_validator("acme_dns_provider")
    @classmethod
    def _lego(cls, v: str) -> str:
        if not v:
            return v
        if v in NOT_UNATTENDED:
            raise ValueError(f"lego's {v!r} provider is {NOT_UNATTENDED[v]}; name your DNS host's provider (e.g. cloudflare)")
        if v not in LEGO_DNS_PROVIDERS:
            close = difflib.get_close_matches(v.lower().strip(), sorted(LEGO_DNS_PROVIDERS), n=3)
            hint = f"did you mean {' or '.join(close)}? " if close else ""
            raise ValueError(f"not a lego DNS provider code ({SOURCE_VERSION}); {hint}e.g. cloudflare, tencentcloud, alidns "
                             "(the list: https://go-acme.github.io/lego/dns/)")
        return v

    @field_validator("docker_root_dir")
    @classmethod
    def _docker_root(cls, v: str) -> str:
        if not v:
            return v
        if formats.climbs(v):
            raise ValueError("must not climb with '..': give the absolute path itself, such as /var/lib/docker")
        if not re.fullmatch(r"/[A-Za-z0-9._/-]*", v) or "//" in v:
            raise ValueError("must be an absolute path such as /var/lib/docker")
        v = v.rstrip("/") or "/"
        if v in SYSTEM_DIRS or any(v.startswith(d + "/") for d in KERNEL_DIRS):
            raise ValueError(f"{v} is the system's own folder: give Docker's data root (docker info: Docker Root Dir), "
                             "a folder of its own such as /var/lib/docker")
        return v

    @property
    def www_domain(self) -> str:
        return f"www.{self.domain}"

    @property
    def site_url(self) -> str:
        """The canonical URL: www when the CDN fronts it (an apex can't be a CNAME), else the apex."""
        return f"https://{self.www_domain if self.cdn_enabled else self.domain}"

    def record_name(self, fqdn: str) -> str:
        """DNS record name relative to the zone (`@` for the apex)."""
        if fqdn == self.dns_zone:
            return "@"
        return fqdn[: -(len(self.dns_zone) + 1)]


# --- cross-field checks -------------------------------------------------------------------


def existing_host(s: Settings, ctx: Context) -> list[Problem]:
    """cloud ssh: what an existing host needs, and what it cannot do."""
    if not s.on_existing_host:
        return []
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
        if key not in ctx.raw_keys:
            p.append(Problem(key, None, f"cloud ssh needs the bucket's keys as secrets: pulumi config set --secret {key} ..."))
    if s.tls_source == "provided":
        for key in ("tlsCertificatePem", "tlsPrivateKeyPem"):
            if key not in ctx.raw_keys:
                p.append(Problem(key, None, f"tlsSource provided needs it as a secret: pulumi config set --secret {key} < file.pem"))
    elif not s.acme_dns_provider:
        p.append(Problem("acmeDnsProvider", None, "tlsSource acme on cloud ssh proves the domain by DNS-01: name the lego DNS provider "
                         "of your DNS host (e.g. cloudflare) and export its credentials, or use tlsSource provided"))
    return p


def cloud_only(s: Settings, ctx: Context) -> list[Problem]:
    """A cloud stack: the keys only a new VM on a cloud needs."""
    if s.on_existing_host:
        return []
    p: list[Problem] = []
    if not s.dns_zone:
        p.append(Problem("dnsZone", MISSING, "is required on a cloud: the DNS zone of the cloud's DNS service that contains domain"))
    if not s.ssh_public_key:
        p.append(Problem("sshPublicKey", MISSING, "is required on a cloud: the operators' OpenSSH public key for the new VM"))
    for key, value in (("sshHosts", s.ssh_hosts), ("s3Endpoint", s.s3_endpoint), ("s3Bucket", s.s3_bucket),
                       ("acmeDnsProvider", s.acme_dns_provider), ("dockerRootDir", s.docker_root_dir)):
        if value:
            p.append(Problem(key, value, f"only used with cloud ssh; a {s.cloud} stack makes its own VM, bucket and DNS"))
    if s.tls_source != "acme":
        p.append(Problem("tlsSource", s.tls_source, f"a {s.cloud} stack obtains its certificate by ACME (docs/tls.md); provided is for cloud ssh"))
    for key in ("s3AccessKeyId", "s3SecretAccessKey", "tlsCertificatePem", "tlsPrivateKeyPem"):
        if key in ctx.raw_keys:
            p.append(Problem(key, "(hidden)", f"only used with cloud ssh; unset it on a {s.cloud} stack"))
    return p


def subnet_in_vpc(s: Settings, ctx: Context) -> list[Problem]:
    if s.on_existing_host:
        return []
    # Both are private IPv4 ranges by now (formats.private_cidr).
    if not ipaddress.IPv4Network(s.subnet_cidr).subnet_of(ipaddress.IPv4Network(s.vpc_cidr)):
        return [Problem("subnetCidr", s.subnet_cidr, f"must lie inside vpcCidr {s.vpc_cidr}")]
    return []


def no_docker_overlap(s: Settings, ctx: Context) -> list[Problem]:
    """The VPC's ranges stay clear of the networks Docker makes on the host."""
    if s.on_existing_host:
        return []
    from components.runtime.containers import SUBNETS

    docker = {ipaddress.ip_network(c): f"the runtime's {role} network (components/runtime/containers.py)" for role, c in SUBNETS.items()}
    docker.update({ipaddress.ip_network(c): why for c, why in DOCKER_DEFAULT_NETWORKS.items()})
    ranges = [("vpcCidr", s.vpc_cidr), ("subnetCidr", s.subnet_cidr)]
    if s.is_ha:
        ranges += list(zip(("secondarySubnetCidr", "dataSubnetCidr"), s.ha_subnets))
    p = []
    for key, cidr in ranges:
        clash = [f"{n} ({why})" for n, why in docker.items() if ipaddress.ip_network(cidr).overlaps(n)]
        if clash:
            p.append(Problem(key, cidr, f"overlaps {'; '.join(clash)}: containers could not reach those VPC addresses; "
                             "use a range of 10.0.0.0/8 (or 172.16.0.0/16)"))
    return p


def domain_in_zone(s: Settings, ctx: Context) -> list[Problem]:
    if s.dns_zone and s.domain != s.dns_zone and not s.domain.endswith("." + s.dns_zone):
        return [Problem("domain", s.domain, f"must be {s.dns_zone} or a name under it (dnsZone)")]
    return []


def ssh_not_open_to_the_world(s: Settings, ctx: Context) -> list[Problem]:
    world = [c for c in s.admin_cidrs if ipaddress.ip_network(c).prefixlen == 0]
    if world:
        # The same rule as the policy pack's, in every stack: SSH keys leak, networks are known.
        return [Problem("adminCidrs", world, f"SSH open to the world is refused (in {s.environment} too); list the operators' networks")]
    return []


def provided_certificate(s: Settings, ctx: Context) -> list[Problem]:
    keys = {"tlsCertificatePem", "tlsPrivateKeyPem"}
    if not (s.on_existing_host and s.tls_source == "provided" and keys <= ctx.raw_keys):
        return []
    from components.pem import certificate_problems

    found = certificate_problems(str(ctx.secret_values["tlsCertificatePem"]), str(ctx.secret_values["tlsPrivateKeyPem"]), s.site_names)
    return [Problem(key, "(hidden)", message) for key, message in found.items()]


CHECKS = [existing_host, cloud_only, subnet_in_vpc, no_docker_overlap, domain_in_zone, ssh_not_open_to_the_world]
# Run last: it needs every other problem fixed to be worth reading.
LATE_CHECKS = [provided_certificate]
