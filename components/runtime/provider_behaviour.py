"""What the real providers do after the first create: a sourced data table.

For every input the program gives a docker resource (Container, Network, Volume, RemoteImage)
and pulumi-command's remote.Command: whether the provider's read function sets it back from
the engine on a refresh, in what form, whether it is a set or a list, and whether a change to
it replaces the resource. A refresh writes the read-back value into the state; the next
preview diffs the program against that state (pulumi-terraform-bridge `Provider.Diff` runs the
Terraform SDK's diff of state against config and replaces when it `RequiresNew`). So every input
that is read back must already be written in the form the engine returns, or every deploy with
`refresh: true` replaces the resource.

The small pure functions below model what sits between the program and `docker inspect`: the
Docker Go client the provider uses (it rewrites capabilities before sending them), the daemon
(it adds security options and log options), and the provider's read (it rewrites units and
durations). `container_read_back(inputs)` puts them together: the state a refresh would hold
for a container declared with `inputs` (Pulumi input names, as the plan records them), and
`container_drift(inputs)` the differences a preview would then show, each marked replace or
update. tests/test_provider_behaviour.py holds every container of every stack to it;
tests/e2e/applier.py (its refresh) maps `docker inspect` the same way.

Sources, read at these versions. The issue's real run used pulumi-docker 5.1.0, whose `upstream`
submodule is kreuzwerker/terraform-provider-docker 5074970c = v4.5.0; its container, network,
volume and image code is unchanged on that repository's default branch up to 2026-07-22.
requirements.txt now pins pulumi-docker 5.2.0, released after the mirror read (its SDK has
`device_cgroup_rules`, which v4.5.0 lacks, so it wraps a later upstream): UNVERIFIED that its
read is the same. The Engine is host_packages.ENGINE = 28.5.2; the provider builds against
github.com/docker/docker v28.5.2 and github.com/docker/cli v28.5.2 (its go.mod):
  TF   kreuzwerker/terraform-provider-docker@v4.5.0 internal/provider/
  PD   pulumi/pulumi-docker@v5.1.0 provider/resources.go
  MOBY moby/moby@v28.5.2
  CLI  docker/cli opts/opts.go ParseCPUs, read at 02761fdb (the provider's go.mod pins v28.5.2)
  BR   pulumi/pulumi-terraform-bridge@v3.133.0 (pulumi-docker v5.1.0's go.mod) pkg/tfbridge/provider.go
  CMD  pulumi/pulumi-command@v1.2.1 provider/pkg/provider/

Plain data and pure functions only: no Pulumi imports, so the plan, the tests, the docs renderer
and the e2e applier can all import it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

TF = "kreuzwerker/terraform-provider-docker@v4.5.0"
MOBY = "moby/moby@v28.5.2"
CLI = "docker/cli@02761fdb"
BRIDGE = "pulumi/pulumi-terraform-bridge@v3.133.0"
PULUMI_DOCKER = "pulumi/pulumi-docker@v5.1.0"
PULUMI_COMMAND = "pulumi/pulumi-command@v1.2.1"
READ_ON = "2026-12-04"

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"
COMMAND = "command:remote:Command"


@dataclass(frozen=True)
class Source:
    repo: str       # owner/name@version
    path: str
    function: str

    def __str__(self) -> str:
        return f"{self.repo} {self.path} `{self.function}`"


# How the read function treats an attribute on a refresh.
ALWAYS = "always"            # set from the engine on every read
IF_DECLARED = "if-declared"  # set from the engine only when the program declares it (`d.GetOk`)
IMPORT_ONLY = "import-only"  # set from the engine only when the state has none (an import)
NEVER = "never"              # never read: the state keeps what the program declared

# What a change to the attribute makes the provider do.
REPLACE = "replace"
UPDATE = "update"            # Update is called; `applied` says whether it changes anything
NONE = "none"                # state only: nothing on the host changes


@dataclass(frozen=True)
class Attribute:
    name: str              # Pulumi input name (as the plan records inputs)
    tf_name: str           # Terraform schema key
    kind: str              # string | bool | int | list | set | map | block-set | block-list
    read: str              # ALWAYS | IF_DECLARED | IMPORT_ONLY | NEVER
    on_change: str         # REPLACE | UPDATE | NONE
    computed: bool         # Optional+Computed: left undeclared, whatever is read back is kept
    default: str | None    # the schema default the provider sends when undeclared
    read_as: str           # what the read sets, from which inspect field, in what form
    source: Source         # where the read (or, for NEVER, the schema) says so
    applied: bool = True   # UPDATE only: whether the provider's Update applies the change

    @property
    def is_set(self) -> bool:
        return self.kind in ("set", "block-set")


@dataclass(frozen=True)
class ResourceBehaviour:
    type_token: str
    tf_type: str
    read_function: Source
    schema: Source
    replace_order: str     # what a replace does first
    notes: str
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute:
        for a in self.attributes:
            if a.name == name:
                return a
        raise KeyError(f"{self.type_token}: no attribute {name!r} in the provider behaviour table")


def _tf(path: str, function: str) -> Source:
    return Source(TF, f"internal/provider/{path}", function)


_C_SCHEMA = _tf("resource_docker_container.go", "resourceDockerContainer")
_C_READ = _tf("resource_docker_container_funcs.go", "resourceDockerContainerRead")
_C_CREATE = _tf("resource_docker_container_funcs.go", "resourceDockerContainerCreate")
_C_UPDATE = _tf("resource_docker_container_funcs.go", "resourceDockerContainerUpdate")


def _c(name, tf_name, kind, read, on_change, read_as, *, computed=False, default=None, source=_C_READ, applied=True):
    return Attribute(name, tf_name, kind, read, on_change, computed, default, read_as, source, applied)


CONTAINER_BEHAVIOUR = ResourceBehaviour(
    type_token=CONTAINER, tf_type="docker_container",
    read_function=_C_READ, schema=_C_SCHEMA,
    replace_order=("delete before create (pulumi-docker provider/resources.go: docker_container "
                   "`DeleteBeforeReplace: true`): a replace stops the running container first"),
    notes=("Update (resourceDockerContainerUpdate) only calls ContainerUpdate for restart, max_retry_count, cpu_shares, "
           "memory, memory_reservation, cpu_set, memory_swap and the blkio limits; any other non-ForceNew change "
           "(healthcheck, tmpfs, init, ...) is an update that changes nothing on the host and stays in every preview."),
    attributes=(
        _c("name", "name", "string", ALWAYS, REPLACE, "inspect Name without its leading '/'"),
        _c("image", "image", "string", ALWAYS, REPLACE,
           "inspect Image (the full sha256: id) when the declared value starts with 'sha256:', else Config.Image"),
        _c("command", "command", "list", ALWAYS, REPLACE, "Config.Cmd; the image's CMD when undeclared",
           computed=True),
        _c("entrypoints", "entrypoint", "list", ALWAYS, REPLACE, "Config.Entrypoint; the image's when undeclared",
           computed=True),
        _c("envs", "env", "set", NEVER, REPLACE,
           "not read: the read leaves env (and labels) alone because the engine merges the image's ENV into "
           "Config.Env (terraform-providers/terraform-provider-docker#242, #269)", computed=True),
        _c("user", "user", "string", ALWAYS, REPLACE,
           "Config.User verbatim (the image's USER when undeclared); an undeclared user never diffs "
           "(DiffSuppressFunc: new \"\" counts as old)", source=_C_SCHEMA),
        _c("hostname", "hostname", "string", ALWAYS, REPLACE, "Config.Hostname verbatim", computed=True),
        _c("capabilities", "capabilities", "block-set", ALWAYS, REPLACE,
           "HostConfig.CapAdd/CapDrop as two sets, only when either is non-empty; the Docker Go client "
           "canonicalises both before sending (canonical_capabilities), so the engine returns CAP_-prefixed "
           "upper-case names"),
        _c("securityOpts", "security_opts", "set", ALWAYS, REPLACE,
           "HostConfig.SecurityOpt: what was sent plus what the daemon adds (engine_security_opts)", computed=True),
        _c("memory", "memory", "int", ALWAYS, UPDATE, "HostConfig.Memory / 1024 / 1024 (MiB, integer division)"),
        _c("memorySwap", "memory_swap", "int", ALWAYS, UPDATE,
           "HostConfig.MemorySwap / 1024 / 1024 when > 0; the daemon sets it to twice the memory when memory is "
           "set and swap is not (MOBY daemon/daemon_unix.go adaptContainerSettings)"),
        _c("readOnly", "read_only", "bool", ALWAYS, REPLACE, "HostConfig.ReadonlyRootfs", default="false"),
        _c("tmpfs", "tmpfs", "map", ALWAYS, UPDATE, "HostConfig.Tmpfs verbatim (the daemon keeps the option strings)",
           applied=False),
        _c("logDriver", "log_driver", "string", ALWAYS, REPLACE,
           "HostConfig.LogConfig.Type; the daemon's log-driver when undeclared", computed=True),
        _c("logOpts", "log_opts", "map", IF_DECLARED, REPLACE,
           "HostConfig.LogConfig.Config when declared (containerLogOptsForState): the declared options plus the "
           "daemon's default log-opts when the driver is the daemon's (engine_log_opts)"),
        _c("restart", "restart", "string", ALWAYS, UPDATE, "HostConfig.RestartPolicy.Name verbatim", default="no"),
        _c("init", "init", "bool", ALWAYS, UPDATE, "*HostConfig.Init (false when nil); create always sends it",
           computed=True, applied=False),
        _c("cpus", "cpus", "string", ALWAYS, REPLACE,
           "HostConfig.NanoCPUs as nanoInt64ToDecimalString (helpers.go) when > 0 (read_back_cpus)"),
        _c("healthcheck", "healthcheck", "block-list", ALWAYS, UPDATE,
           "Config.Healthcheck: test verbatim, durations as Go time.Duration.String() (read_back_duration), "
           "retries; fields left 0 take the image's HEALTHCHECK values (MOBY daemon/commit.go merge)",
           computed=True, applied=False),
        _c("wait", "wait", "bool", NEVER, NONE, "not read: state only", default="false", source=_C_SCHEMA),
        _c("waitTimeout", "wait_timeout", "int", NEVER, NONE, "not read: state only", default="60", source=_C_SCHEMA),
        _c("stopSignal", "stop_signal", "string", ALWAYS, REPLACE,
           "Config.StopSignal verbatim; the image's STOPSIGNAL when undeclared", computed=True),
        _c("stopTimeout", "stop_timeout", "int", ALWAYS, REPLACE, "Config.StopTimeout", computed=True),
        _c("shmSize", "shm_size", "int", ALWAYS, REPLACE,
           "HostConfig.ShmSize / 1024 / 1024; the daemon's 64 MiB when undeclared", computed=True),
        _c("ports", "ports", "block-list", IF_DECLARED, REPLACE,
           "NetworkSettings.Ports (flattenContainerPorts), sorted by port: internal, external, ip (the provider "
           "sends 0.0.0.0 when undeclared), protocol (tcp); the order is ignored "
           "(suppressIfPortsDidNotChangeForMigrationV0ToV1)"),
        _c("networksAdvanced", "networks_advanced", "block-set", IMPORT_ONLY, REPLACE,
           "read only when the state has none (an import): a managed container keeps the declared networks"),
        _c("volumes", "volumes", "block-set", NEVER, REPLACE, "not read (`// volumes` is left out of the read)"),
        _c("mounts", "mounts", "block-set", ALWAYS, REPLACE,
           "HostConfig.Mounts (getDockerContainerMounts): target, source, type, read_only, bind_options.propagation"),
        _c("networkMode", "network_mode", "string", ALWAYS, REPLACE, "HostConfig.NetworkMode verbatim",
           default="bridge"),
        _c("pidMode", "pid_mode", "string", IF_DECLARED, REPLACE, "HostConfig.PidMode verbatim when declared"),
        _c("ipcMode", "ipc_mode", "string", ALWAYS, REPLACE,
           "HostConfig.IpcMode; the daemon's default-ipc-mode (private) when undeclared", computed=True),
        _c("privileged", "privileged", "bool", ALWAYS, REPLACE, "HostConfig.Privileged"),
        _c("labels", "labels", "block-set", NEVER, REPLACE, "not read (image labels are merged in)", computed=True),
        _c("workingDir", "working_dir", "string", ALWAYS, REPLACE,
           "Config.WorkingDir; an undeclared one never diffs (DiffSuppressFunc)", source=_C_SCHEMA),
        _c("groupAdds", "group_add", "set", ALWAYS, REPLACE, "HostConfig.GroupAdd"),
        _c("devices", "devices", "block-set", IF_DECLARED, REPLACE, "HostConfig.Devices (flattenDevices)"),
        _c("sysctls", "sysctls", "map", ALWAYS, REPLACE, "HostConfig.Sysctls"),
    ),
)

NETWORK_BEHAVIOUR = ResourceBehaviour(
    type_token=NETWORK, tf_type="docker_network",
    read_function=_tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc"),
    schema=_tf("resource_docker_network.go", "resourceDockerNetwork"),
    replace_order="create before delete unless the program sets delete_before_replace (runtime/containers.py Networks does)",
    notes=("A network has no Update: every input is ForceNew. ipam_config's DiffSuppressFunc "
           "(suppressIfIPAMConfigWithIpv6Changes) is not attached to the schema (marked unused)."),
    attributes=(
        Attribute("name", "name", "string", ALWAYS, REPLACE, False, None, "Name", _tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc")),
        Attribute("driver", "driver", "string", ALWAYS, REPLACE, True, None, "Driver (bridge)", _tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc")),
        Attribute("internal", "internal", "bool", ALWAYS, REPLACE, True, None, "Internal", _tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc")),
        Attribute("ipamConfigs", "ipam_config", "block-set", ALWAYS, REPLACE, True, None,
                  "IPAM.Config (flattenIpamConfigSpec): subnet, ip_range, gateway, aux_address as given; the daemon "
                  "reports a gateway only when one was given with the subnet (MOBY daemon/network.go buildIPAMResources)",
                  _tf("resource_docker_network_structures.go", "flattenIpamConfigSpec")),
        Attribute("options", "options", "map", ALWAYS, REPLACE, True, None, "Options", _tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc")),
        Attribute("labels", "labels", "block-set", ALWAYS, REPLACE, False, None, "Labels (the daemon adds none)", _tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc")),
        Attribute("ipv6", "ipv6", "bool", ALWAYS, REPLACE, False, None, "EnableIPv6", _tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc")),
        Attribute("ipamDriver", "ipam_driver", "string", ALWAYS, REPLACE, False, "default", "IPAM.Driver", _tf("resource_docker_network_funcs.go", "resourceDockerNetworkReadRefreshFunc")),
    ),
)

VOLUME_BEHAVIOUR = ResourceBehaviour(
    type_token=VOLUME, tf_type="docker_volume",
    read_function=_tf("resource_docker_volume.go", "resourceDockerVolumeRead"),
    schema=_tf("resource_docker_volume.go", "resourceDockerVolume"),
    replace_order="create before delete (a named volume then collides: protect it, as runtime/data.py does)",
    notes="A volume that is gone on the host is dropped from the state on refresh and created empty by the next up.",
    attributes=(
        Attribute("name", "name", "string", ALWAYS, REPLACE, True, None, "Name", _tf("resource_docker_volume.go", "resourceDockerVolumeRead")),
        Attribute("driver", "driver", "string", ALWAYS, REPLACE, True, None, "Driver (local)", _tf("resource_docker_volume.go", "resourceDockerVolumeRead")),
        Attribute("labels", "labels", "block-set", ALWAYS, REPLACE, False, None, "Labels", _tf("resource_docker_volume.go", "resourceDockerVolumeRead")),
        Attribute("driverOpts", "driver_opts", "map", ALWAYS, REPLACE, False, None, "Options", _tf("resource_docker_volume.go", "resourceDockerVolumeRead")),
    ),
)

_I_READ = _tf("resource_docker_image_funcs.go", "resourceDockerImageRead")
IMAGE_BEHAVIOUR = ResourceBehaviour(
    type_token=IMAGE, tf_type="docker_image (pulumi-docker names it RemoteImage, provider/resources.go)",
    read_function=_I_READ, schema=_tf("resource_docker_image.go", "resourceDockerImage"),
    replace_order="create before delete; keep_locally keeps the old image on the host",
    notes=("The read inspects the image by `name`; not found, it drops the image from the state (the next up pulls "
           "again). `image_id` is read from the local image: a tag moved on the host (another pull) gives a new id, "
           "which replaces every container declared with it (their `image` is ForceNew)."),
    attributes=(
        Attribute("name", "name", "string", NEVER, REPLACE, False, None, "not set by the read (the lookup key)", _I_READ),
        Attribute("keepLocally", "keep_locally", "bool", NEVER, NONE, False, None, "not read: used on delete", _I_READ),
        Attribute("pullTriggers", "pull_triggers", "set", NEVER, REPLACE, False, None, "not read", _I_READ),
        Attribute("triggers", "triggers", "map", NEVER, REPLACE, False, None, "not read", _I_READ),
        Attribute("platform", "platform", "string", NEVER, REPLACE, False, "", "not read", _I_READ),
        Attribute("imageId", "image_id", "string", ALWAYS, NONE, True, None, "the local image's ID (sha256:...)", _I_READ),
        Attribute("repoDigest", "repo_digest", "string", ALWAYS, NONE, True, None, "determineRepoDigest of the local image", _I_READ),
    ),
)

_CMD_INPUTS = Source(PULUMI_COMMAND, "provider/pkg/provider/common/inputs.go", "ResourceInputs")
_CMD_REMOTE = Source(PULUMI_COMMAND, "provider/pkg/provider/remote/command.go", "CommandInputs")
_CMD_CTRL = Source(PULUMI_COMMAND, "provider/pkg/provider/remote/commandController.go", "Command.Update")
COMMAND_BEHAVIOUR = ResourceBehaviour(
    type_token=COMMAND, tf_type="(native provider, pulumi-go-provider infer)",
    read_function=Source(PULUMI_COMMAND, "provider/pkg/provider/remote/commandController.go",
                         "Command implements no CustomRead: a refresh keeps the state as it is"),
    schema=_CMD_REMOTE,
    replace_order="create before delete (Pulumi's default): the new `create` runs, then the old `delete`",
    notes=("Only `triggers` is tagged replaceOnChanges; a change to any other input is an update, which runs "
           "`update` (or `create` when there is no `update`). On update and delete the provider also tries to set "
           "PULUMI_COMMAND_STDOUT/PULUMI_COMMAND_STDERR (the previous run's output, when not empty) on the SSH "
           "session, unless addPreviousOutputInEnv is false; sshd refuses variables it does not AcceptEnv, and the "
           "provider warns `Unable to set ...` (remote/commandOutputs.go run, logAndWrapSetenvErr). A refused "
           "`environment` variable is an error, not a warning."),
    attributes=(
        Attribute("triggers", "triggers", "list", NEVER, REPLACE, False, None, "replaceOnChanges", _CMD_INPUTS),
        Attribute("create", "create", "string", NEVER, UPDATE, False, None, "runs `update` (or `create` again)", _CMD_CTRL),
        Attribute("update", "update", "string", NEVER, UPDATE, False, None, "runs the new `update`", _CMD_CTRL),
        Attribute("delete", "delete", "string", NEVER, UPDATE, False, None, "kept for the delete; runs `update`", _CMD_CTRL),
        Attribute("stdin", "stdin", "string", NEVER, UPDATE, False, None, "runs `update` with the new stdin", _CMD_CTRL),
        Attribute("environment", "environment", "map", NEVER, UPDATE, False, None,
                  "runs `update`; each variable needs sshd's AcceptEnv or the command fails", _CMD_REMOTE),
        Attribute("logging", "logging", "string", NEVER, UPDATE, False, None,
                  "runs `update`; only decides what is logged, not what is sent", _CMD_REMOTE),
        Attribute("connection", "connection", "map", NEVER, UPDATE, False, None,
                  "runs `update` on the new host", _CMD_REMOTE),
        Attribute("addPreviousOutputInEnv", "addPreviousOutputInEnv", "bool", NEVER, UPDATE, False, "true",
                  "false stops the PULUMI_COMMAND_STDOUT/STDERR setenv", Source(PULUMI_COMMAND,
                  "provider/pkg/provider/remote/commandOutputs.go", "CommandOutputs.run")),
    ),
)

BEHAVIOURS: dict[str, ResourceBehaviour] = {
    b.type_token: b for b in (CONTAINER_BEHAVIOUR, NETWORK_BEHAVIOUR, VOLUME_BEHAVIOUR, IMAGE_BEHAVIOUR, COMMAND_BEHAVIOUR)
}


@dataclass(frozen=True)
class EngineRule:
    """Something the Docker client or daemon does to a container's config between create and inspect."""
    what: str
    source: Source


