"""The whole program per stack under mocks: what it registers, how, and what it exports."""
from __future__ import annotations

import ipaddress

import pulumi
import pytest

from components.firewall import WEB_PORTS, WORLD, ingress_policy
from components.outputs import CONTRACT, CONTRACT_VERSION
from components.plan.mocks import MASK
from components.plan.run import run_stack

T = {
    "vm": "tencentcloud:Instance/instance:Instance",
    "rules": "tencentcloud:Security/groupRuleSet:GroupRuleSet",
    "sg": "tencentcloud:Security/group:Group",
    "bucket": "tencentcloud:Cos/bucket:Bucket",
    "cert": "tencentcloud:Ssl/freeCertificate:FreeCertificate",
    "cdn": "tencentcloud:Cdn/domain:Domain",
    "dns": "tencentcloud:Dnspod/record:Record",
    "key": "tencentcloud:Key/pair:Pair",
    "provider": "pulumi:providers:tencentcloud",
}


def settings_of(plan):
    from components.plan.stack_config import read_stack_config
    from components.plan.run import ROOT
    from components.settings import from_mapping

    config, _ = read_stack_config(ROOT, plan.stack)
    return from_mapping({k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("xqfc:")}, plan.stack)


def test_full_foundation_is_registered(plan):
    types = [r.type for r in plan.resources]
    for t in ("vm", "rules", "sg", "bucket", "key", "provider"):
        assert types.count(T[t]) == 1, t
    assert "tencentcloud:Vpc/instance:Instance" in types and "tencentcloud:Subnet/instance:Instance" in types
    assert types.count(T["cert"]) == 2 and types.count(T["dns"]) == 2


def test_every_resource_has_a_component_parent(plan):
    for r in plan.resources:
        if r.type == "xqfc:platform:Platform":
            assert r.parent_urn is None
            continue
        assert r.parent_urn, f"{r.name} is not parented"
        assert plan.by_urn(r.parent_urn).custom is False, f"{r.name}'s parent is not a component"


def test_child_names_carry_their_component_prefix(plan):
    for r in plan.resources:
        if r.parent_urn and plan.by_urn(r.parent_urn).type.startswith("xqfc:tencentcloud:"):
            assert r.name.startswith(plan.by_urn(r.parent_urn).name + "-"), r.name


def test_security_group_admits_only_web_and_admin_ssh(plan):
    s = settings_of(plan)
    rules = plan.one(T["rules"]).inputs
    ingresses = rules["ingresses"]
    accepts = [i for i in ingresses if i["action"] == "ACCEPT"]
    for rule in accepts:
        port = int(rule["port"])
        assert rule["protocol"] == "TCP"
        if port in WEB_PORTS:
            assert rule["cidrBlock"] == WORLD
        else:
            assert port == 22, f"port {port} is open"
            assert rule["cidrBlock"] in s.admin_cidrs
            assert ipaddress.ip_network(rule["cidrBlock"]).prefixlen > 0
    assert [(int(r["port"]), r["cidrBlock"]) for r in accepts] == [(r.port, r.cidr) for r in ingress_policy(s.admin_cidrs)]
    # Everything not accepted above is dropped explicitly, last.
    assert ingresses[-1] == {**ingresses[-1], "action": "DROP", "port": "ALL", "cidrBlock": WORLD}
    assert rules["securityGroupId"] == f"{plan.one(T['sg']).name}-id"
    assert plan.one(T["vm"]).inputs["orderlySecurityGroups"] == [f"{plan.one(T['sg']).name}-id"]


def test_no_other_rule_resources_compete_with_the_rule_set(plan):
    assert not [r for r in plan.resources if r.type.startswith("tencentcloud:Security/groupRule:")]


def test_vm_shape_and_protection(plan):
    s = settings_of(plan)
    vm = plan.one(T["vm"])
    i = vm.inputs
    assert i["instanceType"] == s.instance_type and i["availabilityZone"] == s.zone
    assert i["allocatePublicIp"] is True and i["internetMaxBandwidthOut"] == s.bandwidth_mbps
    assert i["systemDiskSize"] == s.system_disk_size
    (disk,) = i["dataDisks"]
    assert disk["dataDiskSize"] == s.data_disk_size and disk["encrypt"] is True
    assert i["keyIds"] == [f"{plan.one(T['key']).name}-id"]
    assert "password" not in i
    prod = plan.stack == "prod"
    assert i["disableApiTermination"] is prod
    assert vm.protect is prod
    assert disk["deleteWithInstance"] is (not prod)


