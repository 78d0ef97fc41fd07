"""List prices of everything billable the program creates, per cloud and region, in CNY.

One small sourced table (docs/costs.md renders it; a test keeps the two equal). Every row
says where its number came from and when it was read. A price no stored page backs is NOT
guessed: the row keeps `cny=None`, its source says `verified=False` and what was searched,
and the estimate lists it as unpriced instead of adding a made-up figure. Filling one in is a
one-line change: the number, the page and the date read.

Stdlib only: the policy pack imports this through components/cost_estimate.py.
"""
from __future__ import annotations

from dataclasses import dataclass

CURRENCY = "CNY"
# Every region settings.REGIONS allows for the row's cloud.
ALL_REGIONS = ("*",)
READ = "2026-12-04"


@dataclass(frozen=True)
class Source:
    """Where a price was read. `verified` is False when no stored page was found: `searched`
    then records the queries, so the next person knows what was tried."""

    page: str
    read: str
    verified: bool
    searched: str = ""


@dataclass(frozen=True)
class Price:
    cloud: str
    # What is billed, e.g. "instance:S5.MEDIUM4", "disk:CLOUD_PREMIUM", "bucket:storage".
    item: str
    # Unit of `cny`: "hour", "GB-month", "GB", "10k requests", "LCU-hour", "month".
    unit: str
    cny: float | None
    regions: tuple[str, ...]
    source: Source
    note: str = ""

    @property
    def free(self) -> bool:
        return self.cny == 0.0


def _unverified(searched: str) -> Source:
    return Source(page="(none found)", read=READ, verified=False, searched=searched)


# --- sources -------------------------------------------------------------------------------
# Tencent's own documentation repository (the pages of cloud.tencent.com/document), read at the
# commit named; the live page may have moved on since.
_QCLOUD = "https://github.com/tencentyun/qcloud-documents/blob/{commit}/product/{path}"
COS_PRICES = Source(
    _QCLOUD.format(commit="c970f340eb635f043b5fe1473a5f0c9cfb4cf6f2", path="存储与CDN/对象存储 4.0/购买指南/产品定价.md"),
    READ, True,
)
CDN_PRICES = Source(
    _QCLOUD.format(commit="58ce20bf5812c6d67710e246da4a83f9b3f44951", path="存储与CDN/内容分发网络/购买指导/基础服务计费.md"),
    READ, True,
)
CDN_EXTRAS = Source(
    _QCLOUD.format(commit="bcaf04dc953358361c4f613aaf0b0f1f33b21180", path="存储与CDN/内容分发网络/购买指导/增值服务计费.md"),
    READ, True,
)
CBS_PRICES = Source(
    _QCLOUD.format(commit="9aa6dcef6c3affe8b9f7c78b008845e1f21f8d80", path="计算与网络/云硬盘/购买指导/价格总览.md"),
    READ, True,
)
CVM_TRAFFIC = Source(
    _QCLOUD.format(commit="8f929c6b1a09a692529c99a361ad5f3fa903a843", path="计算与网络/云服务器/购买指南/购买公网网络/独享型公网网络计费.md"),
    READ, True,
)
# "按量计费 / 按流量: 按小时结算公网出流量" and "若超出此上限,则默认丢包且不计算费用 (full-width comma on the page)": billed by
# the GB only, the cap itself costs nothing and bounds the traffic.
CVM_NETWORK_MODES = Source(
    _QCLOUD.format(commit="d2138dd8a33e1656d6ba789df20a091c3f82261b", path="计算与网络/云服务器/购买指南/购买公网网络/公网计费模式.md"),
    READ, True,
)

# 标准账户类型 (every account since the bandwidth move-up), 按量计费: "实例费 ... 价格 (单位 元/小时)" (full-width brackets on the page), 0.02 for
# "广州/深圳金融/上海/上海金融/南京/北京/北京金融/成都/重庆/中国香港/新加坡/..." (every region settings allow), 0.04 and
# 0.06 elsewhere; a shared (共享型) CLB carries no LCU fee. The public traffic through it is the CVM traffic row's
# 0.8/1.0 元/GB (the page repeats those figures). 计费说明.md@000350f5 gives the same 0.02 元/小时.
CLB_PRICES = Source(
    _QCLOUD.format(commit="039a12934520c4d1c3980500e01794bcffe124b4",
                   path="计算与网络/负载均衡/购买指导/计费模式拆分版/标准账户类型计费说明.md"),
    READ, True,
)