ENGINE_RULES: tuple[EngineRule, ...] = (
    EngineRule("CapAdd/CapDrop are upper-cased, given a CAP_ prefix (except ALL), de-duplicated and sorted before "
               "they are sent; the daemon stores them as received",
               Source(MOBY, "client/container_create.go", "normalizeCapabilities, normalizeCap")),
    EngineRule("`label=disable` is appended to SecurityOpt when the container shares the host's PID or IPC "
               "namespace or is privileged, and no `label=` option was given (on every host, SELinux or not: "
               "go-selinux DisableSecOpt returns [\"disable\"] unconditionally); a host network namespace adds "
               "nothing",
               Source(MOBY, "daemon/create.go", "generateSecurityOpt (called from daemon_unix.go adaptContainerSettings)")),
    EngineRule("MemorySwap defaults to twice Memory when Memory is set and MemorySwap is 0; ShmSize defaults to "
               "64 MiB; IpcMode defaults to the daemon's default-ipc-mode",
               Source(MOBY, "daemon/daemon_unix.go", "adaptContainerSettings")),
    EngineRule("the daemon's default log-opts are merged into a container's when its log driver is the daemon's "
               "default driver (declared keys win)",
               Source(MOBY, "daemon/logs.go", "mergeAndVerifyLogConfig")),
    EngineRule("the image's ENV, labels, USER, WORKDIR, STOPSIGNAL, CMD/ENTRYPOINT (when neither is declared) and "
               "each zero HEALTHCHECK field are merged into the container's config",
               Source(MOBY, "daemon/commit.go", "merge")),
    EngineRule("an IPAM config given with a subnet is reported as given (no gateway unless one was given); "
               "only a network without one reports the allocated pool and gateway",
               Source(MOBY, "daemon/network.go", "buildIPAMResources")),
    EngineRule("the daemon-wide no-new-privileges default is applied at start, not written into SecurityOpt",
               Source(MOBY, "daemon/daemon_unix.go", "parseSecurityOpt")),
)


