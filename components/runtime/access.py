"""Reaching the VM: SSH for remote commands, and a Docker provider that waits for the VM.

The Docker provider talks to dockerd over `ssh://`, which runs the local `ssh` binary; it is
only usable once cloud-init has installed Docker. A remote command that waits for the
bootstrap marker is therefore a dependency of the provider, so the first `pulumi up` never
races the VM's boot.

Host keys: the VM is new on first contact, so SSH trusts its key on first use
(`StrictHostKeyChecking=accept-new`) into a known_hosts file of this project; later
connections are checked against it. Operators who want the key pinned up front read it from
the cloud console's VNC login and add it to that file before `pulumi up`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_docker as docker
from pulumi_command import remote

from components.foundation import Host
from components.render.host_readiness import with_folders

KNOWN_HOSTS = "~/.ssh/known_hosts_xqfc"


@dataclass(frozen=True)
class SshCredentials:
    """How Pulumi authenticates: a private key file (read as a secret) or ssh-agent."""

    private_key_path: str | None

    def private_key(self) -> pulumi.Output[str] | None:
        if not self.private_key_path:
            return None
        path = Path(self.private_key_path).expanduser()
        if not path.is_file():
            raise pulumi.RunError(f"xqfc:sshPrivateKeyPath = {self.private_key_path!r}: no such file on this machine")
        return pulumi.Output.secret(path.read_text())

    def agent_socket(self) -> str | None:
        return None if self.private_key_path else os.environ.get("SSH_AUTH_SOCK")

    def ssh_opts(self) -> list[str]:
        opts = ["-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={KNOWN_HOSTS}", "-o", "ConnectTimeout=15"]
        if self.private_key_path:
            opts += ["-o", "IdentitiesOnly=yes", "-i", self.private_key_path]
        return opts


def connection(host: Host, creds: SshCredentials) -> remote.ConnectionArgs:
    return remote.ConnectionArgs(
        host=host.public_ip,
        user=host.ssh_user,
        port=host.ssh_port,
        private_key=creds.private_key(),
        agent_socket_path=creds.agent_socket(),
        # A new VM takes a minute or two to accept SSH.
        dial_error_limit=40,
        per_dial_timeout=15,
    )


@dataclass(frozen=True)
class HostAccessArgs:
    host: Host
    credentials: SshCredentials
    registry_server: str | None = None
    registry_username: str | None = None
    registry_password: pulumi.Input[str] | None = None
    # Root-owned folders the containers bind-mount that no file write makes (render/host_readiness.with_folders).
    folders: tuple[str, ...] = ()


class HostAccess(pulumi.ComponentResource):
    """Readiness gate plus the Docker provider for one host."""

    def __init__(self, name: str, args: HostAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:HostAccess", name, None, opts)
        self.connection = connection(args.host, args.credentials)
        self.ready = remote.Command(
            f"{name}-ready",
            connection=self.connection, add_previous_output_in_env=False,
            # cloud-init may report "degraded" for harmless warnings; the marker is what counts.
            create=with_folders(args.host.ready_check, args.folders),
            # A new VM (or another existing host) is checked again.
            triggers=[args.host.resource.id if args.host.resource is not None else args.host.public_ip],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.host.resource] if args.host.resource is not None else []),
        )
        registry_auth = None
        if args.registry_server and args.registry_username and args.registry_password is not None:
            registry_auth = [
                docker.ProviderRegistryAuthArgs(
                    address=args.registry_server, username=args.registry_username, password=args.registry_password
                )
            ]
        elif args.registry_server:
            pulumi.log.warn(
                f"registryServer {args.registry_server} is set but the secret registryPassword is not: "
                "private images will fail to pull (pulumi config set --secret registryPassword ...)"
            )
        self.docker = docker.Provider(
            f"{name}-docker",
            host=pulumi.Output.concat("ssh://", args.host.ssh_user, "@", args.host.public_ip, ":", str(args.host.ssh_port)),
            ssh_opts=args.credentials.ssh_opts(),
            registry_auth=registry_auth,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.ready]),
        )
        self.register_outputs({"docker_version": self.ready.stdout})
