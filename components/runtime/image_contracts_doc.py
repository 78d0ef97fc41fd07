"""docs/images.md, rendered from the image contracts and the pinned engine, so the page cannot
drift from the tables the tests check (tests/test_image_contracts.py compares them).

Regenerate after changing components/runtime/image_contracts.py or
components/render/host_packages.py:

    .venv/bin/python -m components.runtime.image_contracts_doc > docs/images.md
"""
from __future__ import annotations

from components.render.cpu_budget import FLOOR, SHARES, cpu_limit
from components.render.host_packages import DOCKER_PACKAGES, ENGINE, IMAGE_STORE
from components.runtime.health import PROBES
from components.runtime.image_contracts import CONTRACTS, ImageContract

HEADER = """# Images and the engine they run on

What the stack may assume about each upstream image it runs, and the Docker Engine on the VM.
Generated from `components/runtime/image_contracts.py` and `components/render/host_packages.py`
by `.venv/bin/python -m components.runtime.image_contracts_doc > docs/images.md`; a test fails when this
page and the tables differ. Every container of every stack (dev, staging, prod; single and ha;
Tencent Cloud, Alibaba Cloud and an existing host) is checked against its image's contract by
`tests/test_image_contracts.py`: read-only root against what the image writes, dropped
capabilities against what its entrypoint does as root, owner and mode of each delivered file
against the uid that reads it, health commands against the binaries present, the memory limit
against the floor, host access against what an exporter must see, and the pinned engine against
what the image works with. A mismatch names the container and the field.
"""

ENGINE_SECTION = """## The Docker Engine on the VM

cloud-init installs exactly these packages from Docker's apt repository (through the stack's
`dockerAptMirror`) and holds them with `apt-mark hold`, so neither unattended-upgrades nor an
`apt-get upgrade` moves them (docs/releases.md, "Host updates and reboots").

| package | version |
|---|---|
{rows}

Engine {engine}, image store {store} (cloud-init's `daemon.json` states it:
`"features": {{"containerd-snapshotter": {snapshotter}}}`). Why not Engine 29: see the `engine` row of
cAdvisor below.

### Upgrading the engine

1. Change `ENGINE` (and the other versions) in `components/render/host_packages.py`: one reviewed
   change. The contracts test fails if an image does not work with the new engine; this page must
   be regenerated (the doc test says so).
2. New VMs get it from cloud-init. On a running VM, as root:
   `apt-mark unhold docker-ce docker-ce-cli containerd.io docker-compose-plugin`,
   `apt-get install docker-ce=<v> docker-ce-cli=<v> containerd.io=<v> docker-compose-plugin=<v>`,
   `apt-mark hold ...` again. `live-restore` keeps the containers running while dockerd restarts.
"""


LIMITS_SECTION = """## Runtime limits: health checks, CPU, processes

Every long-running container gets a Docker health check that runs a binary its image has (the
`health binaries` row of its contract below; `components/runtime/health.py`, checked by
`tests/test_health_checks.py`), or, for the images with no HTTP client (redis-exporter,
nginx-exporter, dingtalk-bridge, promtail), the host's static `/bin/busybox` (package
`busybox-static`) bound read-only at `/usr/local/lib/xqfc-probe/busybox` and run in exec form;
the host readiness gates refuse a host without a static `/bin/busybox`. It also gets a CPU limit (`--cpus`) that is a share of the VM's vCPUs
(`vmCpus`, the instance type's; `components/render/cpu_budget.py`): a ceiling, never the whole VM,
at least {floor} core. PostgreSQL (`pg_isready`), Redis (`redis-cli ping`) and nginx (`stub_status`)
keep their own checks; the app colours take their image's `HEALTHCHECK` (examples/app) and
`appCpus`. `make e2e` checks both on the live containers
(`test_every_container_runs_healthy_with_the_declared_hardening`).

| container | health check | start period | why that start period | CPU share | cores at 2 / 4 vCPUs |
|---|---|---|---|---|---|
{rows}

**No process-count limit.** pulumi-docker has no `pids_limit`: its Container resource is
kreuzwerker/terraform-provider-docker's (pulumi-docker 5.x wraps v4.5.0, the `upstream` submodule
of pulumi/pulumi-docker at 5074970c), and `internal/provider/resource_docker_container.go` at
v4.5.0 has no `pids_limit` (Docker's `HostConfig.PidsLimit`); a `docker update --pids-limit` after
the create would be state Pulumi neither sees nor restores. The provider's `ulimits` block with
`nproc` is no stand-in: RLIMIT_NPROC counts the processes (threads) of a real user id across the
whole host, not one container (without user-namespace remapping a container's uid is the host's:
uid 65534 runs Prometheus, Alertmanager and four exporters here, all in one count), it is only
checked when a process forks or changes uid, and it is not enforced for real uid 0 or a process
with CAP_SYS_RESOURCE or CAP_SYS_ADMIN (setrlimit(2)). What bounds a fork bomb in one container
today: its memory limit (cgroup v2 charges each process's kernel memory to it) and its CPU limit.
"""