# --- the pure functions ------------------------------------------------------------------------

ALL_CAPABILITIES = "ALL"


def canonical_capability(name: str) -> str:
    """A capability as the engine returns it: "chown" and "CHOWN" become "CAP_CHOWN"; ALL stays."""
    c = name.upper()
    if c == ALL_CAPABILITIES:
        return c
    return c if c.startswith("CAP_") else "CAP_" + c


def canonical_capabilities(names) -> list[str]:
    """CapAdd or CapDrop as sent and stored: canonical, de-duplicated, sorted (client normalizeCapabilities)."""
    return sorted({canonical_capability(n) for n in names or ()})


def engine_security_opts(security_opts, *, pid_mode: str | None = None, ipc_mode: str | None = None,
                         privileged: bool = False) -> list[str]:
    """HostConfig.SecurityOpt as inspect returns it: what was sent, plus `label=disable` where the daemon adds it."""
    sent = list(security_opts or ())
    if any(o.split("=", 1)[0] == "label" for o in sent):
        return sent
    if pid_mode == "host" or ipc_mode == "host" or privileged:
        return [*sent, "label=disable"]
    return sent


def engine_log_opts(declared: dict[str, str] | None, driver: str | None, daemon_driver: str,
                    daemon_opts: dict[str, str]) -> dict[str, str]:
    """LogConfig.Config as stored: the declared options, plus the daemon's defaults when the driver is its default."""
    out = dict(declared or {})
    if (driver or daemon_driver) == daemon_driver:
        for k, v in daemon_opts.items():
            out.setdefault(k, v)
    return out


