"""Applies a stack's recorded graph to a real host: real SSH, real Docker, real images.

This stands in for `pulumi up` where the machine cannot build the provider plugins
(pulumi-docker, pulumi-command and pulumi-random are refused by this machine's Go module
proxy: README, "What runs for real"). The program runs as it does for `make plan`; each
registered resource is then carried out the way the engine schedules it and its provider does it:

- the engine: every step whose dependencies are done runs at once, up to the CLI's default
  `--parallel` (run_graph); a failure starts nothing new and lets steps in flight finish; each
  operation is checkpointed as pending before it starts (State), so a killed run leaves pending
  creates as an interrupted `pulumi up` does; `refresh` and `preview` are `pulumi refresh` and
  `pulumi preview` (tests/e2e/readback.py maps `docker inspect` as the provider's read does, and
  diffs by components/runtime/provider_behaviour.py's table).
- `command:remote:Command`: `create` (or `update` when an input other than `triggers`
  changed) over SSH as the deploy user with `stdin`, like pulumi-command; `delete` on destroy.
- `docker:index/...`: the Docker CLI over `ssh://` (the Docker provider's transport); a
  container is created with the Engine API body resourceDockerContainerCreate builds (create_body,
  sent over `docker system dial-stdio`), on network_mode "bridge", then moved to networks_advanced. An input this module does not
  know fails the run instead of being dropped, so nothing the program declares goes unapplied.
- `random:index/randomPassword:RandomPassword`: a real random value (see E2eMocks).

What it cannot prove is the providers' behaviour beyond what is modelled here from their
sources (e.g. how pulumi-docker orders `uploads` after create), which the guardrails and tests
cover from their sources.
"""
from __future__ import annotations

import concurrent.futures as cf
import http.client
import json
import os
import re
import secrets
import shlex
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from components.plan.mocks import CloudMocks, Registration
from tests.e2e import readback

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
IMAGE = "docker:index/remoteImage:RemoteImage"
COMMAND = "command:remote:Command"
DOCKER_PROVIDER = "pulumi:providers:docker"
NO_OP = {"random:index/randomPassword:RandomPassword", DOCKER_PROVIDER}


class E2eMocks(CloudMocks):
    """The plan's mocks, but with real secrets and images named by reference.

    `generated` keeps each password by resource name from one run of the program to the next,
    as pulumi-random keeps its result in the stack's state.
    """

    def __init__(self, generated: dict[str, str]):
        super().__init__()
        self.generated = generated

    def new_resource(self, args):
        rid, state = super().new_resource(args)
        if args.typ == "random:index/randomPassword:RandomPassword":
            alphabet = string.ascii_letters + string.digits
            length = int(args.inputs.get("length", 16))
            state["result"] = self.generated.setdefault(args.name, "".join(secrets.choice(alphabet) for _ in range(length)))
        return rid, state


class ApplyError(RuntimeError):
    pass


