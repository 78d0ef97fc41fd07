"""Facts about the clouds' offers that settings check before anything is created.

Small, sourced tables (docs/cloud-rules.md lists every rule with its source). To extend:
add the row with the page it came from in a comment; the tests read these tables, so a new
instance type, zone or region needs no code change. Numbers are the clouds' own figures,
never measured on a VM.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from components.cloud import fact_sources


@dataclass(frozen=True)
class Shape:
    vcpus: int
    memory_gib: int
    # The clouds' instance-family pages are dated and provider-independent: the day they were read.
    read_at: str = field(default=fact_sources.PAGES_READ, compare=False)


# The day the pages behind the format, zone and type tables below were read (dated facts; the
# one provider fact, ValidateInstanceType, holds for fact_sources.PROVIDERS["tencentcloud"]).
TABLES_READ_AT: str = fact_sources.PAGES_READ

# Instance type names.
# Tencent: <family>.<size><memory GiB>, e.g. S5.MEDIUM4 (https://cloud.tencent.com/document/product/213/11518);
#   the provider only checks for a "." (instance_type's ValidateFunc at
#   terraform-provider-tencentcloud@v1.82.42 tencentcloud/common/validators.go ValidateInstanceType).
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

# Image ids. Tencent: img-<8 characters> (RunInstances ImageId, e.g. img-8toqc6s3; the provider's
# instance image_id has no validator, so a wrong id reaches the API: api_limits imageId row).
# Alibaba: a custom image m-<id>, or a public image's
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


# --- what the clouds sell today: every billing and charge-type argument we send --------------
#
# One row per (resource, argument) the program sends (or leaves to a default it relies on).
# `value` is what the graph must carry (None: the argument must be absent); `status` is the
# cloud's sale status of that choice, with the date it took effect (`since`) and the page that
# says so, read on `checked`. tests/test_cloud_rules.py checks every plan (three stacks, both
# clouds, both topologies) against these rows, that no charge-type argument goes unlisted, and
# that docs/cloud-rules.md carries each row with its date and source.


@dataclass(frozen=True)
class SaleFact:
    cloud: str
    resource: str  # Pulumi type token
    argument: str  # input name as registered (camelCase)
    value: str | None  # what we send; None: not sent
    status: str
    since: str  # date the sale status took effect ("" when it is simply what is on sale)
    source: str
    checked: str = fact_sources.PAGES_READ
    # The provider release whose defaults the "not sent" rows rely on (fact_sources.read_at).
    read_at: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.read_at:
            object.__setattr__(self, "read_at", fact_sources.read_at(self.cloud))


_TC_CVM = "tencentcloud:Instance/instance:Instance"
_TC_CLB = "tencentcloud:Clb/instance:Instance"
_AL_SLB = "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer"
_AL_SLB_BILLING = "https://www.alibabacloud.com/help/doc-detail/127268.htm"
_AL_SLB_BILLING_CN = ("https://help.aliyun.com/en/slb/classic-load-balancer/product-overview/"
                      "modify-the-configurations-of-pay-as-you-go-clb-instances")

SALE_STATUS: tuple[SaleFact, ...] = (
    SaleFact("tencentcloud", _TC_CVM, "instanceChargeType", None,
             "not sent: RunInstances defaults to POSTPAID_BY_HOUR (pay-as-you-go), on sale", "",
             "https://cloud.tencent.com/document/api/213/15730"),
    SaleFact("tencentcloud", _TC_CVM, "internetChargeType", "TRAFFIC_POSTPAID_BY_HOUR",
             "pay-by-traffic public bandwidth, on sale", "",
             "https://cloud.tencent.com/document/api/213/15753#InternetAccessible"),
    SaleFact("tencentcloud", _TC_CLB, "chargeType", None,
             "not sent: the provider's default POSTPAID_BY_HOUR; pay-as-you-go CLB on sale", "",
             "https://cloud.tencent.com/document/product/1689/90540"),
    SaleFact("tencentcloud", _TC_CLB, "internetChargeType", "TRAFFIC_POSTPAID_BY_HOUR",
             "pay-by-traffic public network, on sale", "",
             "https://tencentcloud.com/document/api/214/1328"),
    SaleFact("tencentcloud", _TC_CLB, "slaType", None,
             "not sent: a shared-performance instance, still what CreateLoadBalancer creates by default "
             "(LCU-supported is an upgrade, 2024-10-09 page); only classic CLB, not used here, is off sale", "",
             "https://tencentcloud.com/document/product/214/45786"),
    SaleFact("tencentcloud", "tencentcloud:Postgresql/instance:Instance", "chargeType", "POSTPAID_BY_HOUR",
             "pay-as-you-go, on sale (InstanceChargeType PREPAID or POSTPAID_BY_HOUR)", "",
             "https://tencentcloud.com/document/api/409/16771"),
    SaleFact("tencentcloud", "tencentcloud:Redis/instance:Instance", "chargeType", "POSTPAID",
             "pay-as-you-go, on sale (ModifyInstanceChargeType: PREPAID or POSTPAID)", "",
             "https://www.tencentcloud.com/document/product/239/78762"),
    SaleFact("alicloud", "alicloud:ecs/instance:Instance", "instanceChargeType", "PostPaid",
             "pay-as-you-go, on sale", "",
             "https://help.aliyun.com/zh/ecs/developer-reference/api-ecs-2014-05-26-runinstances"),
    SaleFact("alicloud", "alicloud:ecs/instance:Instance", "internetChargeType", "PayByTraffic",
             "pay-by-traffic, on sale", "",
             "https://help.aliyun.com/zh/ecs/developer-reference/api-ecs-2014-05-26-runinstances"),
    SaleFact("alicloud", _AL_SLB, "paymentType", "PayAsYouGo",
             "pay-as-you-go; subscription CLB no longer sold", "2024-12-01", _AL_SLB_BILLING_CN),
    SaleFact("alicloud", _AL_SLB, "instanceChargeType", "PayByCLCU",
             "pay-by-usage (LCU); pay-by-specification (PayBySpec, the provider's default) no longer sold: "
             "2025-06-01 outside mainland China, 2026-01-01 inside", "2025-06-01",
             _AL_SLB_BILLING),
    SaleFact("alicloud", _AL_SLB, "loadBalancerSpec", None,
             "not sent: pay-by-usage instances take no specification", "2026-01-01", _AL_SLB_BILLING_CN),
    SaleFact("alicloud", _AL_SLB, "internetChargeType", "PayByTraffic",
             "pay-by-traffic, the only public billing of pay-by-usage instances", "2026-01-01", _AL_SLB_BILLING_CN),
    SaleFact("alicloud", "alicloud:rds/instance:Instance", "instanceChargeType", "Postpaid",
             "pay-as-you-go, on sale (PayType Postpaid, Prepaid or Serverless)", "",
             "https://help.aliyun.com/zh/rds/developer-reference/api-rds-2014-08-15-createdbinstance"),
    SaleFact("alicloud", "alicloud:kvstore/instance:Instance", "paymentType", "PostPaid",
             "pay-as-you-go, on sale (ChargeType PostPaid or PrePaid)", "",
             "https://help.aliyun.com/en/redis/developer-reference/api-r-kvstore-2015-01-01-createinstance-redis"),
)