def parse_cpus(value: str) -> int:
    """Nano-CPUs from a `cpus` string, as docker/cli opts.ParseCPUs (a rational number, exact in nanos)."""
    try:
        cpu = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"cpus {value!r}: not a rational number") from None
    nano = cpu * 10**9
    if nano.denominator != 1:
        raise ValueError(f"cpus {value!r}: value is too precise")
    return int(nano)


def _float_string(r: Fraction, prec: int) -> str:
    """math/big Rat.FloatString: `prec` decimals, the last rounded half away from zero."""
    q = abs(r) * 10**prec
    n = q.numerator // q.denominator
    if (q - n) * 2 >= 1:
        n += 1
    whole, frac = divmod(n, 10**prec)
    sign = "-" if r < 0 else ""
    return f"{sign}{whole}.{frac:0{prec}d}" if prec else f"{sign}{whole}"


def read_back_cpus(value: str) -> str:
    """`cpus` as the read sets it: nanoInt64ToDecimalString (TF internal/provider/helpers.go) of the nano-CPUs.

    Its quirk is kept on purpose: it returns FloatString(1) whenever the 9-decimal string holds
    exactly nine zeros, so "0.05" reads back as "0.1" and "10" as "10."."""
    nano = parse_cpus(value)
    if nano == 0:
        return "0"
    r = Fraction(nano, 10**9)
    s = _float_string(r, 9)
    if s.count("0") == 9:
        return _float_string(r, 1)
    return s.rstrip("0")