# "实例单价为'0.147元/小时'" (pay-by-usage CLB, 实例费); the page's LCU and 公网IP保有费 figures were not
# in the stored excerpt, so those rows stay unpriced.
ALI_CLB_PAYG = Source("https://help.aliyun.com/zh/slb/classic-load-balancer/product-overview/pay-as-you-go-billing-for-clb", READ, True)

# The 计费示例 of Alibaba's 实例规格计费 page: "ecs.g7.large 实例按量付费价格是 0.523 元/小时" in 华东1 杭州, with
# "示例价格仅供参考" / "实际价格以云服务器ECS定价页为准"; read from a stored copy of the page (find_string 'ecs.g7.large'
# hit, id 55849152047). One type in one region: every other type and region stays unpriced.
ALI_ECS_INSTANCE_TYPES = Source("https://help.aliyun.com/zh/ecs/instance-types", READ, True)

# Alibaba's 块存储计费 page, 计费示例 示例一 (华东1 杭州, 按量付费): "ESSD PL0 云盘单价 0.00105 元/1 GiB/小时",
# "ESSD PL1 云盘单价 0.00210 元/1 GiB/小时", with "示例仅用作说明价格计算规则" / "实际和定价费用以账单显示为准"
# (one sentence on the page). Read from a stored copy (find_string 'Source: https://help.aliyun.com/zh/ecs/block-sto', id 55641684482).
ALI_BLOCK_STORAGE = Source("https://help.aliyun.com/zh/ecs/block-storage-devices", READ, True)
# Alibaba's 公网带宽计费 page, 按使用流量计费 计费示例 (华东1 杭州): "每 GB 流量单价: 0.8 元/GB" (full-width colon), "价格
# 仅为示例"; and "按使用流量计费均按照实例实际使用的出网流量后付费。可以通过设置带宽峰值" / "限制一定时间内出网流量的使用上限":
# billed by the GB, the peak only bounds it. Stored copy: find_string 'Source: https://help.aliyun.com/zh/ecs/public-ban',
# id 55837048920.
ALI_PUBLIC_BANDWIDTH = Source("https://help.aliyun.com/zh/ecs/public-bandwidth", READ, True)

# Alibaba's 基础服务计费 page, 按流量计费 计费示例 "按流量计费的官网报价" table (元/GB): 中国内地-CN "0GB-10TB (含)" 0.24
# (full-width brackets on the page), "以下仅为示例" / "实际价格以官网报价为准". Billed by where the visitor is, whatever the bucket's or VM's region. Stored copy:
# find_string 'cdn/product-overview/billing-rules-of-basic-ser', id 55727025413.
ALI_CDN_BASIC = Source("https://help.aliyun.com/zh/cdn/product-overview/billing-rules-of-basic-services", READ, True)

# Tencent's international-site documentation repository (Chinese page of intl.cloud.tencent.com), read at the commit
# named: "## 私有网络计费 / 如下功能均免费使用: 基础功能: 私有网络、子网、路由表。其它功能: 弹性网卡、安全组、网络 ACL ..."
# (full-width colons on the page). Covers the VPC, subnets, security groups and their rules the program creates.
_INTL = "https://github.com/tencentyun/intlcloud-documents/blob/{commit}/{path}"
VPC_FREE = Source(_INTL.format(commit="2474f22571342e9b8c416ba35e38f1e4c6fd8ff9", path="yehe_doc/网络/私有网络/购买指南_intl_zh.md"),
                  READ, True)

# Alibaba's OSS 计费概述 page (under 了解计费, the address given: the stored copy names only its section; "更新时间 2026-02-05"), 计费周期: "例如标准型(本地冗余存储)单价为
# 0.12元/GB/月" (full-width brackets on the page), by example and naming no region; prices elsewhere are a widget
# (www.aliyun.com/price). Scoped to cn-hangzhou like the other example rows. Stored copy: find_string '元/GB/小时',
# id 52873436145. The page gives no request price: bucket:requests stays unpriced.
ALI_OSS_BILLING = Source("https://help.aliyun.com/zh/oss/understanding-billing/", READ, True)

_S_CVM = ("search docs/pages: 'CVM 按量计费 价格 标准型 S5', 'InquiryPriceRunInstances'; find_string 'S5.MEDIUM4'; "
          "qcloud-documents 购买实例/价格总览.md@5a4eb82a gives the rules and points to the price calculator, no figures; "
          "search code '标准型S5 按量计费 价格 S5.MEDIUM4 2核4GB 元/小时': qcloud-documents 购买CVM实例/CVM实例价格.md (monthly "
          "prices of a retired 标准型 generation) and 2.国际站/云服务器价格_intl_cn.md (USD, older families), no S5")
