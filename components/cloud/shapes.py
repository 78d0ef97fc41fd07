"""Argument shapes the cloud adapters share; the resources behind them stay per cloud."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import pulumi

from components.settings import Settings


@dataclass(frozen=True)
class ServerArgs:
    """One VM: where it runs, its disks and its first-boot user data.

    No cloud key pair: the operators' key reaches the deploy user through cloud-init alone
    (components/render/cloud_init.py), because both clouds' ImportKeyPair refuse ed25519 keys
    (docs/cloud-rules.md) while cloud-init and sshd take any OpenSSH key type. Without a key
    pair or a password the image's default account has no password on either cloud.
    """

    zone: str
    instance_type: str
    image_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    user_data: str
    system_disk_type: str
    system_disk_size: int
    data_disk_type: str
    data_disk_size: int
    bandwidth_mbps: int
    deletion_protection: bool
    hostname: str
    tags: dict[str, str]
    # Tencent places an instance in a VPC explicitly; Alibaba derives it from the vSwitch.
    vpc_id: pulumi.Input[str] | None = None


def stack_tags(s: Settings) -> dict[str, str]:
    # Not "project": Tencent reserves tag keys starting with qcs:, project or 项目 (docs/cloud-rules.md).
    return {"app": "xqfc", "environment": s.environment, "managed-by": "pulumi"}


def host_server_args(
    s: Settings,
    *,
    zone: str,
    image_id: pulumi.Input[str],
    subnet_id: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    user_data: str,
    hostname: str,
    vpc_id: pulumi.Input[str] | None = None,
) -> ServerArgs:
    """An app host as the stack's settings size it; only placement differs between hosts."""
    return ServerArgs(
        zone=zone,
        instance_type=s.instance_type,
        image_id=image_id,
        subnet_id=subnet_id,
        security_group_id=security_group_id,
        user_data=user_data,
        system_disk_type=s.system_disk_type,
        system_disk_size=s.system_disk_size,
        data_disk_type=s.data_disk_type,
        data_disk_size=s.data_disk_size,
        bandwidth_mbps=s.bandwidth_mbps,
        deletion_protection=s.deletion_protection,
        hostname=hostname,
        tags=stack_tags(s),
        vpc_id=vpc_id,
    )


def first_image_id(images: Sequence[Any], regex: str, id_attr: str) -> str:
    """The first image an image lookup returned, or a settings-style error naming the keys."""
    if not images:
        raise ValueError(f"no image matches imageNameRegex {regex!r}; set xqfc:imageId or another regex")
    return getattr(images[0], id_attr)
