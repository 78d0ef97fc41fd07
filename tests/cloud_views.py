"""Per-cloud readers of a mocked plan: type tokens and field names in, neutral facts out.

The program tests assert on these facts only, so one assertion covers both clouds and a new
cloud needs a view here, not new tests. Views read registrations; they never decide.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, ClassVar

from components.plan.mocks import Registration
from components.plan.run import PlanResult


@dataclass(frozen=True)
class Rule:
    protocol: str  # "tcp" or "all"
    port: int | None  # None: every port
    cidr: str
    accept: bool


@dataclass(frozen=True)
class Disk:
    type: str
    size: int
    encrypted: bool
    delete_with_instance: bool


@dataclass(frozen=True)
class Vm:
    reg: Registration
    instance_type: str
    zone: str
    bandwidth: int
    public_ip: bool
    system_disk: tuple[str, int]
    data_disks: list[Disk]
    # Every argument that would bind a cloud key pair or set a password (must stay empty).
    login_args: dict[str, Any]
    security_group_refs: list[str]
    api_termination_protected: bool
    user_data: str
    image_id: str
    vswitch_ref: str


@dataclass(frozen=True)
class Bucket:
    reg: Registration
    name: str
    private: bool
    versioned: bool
    sse: str
    backup_prefix: str
    backup_expiry_days: int
    noncurrent_expiry_days: int
    abort_multipart_days: int


@dataclass(frozen=True)
class Cdn:
    reg: Registration
    domain: str
    https: bool
    http2: bool
    tls_versions: set[str]
    redirect_to_https: int | None  # status code, None when no redirect
    certificate_ref: str
    static_ttl: int
    origins: list[str]
    origin_https: bool
    origin_sni: str


@dataclass(frozen=True)
class Record:
    zone: str
    name: str
    type: str
    value: str
    default_line: bool


def _rid(reg: Registration) -> str:
    return f"{reg.name}-id"  # the mocks' id of a resource


class _View:
    """What reads the same on every cloud once the field names are set."""

    WRITER_POLICY: ClassVar[str]
    WRITER_DOC: ClassVar[str]
    STATEMENT: ClassVar[str]
    EFFECT: ClassVar[str]
    ACTION: ClassVar[str]
    RESOURCE: ClassVar[str]

    def writer_policy(self, plan: PlanResult) -> tuple[list[str], list[str]]:
        """(actions, resources) the backup writer may use."""
        (st,) = json.loads(plan.one(self.WRITER_POLICY).inputs[self.WRITER_DOC])[self.STATEMENT]
        assert st[self.EFFECT].lower() == "allow"
        return st[self.ACTION], st[self.RESOURCE]


class TencentView(_View):
    WRITER_POLICY, WRITER_DOC = "tencentcloud:Cam/policy:Policy", "document"
    STATEMENT, EFFECT, ACTION, RESOURCE = "statement", "effect", "action", "resource"
    FORBIDDEN_ACTIONS = ("name/cos:DeleteBucket", "name/cos:PutBucketACL", "name/cos:PutBucketPolicy")
    cloud = "tencentcloud"
    T: ClassVar[dict[str, str]] = {
        "vm": "tencentcloud:Instance/instance:Instance",
        "sg": "tencentcloud:Security/group:Group",
        "rules": "tencentcloud:Security/groupRuleSet:GroupRuleSet",
        "bucket": "tencentcloud:Cos/bucket:Bucket",
        "cdn": "tencentcloud:Cdn/domain:Domain",
        "cdn_cert": "tencentcloud:Ssl/certificate:Certificate",
        "dns": "tencentcloud:Dnspod/record:Record",
        "key": "tencentcloud:Key/pair:Pair",
        "key_attachment": "tencentcloud:Key/pairAttachment:PairAttachment",
        "vpc": "tencentcloud:Vpc/instance:Instance",
        "subnet": "tencentcloud:Subnet/instance:Instance",
        "provider": "pulumi:providers:tencentcloud",
    }
    # RunInstances' LoginSettings as the SDK spells them (research/provider-mapping.md).
    LOGIN_ARGS = ("keyIds", "keyName", "password", "keepImageLogin")
    image_lookup = "tencentcloud:Images/getInstance:getInstance"
    mocked_image = "img-mock0001"
    pinned_image = "img-pinned42"
    account_lookup = "tencentcloud:User/getInfo:getInfo"
    account_suffix = "1250000000"
    credential_keys: ClassVar[set[str]] = {"secretId", "secretKey", "securityToken"}
    rules_ordered = True  # one rule set, evaluated first to last
    acme_dns_provider = "tencentcloud"

    @staticmethod
    def s3_endpoint(region: str) -> str:
        return f"https://cos.{region}.myqcloud.com"

    def _ingresses(self, plan: PlanResult) -> list[dict]:
        return plan.one(self.T["rules"]).inputs["ingresses"]

    def ingress(self, plan: PlanResult) -> list[Rule]:
        out = []
        for i in self._ingresses(plan):
            port = None if i["port"] == "ALL" else int(i["port"])
            out.append(Rule(i["protocol"].lower(), port, i["cidrBlock"], i["action"] == "ACCEPT"))
        return out

    def egress(self, plan: PlanResult) -> list[Rule]:
        return [
            Rule(e["protocol"].lower(), None if e["port"] == "ALL" else int(e["port"]), e["cidrBlock"], e["action"] == "ACCEPT")
            for e in plan.one(self.T["rules"]).inputs["egresses"]
        ]

    def rule_group_refs(self, plan: PlanResult) -> list[str]:
        return [plan.one(self.T["rules"]).inputs["securityGroupId"]]

    def vm(self, plan: PlanResult) -> Vm:
        reg = plan.one(self.T["vm"])
        i = reg.inputs
        return Vm(
            reg=reg,
            instance_type=i["instanceType"],
            zone=i["availabilityZone"],
            bandwidth=i["internetMaxBandwidthOut"],
            public_ip=i["allocatePublicIp"] is True and i["internetMaxBandwidthOut"] > 0,
            system_disk=(i["systemDiskType"], i["systemDiskSize"]),
            data_disks=[Disk(d["dataDiskType"], d["dataDiskSize"], d["encrypt"], d["deleteWithInstance"]) for d in i["dataDisks"]],
            login_args={k: i[k] for k in self.LOGIN_ARGS if i.get(k) not in (None, [], "")},
            security_group_refs=i["orderlySecurityGroups"],
            api_termination_protected=i["disableApiTermination"],
            user_data=i["userDataRaw"],
            image_id=i["imageId"],
            vswitch_ref=i["subnetId"],
        )

    def bucket(self, plan: PlanResult) -> Bucket:
        reg = plan.one(self.T["bucket"])
        i = reg.inputs
        rules = {r["id"]: r for r in i["lifecycleRules"]}
        backups, abort = rules["backups-retention"], rules["abort-incomplete-uploads"]
        return Bucket(
            reg=reg,
            name=i["bucket"],
            private=i["acl"] == "private",
            versioned=i["versioningEnable"] is True,
            sse=i["encryptionAlgorithm"],
            backup_prefix=backups["filterPrefix"],
            backup_expiry_days=backups["expiration"]["days"],
            noncurrent_expiry_days=backups["nonCurrentExpiration"]["nonCurrentDays"],
            abort_multipart_days=abort["abortIncompleteMultipartUpload"]["daysAfterInitiation"],
        )

    def cdn(self, plan: PlanResult) -> Cdn | None:
        found = plan.of_type(self.T["cdn"])
        if not found:
            return None
        (reg,) = found
        i = reg.inputs
        https = i["httpsConfig"]
        static = [r for r in i["ruleCaches"] if "/static/" in r.get("rulePaths", [])]
        redirect = https.get("forceRedirect", {})
        return Cdn(
            reg=reg,
            domain=i["domain"],
            https=https["httpsSwitch"] == "on",
            http2=https.get("http2Switch") == "on",
            tls_versions=set(https["tlsVersions"]),
            redirect_to_https=redirect.get("redirectStatusCode")
            if redirect.get("switch") == "on" and redirect.get("redirectType") == "https" else None,
            certificate_ref=https["serverCertificateConfig"]["certificateId"],
            static_ttl=static[0]["cacheTime"] if static else 0,
            origins=i["origin"]["originLists"],
            origin_https=i["origin"]["originPullProtocol"] == "https",
            origin_sni=i["origin"]["serverName"],
        )

    def cdn_certificate(self, plan: PlanResult) -> tuple[Registration, Any, Any] | None:
        found = plan.of_type(self.T["cdn_cert"])
        if not found:
            return None
        (reg,) = found
        assert reg.inputs["type"] == "SVR"
        return reg, reg.secret_inputs["cert"], reg.inputs["key"]

    def dns(self, plan: PlanResult) -> list[Record]:
        return [
            Record(r.inputs["domain"], r.inputs["subDomain"], r.inputs["recordType"], r.inputs["value"], r.inputs["recordLine"] == "默认")
            for r in plan.of_type(self.T["dns"])
        ]


class AlicloudView(_View):
    WRITER_POLICY, WRITER_DOC = "alicloud:ram/policy:Policy", "policyDocument"
    STATEMENT, EFFECT, ACTION, RESOURCE = "Statement", "Effect", "Action", "Resource"
    FORBIDDEN_ACTIONS = ("oss:DeleteBucket", "oss:PutBucketAcl", "oss:PutBucketPolicy")
    cloud = "alicloud"
    T: ClassVar[dict[str, str]] = {
        "vm": "alicloud:ecs/instance:Instance",
        "sg": "alicloud:ecs/securityGroup:SecurityGroup",
        "rules": "alicloud:ecs/securityGroupRule:SecurityGroupRule",
        "bucket": "alicloud:oss/bucket:Bucket",
        "bucket_acl": "alicloud:oss/bucketAcl:BucketAcl",
        "cdn": "alicloud:cdn/domainNew:DomainNew",
        "cdn_config": "alicloud:cdn/domainConfig:DomainConfig",
        "cdn_cert": "alicloud:cas/serviceCertificate:ServiceCertificate",
        "dns": "alicloud:dns/alidnsRecord:AlidnsRecord",
        "key": "alicloud:ecs/ecsKeyPair:EcsKeyPair",
        "key_attachment": "alicloud:ecs/ecsKeyPairAttachment:EcsKeyPairAttachment",
        "vpc": "alicloud:vpc/network:Network",
        "subnet": "alicloud:vpc/switch:Switch",
        "provider": "pulumi:providers:alicloud",
    }
    LOGIN_ARGS = ("keyName", "password", "kmsEncryptedPassword", "passwordInherit")
    image_lookup = "alicloud:ecs/getImages:getImages"
    mocked_image = "ubuntu_24_04_x64_20G_alibase_mock.vhd"
    pinned_image = "m-pinned42"
    account_lookup = "alicloud:index/getAccount:getAccount"
    account_suffix = "1234567890123456"
    credential_keys: ClassVar[set[str]] = {"accessKey", "secretKey", "securityToken"}
    rules_ordered = False  # separate resources, all accept at one priority: order means nothing
    acme_dns_provider = "alidns"

    @staticmethod
    def s3_endpoint(region: str) -> str:
        return f"https://s3.oss-{region}.aliyuncs.com"

    @staticmethod
    def _rule(i: dict) -> Rule:
        lo, hi = (int(p) for p in i["portRange"].split("/"))
        assert lo == hi or (lo, hi) == (-1, -1), f"port range {i['portRange']} is wider than one port"
        return Rule(i["ipProtocol"], None if lo == -1 else lo, i["cidrIp"], i.get("policy", "accept") == "accept")

    def ingress(self, plan: PlanResult) -> list[Rule]:
        return [self._rule(r.inputs) for r in plan.of_type(self.T["rules"]) if r.inputs["type"] == "ingress"]

    def egress(self, plan: PlanResult) -> list[Rule]:
        return [self._rule(r.inputs) for r in plan.of_type(self.T["rules"]) if r.inputs["type"] == "egress"]

    def rule_group_refs(self, plan: PlanResult) -> list[str]:
        return sorted({r.inputs["securityGroupId"] for r in plan.of_type(self.T["rules"])})

    def vm(self, plan: PlanResult) -> Vm:
        reg = plan.one(self.T["vm"])
        i = reg.inputs
        return Vm(
            reg=reg,
            instance_type=i["instanceType"],
            zone=i["availabilityZone"],
            bandwidth=i["internetMaxBandwidthOut"],
            public_ip=i["internetMaxBandwidthOut"] > 0,
            system_disk=(i["systemDiskCategory"], i["systemDiskSize"]),
            data_disks=[Disk(d["category"], d["size"], d["encrypted"], d["deleteWithInstance"]) for d in i["dataDisks"]],
            login_args={k: i[k] for k in self.LOGIN_ARGS if i.get(k) not in (None, [], "")},
            security_group_refs=i["securityGroups"],
            api_termination_protected=i["deletionProtection"],
            user_data=base64.b64decode(i["userData"]).decode(),
            image_id=i["imageId"],
            vswitch_ref=i["vswitchId"],
        )

    def bucket(self, plan: PlanResult) -> Bucket:
        reg = plan.one(self.T["bucket"])
        i = reg.inputs
        (acl,) = [a.inputs for a in plan.of_type(self.T["bucket_acl"]) if a.inputs["bucket"] == i["bucket"]]
        rules = {r["id"]: r for r in i["lifecycleRules"]}
        backups, abort = rules["backups-retention"], rules["abort-incomplete-uploads"]
        assert all(r["enabled"] is True for r in rules.values())
        assert "acl" not in i, "the inline acl is deprecated and would fight oss.BucketAcl"
        return Bucket(
            reg=reg,
            name=i["bucket"],
            private=acl["acl"] == "private",
            versioned=i["versioning"]["status"] == "Enabled",
            sse=i["serverSideEncryptionRule"]["sseAlgorithm"],
            backup_prefix=backups["prefix"],
            backup_expiry_days=backups["expirations"][0]["days"],
            noncurrent_expiry_days=backups["noncurrentVersionExpirations"][0]["days"],
            abort_multipart_days=abort["abortMultipartUploads"][0]["days"],
        )

    def _functions(self, plan: PlanResult, domain: str) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for r in plan.of_type(self.T["cdn_config"]):
            assert r.inputs["domainName"] == domain
            name = r.inputs["functionName"]
            assert name not in out, f"{name} configured twice"
            out[name] = {a["argName"]: a["argValue"] for a in r.inputs["functionArgs"]}
        return out

    def cdn(self, plan: PlanResult) -> Cdn | None:
        found = plan.of_type(self.T["cdn"])
        if not found:
            assert plan.of_type(self.T["cdn_config"]) == []
            return None
        (reg,) = found
        i = reg.inputs
        f = self._functions(plan, i["domainName"])
        cert = i["certificateConfig"]
        tls = f.get("https_tls_version", {})
        force = f.get("https_force", {})
        return Cdn(
            reg=reg,
            domain=i["domainName"],
            https=cert.get("serverCertificateStatus") == "on" and cert["certType"] == "cas",
            http2=f.get("https_option", {}).get("http2") == "on",
            tls_versions={f"TLSv1.{v[-1]}" for v, on in tls.items() if on == "on"},
            redirect_to_https=int(force.get("https_rewrite", 0)) if force.get("enable") == "on" else None,
            certificate_ref=cert["certId"],
            static_ttl=int(f.get("path_based_ttl_set", {}).get("ttl", 0))
            if f.get("path_based_ttl_set", {}).get("path") == "/static/" else 0,
            origins=[s["content"] for s in i["sources"]],
            origin_https=f.get("forward_scheme", {}).get("scheme_origin") == "https" and all(s["port"] == 443 for s in i["sources"]),
            origin_sni=f.get("https_origin_sni", {}).get("https_origin_sni", "") if f.get("https_origin_sni", {}).get("enabled") == "on" else "",
        )

    def cdn_certificate(self, plan: PlanResult) -> tuple[Registration, Any, Any] | None:
        found = plan.of_type(self.T["cdn_cert"])
        if not found:
            return None
        (reg,) = found
        return reg, reg.secret_inputs["cert"], reg.inputs["key"]

    def dns(self, plan: PlanResult) -> list[Record]:
        return [
            Record(r.inputs["domainName"], r.inputs["rr"], r.inputs["type"], r.inputs["value"], r.inputs.get("line") == "default")
            for r in plan.of_type(self.T["dns"])
        ]


VIEWS = {v.cloud: v for v in (TencentView(), AlicloudView())}


def view_of(plan: PlanResult):
    return VIEWS[plan.config["xqfc:cloud"]]
