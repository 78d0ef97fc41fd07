"""What each cloud API accepts for the arguments this program sends, as data.

The provider schemas accept more than the APIs do, so these rows restate the APIs' rules for
every argument whose value comes from us (names, descriptions, tags, CIDRs, ports, sizes,
versions, classes). tests/test_cloud_api_limits.py checks every row against every resource
the program registers (every stack, both clouds, both topologies) and checks that each row
refuses its `bad` example. docs/cloud-rules.md lists the rows with their sources.

To extend: add a Limit with the API page it came from; `argument` is the input's camelCase
name as the plan shows it, with `*` for each element of a list.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from components.cloud import fact_sources

TENCENT_DOCS = "https://cloud.tencent.com/document/api"
ALIYUN_DOCS = "https://help.aliyun.com/zh"


@dataclass(frozen=True)
class Limit:
    cloud: str
    resource: str  # type token
    argument: str  # camelCase input, dotted, `*` for list elements
    rule: str
    check: Callable[[Any], bool]
    bad: Any  # a value the API refuses, proving the check can fail
    source: str
    # The provider release and page date the row describes (fact_sources.read_at of its cloud).
    read_at: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.read_at:
            object.__setattr__(self, "read_at", fact_sources.read_at(self.cloud))


def length(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and lo <= len(v) <= hi


def matches(pattern: str) -> Callable[[Any], bool]:
    rx = re.compile(pattern)
    return lambda v: isinstance(v, str) and rx.fullmatch(v) is not None


def between(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def one_of(*allowed: Any) -> Callable[[Any], bool]:
    return lambda v: v in allowed


def every(*checks: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: all(c(v) for c in checks)


def no_url_prefix(v: Any) -> bool:
    return isinstance(v, str) and not v.startswith(("http://", "https://"))


PRIVATE = [ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def private_cidr(min_prefix: int, max_prefix: int) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        try:
            net = ipaddress.ip_network(v)
        except (TypeError, ValueError):
            return False
        # subnet_of raises TypeError across IP versions: an IPv6 block is no private IPv4 range.
        return (isinstance(net, ipaddress.IPv4Network) and any(net.subnet_of(p) for p in PRIVATE)
                and min_prefix <= net.prefixlen <= max_prefix)
    return ok


def tencent_tags(v: Any) -> bool:
    # Tag use limits: at most 50 per resource; keys 1-127, not starting with qcs:, project or
    # 项目 (reserved); values 1-255.
    return isinstance(v, dict) and len(v) <= 50 and all(
        1 <= len(k) <= 127 and not k.startswith(("qcs:", "project", "项目")) and 1 <= len(str(val)) <= 255
        for k, val in v.items()
    )


def alicloud_tags(v: Any) -> bool:
    # TagResources: at most 20; keys 1-128, not starting with aliyun or acs:, no http(s)://;
    # values up to 128, not starting with acs:.
    return isinstance(v, dict) and len(v) <= 20 and all(
        1 <= len(k) <= 128 and not k.startswith(("aliyun", "acs:")) and "http://" not in k and "https://" not in k
        and len(str(val)) <= 128 and not str(val).startswith("acs:")
        for k, val in v.items()
    )


def hostname(max_len: int) -> Callable[[Any], bool]:
    # Linux host names: dot-separated labels of letters, digits and '-', not starting or ending
    # with '.' or '-', and neither used twice in a row: Tencent's RunInstances HostName ("不能连续使用")
    # and Alibaba's host_name ("two or more consecutive . or - are not allowed") both say so.
    rx = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")
    return lambda v: isinstance(v, str) and 2 <= len(v) <= max_len and rx.fullmatch(v) is not None and "--" not in v


def tencent_user_data(v: Any) -> bool:
    return isinstance(v, str) and len(base64.b64encode(v.encode())) <= 16 * 1024


def alicloud_user_data(v: Any) -> bool:
    try:
        return len(base64.b64decode(v, validate=True)) <= 32 * 1024
    except (TypeError, ValueError):
        return False


def tencent_policy_port(v: Any) -> bool:
    # SecurityGroupPolicy.Port: all, single ports separated by commas, or a lo-hi range. The API
    # documents lower-case `all`; we send `ALL`, which the provider passes on unchanged (not verified
    # against the API: docs/cloud-rules.md).
    if not isinstance(v, str):
        return False
    if v.lower() == "all":
        return True
    for part in v.split(","):
        m = re.fullmatch(r"([0-9]{1,5})(?:-([0-9]{1,5}))?", part)
        if not m or not 1 <= int(m[1]) <= int(m[2] or m[1]) <= 65535:
            return False
    return True


def alicloud_port_range(v: Any) -> bool:
    m = re.fullmatch(r"(-?[0-9]+)/(-?[0-9]+)", v) if isinstance(v, str) else None
    if not m:
        return False
    lo, hi = int(m.group(1)), int(m.group(2))
    return (lo, hi) == (-1, -1) or 1 <= lo <= hi <= 65535


def policy_document(version_key: str, version: str, statements_key: str, effect_key: str, effects: tuple[str, ...]) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        try:
            doc = json.loads(v)
        except (TypeError, ValueError):
            return False
        statements = doc.get(statements_key)
        return doc.get(version_key) == version and bool(statements) and all(s.get(effect_key) in effects for s in statements)
    return ok


def step_of(n: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and v > 0 and v % n == 0


TC = "tencentcloud"
AL = "alicloud"
T_TAGGED = (
    "tencentcloud:Vpc/instance:Instance", "tencentcloud:Subnet/instance:Instance", "tencentcloud:Security/group:Group",
    "tencentcloud:Instance/instance:Instance", "tencentcloud:Cos/bucket:Bucket", "tencentcloud:Clb/instance:Instance",
    "tencentcloud:Postgresql/instance:Instance", "tencentcloud:Redis/instance:Instance",
)
A_TAGGED = (
    "alicloud:vpc/network:Network", "alicloud:vpc/switch:Switch", "alicloud:ecs/securityGroup:SecurityGroup",
    "alicloud:ecs/instance:Instance", "alicloud:oss/bucket:Bucket", "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer",
    "alicloud:rds/instance:Instance", "alicloud:kvstore/instance:Instance",
)
TAG_SOURCE_TC = "https://cloud.tencent.com/document/product/651/13354"
# Provider source the rows below were read in: the tag is the Terraform provider release the pinned
# wrapper runs (fact_sources.PROVIDERS; tests/test_fact_versions.py fails when the two part).
TC_PROVIDER = "terraform-provider-tencentcloud@v1.82.42"
TC_RULE_SET = f"{TC_PROVIDER} tencentcloud/services/vpc/resource_tc_security_group_rule_set.go ResourceTencentCloudSecurityGroupRuleSet"
TC_INSTANCE = f"{TC_PROVIDER} tencentcloud/services/cvm/resource_tc_instance.go ResourceTencentCloudInstance"
# The vendored API model the provider sends (its field comments are the API reference's text).
TC_VPC_MODEL = f"{TC_PROVIDER} vendor/github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc/v20170312/models.go"
TC_CVM_MODEL = f"{TC_PROVIDER} vendor/github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/cvm/v20170312/models.go"
# pulumi-alicloud 4.0.0's Terraform provider release could not be read (fact_sources.PROVIDERS);
# v1.289.0 is the newest tag of aliyun/terraform-provider-alicloud that could be read.
AL_PROVIDER = "terraform-provider-alicloud@v1.289.0"
AL_NOT_REREAD = ("not re-read at the release pulumi-alicloud 4.0.0 wraps (unknown, v1.295.0 or later: its docs reach "
                 "\"Available since v1.295.0\"; the newest readable tag is v1.289.0)")
TAG_SOURCE_AL = f"{ALIYUN_DOCS}/resource-management/tag/product-overview/limits"

LIMITS: list[Limit] = [
    # --- Tencent Cloud --------------------------------------------------------------------
    *[Limit(TC, t, "tags", "≤50 tags; key 1-127, not qcs:/project/项目…; value 1-255", tencent_tags, {"project": "xqfc"}, TAG_SOURCE_TC)
      for t in T_TAGGED],
    Limit(TC, "tencentcloud:Vpc/instance:Instance", "name", "1-60 characters", length(1, 60), "x" * 61, f"{TENCENT_DOCS}/215/15774"),
    Limit(TC, "tencentcloud:Vpc/instance:Instance", "cidrBlock", "inside 10/8, 172.16/12 or 192.168/16, mask /12-/28",
          private_cidr(12, 28), "100.64.0.0/16", f"{TENCENT_DOCS}/215/15774"),
    Limit(TC, "tencentcloud:Subnet/instance:Instance", "name", "1-60 characters", length(1, 60), "x" * 61, f"{TENCENT_DOCS}/215/15782"),
    Limit(TC, "tencentcloud:Subnet/instance:Instance", "cidrBlock", "private, mask /16-/28", private_cidr(16, 28), "10.0.0.0/30",
          f"{TENCENT_DOCS}/215/15782"),
    Limit(TC, "tencentcloud:Security/group:Group", "name", "1-60 characters", length(1, 60), "x" * 61, f"{TENCENT_DOCS}/215/15805"),
    Limit(TC, "tencentcloud:Security/group:Group", "description", "at most 100 characters", length(0, 100), "x" * 101,
          f"{TENCENT_DOCS}/215/15805"),
    *[Limit(TC, "tencentcloud:Security/groupRuleSet:GroupRuleSet", f"{d}.*.{arg}", rule, check, bad, source)
      for d in ("ingresses", "egresses")
      for arg, rule, check, bad, source in (
          # Neither the provider nor SecurityGroupPolicy states a limit: we keep CreateSecurityGroup's.
          ("description", "at most 100 characters (assumed: as GroupDescription)", length(0, 100), "x" * 101,
           f"{TC_RULE_SET} description: no ValidateFunc; {TC_VPC_MODEL} SecurityGroupPolicy.PolicyDescription: no limit; "
           "CreateSecurityGroupRequestParams.GroupDescription: at most 100 characters"),
          ("port", "all, ports 1-65535 separated by commas, or a lo-hi range", tencent_policy_port, "http",
           f"{TC_RULE_SET} port: all, a single port, or a port range (80, 80,90, 80-90); "
           f"{TC_VPC_MODEL} SecurityGroupPolicy.Port"),
          ("protocol", "TCP, UDP, ICMP, ICMPv6 or ALL", one_of("TCP", "UDP", "ICMP", "ICMPv6", "ALL"), "tcp/udp",
           f"{TC_RULE_SET} protocol: Valid values (no ValidateFunc); {TC_VPC_MODEL} SecurityGroupPolicy.Protocol"),
          # The provider lets `accept` through (ValidateAllowedStringValueIgnoreCase) to an API
          # documented in upper case: we keep the documented spelling.
          ("action", "ACCEPT or DROP", one_of("ACCEPT", "DROP"), "ALLOW",
           f"{TC_RULE_SET} action: ValidateAllowedStringValueIgnoreCase([ACCEPT, DROP]); {TC_VPC_MODEL} SecurityGroupPolicy.Action"),
      )],
    Limit(TC, "tencentcloud:Instance/instance:Instance", "instanceName", "2-128 characters", length(2, 128), "x" * 129,
          f"{TC_INSTANCE} instance_name: ValidateStringLengthInRange(2, 128)"),
    Limit(TC, "tencentcloud:Instance/instance:Instance", "hostname",
          "Linux: 2-60 characters, dot-separated labels of letters, digits, - (no -- either)",
          hostname(60), "xqfc_dev",
          f"{TC_INSTANCE} hostname: Description (Linux 2-60); {TC_CVM_MODEL} RunInstancesRequestParams.HostName"),
    Limit(TC, "tencentcloud:Instance/instance:Instance", "userDataRaw", "at most 16 KB once base64-encoded", tencent_user_data,
          "x" * 12289, f"{TC_INSTANCE} user_data_raw: up to 16 KB after base64 (base64.StdEncoding in resourceTencentCloudInstanceCreate)"),
    Limit(TC, "tencentcloud:Instance/instance:Instance", "imageId", "img- and 8 characters", matches(r"img-[a-z0-9]{8}"), "ubuntu",
          f"{TENCENT_DOCS}/213/15730 RunInstances ImageId, e.g. img-8toqc6s3; {TC_INSTANCE} image_id: no ValidateFunc "
          "(ValidateImageID, an img- prefix check, guards TKE resources only)"),
    Limit(TC, "tencentcloud:Instance/instance:Instance", "dataDisks.*.dataDiskSize", "a multiple of 10 GB", step_of(10), 105,
          f"{TENCENT_DOCS}/213/15753#DataDisk"),
    Limit(TC, "tencentcloud:Cos/bucket:Bucket", "bucket", "<name>-<APPID>: name 1-50 of a-z, 0-9, -, not starting/ending with -",
          matches(r"[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?-[0-9]{6,12}"), "Xqfc-dev-1250000000",
          "https://cloud.tencent.com/document/product/436/13312"),
    Limit(TC, "tencentcloud:Cos/bucket:Bucket", "lifecycleRules.*.id", "at most 255 characters", length(1, 255), "x" * 256,
          "https://cloud.tencent.com/document/product/436/8280"),
    Limit(TC, "tencentcloud:Cos/bucket:Bucket", "lifecycleRules.*.expiration.days", "a positive number of days", between(1, 3650 * 10), 0,
          "https://cloud.tencent.com/document/product/436/8280"),
    Limit(TC, "tencentcloud:Cam/policy:Policy", "document", "policy syntax version 2.0, lower-case effect allow/deny",
          policy_document("version", "2.0", "statement", "effect", ("allow", "deny")), '{"version": "1", "statement": []}',
          "https://cloud.tencent.com/document/product/598/10603"),
    Limit(TC, "tencentcloud:Cam/user:User", "name", "1-64 of letters, digits, +=,.@_-", matches(r"[A-Za-z0-9+=,.@_-]{1,64}"),
          "xqfc dev", "https://www.tencentcloud.com/document/product/598/32265"),
    Limit(TC, "tencentcloud:Cam/policy:Policy", "name", "1-128 of letters, digits, +=,.@_-", matches(r"[A-Za-z0-9+=,.@_-]{1,128}"),
          "xqfc/dev", "https://www.tencentcloud.com/document/api/598/32248"),
    Limit(TC, "tencentcloud:Dnspod/record:Record", "ttl", "1-604800; 600 or more on the free plan", between(600, 604800), 60,
          f"{TENCENT_DOCS}/1427/56180"),
    Limit(TC, "tencentcloud:Ssl/certificate:Certificate", "type", "SVR (server) or CA", one_of("SVR", "CA"), "server",
          f"{TENCENT_DOCS}/400/41665"),
    Limit(TC, "tencentcloud:Cdn/domain:Domain", "serviceType", "web, download, media, hybrid or dynamic",
          one_of("web", "download", "media", "hybrid", "dynamic"), "website", f"{TENCENT_DOCS}/228/41123"),
    Limit(TC, "tencentcloud:Cdn/domain:Domain", "area", "mainland, overseas or global", one_of("mainland", "overseas", "global"),
          "china", f"{TENCENT_DOCS}/228/41123"),
    Limit(TC, "tencentcloud:Cdn/domain:Domain", "ruleCaches.*.cacheTime", "0-31536000 seconds (one year)", between(0, 31536000),
          31536001, f"{TENCENT_DOCS}/228/41116#RuleCache"),
    Limit(TC, "tencentcloud:Clb/instance:Instance", "clbName", "1-60 characters", length(1, 60), "x" * 61, f"{TENCENT_DOCS}/214/30692"),
    Limit(TC, "tencentcloud:Clb/listener:Listener", "port", "1-65535", between(1, 65535), 0, f"{TENCENT_DOCS}/214/30693"),
    Limit(TC, "tencentcloud:Clb/listener:Listener", "protocol", "TCP, UDP, HTTP, HTTPS, TCP_SSL or QUIC",
          one_of("TCP", "UDP", "HTTP", "HTTPS", "TCP_SSL", "QUIC"), "https", f"{TENCENT_DOCS}/214/30693"),
    Limit(TC, "tencentcloud:Clb/listenerRule:ListenerRule", "healthCheckIntervalTime", "2-300 seconds", between(2, 300), 1,
          f"{TENCENT_DOCS}/214/30691#HealthCheck"),
    Limit(TC, "tencentcloud:Clb/listenerRule:ListenerRule", "url", "a path starting with /", matches(r"/\S*"), "health",
          f"{TENCENT_DOCS}/214/30691"),
    Limit(TC, "tencentcloud:Postgresql/instance:Instance", "name", "1-60 characters", length(1, 60), "x" * 61,
          f"{TENCENT_DOCS}/409/56107"),
    Limit(TC, "tencentcloud:Postgresql/instance:Instance", "rootUser", "1-16 of letters, digits, _; not postgres; not starting with a digit or pg_",
          lambda v: matches(r"(?i)(?!pg_)(?![0-9])[a-z0-9_]{1,16}")(v) and v.lower() != "postgres", "postgres",
          f"{TENCENT_DOCS}/409/56107"),
    Limit(TC, "tencentcloud:Postgresql/instance:Instance", "storage", "GB in steps of 10", step_of(10), 25, f"{TENCENT_DOCS}/409/56107"),
    Limit(TC, "tencentcloud:Postgresql/instance:Instance", "dbMajorVersion", "10-16 (the SDK's list)",
          one_of(*(str(v) for v in range(10, 17))), "17",
          f"{TC_PROVIDER} tencentcloud/services/postgresql/resource_tc_postgresql_instance.go "
          "ResourceTencentCloudPostgresqlInstance db_major_version: Valid values 10-16 (no ValidateFunc)"),
    Limit(TC, "tencentcloud:Postgresql/instance:Instance", "charset", "UTF8 or LATIN1", one_of("UTF8", "LATIN1"), "utf-8",
          f"{TENCENT_DOCS}/409/56107"),
    Limit(TC, "tencentcloud:Postgresql/instance:Instance", "backupPlan.baseBackupRetentionPeriod", "7-1830 days", between(7, 1830), 3,
          f"{TENCENT_DOCS}/409/68067"),
    Limit(TC, "tencentcloud:Postgresql/instance:Instance", "backupPlan.backupPeriods", "at least two weekdays, lower-case English names",
          lambda v: isinstance(v, list) and len(v) >= 2 and set(v) <= {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"},
          ["Monday"], f"{TENCENT_DOCS}/409/68067"),
    Limit(TC, "tencentcloud:Redis/instance:Instance", "name", "under 60 of letters, digits, -, _ (or Chinese)", matches(r"[\w-]{1,59}"),
          "x" * 60, f"{TENCENT_DOCS}/239/20026"),
    Limit(TC, "tencentcloud:Redis/instance:Instance", "typeId", "17 = Redis 7.0 memory edition, standard architecture",
          one_of(2, 6, 7, 8, 9, 15, 16, 17, 18), 10, f"{TENCENT_DOCS}/239/20026"),
    Limit(TC, "tencentcloud:Redis/instance:Instance", "memSize", "MB, a multiple of 1024", step_of(1024), 1000, f"{TENCENT_DOCS}/239/20026"),
    Limit(TC, "tencentcloud:Redis/instance:Instance", "port", "1024-65535", between(1024, 65535), 80, f"{TENCENT_DOCS}/239/20026"),
    # --- Alibaba Cloud --------------------------------------------------------------------
    *[Limit(AL, t, "tags", "≤20 tags; key 1-128, not aliyun…/acs:…, no http(s)://; value ≤128", alicloud_tags, {"acs:env": "dev"},
            TAG_SOURCE_AL) for t in A_TAGGED],
    Limit(AL, "alicloud:vpc/network:Network", "vpcName", "1-128 characters, not starting with http:// or https://",
          every(length(1, 128), no_url_prefix), "https://vpc", f"{ALIYUN_DOCS}/vpc/developer-reference/api-vpc-2016-04-28-createvpc"),
    Limit(AL, "alicloud:vpc/network:Network", "cidrBlock", "inside 10/8, 172.16/12 or 192.168/16, mask /8-/28", private_cidr(8, 28),
          "100.64.0.0/16", f"{ALIYUN_DOCS}/vpc/developer-reference/api-vpc-2016-04-28-createvpc"),
    Limit(AL, "alicloud:vpc/switch:Switch", "vswitchName", "1-128 characters, not starting with http:// or https://",
          every(length(1, 128), no_url_prefix), "x" * 129, f"{ALIYUN_DOCS}/vpc/developer-reference/api-vpc-2016-04-28-createvswitch"),
    Limit(AL, "alicloud:vpc/switch:Switch", "cidrBlock", "private, mask /16-/29", private_cidr(16, 29), "10.0.0.0/12",
          f"{ALIYUN_DOCS}/vpc/developer-reference/api-vpc-2016-04-28-createvswitch"),
    Limit(AL, "alicloud:ecs/securityGroup:SecurityGroup", "securityGroupName",
          "2-128, starting with a letter; letters, digits, . _ - :", matches(r"[A-Za-z][A-Za-z0-9._:-]{1,127}"), "1xqfc",
          f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-createsecuritygroup"),
    Limit(AL, "alicloud:ecs/securityGroup:SecurityGroup", "description", "2-256 characters, not starting with http:// or https://",
          every(length(2, 256), no_url_prefix), "x", f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-createsecuritygroup"),
    Limit(AL, "alicloud:ecs/securityGroup:SecurityGroup", "innerAccessPolicy", "Accept or Drop", one_of("Accept", "Drop"), "drop",
          f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-createsecuritygroup"),
    Limit(AL, "alicloud:ecs/securityGroupRule:SecurityGroupRule", "description", "1-512 characters", length(1, 512), "x" * 513,
          f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-authorizesecuritygroup"),
    Limit(AL, "alicloud:ecs/securityGroupRule:SecurityGroupRule", "portRange", "lo/hi within 1-65535, or -1/-1 for all",
          alicloud_port_range, "80", f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-authorizesecuritygroup"),
    Limit(AL, "alicloud:ecs/securityGroupRule:SecurityGroupRule", "priority", "1-100", between(1, 100), 0,
          f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-authorizesecuritygroup"),
    Limit(AL, "alicloud:ecs/securityGroupRule:SecurityGroupRule", "ipProtocol", "tcp, udp, icmp, icmpv6, gre or all",
          one_of("tcp", "udp", "icmp", "icmpv6", "gre", "all"), "TCP",
          f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-authorizesecuritygroup"),
    Limit(AL, "alicloud:ecs/instance:Instance", "instanceName", "2-128, starting with a letter; letters, digits, . _ - :",
          matches(r"[A-Za-z][A-Za-z0-9._:-]{1,127}"), "-host", f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-runinstances"),
    Limit(AL, "alicloud:ecs/instance:Instance", "hostName", "Linux: 2-64, dot-separated labels of letters, digits, - (no -- either)",
          hostname(64), "xqfc--dev",
          f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-runinstances; {AL_PROVIDER} "
          "website/docs/r/instance.html.markdown host_name: two or more consecutive . or - are not allowed "
          f"({AL_NOT_REREAD})"),
    Limit(AL, "alicloud:ecs/instance:Instance", "userData", "base64 of at most 32 KB", alicloud_user_data,
          base64.b64encode(b"x" * 32769).decode(), f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-runinstances"),
    Limit(AL, "alicloud:ecs/instance:Instance", "imageId", "m-<id> or a public image's .vhd name",
          matches(r"m-[a-z0-9]{8,30}|[A-Za-z0-9][A-Za-z0-9_.-]*\.vhd"), "img-8toqc6s3",
          f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-describeimages"),
    Limit(AL, "alicloud:ecs/instance:Instance", "dataDisks.*.name", "2-128, starting with a letter; letters, digits, . _ - :",
          matches(r"[A-Za-z][A-Za-z0-9._:-]{1,127}"), "_data", f"{ALIYUN_DOCS}/ecs/developer-reference/api-ecs-2014-05-26-runinstances"),
    Limit(AL, "alicloud:oss/bucket:Bucket", "bucket", "3-63 of a-z, 0-9, -, starting and ending with a letter or digit",
          matches(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"), "xqfc-dev-", f"{ALIYUN_DOCS}/oss/user-guide/bucket-naming-conventions"),
    Limit(AL, "alicloud:oss/bucket:Bucket", "lifecycleRules.*.id", "at most 255 bytes", length(1, 255), "x" * 256,
          f"{ALIYUN_DOCS}/oss/developer-reference/putbucketlifecycle"),
    Limit(AL, "alicloud:oss/bucket:Bucket", "lifecycleRules.*.expirations.*.days", "a positive number of days", between(1, 3650 * 10), 0,
          f"{ALIYUN_DOCS}/oss/developer-reference/putbucketlifecycle"),
    Limit(AL, "alicloud:ram/policy:Policy", "policyDocument", "policy language Version 1, Effect Allow/Deny",
          policy_document("Version", "1", "Statement", "Effect", ("Allow", "Deny")), '{"Version": "2012-10-17", "Statement": []}',
          f"{ALIYUN_DOCS}/ram/user-guide/policy-structure-and-syntax"),
    Limit(AL, "alicloud:ram/user:User", "name", "1-64 of letters, digits, . _ -", matches(r"[A-Za-z0-9._-]{1,64}"), "xqfc@dev",
          f"{ALIYUN_DOCS}/ram/developer-reference/api-ram-2015-05-01-createuser"),
    Limit(AL, "alicloud:ram/user:User", "comments", "at most 128 characters", length(0, 128), "x" * 129,
          f"{ALIYUN_DOCS}/ram/developer-reference/api-ram-2015-05-01-createuser"),
    Limit(AL, "alicloud:ram/policy:Policy", "policyName", "1-128 of letters, digits, -", matches(r"[A-Za-z0-9-]{1,128}"), "xqfc_dev",
          f"{ALIYUN_DOCS}/ram/developer-reference/api-ram-2015-05-01-createpolicy"),
    Limit(AL, "alicloud:ram/policy:Policy", "description", "at most 1024 characters", length(0, 1024), "x" * 1025,
          f"{ALIYUN_DOCS}/ram/developer-reference/api-ram-2015-05-01-createpolicy"),
    Limit(AL, "alicloud:cas/serviceCertificate:ServiceCertificate", "certificateName", "1-64 characters", length(1, 64), "x" * 65,
          f"{ALIYUN_DOCS}/ssl-certificate/developer-reference/api-cas-2020-04-07-uploadusercertificate"),
    Limit(AL, "alicloud:dns/alidnsRecord:AlidnsRecord", "ttl", "600-86400 seconds (600 is the free edition's floor)",
          between(600, 86400), 60, f"{ALIYUN_DOCS}/dns/api-alidns-2015-01-09-adddomainrecord"),
    Limit(AL, "alicloud:cdn/domainNew:DomainNew", "cdnType", "web, download or video", one_of("web", "download", "video"), "website",
          f"{ALIYUN_DOCS}/cdn/developer-reference/api-cdn-2018-05-10-addcdndomain"),
    Limit(AL, "alicloud:cdn/domainNew:DomainNew", "scope", "domestic, overseas or global", one_of("domestic", "overseas", "global"),
          "mainland", f"{ALIYUN_DOCS}/cdn/developer-reference/api-cdn-2018-05-10-addcdndomain"),
    Limit(AL, "alicloud:cdn/domainNew:DomainNew", "sources.*.port", "1-65535", between(1, 65535), 0,
          f"{ALIYUN_DOCS}/cdn/developer-reference/api-cdn-2018-05-10-addcdndomain"),
    # New CLB instances are pay-by-usage only (catalog.SALE_STATUS); PayBySpec is no longer sold.
    Limit(AL, "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer", "instanceChargeType",
          "PayByCLCU only: pay-by-specification no longer sold (2025-06-01 outside mainland China, 2026-01-01 inside)",
          one_of("PayByCLCU"), "PayBySpec", "https://www.alibabacloud.com/help/doc-detail/127268.htm"),
    Limit(AL, "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer", "loadBalancerName", "1-80 characters", length(1, 80),
          "x" * 81, f"{ALIYUN_DOCS}/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancer"),
    Limit(AL, "alicloud:slb/listener:Listener", "description", "1-80 characters", length(1, 80), "x" * 81,
          f"{ALIYUN_DOCS}/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener"),
    Limit(AL, "alicloud:slb/listener:Listener", "healthCheckInterval", "1-50 seconds", between(1, 50), 60,
          f"{ALIYUN_DOCS}/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener"),
    *[Limit(AL, "alicloud:slb/listener:Listener", arg, "2-10", between(2, 10), 1,
            f"{ALIYUN_DOCS}/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener")
      for arg in ("healthyThreshold", "unhealthyThreshold")],
    Limit(AL, "alicloud:slb/listener:Listener", "establishedTimeout", "10-900 seconds", between(10, 900), 1800,
          f"{ALIYUN_DOCS}/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener"),
    Limit(AL, "alicloud:slb/listener:Listener", "healthCheckUri", "1-80 characters starting with /", matches(r"/[\w./%?#&=-]{0,79}"),
          "health", f"{ALIYUN_DOCS}/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener"),
    *[Limit(AL, "alicloud:slb/listener:Listener", arg, "1-65535", between(1, 65535), 0,
            f"{ALIYUN_DOCS}/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-createloadbalancertcplistener")
      for arg in ("frontendPort", "backendPort", "healthCheckConnectPort")],
    Limit(AL, "alicloud:rds/instance:Instance", "instanceName", "2-256, starting with a letter, not http(s)://",
          every(matches(r"[A-Za-z].{1,255}"), no_url_prefix), "1pg", f"{ALIYUN_DOCS}/rds/developer-reference/api-rds-2014-08-15-createdbinstance"),
    Limit(AL, "alicloud:rds/instance:Instance", "engineVersion", "PostgreSQL 10.0-17.0", one_of(*(f"{v}.0" for v in range(10, 18))),
          "17", f"{ALIYUN_DOCS}/rds/developer-reference/api-rds-2014-08-15-createdbinstance"),
    Limit(AL, "alicloud:rds/rdsAccount:RdsAccount", "accountName",
          "2-63 of a-z, 0-9, _, starting with a letter, ending with a letter or digit; not postgres",
          lambda v: matches(r"[a-z][a-z0-9_]{0,61}[a-z0-9]")(v) and v != "postgres", "Xqfc",
          f"{ALIYUN_DOCS}/rds/developer-reference/api-rds-2014-08-15-createaccount"),
    Limit(AL, "alicloud:rds/database:Database", "dataBaseName", "2-64 of a-z, 0-9, _ and -, starting with a letter, ending with a letter or digit",
          matches(r"[a-z][a-z0-9_-]{0,62}[a-z0-9]"), "xqfc_", f"{ALIYUN_DOCS}/rds/developer-reference/api-rds-2014-08-15-createdatabase"),
    Limit(AL, "alicloud:rds/backupPolicy:BackupPolicy", "backupRetentionPeriod", "7-730 days", between(7, 730), 3,
          f"{ALIYUN_DOCS}/rds/developer-reference/api-rds-2014-08-15-modifybackuppolicy"),
    Limit(AL, "alicloud:rds/backupPolicy:BackupPolicy", "preferredBackupTime", "HH:mmZ-HH:mmZ, a one-hour window on the hour (UTC)",
          lambda v: (m := re.fullmatch(r"([01][0-9]|2[0-3]):00Z-([01][0-9]|2[0-3]):00Z", v or "")) is not None
          and (int(m.group(1)) + 1) % 24 == int(m.group(2)), "01:30Z-02:30Z",
          f"{ALIYUN_DOCS}/rds/developer-reference/api-rds-2014-08-15-modifybackuppolicy"),
    Limit(AL, "alicloud:kvstore/instance:Instance", "dbInstanceName", "2-80, starting with a letter", matches(r"[A-Za-z].{1,79}"), "1r",
          f"{ALIYUN_DOCS}/redis/developer-reference/api-r-kvstore-2015-01-01-createinstance"),
    Limit(AL, "alicloud:kvstore/instance:Instance", "instanceClass", "Redis 7.0 is cloud-native only: a class ending in .ce",
          matches(r"redis\.[a-z0-9.]+\.ce"), "redis.master.small.default",
          f"{AL_PROVIDER} alicloud/resource_alicloud_kvstore_instance_test.go TestAccAliCloudKVStoreRedisInstance_7_0, "
          f"_7_0_with_proxy_class, _7_0_with_proxy_class_replica: every 7.0 class is redis.shard.*.ce; {AL_NOT_REREAD}"),
    Limit(AL, "alicloud:kvstore/instance:Instance", "port", "1024-65535", between(1024, 65535), 80,
          f"{ALIYUN_DOCS}/redis/developer-reference/api-r-kvstore-2015-01-01-createinstance"),
]


@dataclass(frozen=True)
class PasswordRule:
    cloud: str
    consumer: str  # the managed service the generated password is for
    name_suffix: str  # random.RandomPassword resource name ending
    length: tuple[int, int]
    min_kinds: int  # of lower, upper, digit, special
    specials: str  # the special characters the service accepts
    source: str
    read_at: str = field(default="", compare=False)  # as Limit.read_at

    def __post_init__(self) -> None:
        if not self.read_at:
            object.__setattr__(self, "read_at", fact_sources.read_at(self.cloud))


TENCENT_SPECIALS = "()`~!@#$%^&*-+=_|{}[]:;'<>,.?/"
ALIYUN_SPECIALS = "!@#$%^&*()_+-="
PASSWORD_RULES = [
    PasswordRule(TC, "TencentDB for PostgreSQL", "-pg-password", (8, 32), 4, TENCENT_SPECIALS, f"{TENCENT_DOCS}/409/56107"),
    PasswordRule(TC, "TencentDB for Redis", "-redis-password", (8, 32), 2, TENCENT_SPECIALS.replace("'", ""),
                 "https://www.tencentcloud.com/document/product/239/32054"),
    PasswordRule(AL, "RDS PostgreSQL", "-pg-password", (8, 32), 3, ALIYUN_SPECIALS,
                 f"{ALIYUN_DOCS}/rds/developer-reference/api-rds-2014-08-15-createaccount"),
    PasswordRule(AL, "KVStore Redis", "-redis-password", (8, 32), 3, ALIYUN_SPECIALS,
                 f"{ALIYUN_DOCS}/redis/developer-reference/api-r-kvstore-2015-01-01-createinstance"),
]


def password_problems(rule: PasswordRule, inputs: dict[str, Any]) -> list[str]:
    """What a pulumi_random.RandomPassword with these inputs may generate that the service
    refuses: a length outside its range, too few guaranteed kinds, or a special it rejects."""
    out = []
    n = inputs.get("length", 0)
    if not rule.length[0] <= n <= rule.length[1]:
        out.append(f"length {n} outside {rule.length[0]}-{rule.length[1]}")
    special = inputs.get("special", True)
    specials = inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"  # pulumi_random's default set
    kinds = sum(inputs.get(k, 0) > 0 for k in ("minLower", "minUpper", "minNumeric")) + (special and inputs.get("minSpecial", 0) > 0)
    if kinds < rule.min_kinds:
        out.append(f"only {kinds} character kinds guaranteed, {rule.consumer} needs {rule.min_kinds}")
    if special and not set(specials) <= set(rule.specials):
        out.append(f"specials {''.join(sorted(set(specials) - set(rule.specials)))!r} are refused by {rule.consumer}")
    return out
