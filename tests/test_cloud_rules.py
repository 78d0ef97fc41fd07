"""Settings-level cloud rules (components/cloud/rules.py) and the facts they read (catalog.py)."""
from __future__ import annotations

import re

import pytest
import yaml

from components.cloud import catalog, rules
from components.plan.run import ROOT
from components.plan.switch import SWITCH
from components.settings import CLOUD_DEFAULTS, CLOUDS, REGIONS, zone_pattern
from tests.test_program import settings_of

STACKS = ("dev", "staging", "prod")


def keys(problems) -> list[str]:
    return [k for k, _, _ in problems]


def stack_values(s) -> dict:
    return dict(
        cloud=s.cloud, region=s.region, zone=s.zone, secondary_zone=s.secondary_zone, topology=s.topology,
        instance_type=s.instance_type, image_id=s.image_id, vm_memory_gb=s.vm_memory_gb, app_cpus=s.app_cpus,
        app_memory_mb=s.app_memory_mb, postgres_memory_mb=s.postgres_memory_mb, redis_maxmemory_mb=s.redis_maxmemory_mb,
        system_disk_size=s.system_disk_size, data_disk_size=s.data_disk_size, db_user=s.db_user, db_name=s.db_name,
        db_storage_gb=s.db_storage_gb,
    )


# --- the stacks as written pass -----------------------------------------------------------


@pytest.mark.parametrize("topology", ["single", "ha"])
def test_every_stack_on_every_cloud_passes(plan_of, cloud, topology):
    for stack in STACKS:
        extra = {"topology": "ha"} if topology == "ha" else {}
        if topology == "ha" and stack != "prod":
            extra["secondaryZone"] = {"tencentcloud": "ap-guangzhou-6", "alicloud": "cn-hangzhou-j"}[cloud]
        s = settings_of(plan_of(stack, cloud, **extra))
        assert rules.cloud_rules(**stack_values(s)) == [], (stack, cloud)
        assert rules.sizing_notes(s.cloud, s.instance_type) == []


# --- catalog ------------------------------------------------------------------------------


def _stack_instance_types() -> set[tuple[str, str]]:
    out = {(c, d["instance_type"]) for c, d in CLOUD_DEFAULTS.items() if c in CLOUDS}
    for stack in STACKS:
        cfg = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        out.add(("tencentcloud", cfg["xqfc:instanceType"]))
        out.add(("alicloud", SWITCH["alicloud"][stack]["instanceType"]))
    return out


def test_catalog_knows_every_instance_type_the_stacks_use():
    for cloud, itype in _stack_instance_types():
        assert itype in catalog.INSTANCE_TYPES[cloud], (cloud, itype)


def test_catalog_types_match_their_clouds_format_and_tencent_names_carry_memory():
    for cloud, types in catalog.INSTANCE_TYPES.items():
        for itype, shape in types.items():
            assert re.match(catalog.INSTANCE_TYPE_FORMAT[cloud][0], itype), itype
            if cloud == "tencentcloud":  # S5.LARGE16: the digits after the size are the GiB
                assert int(re.search(r"([0-9]+)$", itype).group(1)) == shape.memory_gib, itype


def test_catalog_zones_cover_every_region_and_follow_its_naming():
    for cloud in CLOUDS:
        assert set(catalog.ZONES[cloud]) == set(REGIONS[cloud])
        for region, zones in catalog.ZONES[cloud].items():
            assert zones and all(re.match(zone_pattern(cloud, region), z) for z in zones), region


def test_format_examples_match_their_formats():
    for table in (catalog.INSTANCE_TYPE_FORMAT, catalog.IMAGE_ID_FORMAT):
        for pattern, example in table.values():
            assert re.match(pattern, example)


# --- each rule refuses what the cloud refuses ------------------------------------------------


def test_zone_must_be_one_the_region_sells():
    assert rules.placement_rules("tencentcloud", "ap-guangzhou", "ap-guangzhou-3", "ap-guangzhou-6") == []
    # Sold out / never existed: the naming scheme alone (settings) lets both through.
    assert keys(rules.placement_rules("tencentcloud", "ap-guangzhou", "ap-guangzhou-1")) == ["zone"]
    assert keys(rules.placement_rules("tencentcloud", "ap-guangzhou", "ap-guangzhou-3", "ap-guangzhou-5")) == ["secondaryZone"]
    ((_, _, msg),) = rules.placement_rules("alicloud", "cn-hangzhou", "cn-hangzhou-a")
    assert "cn-hangzhou-h" in msg and "catalog.py" in msg
    assert rules.placement_rules("alicloud", "eu-central-1", "eu-central-1a") == []  # region: settings' job
    assert rules.placement_rules("tencentcloud", "ap-guangzhou", "ap-beijing-3") == []  # other region's zone: settings' job


