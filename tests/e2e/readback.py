"""What `pulumi refresh` reads back from Docker, and what the next `pulumi preview` diffs.

The applier stands in for pulumi-docker, a Terraform bridge of kreuzwerker/terraform-provider-docker.
Each mapping below is read from that provider's source at the commit pulumi-docker 5.x pins as its
`upstream` submodule (5074970c, tag v4.5.0; pulumi/pulumi-docker `upstream`, same commit at v5.1.0
and at the branch head of 2026-08-14), file internal/provider/...:

- read: `resourceDockerContainerRead` (resource_docker_container_funcs.go), with its helpers
  `getDockerContainerMounts`, `flattenContainerPorts` (resource_docker_container_structures.go) and
  `nanoInt64ToDecimalString` (helpers.go); `resourceDockerNetworkReadRefreshFunc` with
  `flattenIpamConfigSpec` (resource_docker_network_funcs.go, _structures.go);
  `resourceDockerVolumeRead` (resource_docker_volume.go); `resourceDockerImageRead`
  (resource_docker_image_funcs.go).
- diff: the schemas (resource_docker_container.go, resource_docker_network.go,
  resource_docker_volume.go) under terraform-plugin-sdk/v2's rules, which the bridge applies
  (pulumi-terraform-bridge runs the provider's own Diff): a TypeSet compares as a set, a TypeList
  in order; an Optional+Computed attribute absent from the config is no diff; an absent Optional
  attribute with a `Default` is that default; a `DiffSuppressFunc` can hide a diff; any diff on a
  ForceNew attribute is a replacement.

An input this module has no rule for raises ReadBackError: the refresh fails instead of
guessing (issue 19, item 2).

Where the applier still differs from the real providers (and why):
- The diff is the SDK's rules applied here, not pulumi-terraform-bridge running the provider's
  own Diff: nested-set hashing, partial block diffs and a detailed diff's exact paths are not
  reproduced; only "changed or not, replace or update" is.
- After a create, the state is the declared inputs (as a preview right after `up` shows no
  changes in the real run of issue 19), although resourceDockerContainerCreate ends with a read.
- `must_run` (read back false for a stopped container, then an Update starts it), `rm`,
  `domainname`, `dns*`, `publish_all_ports`, `max_retry_count` and the blkio/device attributes
  are not in provider_behaviour.py's table, so the applier neither reads nor diffs them; the
  program declares none of them.
- A container update applies restart, memory and memory_swap (`docker update`) only; the
  provider's Update also applies cpu_shares, cpu_set, memory_reservation and blkio limits,
  which the program does not declare.
- RemoteImage's image_id is the image reference under the plan's mocks, not the sha256 id: a
  tag moved on the host (another pull) would replace the real containers, not these.
- Deletes of resources gone from the graph run one by one, dependants first; the engine runs
  them in parallel by reverse dependency.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from components.runtime import provider_behaviour as pb

MIB = 1024 * 1024
SKIP = object()  # no default: an input left out is compared with nothing


class ReadBackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Diff:
    name: str  # the resource's Pulumi name
    key: str  # the input, as registered (camelCase)
    state: Any  # what the refresh read back
    inputs: Any  # what the program declares
    replace: bool  # a ForceNew attribute changed

    def __str__(self) -> str:
        verb = "replace" if self.replace else "update"
        return f"{self.name}: {self.key}: {self.state!r} => {self.inputs!r} ({verb})"


# --- normalisers: how the schema compares a value ---------------------------------------------

def _scalar(v):
    return v


def _set(v):
    return sorted(set(v or []), key=str)


def _list(v):
    return list(v or [])


def _map(v):
    return {str(k): str(x) for k, x in (v or {}).items()}


def _caps(v):
    # capabilities: TypeSet MaxItems 1 of {add: TypeSet, drop: TypeSet} (resource_docker_container.go).
    if not v:
        return None
    return {"adds": _set(v.get("adds")), "drops": _set(v.get("drops"))}


def _mounts(v):
    # mounts: TypeSet of blocks; bind_options is a TypeList MaxItems 1 (resource_docker_container.go).
    out = []
    for m in v or []:
        bind = (m.get("bindOptions") or {}).get("propagation") or None
        out.append((m["target"], m.get("source", ""), m["type"], bool(m.get("readOnly", False)), bind))
    return sorted(set(out))


def _volumes(v):
    # volumes: TypeSet of blocks, every field ForceNew (resource_docker_container.go).
    return sorted({(x.get("hostPath", ""), x.get("volumeName", ""), x.get("containerPath", ""), bool(x.get("readOnly", False)),
                    x.get("fromContainer", "")) for x in v or []})


def _networks(v):
    # networks_advanced: TypeSet of {name, aliases: TypeSet, ...} (resource_docker_container.go).
    return sorted({(n["name"], tuple(_set(n.get("aliases"))), n.get("ipv4Address", ""), n.get("ipv6Address", "")) for n in v or []})


def _ports(v):
    # ports: TypeList; ip Default "0.0.0.0" (a StateFunc maps "" to it), protocol Default "tcp".
    return [(p["internal"], p.get("external"), p.get("ip") or "0.0.0.0", p.get("protocol") or "tcp") for p in v or []]


def _ports_suppressed(state, inputs) -> bool:
    """`suppressIfPortsDidNotChangeForMigrationV0ToV1`: same length, and per internal port the same
    protocol, external port and ip (resource_docker_container.go)."""
    s, i = _ports(state), _ports(inputs)
    if len(s) != len(i):
        return False
    for internal, ext, ip, proto in s:
        match = [p for p in i if p[0] == internal]
        if not match or (match[0][1], match[0][2], match[0][3]) != (ext, ip, proto):
            return False
    return True


def _healthcheck(v):
    # healthcheck: TypeList MaxItems 1; interval/timeout/start_period/start_interval Default "0s",
    # retries Default 0 (resource_docker_container.go). Not ForceNew: an in-place update.
    if not v:
        return None
    return {"tests": _list(v.get("tests")), "interval": v.get("interval") or "0s", "timeout": v.get("timeout") or "0s",
            "startPeriod": v.get("startPeriod") or "0s", "startInterval": v.get("startInterval") or "0s",
            "retries": int(v.get("retries") or 0)}


def _ipam(v):
    # ipam_config: TypeSet of {subnet, ip_range, gateway, aux_address} (resource_docker_network.go).
    return sorted({(c.get("subnet", ""), c.get("ipRange", ""), c.get("gateway", ""), tuple(sorted((c.get("auxAddress") or {}).items())))
                   for c in v or []})


@dataclass(frozen=True)
class Rule:
    """One attribute of a provider schema, as the diff treats it."""

    norm: Callable[[Any], Any]
    force_new: bool
    # Optional+Computed: an input left out is no diff.
    computed: bool = False
    # What an input left out means (the schema's Default, else the type's zero value).
    absent: Any = SKIP
    # False: the read function does not set it; the state keeps what the last create or update wrote.
    read: bool = True
    suppress: Callable[[Any, Any], bool] | None = None


def _user_suppress(state, inputs) -> bool:
    # user / working_dir DiffSuppressFunc: a new "" is Docker's default, no diff.
    return inputs in ("", None) or state == inputs


# Per attribute, how its schema compares a value beyond its kind (set, list, map, scalar).
_SPECIAL = {
    "capabilities": _caps, "mounts": _mounts, "volumes": _volumes, "networksAdvanced": _networks, "ports": _ports,
    "healthcheck": _healthcheck, "ipamConfigs": _ipam,
}
_SUPPRESS = {"user": _user_suppress, "workingDir": _user_suppress, "ports": _ports_suppressed}
_ZERO = {"string": "", "int": 0, "bool": False, "list": [], "set": [], "map": {}, "block-set": [], "block-list": []}


def rule(attr: pb.Attribute) -> Rule:
    """The diff rule of one attribute of components/runtime/provider_behaviour.py's table."""
    norm = _SPECIAL.get(attr.name) or {"set": _set, "list": _list, "map": _map}.get(attr.kind, _scalar)
    if attr.name == "capabilities":
        absent = None  # no block: Optional, not Computed, so a read-back block left undeclared diffs
    elif attr.default is not None:
        # The table writes defaults as the schema does, as text.
        parsers: dict[str, Callable[[str], Any]] = {"bool": lambda d: d == "true", "int": int}
        absent = parsers.get(attr.kind, str)(attr.default)
    else:
        absent = _ZERO.get(attr.kind, SKIP)
    return Rule(norm, attr.on_change == pb.REPLACE, computed=attr.computed, absent=absent,
                read=attr.read in (pb.ALWAYS, pb.IF_DECLARED), suppress=_SUPPRESS.get(attr.name))


