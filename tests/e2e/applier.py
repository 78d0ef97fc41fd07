"""Applies a stack's recorded graph to a real host: real SSH, real Docker, real images.

This stands in for `pulumi up` where the machine cannot build the provider plugins
(pulumi-docker, pulumi-command and pulumi-random are refused by this machine's Go module
proxy: README, "What runs for real"). The program runs as it does for `make plan`; each
registered resource is then carried out in dependency order the way its provider does it:

- `command:remote:Command`: `create` (or `update` on a second apply when `create` changed)
  over SSH as the deploy user with `stdin`, like pulumi-command; `delete` on destroy.
- `docker:index/...`: the Docker CLI over `ssh://` (the Docker provider's transport), with
  the container inputs translated flag for flag. An input this module does not know fails the
  run instead of being dropped, so nothing the program declares goes unapplied.
- `random:index/randomPassword:RandomPassword`: a real random value (see E2eMocks).

What this proves is the program's graph and every value in it against the real host, images
and tools; what it cannot prove is the providers' own behaviour (e.g. how pulumi-docker
orders `uploads` after create), which the guardrails and tests cover from their sources.
"""
from __future__ import annotations

import json
import secrets
import shlex
import string
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.plan.mocks import CloudMocks, Registration

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

    def docker(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        env = {**self.env, "PATH": f"{self.ssh_wrapper_dir}:{self.env.get('PATH', '/usr/bin:/bin')}",
               "DOCKER_HOST": f"ssh://{self.user}@{self.address}:{self.port}"}
        r = subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=timeout)
        if check and r.returncode != 0:
            raise ApplyError(f"docker {' '.join(args[:3])} ...: {r.stderr.strip()[-2000:]}")
        return r


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


# --- container inputs -> docker create flags -----------------------------------------------

_HANDLED = {
    "name", "image", "command", "entrypoints", "envs", "user", "hostname", "capabilities", "securityOpts",
    "readOnly", "tmpfs", "memory", "memorySwap", "cpus", "logDriver", "logOpts", "restart", "init",
    "healthcheck", "volumes", "mounts", "ports", "networksAdvanced", "networkMode", "pidMode", "shmSize", "stopSignal",
    "stopTimeout", "wait", "waitTimeout", "privileged", "mustRun", "start", "attach", "logs", "rm",
}


