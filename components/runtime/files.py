"""Files on the VM, written over SSH.

Content travels on the command's stdin, never on a command line, so secret files (TLS keys,
env files, alertmanager.yml with SMTP credentials) stay out of process lists and logs, and
stay Pulumi secrets in state. Writes are atomic (temp file + rename) so a reader never sees
half a file; a changed content reruns the write in place.
"""
from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
from pulumi_command import remote

from components.render.cloud_init import CONFIG_ROOT  # noqa: F401  (deploy-owned, made by cloud-init)


@dataclass(frozen=True)
class FileSpec:
    path: str
    content: pulumi.Input[str]
    mode: str = "0644"
    # uid:gid of the container user that must read a secret file kept 0600 (needs sudo).
    owner: str | None = None


def write_command(path: str, mode: str, owner: str | None = None) -> str:
    q = shlex.quote(path)
    tmp = shlex.quote(path + ".tmp")
    chown = f"sudo chown {shlex.quote(owner)} {tmp}; " if owner else ""
    # Directories stay traversable for the containers that mount them; /srv/xqfc itself is
    # 0750 deploy-owned, which keeps other host users out. A folder dockerd created as root
    # (a bind-mount source missing when a container started, e.g. after an interrupted run)
    # is made the deploy user's again, so a rerun repairs the host instead of failing on
    # `mkdir: Permission denied` forever.
    take_back = 'sudo install -d -o "$(id -u)" -g "$(id -g)" -m 0755 "$d"; '
    return (f"set -eu; umask 022; d=\"$(dirname {q})\"; mkdir -p \"$d\" 2>/dev/null || {take_back}"
            f"[ -w \"$d\" ] || {take_back}umask 077; cat > {tmp}; chmod {mode} {tmp}; "
            f"{chown}mv -f {tmp} {q}")


def content_hash(*contents: str) -> str:
    h = hashlib.sha256()
    for c in contents:
        h.update(c.encode())
        h.update(b"\0")
    return h.hexdigest()


def files_options(parent: pulumi.Resource, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """A RemoteFiles' options under `parent`: it waits for what `parent` was given to wait for."""
    return pulumi.ResourceOptions(parent=parent, depends_on=opts.depends_on if opts is not None else None)


class RemoteFiles(pulumi.ComponentResource):
    """A set of files on the host; `digest` changes whenever any content changes."""

    def __init__(
        self,
        name: str,
        connection: remote.ConnectionArgs,
        files: list[FileSpec],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("xqfc:runtime:RemoteFiles", name, None, opts)
        # Children do not inherit depends_on: each write waits itself for what the files wait for
        # (the readiness gate, which makes /srv/xqfc on an existing host): the engine runs every
        # step whose dependencies are done at the same time.
        depends_on = (opts.depends_on if opts is not None else None) or []
        self.commands: list[remote.Command] = []
        for i, f in enumerate(files):
            self.commands.append(
                remote.Command(
                    f"{name}-{i}-{f.path.rsplit('/', 1)[-1].replace('.', '-')}",
                    connection=connection, add_previous_output_in_env=False,
                    create=write_command(f.path, f.mode, f.owner),
                    stdin=f.content,
                    # Nothing to delete: the directory is the stack's and a later write replaces it.
                    logging=remote.Logging.STDERR,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
                )
            )
        self.digest = pulumi.Output.all(*[f.content for f in files]).apply(lambda cs: content_hash(*cs))
        self.register_outputs({})


@dataclass(frozen=True)
class MountedFolder:
    """Files a hardened container reads, written on the host and bind-mounted read-only.

    Docker refuses `uploads` into a container whose root filesystem is read-only (moby's
    checkWritablePath: "container rootfs is marked read-only"), so every file a read-only
    container needs arrives this way. The folder, not each file, is mounted: a file mount pins
    the inode, and the atomic rename of a rewrite would never reach the container.
    """

    host_dir: str
    container_dir: str

    def file(self, name: str, content: pulumi.Input[str], *, mode: str = "0444", owner: str | None = None) -> FileSpec:
        return FileSpec(f"{self.host_dir}/{name}", content, mode=mode, owner=owner)

    def path(self, name: str) -> str:
        """Where the container sees file `name`."""
        return f"{self.container_dir}/{name}"

    def mount(self) -> docker.ContainerVolumeArgs:
        return docker.ContainerVolumeArgs(host_path=self.host_dir, container_path=self.container_dir, read_only=True)
