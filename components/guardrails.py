"""Guardrails every stack must pass, as plain functions over what Pulumi registers.

One source of truth for two callers: the policy pack (`policy/__main__.py`) runs them on
`pulumi preview`/`up` against the real engine's inputs, and the tests run them on each stack's
mocked graph. Each rule takes the resource type token and its inputs as Pulumi passes them
(camelCase keys) and returns violation messages; an empty list means compliant. Nothing here
imports Pulumi, so the pack's environment only needs the standard library and this package.
"""
from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from components.firewall import SSH_PORT, WEB_PORTS

Inputs = Mapping[str, Any]
Rule = Callable[[str, Inputs, str], list[str]]

PROD = "prod"
ALL_PORTS = range(1, 65536)
# Named in messages so a reviewer sees at once what leaked; the rule refuses every other port too.
SENSITIVE_PORTS = {
    22: "ssh", 2375: "docker", 2376: "docker-tls", 3000: "grafana", 5432: "postgresql",
    6379: "redis", 8000: "app", 9090: "prometheus", 9093: "alertmanager", 9100: "node-exporter",
    9115: "blackbox-exporter", 9121: "redis-exporter", 9187: "postgres-exporter",
}

TENCENT_RULE_SET = "tencentcloud:Security/groupRuleSet:GroupRuleSet"
TENCENT_RULE = "tencentcloud:Security/groupRule:GroupRule"
ALI_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
TENCENT_BUCKET = "tencentcloud:Cos/bucket:Bucket"
ALI_BUCKET = "alicloud:oss/bucket:Bucket"
ALI_BUCKET_ACL = "alicloud:oss/bucketAcl:BucketAcl"
ALI_BUCKET_VERSIONING = "alicloud:oss/bucketVersioning:BucketVersioning"
ALI_BUCKET_SSE = "alicloud:oss/bucketServerSideEncryption:BucketServerSideEncryption"
TENCENT_VM = "tencentcloud:Instance/instance:Instance"
ALI_VM = "alicloud:ecs/instance:Instance"
CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
REMOTE_COMMAND = "command:remote:Command"

BUCKET_ENCRYPTION = {"AES256", "KMS", "SM4", "cos/kms"}


class Registered(Protocol):
    """One registered resource as the rules read it (components/cost_estimate.py too). Read-only
    members, so a frozen record (the policy pack's) fits as well as a plan's Registration."""
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> Inputs: ...


# --- helpers ----------------------------------------------------------------------------


def _is_world(cidr: Any) -> bool:
    """0.0.0.0/0 and ::/0, and anything that fails to parse (an unknown source is not trusted)."""
    if not isinstance(cidr, str) or not cidr:
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return True


def _is_loopback(ip: Any) -> bool:
    try:
        return isinstance(ip, str) and ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def _listens_privately(command: Any) -> bool:
    """A `--web.listen-address <ip>:<port>` (or `=`) naming a private or loopback address. A value
    still unknown (the host's private IP before the instance exists) counts: the flag is there
    and the program only ever fills it with a private address; an empty host or 0.0.0.0 does not."""
    args = list(command) if isinstance(command, (list, tuple)) else []
    for n, arg in enumerate(args):
        if not isinstance(arg, str) or not arg.startswith("--web.listen-address"):
            continue
        if arg.startswith("--web.listen-address="):
            value: Any = arg.split("=", 1)[1]
        else:
            value = args[n + 1] if n + 1 < len(args) else ""
        if not isinstance(value, str):
            return True
        host = value.rsplit(":", 1)[0].strip("[]")
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return (ip.is_private or ip.is_loopback) and not ip.is_unspecified
    return False


def _ports(spec: Any) -> set[int] | range:
    """Tencent `"80"`, `"80,443"`, `"8000-9000"`, `"ALL"`; Alibaba `"22/22"`, `"-1/-1"`."""
    if spec is None:
        return ALL_PORTS
    text = str(spec).strip().upper()
    if text in ("ALL", "-1/-1", "-1", "1/65535", "1-65535", ""):
        return ALL_PORTS
    out: set[int] = set()
    for part in text.replace("/", "-").split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            return ALL_PORTS
        if last - first > 1024:
            return ALL_PORTS
        out.update(range(first, last + 1))
    return out