_DURATION_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(value: str) -> int:
    """Nanoseconds from a Go duration string (time.ParseDuration), for the non-negative values a healthcheck takes."""
    if value == "0":
        return 0
    pos, total = 0, Fraction(0)
    for m in _DURATION_PART.finditer(value):
        if m.start() != pos or m.group(1) in ("", "."):
            raise ValueError(f"duration {value!r}: not a Go duration (e.g. 10s, 1m30s)")
        total += Fraction(Decimal(m.group(1))) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(value) or not value:
        raise ValueError(f"duration {value!r}: not a Go duration (e.g. 10s, 1m30s)")
    return int(total)


def _frac(v: int, unit: int) -> str:
    whole, rest = divmod(v, unit)
    if not rest:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}." + f"{rest:0{digits}d}".rstrip("0")


def go_duration_string(ns: int) -> str:
    """time.Duration.String() for a non-negative duration: 90s -> "1m30s", 1h -> "1h0m0s", 1.5s -> "1.5s"."""
    if ns == 0:
        return "0s"
    if ns < 10**3:
        return f"{ns}ns"
    if ns < 10**6:
        return _frac(ns, 10**3) + "µs"
    if ns < 10**9:
        return _frac(ns, 10**6) + "ms"
    minutes, sec_ns = divmod(ns, 60 * 10**9)
    out = _frac(sec_ns, 10**9) + "s"
    if minutes:
        hours, minutes = divmod(minutes, 60)
        out = f"{minutes}m" + out
        if hours:
            out = f"{hours}h" + out
    return out