def test_vm_boots_with_the_rendered_cloud_init(plan):
    user_data = plan.one(T["vm"]).inputs["userDataRaw"]
    assert user_data == plan.artifacts["cloud-init.yaml"]
    assert user_data.startswith("#cloud-config\n")
    assert settings_of(plan).ssh_public_key in user_data


def test_image_lookup_only_without_explicit_image(plan_of):
    looked_up = plan_of("dev")
    assert "tencentcloud:Images/getInstance:getInstance" in looked_up.invokes
    assert looked_up.one(T["vm"]).inputs["imageId"] == "img-mock0001"
    pinned = plan_of("dev", imageId="img-pinned42")
    assert "tencentcloud:Images/getInstance:getInstance" not in pinned.invokes
    assert pinned.one(T["vm"]).inputs["imageId"] == "img-pinned42"


def test_bucket_is_private_versioned_encrypted_with_retention(plan):
    s = settings_of(plan)
    b = plan.one(T["bucket"])
    i = b.inputs
    assert i["bucket"] == f"xqfc-{plan.stack}-1250000000"
    assert i["acl"] == "private" and i["versioningEnable"] is True and i["encryptionAlgorithm"] == "AES256"
    rules = {r["id"]: r for r in i["lifecycleRules"]}
    assert rules["backups-retention"]["filterPrefix"] == "backups/"
    assert rules["backups-retention"]["expiration"]["days"] == s.backup_retention_days
    assert rules["abort-incomplete-uploads"]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] >= 1
    assert b.protect is (plan.stack == "prod")


def test_explicit_app_id_skips_the_account_lookup(plan_of):
    p = plan_of("dev", tencentAppId="1300000001")
    assert "tencentcloud:User/getInfo:getInfo" not in p.invokes
    assert p.one(T["bucket"]).inputs["bucket"] == "xqfc-dev-1300000001"


def test_certificates_validate_by_dns_and_keep_keys_secret(plan):
    s = settings_of(plan)
    certs = plan.of_type(T["cert"])
    assert sorted(c.inputs["domain"] for c in certs) == sorted(s.site_names)
    for c in certs:
        assert c.inputs["dvAuthMethod"] == "DNS_AUTO"
        assert "certificatePrivateKey" in c.additional_secret_outputs


def test_cdn_only_where_enabled_and_https_only(plan):
    s = settings_of(plan)
    cdns = plan.of_type(T["cdn"])
    if not s.cdn_enabled:
        assert cdns == []
        return
    (cdn,) = cdns
    i = cdn.inputs
    assert i["domain"] == s.www_domain
    https = i["httpsConfig"]
    assert https["httpsSwitch"] == "on" and set(https["tlsVersions"]) == {"TLSv1.2", "TLSv1.3"}
    assert https["forceRedirect"]["switch"] == "on" and https["forceRedirect"]["redirectType"] == "https"
    www_cert = next(c for c in plan.of_type(T["cert"]) if c.inputs["domain"] == s.www_domain)
    assert https["serverCertificateConfig"]["certificateId"] == f"{www_cert.name}-id"
    static = [r for r in i["ruleCaches"] if "/static/" in r.get("rulePaths", [])]
    assert static and static[0]["cacheTime"] == s.static_cache_days * 86400
    assert i["origin"]["originLists"] == [plan.outputs["public_ip"].value]
    assert i["origin"]["originPullProtocol"] == "https" and i["origin"]["serverName"] == s.www_domain


def test_dns_points_at_vm_or_cdn(plan):
    s = settings_of(plan)
    records = {r.inputs["subDomain"]: r.inputs for r in plan.of_type(T["dns"])}
    apex = records[s.record_name(s.domain)]
    www = records[s.record_name(s.www_domain)]
    public_ip = plan.outputs["public_ip"].value
    assert apex["recordType"] == "A" and apex["value"] == public_ip
    if s.cdn_enabled:
        assert www["recordType"] == "CNAME" and www["value"] == plan.outputs["cdn_domain"].value
    else:
        assert www["recordType"] == "A" and www["value"] == public_ip
    assert all(r["domain"] == s.dns_zone and r["recordLine"] == "默认" for r in records.values())