_S_BSSD = ("qcloud-documents 云硬盘/购买指导/价格总览.md@9aa6dcef lists 高性能, SSD, 增强型 SSD, 极速型 SSD but not 通用型 SSD (CLOUD_BSSD); "
           "search code '通用型SSD云硬盘 价格 按量计费 元/GB/小时 CLOUD_BSSD', find_string '通用型SSD云硬盘' (SDK enums only)")
_S_CLB = ("search docs/code: 'CLB 负载均衡 价格 按量计费', 'qcloud-documents 负载均衡 计费 实例费用' (InquiryLBPriceAll API page "
          "and an international-site notice in USD only); the instance fee was then found in qcloud-documents 负载均衡/购买指导, "
          "which says nothing of listeners and rules being free")
_S_TPG = ("search docs/code: 'TencentDB PostgreSQL 价格', '云数据库 PostgreSQL 按量计费 价格 元/小时'; qcloud-documents "
          "数据库/云数据库PostgreSQL/2.购买指南/产品价格.md@101f33ea prices only a retired generation (高IO版 by memory, 包年包月 "
          "only), not the POSTPAID cpu/memory shapes the program buys: not used. 2026-12-05: a tiered (<=96 h / <=360 h / "
          "beyond) per GiB-hour version said to be at commit 029fdeaa is not stored (find_files lists the path at 101f33ea only; "
          "search code '云数据库 PostgreSQL 产品价格 按量计费 内存 每GB 元/小时 0-96小时', find_string '云数据库 PostgreSQL 按量计费': "
          "nothing; find_string '按量计费第一阶梯' finds the tiers on the MySQL and MongoDB pages only; search code 'TencentDB for "
          "PostgreSQL pay-as-you-go pricing memory per GB per hour tiered': an international billing page states the tiers "
          "(T1 <= 96 h, T2 <= 360 h, T3 beyond) and links intl document 409/4993 for figures, which is not stored)")
_S_TREDIS = ("search docs/code: '云数据库 Redis 内存版 标准架构 按量计费 价格' (other vendors' pages; Tencent's international page in "
             "USD); qcloud-documents 数据库/云存储Redis/产品简介/产品定价.md@0dca9fd6 prices Redis 主从版/单机版/CKV by the GB-month "
             "with tiered pay-as-you-go (0-4 days x2, 4-15 days x1.5, beyond x1 of monthly/30/24), not type 17 (Redis 7.0 "
             "standard architecture) the program buys: not used. 2026-12-05: a per GB-hour per node version said to be at "
             "commit ca8d1eff is not stored (read_file serves 0dca9fd6 only; search code 'Redis 内存版 按量计费 每GB 元/小时 "
             "节点 分片 阶梯': other vendors only)")
_S_DNSPOD = ("search docs: 'DNSPod 免费版 解析 价格' (no price page stored); 2026-12-05 search code 'DNSPod 免费版 解析 套餐 "
             "价格 免费套餐 0元': qcloud-documents 云解析/购买指导(新, full-width brackets in the path)/各套餐DNS服务器地址说明.md names a 免费版 plan, no price")
_S_FREE_T = ("search docs: '私有网络 VPC 免费', 'CAM 免费', 'SSL 证书 上传 免费' (no stored page states it); 2026-12-05 search "
             "code '访问管理 CAM 免费 不收取费用 计费', 'SSL 证书 上传证书 托管 免费 腾讯云 计费说明': CAM product lists and "
             "third-party notes only (the VPC row is now sourced)")
_S_ECS = ("search docs/pages: '阿里云 ECS 价格 按量付费'; find_string 'ecs.c7.large' (third-party figures only); "
          "help.aliyun.com/zh/ecs/instance-types (stored copy) prices ecs.g7.large in cn-hangzhou only, by example")
_S_ECS_DISK = ("search docs: '阿里云 ESSD PL0 云盘 按量付费 价格 元/GB/小时' (PolarDB/ClickHouse storage pages only); "
               "help.aliyun.com/zh/ecs/block-storage-devices (stored copy) prices only ESSD PL0/PL1 in cn-hangzhou, by example")
