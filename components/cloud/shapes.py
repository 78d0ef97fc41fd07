"""Argument shapes the cloud adapters share; the resources behind them stay per cloud."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class ServerArgs:
    """One VM: where it runs, its disks, its login key and its first-boot user data."""

    zone: str
    instance_type: str
    image_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    ssh_public_key: str
    key_name: str
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
    # ha: later hosts log in with the first host's key pair instead of importing the key again.
    shared_key_pair: Any = None
