"""Where a stack runs: environment, cloud, region and zone, the VM's shape and disks, Docker mirrors.

Keys whose sensible value depends on the cloud default to "" in Pulumi.yaml and take the
cloud's value here (CLOUD_DEFAULTS) before validation.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.settings import formats
from components.settings.base import Context, Fields
from components.settings.errors import Problem

if TYPE_CHECKING:
    from components.settings.model import Settings

Environment = Literal["dev", "staging", "prod"]
# Where the platform runs: a cloud (its foundation is built here) or `ssh`, a server the user
# already has (components/cloud/ssh.py; no cloud resources, the same runtime and outputs).
Cloud = Literal["tencentcloud", "alicloud", "ssh"]
TARGETS: tuple[str, ...] = get_args(Cloud)
CLOUDS: tuple[str, ...] = ("tencentcloud", "alicloud")
EXISTING_HOST = "ssh"

# Region names are the clouds' own; zones are checked against the region's naming scheme so
# that a Tencent zone on an Alibaba stack (or a zone of another region) is caught here.
REGIONS: dict[str, tuple[str, ...]] = {
    "tencentcloud": (
        "ap-guangzhou", "ap-shanghai", "ap-nanjing", "ap-beijing", "ap-chengdu",
        "ap-chongqing", "ap-hongkong", "ap-singapore",
    ),
    "alicloud": (
        "cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-guangzhou",
        "cn-chengdu", "cn-hongkong", "ap-southeast-1",
    ),
}
DISK_TYPES: dict[str, tuple[str, ...]] = {
    "tencentcloud": ("CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD", "CLOUD_HSSD"),
    "alicloud": ("cloud_essd", "cloud_ssd", "cloud_efficiency", "cloud_auto", "cloud_essd_entry"),
}

# Keys whose sensible value depends on the cloud. Pulumi.yaml declares them with default ""
# (the CLI always applies schema defaults, so "unset" must be a value of its own), and ""
# means "this cloud's default" below. `dockerRegistryMirror: none` turns the mirror off.
NO_MIRROR = "none"
# vCPUs assumed where neither vmCpus nor the catalog says: the clouds' default types have 2.
DEFAULT_VM_CPUS = 2
CLOUD_DEFAULTS: dict[str, dict[str, str | None]] = {
    "tencentcloud": {
        "region": "ap-guangzhou",
        "zone": "ap-guangzhou-3",
        "instance_type": "S5.MEDIUM4",  # 2 cores, 4 GB
        "image_name_regex": "^Ubuntu Server 24.04 LTS 64",
        "system_disk_type": "CLOUD_PREMIUM",
        "data_disk_type": "CLOUD_PREMIUM",
        "docker_apt_mirror": "https://mirrors.cloud.tencent.com/docker-ce",
        # Reachable only from inside Tencent Cloud, which is where the VM runs.
        "docker_registry_mirror": "https://mirror.ccs.tencentyun.com",
    },
    "alicloud": {
        "region": "cn-hangzhou",
        "zone": "cn-hangzhou-h",
        "instance_type": "ecs.c7.large",  # 2 cores, 4 GB
        "image_name_regex": "^ubuntu_24_04_x64",
        "system_disk_type": "cloud_essd",
        "data_disk_type": "cloud_essd",
        "docker_apt_mirror": "https://mirrors.aliyun.com/docker-ce",
        # Alibaba's registry accelerator is per account (https://<id>.mirror.aliyuncs.com):
        # there is no address that would be right for everyone.
        "docker_registry_mirror": None,
    },
    # An existing host: no region, zone, VM or disks of ours; Docker is already installed.
    EXISTING_HOST: {
        "region": "",
        "zone": "",
        "instance_type": "",
        "image_name_regex": "",
        "system_disk_type": "",
        "data_disk_type": "",
        "docker_apt_mirror": "",
        "docker_registry_mirror": None,
    },
}


def zone_pattern(cloud: str, region: str) -> str:
    """Tencent: ap-guangzhou-3. Alibaba: cn-hangzhou-h, but ap-southeast-1a after a digit.
    Anchored with \\Z: `$` would let a trailing newline through."""
    r = re.escape(region)
    if cloud == "tencentcloud":
        return rf"^{r}-[1-9][0-9]?\Z"
    return rf"^{r}[a-z]\Z" if region[-1].isdigit() else rf"^{r}-[a-z]\Z"


# The system disk under each of the kernel's block-device naming schemes, and its partitions: the
# first disk of the VM is the one it boots from. virtio-blk names disks vda, vdb, ... (both clouds'
# KVM instance families; Tencent CVM's data disks are /dev/vdb on, its system disk /dev/vda); Xen
# paravirtual disks xvda, ... (Alibaba's older I/O-optimized families); virtio-scsi and SATA sda,
# ...; NVMe nvme0n1, nvme1n1, ... with partitions p1, p2 (Alibaba's NVMe families, e.g. g7se, g8i).
# Sources: Alibaba ECS "Overview" of disk initialization, device names of disks
# (alibabacloud.com/help/en/ecs/user-guide/overview-27, updated 2024-08-27); Tencent CVM "初始化云硬盘"
# (cloud.tencent.com/document/product/362/6734): system disk vda, data disks vdb on. Not verified on a
# live VM of each family: a /dev/disk/by-id name that links to the system disk is not caught here.
SYSTEM_DISK_RE = re.compile(r"/dev/(vda|xvda|sda|hda|nvme0n1)(p?[0-9]+)?")


def zone_example(cloud: str, region: str) -> str:
    if cloud == "tencentcloud":
        return f"{region}-3"
    return f"{region}a" if region[-1].isdigit() else f"{region}-h"


def cloud_of_region(region: str) -> str | None:
    return next((c for c, regions in REGIONS.items() if region in regions), None)


class PlacementFields(Fields):
    environment: Environment
    cloud: Cloud = "tencentcloud"
    # "" = the cloud's default (CLOUD_DEFAULTS); filled in before validation.
    region: str = ""
    zone: str = ""

    instance_type: str = ""
    image_id: str | None = None
    image_name_regex: str = ""
    system_disk_type: str = ""
    system_disk_size: int = Field(50, ge=20, le=1024)
    data_disk_type: str = ""
    data_disk_size: int = Field(100, ge=20, le=16000)
    data_disk_device: str = "/dev/vdb"
    data_mount_path: str = "/data"
    bandwidth_mbps: int = Field(5, ge=1, le=200)
    vm_memory_gb: int = Field(4, ge=2, le=512)
    # Sizes each container's CPU limit (components/render/cpu_budget.py): Docker refuses a
    # --cpus above the host's CPU count, and a limit at the whole VM would be no limit.
    # 0: the instance type's vCPUs (components/cloud/catalog.py), DEFAULT_VM_CPUS when unknown.
    vm_cpus: int = Field(0, ge=0, le=256)

    deletion_protection: bool = False
    tencent_app_id: str | None = None

    docker_apt_mirror: str = ""
    docker_registry_mirror: str | None = ""

    @model_validator(mode="before")
    @classmethod
    def _cloud_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cloud = data.get("cloud", "tencentcloud")
        defaults = CLOUD_DEFAULTS.get(cloud)
        if defaults is None:
            return data  # the `cloud` field reports the unknown cloud itself
        out = dict(data)
        for field, default in defaults.items():
            alias = to_camel(field)
            given = out.get(alias, out.get(field, ""))
            if given == "":
                out.pop(field, None)
                out[alias] = default
        return out

    @field_validator("tencent_app_id")
    @classmethod
    def _app_id(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[0-9]{6,12}", v):
            raise ValueError("must be the numeric Tencent Cloud APPID (e.g. 1250000000)")
        return v

    @field_validator("docker_apt_mirror", "docker_registry_mirror")
    @classmethod
    def _mirror(cls, v: str | None, info: Any) -> str | None:
        if info.field_name == "docker_registry_mirror" and v == NO_MIRROR:
            return None
        # "" only reaches here on cloud ssh, whose hosts get no mirror from us.
        return formats.https_url(v)

    @field_validator("image_name_regex")
    @classmethod
    def _image_regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"not a regular expression ({e}); e.g. ^Ubuntu Server 24.04 LTS 64") from None
        return v

    @field_validator("data_disk_device")
    @classmethod
    def _device(cls, v: str) -> str:
        if not re.fullmatch(r"/dev/[A-Za-z0-9_.:-]+(/[A-Za-z0-9_.:-]+)*", v) or formats.climbs(v):
            raise ValueError("must be a block device path such as /dev/vdb or /dev/disk/by-id/<id>")
        if SYSTEM_DISK_RE.fullmatch(v):
            raise ValueError(f"{v} is the system disk (or its partition) the VM boots from: cloud-init would format it; "
                             "the data disk is the second disk, e.g. /dev/vdb (NVMe: /dev/nvme1n1)")
        return v

    @field_validator("data_mount_path")
    @classmethod
    def _mount(cls, v: str) -> str:
        if not re.fullmatch(r"/[a-z0-9_-]+(/[a-z0-9_-]+)*/?", v):
            raise ValueError("must be an absolute path such as /data (a-z, 0-9, _ and -, one / between folders)")
        v = v.rstrip("/")
        from components.settings.network import KERNEL_DIRS, SYSTEM_DIRS

        if v in SYSTEM_DIRS or any(v.startswith(d + "/") for d in KERNEL_DIRS):
            raise ValueError(f"{v} is the system's own folder: give the data disk a folder of its own such as /data")
        return v

    @property
    def on_existing_host(self) -> bool:
        return self.cloud == EXISTING_HOST

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def vm_cpu_count(self) -> int:
        """vCPUs of the VM: vmCpus, else the instance type's, else DEFAULT_VM_CPUS (cloud ssh, an uncatalogued type)."""
        if self.vm_cpus:
            return self.vm_cpus
        if not self.on_existing_host:
            from components.cloud.rules import instance_shape

            shape = instance_shape(self.cloud, self.instance_type)
            if shape is not None:
                return shape.vcpus
        return DEFAULT_VM_CPUS