def read_back_duration(value: str) -> str:
    """A healthcheck duration as the read sets it (Duration.String() of what create parsed)."""
    return go_duration_string(parse_duration(value))


# --- a container's state after a refresh, and what the next preview shows ---------------------

@dataclass(frozen=True)
class EngineDefaults:
    """The daemon settings that leak into what inspect returns (daemon.json)."""
    log_driver: str = "json-file"
    log_opts: tuple[tuple[str, str], ...] = ()
    shm_size_mb: int = 64
    ipc_mode: str = "private"

    @classmethod
    def from_daemon_json(cls, cfg: dict) -> EngineDefaults:
        return cls(log_driver=cfg.get("log-driver", "json-file"),
                   log_opts=tuple(sorted((cfg.get("log-opts") or {}).items())),
                   ipc_mode=cfg.get("default-ipc-mode", "private"))


@dataclass(frozen=True)
class Drift:
    """One input whose read-back value differs from the program's: what a preview after a refresh shows."""
    attribute: str
    declared: Any
    read: Any
    action: str   # REPLACE | UPDATE

    def __str__(self) -> str:
        return f"{self.attribute}: {self.read!r} (read back) => {self.declared!r} (declared): {self.action}"


_HC_DURATIONS = ("interval", "timeout", "startPeriod", "startInterval")