BEHAVIOUR = {pb.CONTAINER: pb.CONTAINER_BEHAVIOUR, pb.NETWORK: pb.NETWORK_BEHAVIOUR, pb.VOLUME: pb.VOLUME_BEHAVIOUR,
             pb.IMAGE: pb.IMAGE_BEHAVIOUR}


def rules(type_: str) -> dict[str, Rule]:
    return {a.name: rule(a) for a in BEHAVIOUR[type_].attributes}


# --- read functions: `docker inspect` JSON -> provider state (input keys) ----------------------

def go_duration(ns: int) -> str:
    """Go's time.Duration.String(), which resourceDockerContainerRead writes for healthchecks."""
    if ns == 0:
        return "0s"
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return f"{ns / size:g}{unit}"
    h, rest = divmod(ns, 3_600_000_000_000)
    m, rest = divmod(rest, 60_000_000_000)
    s = f"{rest / 1e9:.9f}".rstrip("0").rstrip(".") + "s"
    return (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + s


def nano_decimal(nano: int) -> str:
    """helpers.go nanoInt64ToDecimalString."""
    if nano == 0:
        return "0"
    whole, frac = divmod(nano, 1_000_000_000)
    text = f"{whole}.{frac:09d}"
    if text.count("0") == 9:
        return f"{whole}.{frac // 100_000_000}"
    return text.rstrip("0")


def read_container(c: dict, prior: dict) -> dict:
    """resourceDockerContainerRead: what it sets, from ContainerInspect, in the program's keys."""
    hc, cfg, ns = c["HostConfig"], c["Config"], c.get("NetworkSettings") or {}
    s: dict[str, Any] = {}
    if ns and (c["State"]["Running"] or prior.get("mustRun", True)) and prior.get("ports"):
        # Only when ports are configured and the container runs (kreuzwerker issue 77).
        s["ports"] = [
            {"internal": int(key.split("/")[0]), "external": int(b["HostPort"]), "ip": b["HostIp"], "protocol": key.split("/")[1]}
            for key in sorted(ns.get("Ports") or {}, key=lambda k: int(k.split("/")[0]))
            for b in (ns["Ports"][key] or [])
        ]
    if not c["State"]["Running"] and prior.get("mustRun", True):
        s["mustRun"] = False
    s["name"] = c["Name"].lstrip("/")
    s["rm"] = hc.get("AutoRemove", False)
    s["readOnly"] = hc.get("ReadonlyRootfs", False)
    s["image"] = c["Image"] if str(prior.get("image", "")).startswith("sha256:") else cfg["Image"]
    s["hostname"] = cfg.get("Hostname", "")
    s["domainname"] = cfg.get("Domainname", "")
    s["command"] = cfg.get("Cmd") or []
    s["entrypoints"] = cfg.get("Entrypoint") or []
    s["user"] = cfg.get("User", "")
    s["dns"] = hc.get("Dns") or []
    s["dnsOpts"] = hc.get("DnsOptions") or []
    s["securityOpts"] = hc.get("SecurityOpt") or []
    s["dnsSearches"] = hc.get("DnsSearch") or []
    s["publishAllPorts"] = hc.get("PublishAllPorts", False)
    s["restart"] = hc["RestartPolicy"]["Name"]
    s["maxRetryCount"] = hc["RestartPolicy"].get("MaximumRetryCount", 0)
    s["init"] = bool(hc.get("Init"))
    s["workingDir"] = cfg.get("WorkingDir", "")
    if hc.get("CapAdd") or hc.get("CapDrop"):
        s["capabilities"] = {"adds": hc.get("CapAdd") or [], "drops": hc.get("CapDrop") or []}
    s["mounts"] = [
        {"target": m["Target"], "source": m.get("Source", ""), "type": m["Type"], "readOnly": m.get("ReadOnly", False),
         **({"bindOptions": {"propagation": m["BindOptions"].get("Propagation", "")}} if m.get("BindOptions") is not None else {})}
        for m in hc.get("Mounts") or []
    ]
    s["tmpfs"] = hc.get("Tmpfs") or {}
    s["privileged"] = hc.get("Privileged", False)
    s["memory"] = hc.get("Memory", 0) // MIB
    swap = hc.get("MemorySwap", 0)
    s["memorySwap"] = swap // MIB if swap > 0 else swap
    s["shmSize"] = hc.get("ShmSize", 0) // MIB
    if hc.get("NanoCpus", 0) > 0:
        s["cpus"] = nano_decimal(hc["NanoCpus"])
    s["logDriver"] = hc["LogConfig"]["Type"]
    # containerLogOptsForState: only when log_opts is in the config.
    s["logOpts"] = hc["LogConfig"].get("Config") or {} if prior.get("logOpts") else None
    s["networkMode"] = hc.get("NetworkMode", "")
    if prior.get("pidMode"):
        s["pidMode"] = hc.get("PidMode", "")
    h = cfg.get("Healthcheck")
    if h is not None:
        s["healthcheck"] = {"tests": h.get("Test") or [], "interval": go_duration(h.get("Interval", 0)),
                            "timeout": go_duration(h.get("Timeout", 0)), "startPeriod": go_duration(h.get("StartPeriod", 0)),
                            "startInterval": go_duration(h.get("StartInterval", 0)), "retries": h.get("Retries", 0)}
    s["ipcMode"] = hc.get("IpcMode", "")
    s["groupAdds"] = hc.get("GroupAdd") or []
    s["sysctls"] = hc.get("Sysctls") or {}
    s["stopSignal"] = cfg.get("StopSignal", "")
    s["stopTimeout"] = cfg.get("StopTimeout")
    return {k: v for k, v in s.items() if v is not None}


def read_network(n: dict) -> dict:
    """resourceDockerNetworkReadRefreshFunc (non-overlay scope)."""
    return {
        "name": n["Name"], "labels": [f"{k}={v}" for k, v in (n.get("Labels") or {}).items()], "driver": n["Driver"],
        "internal": n.get("Internal", False), "attachable": n.get("Attachable", False), "ingress": n.get("Ingress", False),
        "ipv6": n.get("EnableIPv6", False), "ipamDriver": n["IPAM"]["Driver"], "ipamOptions": n["IPAM"].get("Options") or {},
        "options": n.get("Options") or {},
        # flattenIpamConfigSpec: each field only when non-empty.
        "ipamConfigs": [{k: v for k, v in (("subnet", c.get("Subnet")), ("ipRange", c.get("IPRange")), ("gateway", c.get("Gateway")),
                                            ("auxAddress", c.get("AuxiliaryAddresses"))) if v}
                        for c in n["IPAM"].get("Config") or []],
    }


def read_volume(v: dict) -> dict:
    """resourceDockerVolumeRead."""
    return {"name": v["Name"], "labels": [f"{k}={x}" for k, x in (v.get("Labels") or {}).items()], "driver": v["Driver"],
            "driverOpts": v.get("Options") or {}}


# --- the diff ------------------------------------------------------------------------------------

# What resourceDockerContainerRead sets only under a condition of its own: ports when the container
# runs, capabilities when either list is non-empty, healthcheck when the image or the config has
# one, cpus when NanoCPUs > 0.
CONDITIONAL = {"ports", "capabilities", "healthcheck", "cpus"}


def refreshed(name: str, type_: str, prior: dict, read: dict) -> dict:
    """The state after a refresh: what the read function sets (attributes of the table only),
    over the prior state for everything it leaves alone. A declared attribute the table says is
    read back but the read here did not produce fails: the refresh would otherwise keep a
    value the real provider overwrites."""
    table = rules(type_)
    missing = sorted(k for k, r in table.items() if r.read and k in prior and prior[k] is not None
                     and k not in read and k not in CONDITIONAL)
    if missing:
        raise ReadBackError(f"{name}: {missing} are read back by the provider but not by tests/e2e/readback.py")
    return {**prior, **{k: v for k, v in read.items() if k in table}}


def diff(name: str, type_: str, inputs: dict, state: dict) -> list[Diff]:
    """The state (refreshed, or as the last create or update wrote it) against the program's
    inputs, by the schema's rules."""
    table = rules(type_)
    unknown = sorted(k for k in inputs if k not in table)
    if unknown:
        raise ReadBackError(f"{name}: inputs {unknown} are not in components/runtime/provider_behaviour.py's table")
    out = []
    for key, rule in table.items():
        given = key in inputs and inputs[key] is not None
        if key not in state:
            continue  # not read and never written: nothing to compare
        if not given:
            if rule.computed or rule.absent is SKIP:
                continue
            want = rule.absent
        else:
            want = inputs[key]
        have = state[key]
        if rule.suppress and rule.suppress(have, want):
            continue
        if rule.norm(have) != rule.norm(want):
            out.append(Diff(name, key, have, want, rule.force_new))
    return out
