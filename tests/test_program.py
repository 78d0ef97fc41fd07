"""The whole program per stack under mocks: what it registers, how, and what it exports."""
from __future__ import annotations

import ipaddress

import pulumi
import pytest

from components.foundation import LIFECYCLE_GRACE_DAYS
from components.firewall import WEB_PORTS, WORLD, ingress_policy
from components.outputs import CONTRACT, CONTRACT_VERSION
from components.plan.mocks import MASK, MOCK_KEY
from components.plan.run import run_stack
from tests.cloud_views import VIEWS, AlicloudView, Rule, TencentView, view_of


def settings_of(plan):
    from components.settings import from_mapping

    return from_mapping({k.split(":", 1)[1]: v for k, v in plan.config.items() if k.startswith("xqfc:")}, plan.stack)


def rid(reg) -> str:
    return f"{reg.name}-id"  # the mocks' id of a resource


def test_plan_runs_on_the_cloud_it_claims(plan):
    v = view_of(plan)
    assert plan.outputs["cloud"].value == v.cloud == settings_of(plan).cloud
    other = [t for t in VIEWS if t != v.cloud]
    assert not [r.type for r in plan.resources if r.type.split(":")[0] in other or r.type.endswith(tuple(f":{o}" for o in other))]


def test_full_foundation_is_registered(plan):
    v = view_of(plan)
    types = [r.type for r in plan.resources]
    for t in ("vm", "sg", "bucket", "provider", "vpc", "subnet"):
        assert types.count(v.T[t]) == 1, t
    assert types.count(v.T["dns"]) == 2
    assert types.count("acme:index/certificate:Certificate") == 1


def test_every_resource_has_a_component_parent(plan):
    for r in plan.resources:
        if r.type == "xqfc:platform:Platform":
            assert r.parent_urn is None
            continue
        assert r.parent_urn, f"{r.name} is not parented"
        assert plan.by_urn(r.parent_urn).custom is False, f"{r.name}'s parent is not a component"


def test_child_names_carry_their_component_prefix(plan):
    for r in plan.resources:
        if r.parent_urn and plan.by_urn(r.parent_urn).type.split(":")[1] in (*VIEWS, "tls"):
            assert r.name.startswith(plan.by_urn(r.parent_urn).name + "-"), r.name


def test_security_group_admits_only_web_and_admin_ssh(plan):
    v, s = view_of(plan), settings_of(plan)
    accepts = [r for r in v.ingress(plan) if r.accept]
    for rule in accepts:
        assert rule.protocol == "tcp" and rule.port is not None, rule
        if rule.port in WEB_PORTS:
            assert rule.cidr == WORLD
        else:
            assert rule.port == 22, f"port {rule.port} is open"
            assert rule.cidr in s.admin_cidrs
            assert ipaddress.ip_network(rule.cidr).prefixlen > 0
    got, want = [(r.port, r.cidr) for r in accepts], [(r.port, r.cidr) for r in ingress_policy(s.admin_cidrs)]
    assert (got if v.rules_ordered else sorted(got)) == (want if v.rules_ordered else sorted(want))
    sg = rid(plan.one(v.T["sg"]))
    assert v.rule_group_refs(plan) == [sg]
    assert v.vm(plan).security_group_refs == [sg]
    assert [e for e in v.egress(plan) if e.accept] == [Rule("all", None, WORLD, True)]


def test_tencent_rule_set_ends_with_an_explicit_drop(plan_of):
    p = plan_of("prod", "tencentcloud")
    ingresses = p.one(TencentView.T["rules"]).inputs["ingresses"]
    assert ingresses[-1] == {**ingresses[-1], "action": "DROP", "port": "ALL", "cidrBlock": WORLD}
    assert not [r for r in p.resources if r.type.startswith("tencentcloud:Security/groupRule:")]


def test_alicloud_rules_always_name_their_source(plan_of):
    # An empty cidr_ip fails at apply time with MissingParameter; the mocks would not notice.
    p = plan_of("prod", "alicloud")
    rules = p.of_type(AlicloudView.T["rules"])
    assert rules and all(r.inputs.get("cidrIp") for r in rules)
    assert all(r.inputs["nicType"] == "intranet" for r in rules)


