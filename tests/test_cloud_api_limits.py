"""Every argument the program sends to a cloud, against what that cloud's API accepts
(components/cloud/api_limits.py), on every stack, both clouds and both topologies."""
from __future__ import annotations

from pathlib import Path

import pytest

from components.cloud.api_limits import LIMITS, PASSWORD_RULES, password_problems
from components.settings import CLOUDS

STACKS = ("dev", "staging", "prod")
SECOND_ZONE = {"tencentcloud": "ap-guangzhou-6", "alicloud": "cn-hangzhou-j"}
DOC = Path(__file__).resolve().parents[1] / "docs" / "cloud-rules.md"


def values_at(inputs: dict, path: str) -> list:
    """The values at a dotted path; `*` walks every element of a list; missing parts yield nothing."""
    found = [inputs]
    for part in path.split("."):
        nxt = []
        for v in found:
            if part == "*":
                nxt.extend(v if isinstance(v, list) else [])
            elif isinstance(v, dict) and v.get(part) is not None:
                nxt.append(v[part])
        found = nxt
    return found


@pytest.fixture(params=[(s, c, t) for c in CLOUDS for s in STACKS for t in ("single", "ha")], ids="-".join)
def any_plan(request, plan_of):
    stack, cloud, topology = request.param
    extra = {} if topology == "single" else {"topology": "ha"}
    if topology == "ha" and stack != "prod":
        extra["secondaryZone"] = SECOND_ZONE[cloud]
    return plan_of(stack, cloud, **extra)


def broken_arguments(plan) -> tuple[list[str], int]:
    cloud = plan.config["xqfc:cloud"]
    broken, checked = [], 0
    for limit in (lim for lim in LIMITS if lim.cloud == cloud):
        for reg in plan.of_type(limit.resource):
            for value in values_at(reg.inputs, limit.argument):
                checked += 1
                if not limit.check(value):
                    broken.append(f"{reg.name}.{limit.argument}={value!r}: {limit.rule} ({limit.source})")
    return broken, checked


def test_every_argument_is_one_the_cloud_accepts(any_plan):
    broken, checked = broken_arguments(any_plan)
    assert not broken, "\n".join(broken)
    assert checked > 20  # the rows really met the plan's resources


def test_settings_edges_still_give_arguments_the_cloud_accepts(plan_of, cloud):
    # The smallest retention settings allow (managed backups keep at least 7 days either way).
    plan = plan_of("dev", cloud, topology="ha", secondaryZone=SECOND_ZONE[cloud], backupRetentionDays=2, backupLocalDays=1)
    broken, _ = broken_arguments(plan)
    assert not broken, "\n".join(broken)


def test_every_row_meets_a_resource_on_some_plan(plan_of):
    # A row whose resource or argument never appears checks nothing: a renamed input would hide.
    seen = set()
    for cloud in CLOUDS:
        for plan in (plan_of("prod", cloud), plan_of("prod", cloud, topology="ha")):
            for i, limit in enumerate(LIMITS):
                if limit.cloud == cloud and any(values_at(r.inputs, limit.argument) for r in plan.of_type(limit.resource)):
                    seen.add(i)
    assert [f"{LIMITS[i].resource} {LIMITS[i].argument}" for i in range(len(LIMITS)) if i not in seen] == []


@pytest.mark.parametrize("limit", LIMITS, ids=lambda lim: f"{lim.cloud}:{lim.resource.split(':')[1]}:{lim.argument}")
def test_each_rule_refuses_what_its_cloud_refuses(limit):
    assert not limit.check(limit.bad), f"{limit.argument}: {limit.bad!r} should break {limit.rule}"


def test_managed_passwords_meet_each_services_rules(plan_of):
    for cloud in CLOUDS:
        plan = plan_of("prod", cloud, topology="ha")
        passwords = plan.of_type("random:index/randomPassword:RandomPassword")
        for rule in (r for r in PASSWORD_RULES if r.cloud == cloud):
            (reg,) = [p for p in passwords if p.name.endswith(rule.name_suffix)]
            assert password_problems(rule, reg.inputs) == [], (cloud, rule.consumer)


def test_password_check_can_fail():
    (tc_pg,) = [r for r in PASSWORD_RULES if r.cloud == "tencentcloud" and r.name_suffix == "-pg-password"]
    letters_and_digits = {"length": 32, "special": False, "minUpper": 2, "minLower": 2, "minNumeric": 2}
    assert password_problems(tc_pg, letters_and_digits) == ["only 3 character kinds guaranteed, TencentDB for PostgreSQL needs 4"]
    (al_pg,) = [r for r in PASSWORD_RULES if r.cloud == "alicloud" and r.name_suffix == "-pg-password"]
    assert "specials" in password_problems(al_pg, {**letters_and_digits, "special": True, "minSpecial": 1, "overrideSpecial": "~"})[0]
    assert "length" in password_problems(al_pg, {**letters_and_digits, "length": 40})[0]


def test_docs_list_every_rule_with_its_source():
    text = DOC.read_text()
    missing = [f"{lim.resource} {lim.argument}" for lim in LIMITS
               if f"`{lim.argument}`" not in text or lim.source.split("#")[0] not in text]
    assert missing == []


def test_private_cidr_rule_refuses_ipv6_instead_of_raising():
    # ipaddress's subnet_of raises TypeError across versions; an IPv6 value is simply not accepted.
    from components.cloud.api_limits import private_cidr

    assert private_cidr(8, 28)("fd00::/64") is False
    assert private_cidr(8, 28)("10.1.0.0/16") is True


def test_tencent_policy_port_takes_the_forms_security_group_policy_documents():
    # SecurityGroupPolicy.Port at terraform-provider-tencentcloud@v1.82.42: all, ports, a range.
    from components.cloud.api_limits import tencent_policy_port

    assert all(tencent_policy_port(v) for v in ("all", "ALL", "22", "80,443", "8000-8080", "1-65535"))
    assert not any(tencent_policy_port(v) for v in ("0", "65536", "90-80", "", "80,", "http", "80:90", 80))


@pytest.mark.parametrize("resource, argument", [("tencentcloud:Instance/instance:Instance", "hostname"),
                                                ("alicloud:ecs/instance:Instance", "hostName")])
def test_a_hostname_refuses_a_hyphen_run(resource, argument):
    # Tencent RunInstances HostName and Alibaba's host_name: '.' and '-' are not used consecutively.
    (lim,) = [lim for lim in LIMITS if lim.resource == resource and lim.argument == argument]
    assert lim.check("xqfc-dev.web1") and not lim.check("xqfc--dev") and not lim.check("xqfc..dev")
