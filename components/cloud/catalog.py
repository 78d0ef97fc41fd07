"""Facts about the clouds' offers that settings check before anything is created.

Small, sourced tables (docs/cloud-rules.md lists every rule with its source). To extend:
add the row with the page it came from in a comment; the tests read these tables, so a new
instance type, zone or region needs no code change. Numbers are the clouds' own figures,
never measured on a VM.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    vcpus: int
    memory_gib: int


# Instance type names.
# Tencent: <family>.<size><memory GiB>, e.g. S5.MEDIUM4 (https://cloud.tencent.com/document/product/213/11518);
#   the provider only checks for a "." (terraform-provider-tencentcloud common/validators.go ValidateInstanceType).
# Alibaba: ecs.<family>.<size>, e.g. ecs.c7.large
#   (https://help.aliyun.com/zh/ecs/user-guide/overview-of-instance-families).
INSTANCE_TYPE_FORMAT: dict[str, tuple[str, str]] = {
    "tencentcloud": (r"^[A-Z][A-Za-z0-9]*\.[0-9]*[A-Z]+[0-9]+\Z", "S5.MEDIUM4"),
    "alicloud": (r"^ecs\.[a-z0-9-]+\.[a-z0-9-]+\Z", "ecs.c7.large"),
}

# vCPUs and memory of the types the stacks and CLOUD_DEFAULTS use (and their neighbours).
INSTANCE_TYPES: dict[str, dict[str, Shape]] = {
    # https://cloud.tencent.com/document/product/213/11518 (标准型 S5)
    "tencentcloud": {
        "S5.SMALL2": Shape(1, 2),
        "S5.MEDIUM4": Shape(2, 4),
        "S5.MEDIUM8": Shape(2, 8),
        "S5.LARGE8": Shape(4, 8),
        "S5.LARGE16": Shape(4, 16),
        "S5.2XLARGE16": Shape(8, 16),
        "S5.2XLARGE32": Shape(8, 32),
    },
    # https://help.aliyun.com/zh/ecs/user-guide/overview-of-instance-families (c7 / g7)
    "alicloud": {
        "ecs.c7.large": Shape(2, 4),
        "ecs.c7.xlarge": Shape(4, 8),
        "ecs.c7.2xlarge": Shape(8, 16),
        "ecs.g7.large": Shape(2, 8),
        "ecs.g7.xlarge": Shape(4, 16),
        "ecs.g7.2xlarge": Shape(8, 32),
    },
}

# Image ids. Tencent: img-<8 characters> (RunInstances ImageId, e.g. img-8toqc6s3; the provider
# checks the img- prefix: ValidateImageID). Alibaba: a custom image m-<id>, or a public image's
# file name ending in .vhd (DescribeImages, e.g. ubuntu_24_04_x64_20G_alibase_20240812.vhd).
IMAGE_ID_FORMAT: dict[str, tuple[str, str]] = {
    "tencentcloud": (r"^img-[a-z0-9]{8}\Z", "img-8toqc6s3"),
    "alicloud": (r"^(m-[a-z0-9]{8,30}|[A-Za-z0-9][A-Za-z0-9_.-]*\.vhd)\Z", "m-bp1g7004ksh0oeuc1234"),
}

# Zones of each region in settings.REGIONS. Zones a cloud marks sold out are left out: new
# instances cannot be bought there.
# Tencent: https://www.tencentcloud.com/document/product/416/6479 (Regions and AZs).
# Alibaba: https://www.alibabacloud.com/help/zh/elastic-container-instance/latest/regions-and-zones
#   and https://help.aliyun.com/zh/ecs/user-guide/regions-and-zones (cn-hangzhou-b, -k).
ZONES: dict[str, dict[str, tuple[str, ...]]] = {
    "tencentcloud": {
        "ap-guangzhou": ("ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6", "ap-guangzhou-7"),
        "ap-shanghai": ("ap-shanghai-2", "ap-shanghai-3", "ap-shanghai-4", "ap-shanghai-5", "ap-shanghai-8"),
        "ap-nanjing": ("ap-nanjing-1", "ap-nanjing-2", "ap-nanjing-3"),
        "ap-beijing": tuple(f"ap-beijing-{n}" for n in range(1, 8)),
        "ap-chengdu": ("ap-chengdu-1", "ap-chengdu-2"),
        "ap-chongqing": ("ap-chongqing-1",),
        "ap-hongkong": ("ap-hongkong-2", "ap-hongkong-3"),
        "ap-singapore": ("ap-singapore-1", "ap-singapore-2", "ap-singapore-3", "ap-singapore-4"),
    },
    "alicloud": {
        "cn-hangzhou": tuple(f"cn-hangzhou-{z}" for z in "befghijk"),
        "cn-shanghai": tuple(f"cn-shanghai-{z}" for z in "abcdefglmn"),
        "cn-beijing": tuple(f"cn-beijing-{z}" for z in "cdefghijkl"),
        "cn-shenzhen": tuple(f"cn-shenzhen-{z}" for z in "abcde"),
        "cn-guangzhou": ("cn-guangzhou-a", "cn-guangzhou-b"),
        "cn-chengdu": ("cn-chengdu-a", "cn-chengdu-b"),
        "cn-hongkong": ("cn-hongkong-b", "cn-hongkong-c", "cn-hongkong-d"),
        "ap-southeast-1": ("ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"),
    },
}