def _describe(ports: set[int] | range) -> str:
    if isinstance(ports, range):
        return "all ports"
    named = [f"{p} ({SENSITIVE_PORTS[p]})" if p in SENSITIVE_PORTS else str(p) for p in sorted(ports)]
    return ", ".join(named[:8]) + (" ..." if len(named) > 8 else "")


def _ingresses(type_: str, inputs: Inputs) -> list[tuple[str, str, Any, str]]:
    """(action, protocol, port spec, source cidr) of every ingress rule, whatever the cloud."""
    out: list[tuple[str, str, Any, str]] = []
    if type_ == TENCENT_RULE_SET:
        for i in inputs.get("ingresses") or []:
            for cidr in (i.get("cidrBlock"), i.get("ipv6CidrBlock")):
                if cidr:
                    out.append((str(i.get("action", "")).upper(), str(i.get("protocol", "ALL")).upper(), i.get("port"), cidr))
    elif type_ == TENCENT_RULE and str(inputs.get("type", "")).lower() == "ingress":
        out.append((str(inputs.get("policy", "")).upper(), str(inputs.get("ipProtocol", "ALL")).upper(), inputs.get("portRange"), inputs.get("cidrIp") or ""))
    elif type_ == ALI_RULE and str(inputs.get("type", "")).lower() == "ingress":
        for cidr in (inputs.get("cidrIp"), inputs.get("ipv6CidrIp")):
            if cidr:
                out.append((str(inputs.get("policy", "accept")).upper(), str(inputs.get("ipProtocol", "all")).upper(), inputs.get("portRange"), cidr))
    return out


# --- resource rules: (type, inputs, environment) -> violations ---------------------------


def world_ingress_only_web(type_: str, inputs: Inputs, env: str) -> list[str]:
    """From the internet, only TCP/UDP 80 and 443 are accepted."""
    out = []
    for action, protocol, spec, cidr in _ingresses(type_, inputs):
        if action != "ACCEPT" or not _is_world(cidr):
            continue
        if protocol not in ("TCP", "UDP"):
            out.append(f"ingress from {cidr} accepts protocol {protocol}; only TCP/UDP {WEB_PORTS} may be open to the internet")
            continue
        extra = _ports(spec)
        extra = extra if isinstance(extra, range) else extra - set(WEB_PORTS)
        if extra:
            out.append(f"ingress from {cidr} opens {_describe(extra)}; only {WEB_PORTS} may be open to the internet")
    return out


def ssh_only_from_admin_networks(type_: str, inputs: Inputs, env: str) -> list[str]:
    """SSH is reachable only from listed networks, never from the whole internet."""
    out = []
    for action, protocol, spec, cidr in _ingresses(type_, inputs):
        if action == "ACCEPT" and protocol in ("TCP", "ALL") and SSH_PORT in _ports(spec) and _is_world(cidr):
            out.append(f"SSH (port {SSH_PORT}) is open to {cidr}; allow only the admin networks (adminCidrs)")
    return out


def buckets_private_versioned_encrypted(type_: str, inputs: Inputs, env: str) -> list[str]:
    """Object storage is private, keeps versions and encrypts at rest."""
    out = []
    if type_ == TENCENT_BUCKET:
        if inputs.get("acl") != "private":
            out.append(f"bucket acl is {inputs.get('acl')!r}; must be 'private'")
        if inputs.get("versioningEnable") is not True:
            out.append("bucket versioning is off; set versioningEnable=true")
        if inputs.get("encryptionAlgorithm") not in BUCKET_ENCRYPTION:
            out.append(f"bucket encryption is {inputs.get('encryptionAlgorithm')!r}; use one of {sorted(BUCKET_ENCRYPTION)}")
    elif type_ == ALI_BUCKET:
        # Versioning and encryption may also come from their own resources (see check_stack).
        if inputs.get("acl") not in (None, "private"):
            out.append(f"bucket acl is {inputs.get('acl')!r}; must be 'private'")
        versioning = inputs.get("versioning")
        if versioning is not None and (versioning or {}).get("status") != "Enabled":
            out.append("bucket versioning is not Enabled")
        sse = inputs.get("serverSideEncryptionRule")
        if sse is not None and (sse or {}).get("sseAlgorithm") not in BUCKET_ENCRYPTION:
            out.append(f"bucket encryption is {(sse or {}).get('sseAlgorithm')!r}; use one of {sorted(BUCKET_ENCRYPTION)}")
    elif type_ == ALI_BUCKET_ACL and inputs.get("acl") != "private":
        out.append(f"bucket acl is {inputs.get('acl')!r}; must be 'private'")
    elif type_ == ALI_BUCKET_VERSIONING and inputs.get("status") != "Enabled":
        out.append(f"bucket versioning status is {inputs.get('status')!r}; must be 'Enabled'")
    elif type_ == ALI_BUCKET_SSE and inputs.get("sseAlgorithm") not in BUCKET_ENCRYPTION:
        out.append(f"bucket encryption is {inputs.get('sseAlgorithm')!r}; use one of {sorted(BUCKET_ENCRYPTION)}")
    return out