_S_ECS_TRAFFIC = ("search docs/pages: '阿里云 ECS 公网流量 按使用流量 元/GB', 'ECS 公网带宽计费 按使用流量 中国内地 元/GB' "
                  "(third-party pages only); help.aliyun.com/zh/ecs/public-bandwidth (stored copy) gives cn-hangzhou only, by example")
_S_OSS = ("search docs/pages: '阿里云 OSS 标准存储 本地冗余 元/GB/月 按量付费 价格', 'OSS 存储费用 标准存储 本地冗余 单价' "
          "(metering API pages and third-party figures only); the stored help.aliyun.com/zh/oss/storage-fees copy has no figure "
          "(its prices are a widget), zh/oss/billing-examples is not stored; 0.12 元/GB/月 and 0.01 元/万次 (华东1) appear only in "
          "an Alibaba technical-solution text stored without its address and in third-party notes: not used. 2026-12-05: "
          "storage sourced in cn-hangzhou from zh/oss 计费概述 (example figure); requests: search docs 'OSS 存储费用 ... PUT类请求 "
          "元/万次' (help.aliyun.com/en/oss/api-operation-calling-fees names the items, prices on the widget), find_string "
          "'0.01元/万次' (COS pages and third-party notes only)")
_S_SLB = ("search docs: 'SLB/CLB LCU 计费 按使用量', '传统型负载均衡CLB 按使用量计费 公网IP保有费 LCU 单价', "
          "'仅公网按量付费实例收取公网IP保有费 ... 元/小时': every stored copy of the pay-as-you-go page stops before the "
          "公网IP保有费 and LCU figures; an older revision (document_detail/27692.htm) gives 0.02 元/小时 for the pre-2024-12 "
          "实例费, which the newer revision says was renamed 公网IP保有费, without stating today's figure: not used")
_S_RDS = ("search docs: 'RDS PostgreSQL 价格 按量付费 pg.n2', 'RDS PostgreSQL 计费项 按量付费 计费示例 ...' (DescribePrice API "
          "pages only); find_string 'pg.n2.2c.2m' (Terraform examples only)")
_S_TAIR = ("search docs: 'Tair/Redis 价格 按量 redis.shard.small.ce', 'Tair Redis 开源版 云原生 按量付费 计费示例' "
           "(DescribePrice API pages only); find_string 'redis.shard.small.ce' (SDK and Terraform only)")
_S_ALIDNS = "search docs: '云解析 DNS 免费版' (no stored price page)"
_S_FREE_A = "search docs: '专有网络 VPC 免费', 'RAM 免费', '数字证书管理服务 上传证书 免费' (no stored page states it)"

_TENCENT_MAINLAND_OTHER = ("ap-guangzhou", "ap-shanghai", "ap-nanjing", "ap-beijing")
_TENCENT_CHENGDU_CHONGQING = ("ap-chengdu", "ap-chongqing")
_TENCENT_MAINLAND = (*_TENCENT_MAINLAND_OTHER, *_TENCENT_CHENGDU_CHONGQING)
_TENCENT_ALL = (*_TENCENT_MAINLAND, "ap-hongkong", "ap-singapore")
_TENCENT_GZ_SH_BJ_CD_CQ = ("ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-chengdu", "ap-chongqing")


def _cbs(disk: str, name: str, by_region: list[tuple[tuple[str, ...], float]]) -> list[Price]:
    return [Price("tencentcloud", f"disk:{disk}", "GB-hour", cny, regions, CBS_PRICES, f"{name}, 按量计费") for regions, cny in by_region]


def _instances(cloud: str, types: tuple[str, ...], searched: str) -> list[Price]:
    return [Price(cloud, f"instance:{t}", "hour", None, ALL_REGIONS, _unverified(searched), "pay-as-you-go, Linux") for t in types]