def test_instance_type_and_image_id_formats():
    assert rules.instance_rules("tencentcloud", "S5.MEDIUM4", "img-8toqc6s3") == []
    assert rules.instance_rules("alicloud", "ecs.c7.large", "ubuntu_24_04_x64_20G_alibase_20240812.vhd") == []
    assert rules.instance_rules("alicloud", "ecs.c7.large", "m-bp1g7004ksh0oeuc1234") == []
    assert keys(rules.instance_rules("tencentcloud", "ecs.c7.large")) == ["instanceType"]
    assert keys(rules.instance_rules("alicloud", "S5.MEDIUM4")) == ["instanceType"]
    assert keys(rules.instance_rules("tencentcloud", "S5.MEDIUM4", "m-bp1g7004ksh0oeuc1234")) == ["imageId"]
    assert keys(rules.instance_rules("alicloud", "ecs.c7.large", "img-8toqc6s3")) == ["imageId"]


def test_vm_memory_must_be_the_instance_types():
    assert rules.sizing_rules("tencentcloud", "S5.MEDIUM4", 4, 1) == []
    ((key, value, msg),) = rules.sizing_rules("tencentcloud", "S5.MEDIUM4", 8, 1)
    assert (key, value) == ("vmMemoryGb", 8) and "4 GiB" in msg
    assert keys(rules.sizing_rules("alicloud", "ecs.g7.xlarge", 8, 1)) == ["vmMemoryGb"]
    assert rules.derived_vm_memory_gb("alicloud", "ecs.g7.xlarge") == 16
    assert rules.derived_vm_memory_gb("alicloud", "ecs.zz9.large") is None


def test_app_cpus_fit_the_instance_type():
    assert rules.sizing_rules("tencentcloud", "S5.LARGE16", 16, 4) == []
    assert keys(rules.sizing_rules("tencentcloud", "S5.LARGE16", 16, 4.5)) == ["appCpus"]
    assert keys(rules.sizing_rules("alicloud", "ecs.c7.large", 4, 3)) == ["appCpus"]


def test_memory_budget_is_checked_against_the_types_memory():
    # 4 GiB * 80% = 3276 MB.
    assert rules.sizing_rules("tencentcloud", "S5.MEDIUM4", 4, 1, 1024, 2048, 204) == []
    assert keys(rules.sizing_rules("tencentcloud", "S5.MEDIUM4", 4, 1, 1024, 2048, 205)) == ["postgresMemoryMb"]
    # ha: PostgreSQL and Redis are managed, only the app counts.
    assert rules.sizing_rules("tencentcloud", "S5.MEDIUM4", 4, 1, 1024, 2048, 4096, topology="ha") == []
    assert keys(rules.sizing_rules("tencentcloud", "S5.MEDIUM4", 4, 1, 4096, topology="ha")) == ["appMemoryMb"]


def test_unknown_type_of_the_right_format_passes_with_a_note():
    assert rules.sizing_rules("tencentcloud", "SA5.MEDIUM4", 64, 32) == []
    (note,) = rules.sizing_notes("tencentcloud", "SA5.MEDIUM4")
    assert "SA5.MEDIUM4" in note and "INSTANCE_TYPES" in note
    assert rules.sizing_notes("tencentcloud", "S5.MEDIUM4") == []
    assert rules.sizing_notes("tencentcloud", "medium") == []  # a bad format is instance_rules' problem


def test_tencent_disks_in_steps_of_ten():
    assert rules.disk_rules("tencentcloud", 50, 100) == []
    assert keys(rules.disk_rules("tencentcloud", 55, 101)) == ["systemDiskSize", "dataDiskSize"]
    assert rules.disk_rules("alicloud", 55, 101) == []


@pytest.mark.parametrize(("cloud", "user", "ok"), [
    ("tencentcloud", "xqfc", True), ("tencentcloud", "postgres", False), ("tencentcloud", "PG_admin", False),
    ("tencentcloud", "1app", False), ("tencentcloud", "a" * 17, False), ("tencentcloud", "app-user", False),
    ("alicloud", "xqfc", True), ("alicloud", "x", False), ("alicloud", "App", False), ("alicloud", "app_", False),
    ("alicloud", "postgres", False), ("alicloud", "a" * 63, True), ("alicloud", "a" * 64, False),
])
def test_managed_postgres_admin_name(cloud, user, ok):
    problems = rules.managed_data_rules(cloud, "ha", user, "xqfc", 100)
    assert (problems == []) is ok, problems
    assert rules.managed_data_rules(cloud, "single", user, "xqfc", 100) == []