def create_args(i: dict[str, Any]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """`docker create` arguments, and the networks to connect after the first one."""
    unknown = set(i) - _HANDLED
    if unknown:
        raise ApplyError(f"container {i.get('name')}: inputs {sorted(unknown)} are not applied by tests/e2e/applier.py")
    a = ["create", "--name", i["name"]]
    if i.get("hostname"):
        a += ["--hostname", i["hostname"]]
    if i.get("user"):
        a += ["--user", i["user"]]
    for e in i.get("envs") or []:
        a += ["--env", e]
    caps = i.get("capabilities") or {}
    for c in caps.get("drops") or []:
        a += ["--cap-drop", c]
    for c in caps.get("adds") or []:
        a += ["--cap-add", c]
    for o in i.get("securityOpts") or []:
        a += ["--security-opt", o]
    if i.get("readOnly"):
        a.append("--read-only")
    for path, opts in (i.get("tmpfs") or {}).items():
        a += ["--tmpfs", f"{path}:{opts}" if opts else path]
    if i.get("memory"):
        a += ["--memory", f"{i['memory']}m"]
    if i.get("memorySwap"):
        a += ["--memory-swap", f"{i['memorySwap']}m"]
    if i.get("cpus"):
        a += ["--cpus", str(i["cpus"])]
    if i.get("shmSize"):
        a += ["--shm-size", f"{i['shmSize']}m"]
    if i.get("logDriver"):
        a += ["--log-driver", i["logDriver"]]
    for k, v in (i.get("logOpts") or {}).items():
        a += ["--log-opt", f"{k}={v}"]
    if i.get("restart"):
        a += ["--restart", i["restart"]]
    if i.get("init"):
        a.append("--init")
    if i.get("privileged"):
        a.append("--privileged")
    if i.get("pidMode"):
        a += ["--pid", i["pidMode"]]
    if i.get("stopSignal"):
        a += ["--stop-signal", i["stopSignal"]]
    if i.get("stopTimeout") is not None:
        a += ["--stop-timeout", str(i["stopTimeout"])]
    hc = i.get("healthcheck")
    if hc:
        tests = hc["tests"]
        if tests[0] == "CMD-SHELL":
            a += ["--health-cmd", tests[1]]
        elif tests[0] == "CMD":
            a += ["--health-cmd", json.dumps(tests[1:])]
        for key, flag in (("interval", "--health-interval"), ("timeout", "--health-timeout"), ("startPeriod", "--health-start-period")):
            if hc.get(key):
                # Go durations (10s, 1m30s), as the provider's schema takes them and docker too.
                a += [flag, hc[key]]
        if hc.get("retries"):
            a += ["--health-retries", str(hc["retries"])]
    for v in i.get("volumes") or []:
        source = v.get("hostPath") or v.get("volumeName")
        spec = f"{source}:{v['containerPath']}" + (":ro" if v.get("readOnly") else "")
        a += ["--volume", spec]
    for m in i.get("mounts") or []:
        spec = f"type={m['type']},source={m['source']},target={m['target']}"
        if m.get("readOnly"):
            spec += ",readonly"
        prop = (m.get("bindOptions") or {}).get("propagation")
        if prop:
            spec += f",bind-propagation={prop}"
        a += ["--mount", spec]
    for p in i.get("ports") or []:
        ip = p.get("ip")
        a += ["--publish", f"{ip + ':' if ip else ''}{p['external']}:{p['internal']}"]
    networks = [(n["name"], n.get("aliases") or []) for n in i.get("networksAdvanced") or []]
    if i.get("networkMode"):
        a += ["--network", i["networkMode"]]  # "host": node-exporter sees the host's interfaces
    elif networks:
        first, aliases = networks[0]
        a += ["--network", first]
        for al in aliases:
            a += ["--network-alias", al]
    for e in i.get("entrypoints") or []:
        a += ["--entrypoint", e]
    a.append(i["image"])
    a += list(i.get("command") or [])
    return a, networks[1:]


# --- the apply -------------------------------------------------------------------------------


def ordered(resources: list[Registration]) -> list[Registration]:
    """Dependencies first (a component's dependents wait for all its children); registration order otherwise."""
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

    done: set[str] = set()
    out: list[Registration] = []

    def visit(r: Registration, stack: tuple[str, ...] = ()) -> None:
        if r.urn in done:
            return
        if r.urn in stack:
            raise ApplyError(f"dependency cycle through {r.name}")
        for dep in r.dependencies:
            for leaf in leaves(dep):
                visit(by_urn[leaf], (*stack, r.urn))
        done.add(r.urn)
        out.append(r)

    for r in resources:
        if r.custom:
            visit(r)
    return out


@dataclass
class Applied:
    """What one apply did: per resource the operation and seconds, for the figures."""

    steps: list[tuple[str, str, float]] = field(default_factory=list)


def state_file(workdir: Path) -> Path:
    return workdir / "applied.json"


def apply(resources: list[Registration], host: Host, workdir: Path, registry: tuple[str, str, str] | None) -> Applied:
    """Create what is new, update what changed (by the provider's rules), keep the rest."""
    previous = json.loads(state_file(workdir).read_text()) if state_file(workdir).exists() else {}
    current: dict[str, Any] = {}
    result = Applied()
    if registry:
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
    for r in ordered(resources):
        if r.type in NO_OP:
            continue
        inputs = r.secret_inputs
        before = previous.get(r.urn)
        start = time.monotonic()
        try:
            op = _apply_one(r, inputs, before, host)
        except Exception:
            # Like the engine's checkpoints: a failed apply still knows what may exist, and the
            # next apply tries this resource again (its recorded inputs never match).
            current[r.urn] = {"type": r.type, "inputs": {**inputs, "(failed)": True}}
            state_file(workdir).write_text(json.dumps({**previous, **current}))
            raise
        current[r.urn] = {"type": r.type, "inputs": inputs}
        state_file(workdir).write_text(json.dumps({**previous, **current}))
        if op:
            result.steps.append((r.name, op, time.monotonic() - start))
    # Resources gone from the graph are deleted, dependants first.
    for urn, old in reversed(list(previous.items())):
        if urn not in current:
            _delete(old["type"], old["inputs"], host)
            result.steps.append((urn.rsplit("::", 1)[-1], "delete", 0.0))
    state_file(workdir).write_text(json.dumps(current))
    return result


def _apply_one(r: Registration, i: dict[str, Any], before: dict | None, host: Host) -> str | None:
    if before is not None and before["inputs"] == i:
        return None
    if r.type == COMMAND:
        if before is None:
            command = i["create"]
        else:
            # pulumi-command: a change of `triggers` replaces (create again), any other change updates.
            replaced = before["inputs"].get("triggers") != i.get("triggers")
            command = i["create"] if replaced or not i.get("update") else i["update"]
        out = host.ssh(command, stdin=i.get("stdin"))
        if out.returncode != 0:
            raise ApplyError(f"{r.name}: exit {out.returncode}: {out.stderr.strip()[-3000:]}")
        return "create" if before is None else "update"
    if r.type == NETWORK:
        if before is not None:
            _delete(r.type, before["inputs"], host)
        a = ["network", "create", "--driver", i.get("driver", "bridge")]
        if i.get("internal"):
            a.append("--internal")
        for ipam in i.get("ipamConfigs") or []:
            a += ["--subnet", ipam["subnet"]]
            if ipam.get("ipRange"):
                a += ["--ip-range", ipam["ipRange"]]
        host.docker(*a, i["name"])
        return "create"
    if r.type == VOLUME:
        if before is None:
            host.docker("volume", "create", i["name"])
        return "create"
    if r.type == IMAGE:
        host.docker("pull", "-q", i["name"], timeout=900)
        return "pull"
    if r.type == CONTAINER:
        # pulumi-docker replaces a container whose inputs changed (delete before create).
        if before is not None:
            _delete(r.type, before["inputs"], host)
        args, more = create_args(i)
        host.docker(*args)
        for net, aliases in more:
            extra = [x for al in aliases for x in ("--alias", al)]
            host.docker("network", "connect", *extra, net, i["name"])
        host.docker("start", i["name"])
        if i.get("wait"):
            wait_healthy(host, i["name"], float(i.get("waitTimeout", 60)))
        return "create" if before is None else "replace"
    raise ApplyError(f"{r.name}: resource type {r.type} is not applied by tests/e2e/applier.py")


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
    """Delete everything applied, dependants first; returns what was deleted."""
    previous = json.loads(state_file(workdir).read_text()) if state_file(workdir).exists() else {}
    gone = []
    for urn, old in reversed(list(previous.items())):
        _delete(old["type"], old["inputs"], host)
        gone.append(urn.rsplit("::", 1)[-1])
    state_file(workdir).unlink(missing_ok=True)
    return gone