PRICES: tuple[Price, ...] = (
    # --- Tencent Cloud ----------------------------------------------------------------------
    *_instances("tencentcloud", ("S5.SMALL2", "S5.MEDIUM4", "S5.MEDIUM8", "S5.LARGE8", "S5.LARGE16", "S5.2XLARGE16", "S5.2XLARGE32"), _S_CVM),
    *_cbs("CLOUD_PREMIUM", "高性能云硬盘", [(_TENCENT_GZ_SH_BJ_CD_CQ, 0.0009), (("ap-nanjing", "ap-hongkong", "ap-singapore"), 0.0005)]),
    *_cbs("CLOUD_SSD", "SSD 云硬盘", [((*_TENCENT_GZ_SH_BJ_CD_CQ, "ap-hongkong"), 0.0025), (("ap-nanjing",), 0.0014),
                                       (("ap-singapore",), 0.0027)]),
    *_cbs("CLOUD_HSSD", "增强型 SSD 云硬盘", [((*_TENCENT_MAINLAND, "ap-hongkong"), 0.0021), (("ap-singapore",), 0.0033)]),
    Price("tencentcloud", "disk:CLOUD_BSSD", "GB-hour", None, ALL_REGIONS, _unverified(_S_BSSD), "通用型 SSD 云硬盘"),
    Price("tencentcloud", "traffic:public", "GB", 0.8, (*_TENCENT_MAINLAND, "ap-singapore"), CVM_TRAFFIC, "按流量计费, outbound"),
    Price("tencentcloud", "traffic:public", "GB", 1.0, ("ap-hongkong",), CVM_TRAFFIC, "按流量计费, outbound"),
    Price("tencentcloud", "bandwidth-cap", "month", 0.0, ALL_REGIONS, CVM_NETWORK_MODES,
          "by-traffic billing: the cap is free and bounds the traffic"),
    Price("tencentcloud", "bucket:storage", "GB-month", 0.13, _TENCENT_MAINLAND_OTHER, COS_PRICES, "COS standard, 大陆其他城市"),
    Price("tencentcloud", "bucket:storage", "GB-month", 0.099, _TENCENT_CHENGDU_CHONGQING, COS_PRICES, "COS standard, 成都、重庆"),
    Price("tencentcloud", "bucket:storage", "GB-month", 0.156, ("ap-hongkong",), COS_PRICES, "COS standard, 中国香港"),
    Price("tencentcloud", "bucket:storage", "GB-month", 0.168, ("ap-singapore",), COS_PRICES, "COS standard, 新加坡"),
    Price("tencentcloud", "bucket:requests", "10k requests", 0.01, ALL_REGIONS, COS_PRICES, "COS standard, read or write"),
    Price("tencentcloud", "cdn:traffic", "GB", 0.21, ALL_REGIONS, CDN_PRICES, "中国大陆, first tier 0-2 TB a month"),
    Price("tencentcloud", "cdn:https-requests", "10k requests", 0.05, ALL_REGIONS, CDN_EXTRAS,
          "beyond the monthly free 300 x 10k (free tier not subtracted)"),
    Price("tencentcloud", "lb:instance", "hour", 0.02, _TENCENT_ALL, CLB_PRICES, "public shared CLB, 按量计费 实例费"),
    Price("tencentcloud", "postgresql:instance", "hour", None, ALL_REGIONS, _unverified(_S_TPG), "per cpu/memory shape, primary + standby"),
    Price("tencentcloud", "postgresql:storage", "GB-month", None, ALL_REGIONS, _unverified(_S_TPG)),
    Price("tencentcloud", "redis:instance", "hour", None, ALL_REGIONS, _unverified(_S_TREDIS), "per memory size and replicas"),
    Price("tencentcloud", "free:dns-record", "month", 0.0, ALL_REGIONS, _unverified(_S_DNSPOD), "DNSPod free plan records"),
    Price("tencentcloud", "free:network", "month", 0.0, ALL_REGIONS, VPC_FREE, "VPC, subnet, security group and rules"),
    Price("tencentcloud", "free:identity", "month", 0.0, ALL_REGIONS, _unverified(_S_FREE_T), "CAM user, policy, key"),
    Price("tencentcloud", "free:certificate", "month", 0.0, ALL_REGIONS, _unverified(_S_FREE_T), "an uploaded (not bought) certificate"),
    Price("tencentcloud", "free:lb-config", "month", 0.0, ALL_REGIONS, _unverified(_S_CLB), "listeners, rules, redirections, attachments"),
    # --- Alibaba Cloud ----------------------------------------------------------------------
    Price("alicloud", "instance:ecs.g7.large", "hour", 0.523, ("cn-hangzhou",), ALI_ECS_INSTANCE_TYPES,
          "pay-as-you-go; the page's worked example, 'for reference'"),
    *_instances("alicloud", ("ecs.c7.large", "ecs.c7.xlarge", "ecs.c7.2xlarge", "ecs.g7.large", "ecs.g7.xlarge", "ecs.g7.2xlarge"), _S_ECS),
    Price("alicloud", "disk:cloud_essd", "GB-hour", 0.0021, ("cn-hangzhou",), ALI_BLOCK_STORAGE,
          "pay-as-you-go, ESSD PL1 (the default level); the page's worked example, per GiB-hour"),
    *(Price("alicloud", f"disk:{t}", "GB-hour", None, ALL_REGIONS, _unverified(_S_ECS_DISK), "pay-as-you-go; cloud_essd at PL1")
      for t in ("cloud_essd", "cloud_ssd", "cloud_efficiency", "cloud_auto", "cloud_essd_entry")),
    Price("alicloud", "traffic:public", "GB", 0.8, ("cn-hangzhou",), ALI_PUBLIC_BANDWIDTH,
          "outbound, PayByTraffic; the page's worked example"),
    Price("alicloud", "traffic:public", "GB", None, ALL_REGIONS, _unverified(_S_ECS_TRAFFIC), "outbound, PayByTraffic"),
    Price("alicloud", "bandwidth-cap", "month", 0.0, ALL_REGIONS, ALI_PUBLIC_BANDWIDTH,
          "PayByTraffic: billed by the GB, the cap only bounds it"),
    Price("alicloud", "bucket:storage", "GB-month", 0.12, ("cn-hangzhou",), ALI_OSS_BILLING,
          "OSS standard, locally redundant; the page's example"),
    Price("alicloud", "bucket:storage", "GB-month", None, ALL_REGIONS, _unverified(_S_OSS), "OSS standard, locally redundant"),
    Price("alicloud", "bucket:requests", "10k requests", None, ALL_REGIONS, _unverified(_S_OSS)),
    Price("alicloud", "cdn:traffic", "GB", 0.24, ALL_REGIONS, ALI_CDN_BASIC,
          "domestic scope: visitors in 中国内地, first tier 0-10 TB a month; the page's '官网报价' example"),
    Price("alicloud", "lb:instance", "hour", 0.147, ALL_REGIONS, ALI_CLB_PAYG, "CLB pay-by-usage: 实例费"),
    Price("alicloud", "lb:ip-retention", "hour", None, ALL_REGIONS, _unverified(_S_SLB), "CLB pay-by-usage: 公网IP保有费"),
    Price("alicloud", "lb:lcu", "LCU-hour", None, ALL_REGIONS, _unverified(_S_SLB), "CLB pay-by-usage: capacity units"),
    Price("alicloud", "postgresql:instance", "hour", None, ALL_REGIONS, _unverified(_S_RDS), "per instance class, high availability"),
    Price("alicloud", "postgresql:storage", "GB-month", None, ALL_REGIONS, _unverified(_S_RDS)),
    Price("alicloud", "redis:instance", "hour", None, ALL_REGIONS, _unverified(_S_TAIR), "per instance class"),
    Price("alicloud", "free:dns-record", "month", 0.0, ALL_REGIONS, _unverified(_S_ALIDNS), "Alibaba Cloud DNS free edition records"),
    Price("alicloud", "free:network", "month", 0.0, ALL_REGIONS, _unverified(_S_FREE_A), "VPC, vSwitch, security group and rules"),
    Price("alicloud", "free:identity", "month", 0.0, ALL_REGIONS, _unverified(_S_FREE_A), "RAM user, policy, key"),
    Price("alicloud", "free:certificate", "month", 0.0, ALL_REGIONS, _unverified(_S_FREE_A), "an uploaded (not bought) certificate"),
    Price("alicloud", "free:bucket-config", "month", 0.0, ALL_REGIONS, _unverified(_S_OSS), "bucket ACL"),
    Price("alicloud", "free:lb-config", "month", 0.0, ALL_REGIONS, _unverified(_S_SLB), "listeners, backend servers"),
    Price("alicloud", "free:db-config", "month", 0.0, ALL_REGIONS, _unverified(_S_RDS), "database, account, backup policy"),
)


class NoPriceRow(LookupError):
    """No row for an item in a region: the table must grow before the estimate can run."""


def price(cloud: str, item: str, region: str, table: tuple[Price, ...] = PRICES) -> Price:
    """The row for `item` on `cloud` in `region`; a region-specific row wins over ALL_REGIONS."""
    rows = [p for p in table if p.cloud == cloud and p.item == item]
    exact = [p for p in rows if region in p.regions]
    anywhere = [p for p in rows if p.regions == ALL_REGIONS]
    if exact or anywhere:
        return (exact or anywhere)[0]
    raise NoPriceRow(f"no price row for {cloud} {item!r} in {region or '(no region)'}: add one to components/cloud/prices.py")