def test_provider_has_region_and_no_credentials(plan):
    p = plan.one(T["provider"]).inputs
    assert p["region"] == settings_of(plan).region
    assert not {"secretId", "secretKey", "securityToken"} & set(p)
    assert all(r.provider and r.provider.startswith(plan.one(T["provider"]).urn) for r in plan.resources if r.type.startswith("tencentcloud:"))


def test_outputs_match_the_contract(plan):
    assert list(plan.outputs) == [o.name for o in CONTRACT]
    for spec in CONTRACT:
        assert plan.outputs[spec.name].secret is spec.secret, spec.name
    o = {k: v.value for k, v in plan.outputs.items()}
    s = settings_of(plan)
    assert o["contract_version"] == CONTRACT_VERSION and o["environment"] == plan.stack
    assert o["site_url"].startswith("https://") and o["bucket_endpoint"] == f"https://cos.{s.region}.myqcloud.com"
    assert o["ssh_endpoint"] == f"{s.deploy_user}@{o['public_ip']}:22"
    assert (o["cdn_domain"] is None) is (not s.cdn_enabled)


def test_no_secret_leaks_into_plain_inputs(plan):
    for r in plan.resources:
        text = repr(r.inputs)
        assert "PRIVATE KEY" not in text, r.name
        assert "offline-placeholder-secret" not in text, r.name


def test_bad_config_stops_before_any_resource():
    with pytest.raises(pulumi.RunError) as info:
        run_stack("prod", {"adminCidrs": '["0.0.0.0/0"]', "cloud": "aws"})
    message = str(info.value)
    assert "xqfc:cloud" in message and "tencentcloud" in message

    # The failed run registered nothing: settings are read before the Platform exists.
    import pulumi.runtime.settings as rs

    monitor = rs.SETTINGS.monitor
    assert getattr(monitor, "registrations", None) == []


def test_plan_documents_have_the_agreed_shape_and_mask_secrets(plan):
    from dataclasses import replace

    from components.plan.__main__ import outputs_document, resources_document
    from components.plan.run import StackOutput

    docs = resources_document(plan)
    assert all(set(d) == {"type", "name", "parent", "inputs"} for d in docs)
    assert [d["name"] for d in docs] == [r.name for r in plan.resources]
    top = [d for d in docs if d["parent"] is None]
    assert [d["type"] for d in top] == ["xqfc:platform:Platform"]
    with_secret = replace(plan, outputs={**plan.outputs, "db_password": StackOutput("hunter2", True)})
    assert outputs_document(with_secret)["db_password"] == MASK


def test_secret_inputs_are_masked_in_registrations():
    from components.plan.mocks import SECRET_SIG, SPECIAL_SIG_KEY, _clean

    raw = {"password": {SPECIAL_SIG_KEY: SECRET_SIG, "value": "hunter2"}, "size": 50.0}
    assert _clean(raw, mask=True) == {"password": MASK, "size": 50}
    assert _clean(raw, mask=False) == {"password": "hunter2", "size": 50}


def test_backup_writer_may_touch_only_this_buckets_objects(plan):
    import json

    policy = json.loads(plan.one("tencentcloud:Cam/policy:Policy").inputs["document"])
    bucket = plan.one(T["bucket"]).inputs["bucket"]
    (statement,) = policy["statement"]
    assert statement["effect"] == "allow"
    assert all(r.endswith(f":{bucket}/*") or r.endswith(f":{bucket}") for r in statement["resource"])
    assert all(a.startswith("name/cos:") and "*" not in a for a in statement["action"])
    assert not {"name/cos:DeleteBucket", "name/cos:PutBucketACL", "name/cos:PutBucketPolicy"} & set(statement["action"])
    user = plan.one("tencentcloud:Cam/user:User").inputs
    assert user["consoleLogin"] is False
    key = plan.one("tencentcloud:Cam/accessKey:AccessKey")
    assert key.inputs["targetUin"] == 100000000123