def prod_vms_deletion_protected(type_: str, inputs: Inputs, env: str) -> list[str]:
    """In prod the VM refuses API termination and its data disks outlive it."""
    if env != PROD or type_ not in (TENCENT_VM, ALI_VM):
        return []
    out = []
    flag = "disableApiTermination" if type_ == TENCENT_VM else "deletionProtection"
    if inputs.get(flag) is not True:
        out.append(f"prod VM without deletion protection; set {flag}=true")
    for n, disk in enumerate(inputs.get("dataDisks") or []):
        # Both clouds delete data disks with the instance unless told otherwise.
        if disk.get("deleteWithInstance") is not False:
            out.append(f"prod VM data disk {n} would be deleted with the instance; set deleteWithInstance=false")
    return out


def containers_publish_only_web(type_: str, inputs: Inputs, env: str) -> list[str]:
    """Containers publish host ports 80/443 only; databases, caches and monitoring stay private.

    A port bound to the host's loopback (`ip: 127.0.0.1`, e.g. Grafana for an SSH tunnel) is not
    published beyond the VM and is allowed; an unset `ip` means every interface.
    """
    if type_ != CONTAINER:
        return []
    out = []
    if str(inputs.get("networkMode", "")).lower() == "host" and not _listens_privately(inputs.get("command")):
        out.append("container uses host networking, which publishes every port it listens on; use a bridge network, "
                   "or (an exporter that must see the host's interfaces) a --web.listen-address on a private address")
    for p in inputs.get("ports") or []:
        if _is_loopback(p.get("ip")):
            continue
        internal, external = p.get("internal"), p.get("external")
        if external is None:
            out.append(f"container port {_describe({int(internal)}) if internal else internal} is published on a random host port; publish only {WEB_PORTS}")
        elif int(external) not in WEB_PORTS:
            out.append(f"container publishes host port {_describe({int(external)})}; publish only {WEB_PORTS}")
    return out


def read_only_containers_take_files_by_mount(type_: str, inputs: Inputs, env: str) -> list[str]:
    """A container with a read-only root gets its files from a mount, never from `uploads`.

    pulumi-docker copies `uploads` into the container through Docker's archive API after
    creating it, and Docker refuses any copy to a path of a read-only root filesystem that is
    not a mount ("container rootfs is marked read-only", moby daemon/archive.go
    checkWritablePath), so the first real `pulumi up` would stop at that container.
    """
    if type_ != CONTAINER or inputs.get("readOnly") is not True:
        return []
    files = [u.get("file") for u in inputs.get("uploads") or []]
    if not files:
        return []
    return [f"read-only container gets {files} by upload, which Docker refuses on a read-only root; "
            "write the files on the host and bind-mount their folder read-only"]


def _unpinned(ref: Any) -> bool:
    if not isinstance(ref, str) or ref.startswith("sha256:") or ref.startswith("["):
        return False  # an image ID or a value the engine does not know yet
    return ("/" in ref or ":" in ref) and "@sha256:" not in ref