def _limits() -> str:
    rows = []
    for role, share in SHARES.items():
        probe = PROBES.get(role)
        if probe:
            form = "exec form, the host's static busybox bound read-only" if probe.host_busybox else "CMD-SHELL"
            check = f"`{probe.command}` ({form}), every {probe.interval}, timeout {probe.timeout}, {probe.retries} retries"
            start, why = probe.start_period, probe.why
        else:
            check, start, why = "its own (components/runtime/data.py, edge.py)", "-", "-"
        rows.append(f"| {role} | {_cell(check)} | {start} | {_cell(why)} | {share:g} | {cpu_limit(role, 2):g} / {cpu_limit(role, 4):g} |")
    return LIMITS_SECTION.format(floor=FLOOR, rows="\n".join(rows))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _list(items) -> str:
    return ", ".join(f"`{i}`" for i in items) if items else "none"


def _engine(c: ImageContract) -> str:
    bounds = []
    if c.engine.at_least:
        bounds.append(f">= {c.engine.at_least}")
    if c.engine.below:
        bounds.append(f"< {c.engine.below}")
    span = " and ".join(bounds) or "any"
    return f"{span}; image stores {', '.join(c.engine.image_stores)}: {c.engine.why}"


def _host_access(c: ImageContract) -> str:
    h = c.host_access
    parts = []
    if h.pid_host:
        parts.append("host pid namespace")
    if h.network_host:
        parts.append("host network namespace")
    parts += [f"`{host}` read-only at `{inside}`" for host, inside in h.mounts]
    parts += [f"device `{d}`" for d in h.devices]
    text = "; ".join(parts) or "none"
    if h.declined:
        text += ". Left out: " + "; ".join(h.declined)
    return text


def render_contract(key: str, c: ImageContract) -> str:
    user = f"{c.user} (uid {c.uid}, gid {c.gid})"
    if c.main_uid is not None:
        user += f"; the signalled main process runs as uid {c.main_uid}"
    writes = _list(c.writes)
    if c.write_opt_outs:
        writes += " (" + "; ".join(f"`{p}` not with `{env}`" for p, env in c.write_opt_outs) + ")"
    rows = [
        ("image", f"`{c.upstream}` (settings `{key}`)"),
        ("user", user),
        ("entrypoint", c.entrypoint),
        ("as root", f"needs {_list(c.root_caps)}" if c.starts_as_root else "does not start as root"),
        ("writes", writes),
        ("reads", "; ".join(f"`{r.path}`: {r.format}" + (" (read as root)" if r.reader == "root" else "") for r in c.reads) or "none"),
        ("secret files", _list(c.file_env)),
        ("health binaries", _list(c.health_binaries)),
        ("memory floor", f"{c.memory_floor_mb} MiB: {c.memory_source}"),
        ("host access", _host_access(c)),
        ("engine", _engine(c)),
        ("sources", "; ".join(c.sources)),
        ("sources describe", f"{c.describes}" + (f"; memory figure stated for {c.memory_describes[0]} to {c.memory_describes[1]}"
                                                 if c.memory_describes[0] else "")),
    ]
    if c.unverified:
        rows.append(("unverified", "; ".join(c.unverified)))
    if c.notes:
        rows.append(("notes", c.notes))
    body = "\n".join(f"| {name} | {_cell(value)} |" for name, value in rows)
    return f"### {key.removesuffix('_image').replace('_', '-')}\n\n| field | contract |\n|---|---|\n{body}\n"


def render_images_markdown() -> str:
    engine = ENGINE_SECTION.format(
        rows="\n".join(f"| `{p}` | `{v}` |" for p, v in DOCKER_PACKAGES.items()), engine=ENGINE, store=IMAGE_STORE,
        snapshotter=str(IMAGE_STORE == "containerd").lower(),
    )
    contracts = "\n".join(render_contract(k, c) for k, c in CONTRACTS.items())
    return f"{HEADER}\n{engine}\n{_limits()}\n## Image contracts\n\n{contracts}"


if __name__ == "__main__":
    print(render_images_markdown(), end="")