def test_managed_postgres_storage_and_database_name():
    assert keys(rules.managed_data_rules("tencentcloud", "ha", "xqfc", "xqfc", 105)) == ["dbStorageGb"]
    assert keys(rules.managed_data_rules("alicloud", "ha", "xqfc", "Xqfc", 100)) == ["dbName"]
    assert rules.managed_data_rules("alicloud", "ha", "xqfc", "xqfc-prod", 105) == []


def test_messages_name_the_allowed_values_and_keys_are_config_keys():
    problems = rules.cloud_rules(
        cloud="tencentcloud", region="ap-guangzhou", zone="ap-guangzhou-1", secondary_zone="ap-guangzhou-2", topology="ha",
        instance_type="S5.MEDIUM4", image_id="bad", vm_memory_gb=8, app_cpus=3, app_memory_mb=512, postgres_memory_mb=0,
        redis_maxmemory_mb=0, system_disk_size=55, data_disk_size=100, db_user="postgres", db_name="xqfc", db_storage_gb=105,
    )
    assert keys(problems) == ["zone", "secondaryZone", "imageId", "vmMemoryGb", "appCpus", "systemDiskSize", "dbUser", "dbStorageGb"]
    assert all(re.fullmatch(r"[a-z][A-Za-z]+", k) and msg for k, _, msg in problems)


# --- what the clouds sell today (catalog.SALE_STATUS, issue 21) --------------------------------

# An argument that decides how a resource is billed, whatever its cloud calls it.
CHARGE_ARGUMENT = re.compile(r"(?i)(charge|payment|paytype|billing|^loadBalancerSpec$|^slaType$)")
HA_ZONE = {"tencentcloud": "ap-guangzhou-6", "alicloud": "cn-hangzhou-j"}


def _plans(plan_of, cloud):
    for stack in STACKS:
        for topology in ("single", "ha"):
            extra = {"topology": "ha"} if topology == "ha" else {}
            if topology == "ha" and stack != "prod":
                extra["secondaryZone"] = HA_ZONE[cloud]
            yield f"{stack}/{cloud}/{topology}", plan_of(stack, cloud, **extra)


def test_every_charge_argument_is_one_the_cloud_sells_today(plan_of, cloud):
    facts = {(f.resource, f.argument): f for f in catalog.SALE_STATUS if f.cloud == cloud}
    met: set[tuple[str, str]] = set()
    for where, plan in _plans(plan_of, cloud):
        for reg in plan.resources:
            for arg in [a for a in reg.inputs if CHARGE_ARGUMENT.search(a)]:
                assert (reg.type, arg) in facts, f"{where}: {reg.type} {arg} has no SALE_STATUS row"
            for (rtype, arg), fact in facts.items():
                if reg.type != rtype:
                    continue
                met.add((rtype, arg))
                assert reg.inputs.get(arg) == fact.value, f"{where}: {reg.name} {arg}={reg.inputs.get(arg)!r}, sold: {fact.status}"
    assert met == set(facts), f"rows that meet no resource: {set(facts) - met}"


def test_sale_status_rows_are_dated_sourced_and_on_the_rules_page():
    text = (ROOT / "docs" / "cloud-rules.md").read_text()
    section = text.split("## What the clouds sell", 1)[1].split("\n## ", 1)[0]
    for f in catalog.SALE_STATUS:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.checked) and (not f.since or re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.since))
        assert f.source.startswith("https://")
        short = f.resource.split(":", 1)[1].rsplit(":", 1)[0]
        row = next((line for line in section.splitlines()
                    if f"`{short}`" in line and f"`{f.argument}`" in line and line.startswith(f"| {f.cloud} ")), None)
        assert row is not None, f"{f.cloud} {short} {f.argument} is not on docs/cloud-rules.md"
        sent = "not sent" if f.value is None else f"`{f.value}`"
        for part in (sent, f.source, f"checked {f.checked}", f.since or "\u2013"):  # an en dash: no date
            assert part in row, f"{f.cloud} {short} {f.argument}: the page lacks {part!r}"