# --- cross-field checks -------------------------------------------------------------------


def environment_is_the_stack(s: Settings, ctx: Context) -> list[Problem]:
    # One stack per environment: a copied stack file must not run prod's protections off in dev,
    # or dev's sizes and open retention in prod.
    if ctx.stack and s.environment != ctx.stack:
        return [Problem("environment", s.environment, f"must be the stack's name, {ctx.stack!r}: one stack per environment (dev, staging, prod)")]
    return []


def region_and_zone(s: Settings, ctx: Context) -> list[Problem]:
    if s.on_existing_host:
        return []
    if s.region not in REGIONS[s.cloud]:
        other = cloud_of_region(s.region)
        hint = f"{s.region} is a {other} region but cloud is {s.cloud}; " if other else ""
        return [Problem("region", s.region, f"{hint}not a {s.cloud} region; allowed: {', '.join(REGIONS[s.cloud])}")]
    if not re.match(zone_pattern(s.cloud, s.region), s.zone):
        others = [c for c in CLOUDS if c != s.cloud and any(re.match(zone_pattern(c, r), s.zone) for r in REGIONS[c])]
        hint = f"{s.zone} is a {others[0]} zone but cloud is {s.cloud}; " if others else ""
        return [Problem("zone", s.zone, f"{hint}not a zone of {s.cloud} region {s.region} (e.g. {zone_example(s.cloud, s.region)})")]
    return []