def test_vm_shape_and_protection(plan):
    v, s = view_of(plan), settings_of(plan)
    vm = v.vm(plan)
    assert vm.instance_type == s.instance_type and vm.zone == s.zone
    assert vm.public_ip and vm.bandwidth == s.bandwidth_mbps
    assert vm.system_disk == (s.system_disk_type, s.system_disk_size)
    (disk,) = vm.data_disks
    assert (disk.type, disk.size, disk.encrypted) == (s.data_disk_type, s.data_disk_size, True)
    assert vm.vswitch_ref == rid(plan.one(v.T["subnet"]))
    assert "password" not in vm.reg.inputs
    prod = plan.stack == "prod"
    assert vm.api_termination_protected is prod
    assert vm.reg.protect is prod
    assert disk.delete_with_instance is (not prod)


def test_vm_boots_with_the_rendered_cloud_init(plan):
    s = settings_of(plan)
    user_data = view_of(plan).vm(plan).user_data
    assert user_data == plan.artifacts["cloud-init.yaml"]
    assert user_data.startswith("#cloud-config\n")
    assert s.ssh_public_key in user_data
    assert s.docker_apt_mirror in user_data


def test_each_cloud_installs_docker_from_its_own_mirror(plan_of):
    for cloud, host in (("tencentcloud", "mirrors.cloud.tencent.com"), ("alicloud", "mirrors.aliyun.com")):
        user_data = plan_of("dev", cloud).artifacts["cloud-init.yaml"]
        assert f"https://{host}/docker-ce" in user_data, cloud
    # Tencent's registry mirror answers only inside Tencent Cloud.
    assert "tencentyun" not in plan_of("dev", "alicloud").artifacts["cloud-init.yaml"]


def test_image_lookup_only_without_explicit_image(plan_of, cloud):
    v = VIEWS[cloud]
    looked_up = plan_of("dev", cloud)
    assert v.image_lookup in looked_up.invokes
    assert v.vm(looked_up).image_id == v.mocked_image
    pinned = plan_of("dev", cloud, imageId=v.pinned_image)
    assert v.image_lookup not in pinned.invokes
    assert v.vm(pinned).image_id == v.pinned_image


def test_bucket_is_private_versioned_encrypted_with_retention(plan):
    v, s = view_of(plan), settings_of(plan)
    b = v.bucket(plan)
    assert b.name == f"xqfc-{plan.stack}-{v.account_suffix}"
    assert b.private and b.versioned and b.sse == "AES256"
    assert b.backup_prefix == "backups/" and b.backup_expiry_days == s.backup_retention_days + LIFECYCLE_GRACE_DAYS
    assert b.noncurrent_expiry_days >= 1 and b.abort_multipart_days >= 1
    assert b.reg.protect is (plan.stack == "prod")


def test_explicit_app_id_skips_the_account_lookup(plan_of):
    p = plan_of("dev", tencentAppId="1300000001")
    assert TencentView.account_lookup not in p.invokes
    assert TencentView().bucket(p).name == "xqfc-dev-1300000001"


def test_one_acme_certificate_for_every_site_name_through_the_clouds_dns(plan):
    v, s = view_of(plan), settings_of(plan)
    cert = plan.one("acme:index/certificate:Certificate")
    i = cert.inputs
    assert [i["commonName"], *i.get("subjectAlternativeNames", [])] == s.site_names
    assert [c["provider"] for c in i["dnsChallenges"]] == [v.acme_dns_provider]
    # No credentials in the challenge: lego reads the cloud's own environment variables.
    assert all(not c.get("config") for c in i["dnsChallenges"])
    assert i["minDaysRemaining"] == s.certificate_renew_days
    assert "privateKeyPem" in cert.additional_secret_outputs
    assert i["accountKeyPem"] == MASK
    assert plan.one("pulumi:providers:acme").inputs["serverUrl"] == s.acme_server_url
    assert cert.provider.startswith(plan.one("pulumi:providers:acme").urn)


def test_cdn_certificate_is_the_acme_one_uploaded_only_with_the_cdn(plan):
    v, s = view_of(plan), settings_of(plan)
    uploaded = v.cdn_certificate(plan)
    if not s.cdn_enabled:
        assert uploaded is None
        return
    reg, cert, key = uploaded
    assert f"MOCK {s.domain}" in cert and "MOCK ISSUER" in cert  # leaf followed by its issuer
    assert key == MASK, "the uploaded private key must stay secret"
    assert v.cdn(plan).certificate_ref == rid(reg)