def prod_images_pinned_by_digest(type_: str, inputs: Inputs, env: str) -> list[str]:
    """In prod every image is named by digest, so a re-pushed tag cannot change what runs."""
    if env != PROD:
        return []
    ref = inputs.get("name") if type_ == REMOTE_IMAGE else inputs.get("image") if type_ == CONTAINER else None
    if type_ == REMOTE_IMAGE and not (isinstance(ref, str) and "@sha256:" in ref):
        return [f"prod image {ref!r} is not pinned by digest; use name@sha256:<digest>"]
    if type_ == CONTAINER and _unpinned(ref):
        return [f"prod container image {ref!r} is not pinned by digest; use name@sha256:<digest>"]
    return []


RESOURCE_RULES: tuple[Rule, ...] = (
    world_ingress_only_web,
    ssh_only_from_admin_networks,
    buckets_private_versioned_encrypted,
    prod_vms_deletion_protected,
    containers_publish_only_web,
    read_only_containers_take_files_by_mount,
    prod_images_pinned_by_digest,
)


def check_resource(type_: str, inputs: Inputs, stack_env: str) -> list[str]:
    """Every resource rule's violations for one resource."""
    return [v for rule in RESOURCE_RULES for v in rule(type_, inputs, stack_env)]


# --- stack rules: (resources, environment) -> violations ---------------------------------


def backups_scheduled(resources: Iterable[Registered], env: str) -> list[str]:
    """A remote command with role `backup` (name token, as in `xqfc-prod-backup`) installs the timer."""
    for r in resources:
        if r.type == REMOTE_COMMAND and "backup" in r.name.split("-"):
            return []
    return [f"no {REMOTE_COMMAND} with role 'backup' installs the backup timer; backups are not scheduled"]


def alicloud_buckets_complete(resources: Iterable[Registered], env: str) -> list[str]:
    """Each OSS bucket gets versioning and encryption, inline or from the resources that set them."""
    resources = list(resources)
    separate = {
        kind: {r.inputs.get("bucket") for r in resources if r.type == t}
        for kind, t in (("versioning", ALI_BUCKET_VERSIONING), ("encryption", ALI_BUCKET_SSE))
    }
    out = []
    for b in (r for r in resources if r.type == ALI_BUCKET):
        keys = {b.inputs.get("bucket"), f"{b.name}-id"}
        if b.inputs.get("versioning") is None and not keys & separate["versioning"]:
            out.append(f"OSS bucket {b.name} has no versioning")
        if b.inputs.get("serverSideEncryptionRule") is None and not keys & separate["encryption"]:
            out.append(f"OSS bucket {b.name} has no server-side encryption")
    return out


STACK_RULES = (backups_scheduled, alicloud_buckets_complete)


# --- budget: (resources, the stack's config) -> violations -----------------------------------


def monthly_budget(resources: Iterable[Registered], config: Mapping[str, str]) -> list[str]:
    """The stack's monthly estimate stays within monthlyBudgetCny (components/cost_estimate.py)."""
    from components.cost_estimate import budget_message, estimate, over_budget

    budget = int(config.get("xqfc:monthlyBudgetCny") or 0)
    if not budget:
        return []
    try:
        est = estimate(resources, cloud=config.get("xqfc:cloud") or "tencentcloud", environment=config["xqfc:environment"],
                       assumptions=json.loads(config.get("xqfc:costAssumptions") or "{}"))
    except (LookupError, TypeError, ValueError) as err:
        # A budget that cannot be checked is not met: the engine handed an input the estimate needs as
        # unknown or missing, or a resource type has no price mapping.
        return [f"xqfc:monthlyBudgetCny = {budget}: the estimate could not be made ({err}); the budget is not checked, so it is refused"]
    return [f"xqfc:monthlyBudgetCny = {budget}: {budget_message(budget, est)}"] if over_budget(budget, est) else []


def check_stack(resources: Iterable[Registered], stack_env: str = PROD) -> list[str]:
    """Rules that need the whole graph. Resources need `.type`, `.name`, `.inputs`."""
    resources = list(resources)
    return [v for rule in STACK_RULES for v in rule(resources, stack_env)]


def environment_of(stack: str) -> str:
    """The environment a stack name stands for: `prod`, `org/xqfc/prod` and `prod-eu` are prod."""
    last = stack.rsplit("/", 1)[-1]
    return PROD if last == PROD or last.startswith(PROD + "-") else last


def stack_of_urn(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")