def _port(p: dict) -> dict:
    return {"internal": p["internal"], "external": p.get("external"), "ip": p.get("ip") or "0.0.0.0",
            "protocol": p.get("protocol") or "tcp"}


def _healthcheck(h: dict) -> dict:
    out = {k: h.get(k) or "0s" for k in _HC_DURATIONS}
    out["tests"] = list(h.get("tests") or [])
    out["retries"] = h.get("retries") or 0
    return out


def container_read_back(inputs: dict[str, Any], engine: EngineDefaults = EngineDefaults()) -> dict[str, Any]:
    """The state a refresh holds for a container created from `inputs`, for every input it reads back.

    Inputs the read never sets (NEVER, IMPORT_ONLY) keep their declared value. An input missing
    from the table raises KeyError: the model would otherwise pass what it does not know."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        attr = CONTAINER_BEHAVIOUR.attribute(name)
        if value is None or attr.read in (NEVER, IMPORT_ONLY):
            continue
        if name == "capabilities":
            adds = canonical_capabilities(value.get("adds"))
            drops = canonical_capabilities(value.get("drops"))
            if adds or drops:
                out[name] = {"adds": adds, "drops": drops}
        elif name == "securityOpts":
            out[name] = engine_security_opts(value, pid_mode=inputs.get("pidMode"), ipc_mode=inputs.get("ipcMode"),
                                             privileged=bool(inputs.get("privileged")))
        elif name == "logOpts":
            out[name] = engine_log_opts(value, inputs.get("logDriver"), engine.log_driver, dict(engine.log_opts))
        elif name in ("memory", "memorySwap", "shmSize"):
            out[name] = value * 1024 * 1024 // 1024 // 1024 if value > 0 else value
        elif name == "cpus":
            out[name] = read_back_cpus(value)
        elif name == "healthcheck":
            hc = _healthcheck(value)
            out[name] = {**hc, **{k: read_back_duration(hc[k]) for k in _HC_DURATIONS}}
        elif name == "ports":
            out[name] = sorted((_port(p) for p in value), key=lambda p: (p["internal"], p["protocol"]))
        elif name == "mounts":
            out[name] = [{"target": m["target"], "source": m.get("source"), "type": m["type"],
                          "readOnly": bool(m.get("readOnly")),
                          **({"bindOptions": {"propagation": m["bindOptions"].get("propagation")}}
                             if m.get("bindOptions") else {})} for m in value]
        else:
            out[name] = value
    # What the engine sets although the program did not.
    memory = inputs.get("memory") or 0
    if memory > 0 and not inputs.get("memorySwap"):
        out["memorySwap"] = 2 * memory
    return out


def _comparable(attr: Attribute, value: Any, side: str) -> Any:
    if attr.name == "capabilities":
        return {k: sorted(set(value.get(k) or ())) for k in ("adds", "drops")}
    if attr.name == "healthcheck":
        return _healthcheck(value)
    if attr.name == "ports":
        return sorted((_port(p) for p in value), key=lambda p: (p["internal"], p["protocol"]))
    if attr.name == "ipamConfigs":
        return sorted(({k: c[k] for k in ("subnet", "ipRange", "gateway", "auxAddress") if c.get(k)} for c in value),
                      key=lambda c: c.get("subnet", ""))
    if attr.name == "mounts":
        return sorted(value, key=lambda m: m["target"]) if side == "read" else sorted(
            ({"target": m["target"], "source": m.get("source"), "type": m["type"], "readOnly": bool(m.get("readOnly")),
              **({"bindOptions": {"propagation": m["bindOptions"].get("propagation")}} if m.get("bindOptions") else {})}
             for m in value), key=lambda m: m["target"])
    if attr.is_set:
        return sorted(set(value))
    return value


def drift(behaviour: ResourceBehaviour, declared: dict[str, Any], read: dict[str, Any]) -> list[Drift]:
    """Inputs whose read-back value differs from the declared one, under the provider's rules:
    sets compare as sets, ports ignore their order, a ForceNew attribute is a replace.
    An attribute read back but not declared differs only when the schema does not keep it
    (Optional+Computed attributes keep whatever was read)."""
    out = []
    for name, value in read.items():
        attr = behaviour.attribute(name)
        if attr.read in (NEVER, IMPORT_ONLY):
            continue
        mine = declared.get(name)
        if mine is None:
            if attr.computed:
                continue
            mine = {"int": 0, "bool": False, "string": attr.default or ""}.get(attr.kind, attr.default)
            if mine is None or _comparable(attr, value, "read") in ([], {}, "", 0, False):
                continue
            out.append(Drift(name, mine, value, attr.on_change))
            continue
        if _comparable(attr, mine, "declared") != _comparable(attr, value, "read"):
            out.append(Drift(name, mine, value, attr.on_change))
    return out


def container_drift(inputs: dict[str, Any], engine: EngineDefaults = EngineDefaults()) -> list[Drift]:
    """What `pulumi refresh` then `pulumi preview` would show for a container declared with `inputs`."""
    return drift(CONTAINER_BEHAVIOUR, inputs, container_read_back(inputs, engine))


def network_read_back(inputs: dict[str, Any]) -> dict[str, Any]:
    """The state a refresh holds for a network created from `inputs`: IPAM configs as given (the daemon
    reports no gateway it was not given), the driver, internal; the daemon adds no labels."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        attr = NETWORK_BEHAVIOUR.attribute(name)
        if value is None or attr.read in (NEVER, IMPORT_ONLY):
            continue
        if name == "ipamConfigs":
            out[name] = [{k: c[k] for k in ("subnet", "ipRange", "gateway", "auxAddress") if c.get(k)} for c in value]
        else:
            out[name] = value
    out.setdefault("driver", "bridge")
    return out


def network_drift(inputs: dict[str, Any]) -> list[Drift]:
    return drift(NETWORK_BEHAVIOUR, inputs, network_read_back(inputs))