def test_cdn_only_where_enabled_and_https_only(plan):
    v, s = view_of(plan), settings_of(plan)
    cdn = v.cdn(plan)
    if not s.cdn_enabled:
        assert cdn is None
        return
    assert cdn.domain == s.www_domain
    assert cdn.https and cdn.http2 and cdn.tls_versions == {"TLSv1.2", "TLSv1.3"}
    assert cdn.redirect_to_https == 301
    assert cdn.static_ttl == s.static_cache_days * 86400
    assert cdn.origins == [plan.outputs["public_ip"].value]
    assert cdn.origin_https and cdn.origin_sni == s.www_domain


def test_dns_points_at_vm_or_cdn(plan):
    v, s = view_of(plan), settings_of(plan)
    records = {r.name: r for r in v.dns(plan)}
    assert set(records) == {s.record_name(n) for n in s.site_names}
    apex = records[s.record_name(s.domain)]
    www = records[s.record_name(s.www_domain)]
    public_ip = plan.outputs["public_ip"].value
    assert apex.type == "A" and apex.value == public_ip
    if s.cdn_enabled:
        assert www.type == "CNAME" and www.value == plan.outputs["cdn_domain"].value
    else:
        assert www.type == "A" and www.value == public_ip
    assert all(r.zone == s.dns_zone and r.default_line for r in records.values())


def test_provider_has_region_and_no_credentials(plan):
    v = view_of(plan)
    provider = plan.one(v.T["provider"])
    assert provider.inputs["region"] == settings_of(plan).region
    assert not v.credential_keys & set(provider.inputs)
    cloud_resources = [r for r in plan.resources if r.custom and r.type.startswith(f"{v.cloud}:")]
    assert cloud_resources and all(r.provider and r.provider.startswith(provider.urn) for r in cloud_resources)


def test_outputs_match_the_contract(plan):
    assert list(plan.outputs) == [o.name for o in CONTRACT]
    for spec in CONTRACT:
        assert plan.outputs[spec.name].secret is spec.secret, spec.name
    o = {k: v.value for k, v in plan.outputs.items()}
    s = settings_of(plan)
    assert o["contract_version"] == CONTRACT_VERSION and o["environment"] == plan.stack
    assert o["cloud"] == s.cloud and o["region"] == s.region == o["bucket_region"]
    assert o["site_url"].startswith("https://") and o["bucket_endpoint"] == view_of(plan).s3_endpoint(s.region)
    assert o["ssh_endpoint"] == f"{s.deploy_user}@{o['public_ip']}:22"
    assert (o["cdn_domain"] is None) is (not s.cdn_enabled)


def test_no_secret_leaks_into_plain_inputs(plan):
    for r in plan.resources:
        text = repr(r.inputs)
        assert MOCK_KEY not in text, r.name
        assert "offline-placeholder-secret" not in text, r.name


def test_bad_config_stops_before_any_resource():
    with pytest.raises(pulumi.RunError) as info:
        run_stack("prod", {"adminCidrs": '["0.0.0.0/0"]', "cloud": "aws"})
    message = str(info.value)
    assert "xqfc:cloud" in message and "tencentcloud" in message and "alicloud" in message

    # The failed run registered nothing: settings are read before the Platform exists.
    import pulumi.runtime.settings as rs

    monitor = rs.SETTINGS.monitor
    assert getattr(monitor, "registrations", None) == []


def test_plan_documents_have_the_agreed_shape_and_mask_secrets(plan):
    from dataclasses import replace

    from components.plan.cli import outputs_document, resources_document
    from components.plan.run import StackOutput

    docs = resources_document(plan)
    assert all(set(d) == {"type", "name", "parent", "inputs"} for d in docs)
    assert sorted(d["name"] for d in docs) == sorted(r.name for r in plan.resources)
    # Tree order (not registration order, which varies between runs): a parent before its children.
    seen: set[str] = set()
    for d in docs:
        assert d["parent"] is None or d["parent"] in seen, d["name"]
        seen.add(d["name"])
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
    v = view_of(plan)
    actions, resources = v.writer_policy(plan)
    bucket = v.bucket(plan).name
    assert resources and all(r.endswith(f":{bucket}/*") or r.endswith(f":{bucket}") for r in resources)
    assert actions and all("*" not in a for a in actions)
    assert not set(v.FORBIDDEN_ACTIONS) & set(actions)
    assert "Object" in " ".join(actions)