@dataclass
class Host:
    """How the applier reaches the host: the deploy user's SSH and Docker over ssh://."""

    address: str
    port: int
    user: str
    key: str
    ssh_wrapper_dir: Path  # holds an `ssh` that adds the key, for the Docker CLI's ssh helper
    env: dict[str, str] = field(default_factory=dict)

    def ssh(self, command: str, stdin: str | None = None, timeout: float = 1200) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["ssh", "-p", str(self.port), "-i", self.key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
             f"{self.user}@{self.address}", command],
            input=stdin if stdin is not None else "", capture_output=True, text=True, timeout=timeout,
        )

    def _docker_env(self) -> dict[str, str]:
        return {**self.env, "PATH": f"{self.ssh_wrapper_dir}:{self.env.get('PATH', '/usr/bin:/bin')}",
                "DOCKER_HOST": f"ssh://{self.user}@{self.address}:{self.port}"}

    def docker(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        r = subprocess.run(["docker", *args], capture_output=True, text=True, env=self._docker_env(), timeout=timeout)
        if check and r.returncode != 0:
            raise ApplyError(f"docker {' '.join(args[:3])} ...: {r.stderr.strip()[-2000:]}")
        return r


    def engine(self, method: str, path: str, body: dict | None = None, timeout: float = 120) -> tuple[int, bytes]:
        """One Engine API request over `docker system dial-stdio`: the transport of an ssh:// host for
        the CLI and the provider alike (terraform-provider-docker v4.5.0 internal/provider/config.go
        uses docker/cli's connhelper.GetConnectionHelperWithSSHOpts, which runs `docker system
        dial-stdio` on the host and relays the daemon's socket). The pipe's
        stdin stays open until the answer is read: a half-close would read as the client gone."""
        ours, theirs = socket.socketpair()
        proc = subprocess.Popen(["docker", "system", "dial-stdio"], stdin=theirs.fileno(), stdout=theirs.fileno(),
                                stderr=subprocess.PIPE, env=self._docker_env())
        theirs.close()
        try:
            ours.settimeout(timeout)
            conn = http.client.HTTPConnection("docker", timeout=timeout)
            conn.sock = ours  # already connected: request() then skips connect()
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            ours.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def create_container(self, name: str, body: dict) -> str:
        status, payload = self.engine("POST", f"/containers/create?name={urllib.parse.quote(name)}", body)
        if status != 201:
            raise ApplyError(f"POST /containers/create {name}: HTTP {status}: {payload.decode(errors='replace')[-2000:]}")
        return str(json.loads(payload)["Id"])


def write_ssh_wrapper(directory: Path, key: str) -> None:
    """The Docker CLI runs plain `ssh`; this one logs in with the run's key (research/docker-engine.md)."""
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory / "ssh"
    wrapper.write_text(
        "#!/bin/sh\nexec /usr/bin/ssh -i " + shlex.quote(key)
        + " -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
        + " -o LogLevel=ERROR \"$@\"\n"
    )
    wrapper.chmod(0o755)


# --- container inputs -> the Engine API's create body ----------------------------------------

_HANDLED = {
    "name", "image", "command", "entrypoints", "envs", "user", "hostname", "capabilities", "securityOpts",
    "readOnly", "tmpfs", "memory", "memorySwap", "cpus", "logDriver", "logOpts", "restart", "init",
    "healthcheck", "volumes", "mounts", "ports", "networksAdvanced", "networkMode", "pidMode", "shmSize", "stopSignal",
    "stopTimeout", "wait", "waitTimeout", "privileged", "mustRun", "start", "attach", "logs", "rm",
}


_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def go_duration_ns(text: str) -> int:
    """Go's time.ParseDuration ("1m30s", "500ms") in nanoseconds, as the provider parses durations."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ApplyError(f"not a Go duration: {text!r}")
    return round(sum(float(n) * _NS[u] for n, u in parts))


def create_body(i: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, list[str]]]]:
    """The Engine API `POST /containers/create` body, and the networks to connect before the start.

    Built as terraform-provider-docker v4.5.0 builds it (internal/provider/resource_docker_container_funcs.go,
    resourceDockerContainerCreate: container.Config and container.HostConfig, then client.ContainerCreate),
    so the health check's `test` arrives exactly as given (exec form too; the Docker CLI would store any
    --health-cmd as CMD-SHELL, docker/cli cli/command/container/opts.go parse). Only the inputs the
    program sets are sent (the provider's zero values, which the daemon reads as unset, are left out);
    the daemon fills the rest.
    """
    unknown = set(i) - _HANDLED
    if unknown:
        raise ApplyError(f"container {i.get('name')}: inputs {sorted(unknown)} are not applied by tests/e2e/applier.py")
    config: dict[str, Any] = {"Image": i["image"]}
    host: dict[str, Any] = {
        # RestartPolicy{Name: restart} (schema default "no"); Init is always sent, a bool.
        "RestartPolicy": {"Name": i.get("restart") or "no", "MaximumRetryCount": 0},
        "Init": bool(i.get("init")),
        "Privileged": bool(i.get("privileged")),
        "ReadonlyRootfs": bool(i.get("readOnly")),
        "LogConfig": {"Type": i.get("logDriver") or ""},
    }
    for key, field_ in (("hostname", "Hostname"), ("user", "User"), ("stopSignal", "StopSignal")):
        if i.get(key):
            config[field_] = i[key]
    if i.get("stopTimeout") is not None:
        config["StopTimeout"] = int(i["stopTimeout"])
    if i.get("envs"):
        config["Env"] = list(i["envs"])
    if i.get("command"):
        config["Cmd"] = list(i["command"])
    if i.get("entrypoints"):
        config["Entrypoint"] = list(i["entrypoints"])
    hc = i.get("healthcheck")
    if hc:
        # config.Healthcheck: Test verbatim; durations by time.ParseDuration (nanoseconds in JSON).
        health: dict[str, Any] = {"Test": list(hc["tests"])}
        for key, field_ in (("interval", "Interval"), ("timeout", "Timeout"), ("startPeriod", "StartPeriod"),
                            ("startInterval", "StartInterval")):
            if hc.get(key):
                health[field_] = go_duration_ns(hc[key])
        if hc.get("retries"):
            health["Retries"] = int(hc["retries"])
        config["Healthcheck"] = health
    caps = i.get("capabilities") or {}
    if caps.get("adds"):
        host["CapAdd"] = list(caps["adds"])
    if caps.get("drops"):
        host["CapDrop"] = list(caps["drops"])
    if i.get("securityOpts"):
        host["SecurityOpt"] = list(i["securityOpts"])
    if i.get("tmpfs"):
        host["Tmpfs"] = {path: opts or "" for path, opts in i["tmpfs"].items()}
    if i.get("memory"):
        host["Memory"] = int(i["memory"]) * 1024 * 1024
    if i.get("memorySwap"):
        swap = int(i["memorySwap"])
        host["MemorySwap"] = swap * 1024 * 1024 if swap > 0 else swap
    if i.get("shmSize"):
        host["ShmSize"] = int(i["shmSize"]) * 1024 * 1024
    if i.get("cpus"):
        host["NanoCpus"] = round(float(i["cpus"]) * 1e9)  # opts.ParseCPUs
    if i.get("logOpts"):
        host["LogConfig"]["Config"] = {k: str(v) for k, v in i["logOpts"].items()}
    if i.get("pidMode"):
        host["PidMode"] = i["pidMode"]
    # network_mode's schema Default is "bridge"; "host": node-exporter sees the host's interfaces.
    host["NetworkMode"] = i.get("networkMode") or "bridge"
    # volumeSetToDockerVolumes (resource_docker_container_structures.go): host_path or volume_name,
    # "source:target:ro|rw" in HostConfig.Binds and the target in Config.Volumes.
    binds: list[str] = []
    volumes: dict[str, dict] = {}
    for v in i.get("volumes") or []:
        source = v.get("hostPath") or v.get("volumeName")
        volumes[v["containerPath"]] = {}
        if source:
            binds.append(f"{source}:{v['containerPath']}:{'ro' if v.get('readOnly') else 'rw'}")
    if volumes:
        config["Volumes"] = volumes
    if binds:
        host["Binds"] = binds
    mounts = []
    for m in i.get("mounts") or []:
        mount: dict[str, Any] = {"Type": m["type"], "Target": m["target"], "Source": m.get("source") or "",
                                 "ReadOnly": bool(m.get("readOnly"))}
        prop = (m.get("bindOptions") or {}).get("propagation")
        if m["type"] == "bind" and prop:
            mount["BindOptions"] = {"Propagation": prop}
        mounts.append(mount)
    if mounts:
        host["Mounts"] = mounts
    # portSetToDockerPorts: ExposedPorts and PortBindings; the schema's defaults are ip "0.0.0.0"
    # (so Docker binds IPv4 only) and protocol "tcp".
    exposed: dict[str, Any] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for p in i.get("ports") or []:
        port = f"{p['internal']}/{p.get('protocol') or 'tcp'}"
        exposed[port] = {}
        bindings.setdefault(port, []).append({"HostIp": p.get("ip") or "0.0.0.0", "HostPort": str(p["external"])})
    if exposed:
        config["ExposedPorts"] = exposed
        host["PortBindings"] = bindings
    config["HostConfig"] = host
    networks = [(n["name"], n.get("aliases") or []) for n in i.get("networksAdvanced") or []]
    return config, networks


# --- the graph, as the engine walks it --------------------------------------------------------


def dependencies(resources: list[Registration]) -> dict[str, set[str]]:
    """Per custom resource, the custom resources it waits for.

    A dependency on a component is a dependency on every resource under it (the SDK expands it),
    and a resource waits for its provider, which is registered with the provider's own
    dependencies (pulumi.ProviderResource: a docker resource waits for `access.ready` that way).
    """
    by_urn = {r.urn: r for r in resources}
    children: dict[str, list[str]] = {}
    for r in resources:
        if r.parent_urn:
            children.setdefault(r.parent_urn, []).append(r.urn)

    def leaves(urn: str) -> list[str]:
        r = by_urn.get(urn)
        if r is None:
            return []
        if r.custom:
            return [urn]
        return [leaf for c in children.get(urn, []) for leaf in leaves(c)]

    deps: dict[str, set[str]] = {}
    for r in resources:
        if not r.custom:
            continue
        d = {leaf for dep in r.dependencies for leaf in leaves(dep)}
        if r.provider:
            # A provider reference is "<urn>::<id>".
            provider = r.provider.rsplit("::", 1)[0]
            if provider in by_urn:
                d.add(provider)
        d.discard(r.urn)
        deps[r.urn] = d
    return deps


def ordered(resources: list[Registration]) -> list[Registration]:
    """Dependencies first; registration order otherwise (the serial order, for destroy and tests)."""
    by_urn = {r.urn: r for r in resources}
    deps = dependencies(resources)
    done: set[str] = set()
    out: list[Registration] = []

    def visit(urn: str, stack: tuple[str, ...] = ()) -> None:
        if urn in done:
            return
        if urn in stack:
            raise ApplyError(f"dependency cycle through {by_urn[urn].name}")
        for dep in sorted(deps[urn], key=list(by_urn).index):
            visit(dep, (*stack, urn))
        done.add(urn)
        out.append(by_urn[urn])

    for r in resources:
        if r.custom:
            visit(r.urn)
    return out


def default_parallel() -> int:
    """The CLI's default `--parallel`: PULUMI_PARALLEL, else 4 x GOMAXPROCS (pulumi/pulumi v3.274.1
    pkg/cmd/pulumi/operations/up.go defaultParallel; GOMAXPROCS defaults to the CPU count)."""
    value = int(os.environ.get("PULUMI_PARALLEL", "0") or 0)
    return value if value > 0 else 4 * (os.cpu_count() or 1)


def run_graph(resources: list[Registration], step, parallel: int | None = None) -> list[tuple[str, BaseException]]:
    """Runs `step(r)` for every custom resource as soon as everything it depends on is done,
    up to `parallel` at once, like the engine's step executor (pkg/resource/deploy/
    step_executor.go: a worker per degree of parallelism pulls each step whose dependencies are
    done). On a failure no new step starts (cancelDueToError cancels the executor's context,
    executeChain checks it before each step); steps in flight finish and are recorded. Returns
    the failures, by resource name.
    """
    deps = dependencies(resources)
    by_urn = {r.urn: r for r in resources}
    waiting = {u: set(d) for u, d in deps.items()}
    done: set[str] = set()
    failed: list[tuple[str, BaseException]] = []
    running: dict[cf.Future, str] = {}
    with cf.ThreadPoolExecutor(max_workers=parallel or default_parallel()) as pool:
        while True:
            if not failed:
                for urn in [u for u, d in waiting.items() if d <= done]:
                    del waiting[urn]
                    running[pool.submit(step, by_urn[urn])] = urn
            if not running:
                break
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for f in finished:
                urn = running.pop(f)
                error = f.exception()
                if error is not None:
                    failed.append((by_urn[urn].name, error))
                else:
                    done.add(urn)
    if not failed and waiting:
        raise ApplyError(f"dependency cycle among {sorted(by_urn[u].name for u in waiting)}")
    return failed


# --- the state, as the engine checkpoints it ------------------------------------------------


@dataclass
class Applied:
    """What one apply did: per resource the operation and seconds, for the figures."""

    steps: list[tuple[str, str, float]] = field(default_factory=list)


def state_file(workdir: Path) -> Path:
    return workdir / "applied.json"


class State:
    """The applier's checkpoint: resources (type, inputs, state) and pending operations.

    Like the engine's journal (pkg/engine/journal_snapshot.go, pkg/backend/journal.go): an
    operation is recorded as pending before the provider is called and cleared when it returns,
    so a run killed in between leaves `pending_operations` with the resource's inputs and no
    resource entry, exactly what `pulumi stack export` shows after an interrupted `pulumi up`.
    A pending CREATE of an earlier run is carried into every new checkpoint until a refresh
    resolves it; an earlier run's other pending operations are dropped (pkg/backend/journal.go:
    "we don't want to clear pending CREATE operations because these must require user
    intervention"). Each write replaces the file atomically.
    """

    def __init__(self, workdir: Path):
        self.path = state_file(workdir)
        data = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.resources: dict[str, dict] = data.get("resources", {})
        self.pending: list[dict] = data.get("pending_operations", [])
        self.run = secrets.token_hex(4)
        self.lock = threading.Lock()

    def carry_pending_creates(self) -> None:
        """A new run's checkpoint: the earlier runs' pending creates only."""
        self.pending = [p for p in self.pending if p["operation"] == "creating"]

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"resources": self.resources, "pending_operations": self.pending}))
        os.replace(tmp, self.path)

    def begin(self, urn: str, type_: str, op: str, inputs: dict) -> None:
        with self.lock:
            self.pending.append({"urn": urn, "type": type_, "operation": op, "inputs": inputs, "run": self.run})
            self.save()

    def end(self, urn: str, entry: dict | None) -> None:
        with self.lock:
            self.pending = [p for p in self.pending if not (p["urn"] == urn and p.get("run") == self.run)]
            if entry is None:
                self.resources.pop(urn, None)
            else:
                self.resources[urn] = entry
            self.save()


def pending_warning(state: State) -> str | None:
    """What the engine prints before an update with pending operations
    (pkg/resource/deploy/deployment_executor.go printPendingOperationsWarning)."""
    if not state.pending:
        return None
    lines = [f"  * {p['urn']}, interrupted while {p['operation']}" for p in state.pending]
    return f"Attempting to deploy or update resources with {len(state.pending)} pending operations from previous deployment.\n" + "\n".join(lines)


def registry_login(host: Host, registry: tuple[str, str, str] | None) -> None:
    if not registry:
        return
    # The Docker provider's registry_auth: pulls of the registry's images carry the login.
    server, user, password = registry
    login = subprocess.run(
        ["docker", "login", "--username", user, "--password-stdin", server],
        input=password, capture_output=True, text=True,
        env={**host.env, "PATH": f"{host.ssh_wrapper_dir}:{host.env.get('PATH', '/usr/bin:/bin')}",
             "DOCKER_HOST": f"ssh://{host.user}@{host.address}:{host.port}"},
    )
    if login.returncode != 0:
        raise ApplyError(f"registry login: {login.stderr.strip()}")


def apply(resources: list[Registration], host: Host, workdir: Path, registry: tuple[str, str, str] | None,
          parallel: int | None = None) -> Applied:
    """Create what is new, update or replace what changed (by the provider's rules), keep the rest.

    A pending CREATE from an interrupted run is not in the state: the engine creates it again
    (the warning above is all it does), so a resource that did get created fails with its
    provider's "already exists". `refresh(..., import_pending=...)` is the way out, as for real.
    """
    state = State(workdir)
    warning = pending_warning(state)
    if warning:
        print(warning)
    state.carry_pending_creates()
    result = Applied()
    registry_login(host, registry)
    in_graph = {r.urn for r in resources}

    def step(r: Registration) -> None:
        if r.type in NO_OP:
            return
        inputs = r.secret_inputs
        before = state.resources.get(r.urn)
        op = plan_op(r, inputs, before)
        if op is None:
            return
        start = time.monotonic()
        state.begin(r.urn, r.type, "creating" if before is None else "updating", inputs)
        try:
            entry = _apply_one(r, inputs, before, op, host)
        except Exception:
            # A failed create leaves nothing the engine knows of; a failed update keeps the old
            # state (pending cleared: the provider answered).
            state.end(r.urn, before)
            raise
        state.end(r.urn, entry)
        result.steps.append((r.name, op, time.monotonic() - start))

    failures = run_graph(resources, step, parallel)
    if failures:
        name, error = failures[0]
        more = f" (and {len(failures) - 1} more: {', '.join(n for n, _ in failures[1:])})" if len(failures) > 1 else ""
        raise ApplyError(f"{name}: {error}{more}") from error
    # Resources gone from the graph are deleted, dependants first.
    for urn, old in reversed(list(state.resources.items())):
        if urn not in in_graph:
            state.begin(urn, old["type"], "deleting", old["inputs"])
            _delete(old["type"], old["inputs"], host)
            state.end(urn, None)
            result.steps.append((urn.rsplit("::", 1)[-1], "delete", 0.0))
    return result


RULES = readback.BEHAVIOUR


def provider_diff(r: Registration, inputs: dict, before: dict) -> list[readback.Diff]:
    """The provider's diff of the program's inputs against the state (read back by a refresh, or
    as the last create or update wrote it)."""
    return readback.diff(r.name, r.type, inputs, before.get("state", before["inputs"]))


def plan_op(r: Registration, inputs: dict, before: dict | None) -> str | None:
    """What the engine would do: None (same), create, update or replace."""
    if before is None:
        return "create"
    if r.type == COMMAND:
        if before["inputs"] == inputs:
            return None
        # pulumi-command: a change of `triggers` replaces (create again), any other change updates.
        return "replace" if before["inputs"].get("triggers") != inputs.get("triggers") else "update"
    if r.type in RULES:
        diffs = provider_diff(r, inputs, before)
        if not diffs:
            return None
        return "replace" if any(d.replace for d in diffs) else "update"
    raise ApplyError(f"{r.name}: resource type {r.type} is not applied by tests/e2e/applier.py")


def _apply_one(r: Registration, i: dict[str, Any], before: dict | None, op: str, host: Host) -> dict:
    entry = {"type": r.type, "inputs": i}
    # What the state held before (a replace or an update always has it; a create has none).
    old_inputs: dict[str, Any] = before["inputs"] if before is not None else {}
    if r.type == COMMAND:
        command = i["create"] if op in ("create", "replace") or not i.get("update") else i["update"]
        # A replace is create-before-delete unless the resource asks otherwise
        # (pkg/resource/deploy/step_generator.go): the old `delete` runs after the new `create`.
        if op == "replace" and r.delete_before_replace:
            _delete(r.type, old_inputs, host)
        out = host.ssh(command, stdin=i.get("stdin"))
        if out.returncode != 0:
            raise ApplyError(f"{r.name}: exit {out.returncode}: {out.stderr.strip()[-3000:]}")
        if op == "replace" and not r.delete_before_replace:
            _delete(r.type, old_inputs, host)
        return entry
    if r.type == NETWORK:
        if op == "update":
            raise ApplyError(f"{r.name}: a network has no in-place update (every attribute is ForceNew)")
        if before is not None:
            _delete(r.type, before["inputs"], host)
        a = ["network", "create", "--driver", i.get("driver", "bridge")]
        if i.get("internal"):
            a.append("--internal")
        for ipam in i.get("ipamConfigs") or []:
            a += ["--subnet", ipam["subnet"]]
            if ipam.get("ipRange"):
                a += ["--ip-range", ipam["ipRange"]]
        entry["id"] = host.docker(*a, i["name"]).stdout.strip()
        return entry
    if r.type == VOLUME:
        if before is not None:
            _delete(r.type, before["inputs"], host)
        entry["id"] = host.docker("volume", "create", i["name"]).stdout.strip()
        return entry
    if r.type == IMAGE:
        host.docker("pull", "-q", i["name"], timeout=900)
        return entry
    if r.type == CONTAINER:
        if op == "update":
            if before is None:
                raise ApplyError(f"{r.name}: an update needs the container's previous state")
            return _update_container(r, i, before, host)
        # pulumi-docker replaces a container whose ForceNew inputs changed (delete before create).
        if before is not None:
            _delete(r.type, before["inputs"], host)
        body, networks = create_body(i)
        entry["id"] = host.create_container(i["name"], body)
        if networks:
            # resourceDockerContainerCreate: created on network_mode (default "bridge"), then
            # disconnected from "bridge" and connected to each networks_advanced entry.
            host.docker("network", "disconnect", "bridge", i["name"], check=False)
            for net, aliases in networks:
                extra = [x for al in aliases for x in ("--alias", al)]
                host.docker("network", "connect", *extra, net, i["name"])
        host.docker("start", i["name"])
        if i.get("wait"):
            wait_healthy(host, i["name"], float(i.get("waitTimeout", 60)))
        return entry
    raise ApplyError(f"{r.name}: resource type {r.type} is not applied by tests/e2e/applier.py")


# resourceDockerContainerUpdate applies these in place (ContainerUpdate); any other non-ForceNew
# change is recorded without touching the container.
_UPDATE_FLAGS = {"restart": "--restart", "memory": "--memory", "memorySwap": "--memory-swap"}


def _update_container(r: Registration, i: dict, before: dict, host: Host) -> dict:
    diffs = provider_diff(r, i, before)
    flags = []
    for d in diffs:
        if d.key in _UPDATE_FLAGS and d.inputs is not None:
            value = f"{d.inputs}m" if d.key in ("memory", "memorySwap") else str(d.inputs)
            flags += [_UPDATE_FLAGS[d.key], value]
    if flags:
        host.docker("update", *flags, i["name"])
    return {"type": r.type, "inputs": i, "id": before.get("id")}


def wait_healthy(host: Host, name: str, timeout: float) -> None:
    """pulumi-docker's `wait`: until the health check passes, or fail with the container's logs."""
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = host.docker("inspect", "-f", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", name).stdout.strip()
        if status.endswith("healthy") and not status.endswith("unhealthy"):
            return
        if status.startswith(("exited", "dead")) or status.endswith("unhealthy"):
            break
        time.sleep(1)
    logs = host.docker("logs", "--tail", "30", name, check=False)
    raise ApplyError(f"container {name} is not healthy ({status}); last logs:\n{logs.stdout}{logs.stderr}")


def _delete(type_: str, i: dict[str, Any], host: Host) -> None:
    if type_ == CONTAINER:
        host.docker("rm", "-f", i["name"], check=False)
    elif type_ == NETWORK:
        host.docker("network", "rm", i["name"], check=False)
    elif type_ == VOLUME:
        host.docker("volume", "rm", i["name"], check=False)
    elif type_ == COMMAND and i.get("delete"):
        host.ssh(i["delete"])


def destroy(workdir: Path, host: Host) -> list[str]:
    """Delete everything in the state, dependants first; returns what was deleted.

    Like `pulumi destroy`, a pending CREATE is not in the state and is left alone.
    """
    state = State(workdir)
    gone = []
    for urn, old in reversed(list(state.resources.items())):
        _delete(old["type"], old["inputs"], host)
        gone.append(urn.rsplit("::", 1)[-1])
    state_file(workdir).unlink(missing_ok=True)
    return gone


# --- refresh and preview ----------------------------------------------------------------------


def _inspect(host: Host, kind: list[str], ref: str) -> dict | None:
    r = host.docker(*kind, "inspect", ref, check=False)
    if r.returncode != 0:
        if "No such" in r.stderr or "not found" in r.stderr.lower():
            return None
        raise ApplyError(f"docker {' '.join(kind)} inspect {ref}: {r.stderr.strip()}")
    return json.loads(r.stdout)[0]


def refresh(host: Host, workdir: Path, import_pending: dict[str, str] | None = None,
            clear_pending_creates: bool = False) -> list[str]:
    """`pulumi refresh`: each resource in the state is read back through its provider.

    Pending operations (pkg/cmd/pulumi/operations/refresh.go, v3.274.1): `--import-pending-creates
    URN ID` turns a pending CREATE into an import of that ID, which the refresh then reads;
    `--clear-pending-creates` drops them; otherwise (non-interactive) they stay pending. A
    pending update or delete is cleared: the read says what is there
    (deployment_executor.go printPendingOperationsWarning). Returns what changed, one line each.
    """
    state = State(workdir)
    import_pending = dict(import_pending or {})
    kept = []
    for p in state.pending:
        if p["operation"] != "creating":
            continue
        if p["urn"] in import_pending:
            state.resources[p["urn"]] = {"type": p["type"], "inputs": p["inputs"], "id": import_pending.pop(p["urn"])}
        elif not clear_pending_creates:
            kept.append(p)
    if import_pending:
        raise ApplyError(f"--import-pending-creates: no pending create for {sorted(import_pending)}")
    state.pending = kept
    report = []
    for urn, entry in list(state.resources.items()):
        name, t, inputs = urn.rsplit("::", 1)[-1], entry["type"], entry["inputs"]
        prior = entry.get("state", inputs)
        ref = entry.get("id") or inputs.get("name")
        if t == COMMAND:
            continue  # pulumi-command's remote.Command has no Read (commandController.go): state kept
        if t == CONTAINER:
            found = _inspect(host, ["container"], ref)
            read = found and readback.read_container(found, prior)
        elif t == NETWORK:
            found = _inspect(host, ["network"], ref)
            read = found and readback.read_network(found)
        elif t == VOLUME:
            found = _inspect(host, ["volume"], ref)
            read = found and readback.read_volume(found)
        elif t == IMAGE:
            # resourceDockerImageRead: image_id and repo_digest only, or gone from state.
            found = _inspect(host, ["image"], inputs["name"])
            read = {} if found else None
        else:
            raise readback.ReadBackError(f"{name}: no read function for {t} in tests/e2e/applier.py")
        if read is None:
            del state.resources[urn]
            report.append(f"{name}: gone, removed from state")
            continue
        # The read function sets what it sets; every other attribute keeps its state.
        new = readback.refreshed(name, t, prior, read)
        if new != prior:
            report.append(f"{name}: " + ", ".join(sorted(k for k in new if new.get(k) != prior.get(k))))
        entry["state"] = new
        if found and "Id" in found:
            entry["id"] = found["Id"]
    state.save()
    return report


def preview(resources: list[Registration], workdir: Path) -> list[str]:
    """`pulumi preview`: every step the next apply would take, one line each (nothing = no changes)."""
    state = State(workdir)
    lines = []
    for r in ordered(resources):
        if r.type in NO_OP:
            continue
        before = state.resources.get(r.urn)
        op = plan_op(r, r.secret_inputs, before)
        if op is None:
            continue
        if r.type in RULES and before is not None:
            lines += [str(d) for d in provider_diff(r, r.secret_inputs, before)]
        elif r.type == COMMAND and before is not None:
            keys = sorted(k for k in {*before["inputs"], *r.secret_inputs} if before["inputs"].get(k) != r.secret_inputs.get(k))
            lines.append(f"{r.name}: {', '.join(keys)} ({op})")
        else:
            lines.append(f"{r.name}: {op}")
    in_graph = {r.urn for r in resources}
    lines += [f"{u.rsplit('::', 1)[-1]}: delete" for u in state.resources if u not in in_graph]
    return lines


# --- a run in its own process, so a test can kill it like an interrupted `pulumi up` ----------


def write_job(path: Path, resources: list[Registration], host: Host, workdir: Path,
              registry: tuple[str, str, str] | None) -> None:
    job = {"resources": [asdict(r) for r in resources], "workdir": str(workdir), "registry": registry,
           "host": {**asdict(host), "ssh_wrapper_dir": str(host.ssh_wrapper_dir)}}
    path.touch(mode=0o600)
    path.write_text(json.dumps(job))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "apply":
        print("usage: python -m tests.e2e.applier apply JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[1]).read_text())
    host = Host(**{**job["host"], "ssh_wrapper_dir": Path(job["host"]["ssh_wrapper_dir"])})
    result = apply([Registration(**r) for r in job["resources"]], host, Path(job["workdir"]),
                   tuple(job["registry"]) if job["registry"] else None)
    print(json.dumps(result.steps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