def disk_types(s: Settings, ctx: Context) -> list[Problem]:
    if s.on_existing_host:
        return []
    return [
        Problem(key, value, f"allowed on {s.cloud}: {', '.join(DISK_TYPES[s.cloud])}")
        for key, value in (("systemDiskType", s.system_disk_type), ("dataDiskType", s.data_disk_type))
        if value not in DISK_TYPES[s.cloud]
    ]


def tencent_app_id_cloud(s: Settings, ctx: Context) -> list[Problem]:
    if s.tencent_app_id is None or s.on_existing_host or s.cloud == "tencentcloud":
        return []
    return [Problem("tencentAppId", s.tencent_app_id, f"only used on tencentcloud; unset it on a {s.cloud} stack")]


def prod_deletion_protection(s: Settings, ctx: Context) -> list[Problem]:
    if s.is_prod and not s.deletion_protection:
        return [Problem("deletionProtection", False, "must be true in prod")]
    return []


def mount_is_not_device(s: Settings, ctx: Context) -> list[Problem]:
    if s.data_mount_path == s.data_disk_device:
        return [Problem("dataMountPath", s.data_mount_path, "must be a directory, not the device")]
    return []


def cpus_of_the_vm(s: Settings, ctx: Context) -> list[Problem]:
    """A vmCpus that is set is the instance type's vCPU count; on an existing host appCpus fits it
    (on a cloud the cloud rules hold appCpus to the instance type)."""
    from components.cloud.rules import instance_shape

    shape = None if s.on_existing_host else instance_shape(s.cloud, s.instance_type)
    if s.vm_cpus and shape is not None and s.vm_cpus != shape.vcpus:
        return [Problem("vmCpus", s.vm_cpus, f"{s.instance_type} has {shape.vcpus} vCPUs: set vmCpus to {shape.vcpus}, "
                        "or 0 to take the instance type's")]
    if s.on_existing_host and s.app_cpus > s.vm_cpu_count:
        return [Problem("appCpus", s.app_cpus, f"at most vmCpus ({s.vm_cpu_count}): Docker refuses a --cpus above the host's CPUs")]
    return []


CHECKS = [environment_is_the_stack, region_and_zone, disk_types, tencent_app_id_cloud, prod_deletion_protection, mount_is_not_device]


def cloud_api(s: Settings, ctx: Context) -> list[Problem]:
    """What the cloud's API would refuse (components/cloud/rules.py, docs/cloud-rules.md)."""
    if s.on_existing_host or s.region not in REGIONS.get(s.cloud, ()):
        return []
    from components.cloud.rules import cloud_rules

    return [Problem(key, value, message) for key, value, message in cloud_rules(
        cloud=s.cloud, region=s.region, zone=s.zone, secondary_zone=s.secondary_zone, topology=s.topology,
        instance_type=s.instance_type, image_id=s.image_id, vm_memory_gb=s.vm_memory_gb, app_cpus=s.app_cpus,
        app_memory_mb=s.app_memory_mb, postgres_memory_mb=s.postgres_memory_mb, redis_maxmemory_mb=s.redis_maxmemory_mb,
        system_disk_size=s.system_disk_size, data_disk_size=s.data_disk_size, db_user=s.db_user, db_name=s.db_name,
        db_storage_gb=s.db_storage_gb,
    )]
