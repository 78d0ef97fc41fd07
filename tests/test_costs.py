"""Monthly cost estimate (docs/costs.md): the price table, the estimator over every planned stack,
the plan's cost.json and budget refusal, the PR diff and the policy pack's budget rule."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from components import guardrails
from components.cloud.catalog import INSTANCE_TYPES
from components.cloud.prices import ALL_REGIONS, PRICES, NoPriceRow, Price, price
from components.cost_estimate import (
    ASSUMPTION_DOCS,
    DEFAULT_ASSUMPTIONS,
    HOURS_PER_MONTH,
    NOT_BILLED,
    UncostedResource,
    estimate,
    is_costed,
)
from components.plan.cli import main as plan_main
from components.plan.run import ROOT, run_stack, run_stack_on
from components.settings import DISK_TYPES, REGIONS, SettingsError, from_mapping
from scripts import cost_diff

STACKS = ("dev", "staging", "prod")
SECOND_ZONE = {"tencentcloud": "ap-guangzhou-4", "alicloud": "cn-hangzhou-j"}


def _plan(stack: str, cloud: str, topology: str = "single", **overrides):
    o = {"topology": topology, **overrides}
    if topology == "ha" and stack != "prod":
        o["secondaryZone"] = SECOND_ZONE[cloud]
    return run_stack(stack, o) if cloud == "tencentcloud" else run_stack_on(stack, cloud, o)


def _estimate(result, cloud: str, table=PRICES, assumptions=None):
    return estimate(result.resources, cloud=cloud, environment=result.stack, assumptions=assumptions, table=table)


@dataclasses.dataclass
class _R:
    type: str
    name: str
    inputs: dict


# A stand-in table for the arithmetic tests: every unverified row of the real table given a
# distinct number, so a delta shows which rows it came from. NOT prices: test data only.
PRICED = tuple(dataclasses.replace(p, cny=round(0.01 * (n + 1), 4)) if p.cny is None else p for n, p in enumerate(PRICES))


# --- the table ----------------------------------------------------------------------------


def test_every_row_is_sourced_or_says_what_was_searched():
    for p in PRICES:
        assert p.source.read and p.unit, p
        if p.source.verified:
            assert p.source.page.startswith("https://") and p.cny is not None, p
        else:
            # Never a guessed number: an unverified row is unpriced, or free by its nature.
            assert p.cny in (None, 0.0) and p.source.searched, p
        assert p.regions == ALL_REGIONS or set(p.regions) <= set(REGIONS[p.cloud]), p


def test_every_instance_type_disk_type_and_region_the_settings_allow_has_a_row():
    for cloud in ("tencentcloud", "alicloud"):
        for region in REGIONS[cloud]:
            for t in INSTANCE_TYPES[cloud]:
                price(cloud, f"instance:{t}", region)
            for d in DISK_TYPES[cloud]:
                price(cloud, f"disk:{d}", region)
            for item in ("traffic:public", "bandwidth-cap", "bucket:storage", "bucket:requests", "cdn:traffic",
                         "lb:instance", "postgresql:instance", "postgresql:storage", "redis:instance", "free:dns-record"):
                price(cloud, item, region)


def test_a_region_specific_row_wins_and_a_missing_item_is_refused():
    assert price("tencentcloud", "bucket:storage", "ap-chengdu").cny == 0.099
    assert price("tencentcloud", "bucket:storage", "ap-guangzhou").cny == 0.13
    with pytest.raises(NoPriceRow, match=r"instance:S9\.HUGE"):
        price("tencentcloud", "instance:S9.HUGE", "ap-guangzhou")


# --- every plan has a total and nothing uncosted ------------------------------------------------


@pytest.mark.parametrize("cloud", ["tencentcloud", "alicloud"])
@pytest.mark.parametrize("topology", ["single", "ha"])
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_on_both_clouds_and_topologies_has_a_total(stack, cloud, topology):
    result = _plan(stack, cloud, topology)
    assert all(is_costed(r.type) for r in result.resources), sorted({r.type for r in result.resources if not is_costed(r.type)})
    est = _estimate(result, cloud)
    assert est.total >= 0 and est.lines
    billed = {line.resource for line in est.lines}
    for r in result.resources:
        if r.type.startswith(cloud + ":") and r.type not in NOT_BILLED:
            assert r.name in billed, f"{r.type} {r.name} has no cost line"
    # With every unverified row priced, the total is complete.
    assert not _estimate(result, cloud, PRICED).unpriced


@pytest.mark.parametrize("stack", STACKS)
def test_an_existing_host_costs_the_bucket_and_the_traffic(stack):
    result = run_stack_on(stack, "ssh")
    est = estimate(result.resources, cloud="ssh", environment=stack)
    assert {line.item for line in est.lines} == {"traffic:public", "bucket:storage"}
    assert est.total == 0 and len(est.unpriced) == 2
    given = estimate(result.resources, cloud="ssh", environment=stack, assumptions={"existingBucketCnyPerGbMonth": 0.1})
    assert given.total == round(DEFAULT_ASSUMPTIONS[stack]["bucketGb"] * 0.1, 2)


def test_a_type_with_no_coster_fails_the_estimate():
    resources = [_R("tencentcloud:Cvm/newThing:NewThing", "surprise", {})]
    with pytest.raises(UncostedResource, match="tencentcloud:Cvm/newThing:NewThing"):
        estimate(resources, cloud="tencentcloud", environment="dev", region="ap-guangzhou")


# --- the arithmetic --------------------------------------------------------------------------


def test_prod_total_computed_by_hand_from_the_table():
    """prod on Tencent, single, with the real table: every sourced row, by hand; the instance unpriced."""
    est = _estimate(_plan("prod", "tencentcloud"), "tencentcloud")
    a = DEFAULT_ASSUMPTIONS["prod"]

    def p(item: str) -> float:
        return price("tencentcloud", item, "ap-guangzhou").cny

    by_hand = ((80 + 200) * HOURS_PER_MONTH * p("disk:CLOUD_SSD")  # system + data disk, per GB-hour
               + a["publicTrafficGb"] * p("traffic:public")
               + a["bucketGb"] * p("bucket:storage") + a["bucketRequests10k"] * p("bucket:requests")
               + a["cdnTrafficGb"] * p("cdn:traffic") + a["cdnHttpsRequests10k"] * p("cdn:https-requests"))
    assert est.total == pytest.approx(by_hand, abs=0.011)
    assert sorted({line.item for line in est.unpriced}) == ["instance:S5.LARGE16"]


def test_dev_total_computed_by_hand_with_every_row_priced():
    """The same sum over every line kind (instance hours, disks, capped traffic, bucket)."""
    est = _estimate(_plan("dev", "tencentcloud"), "tencentcloud", PRICED)
    a = DEFAULT_ASSUMPTIONS["dev"]

    def p(item: str) -> float:
        return price("tencentcloud", item, "ap-guangzhou", PRICED).cny

    by_hand = (HOURS_PER_MONTH * p("instance:S5.MEDIUM4") + (50 + 50) * HOURS_PER_MONTH * p("disk:CLOUD_PREMIUM")
               + a["publicTrafficGb"] * p("traffic:public") + a["bucketGb"] * p("bucket:storage")
               + a["bucketRequests10k"] * p("bucket:requests"))
    assert est.total == pytest.approx(by_hand, abs=0.011)


def test_alibaba_ha_prod_total_computed_by_hand_from_the_table():
    """prod on Alibaba, ha, cn-hangzhou, real table: two VMs' ESSD disks, the CLB instance fee, the
    traffic through the CLB and the CDN, by hand; the rest has no sourced price and is listed."""
    est = _estimate(_plan("prod", "alicloud", "ha"), "alicloud")
    a = DEFAULT_ASSUMPTIONS["prod"]

    def p(item: str) -> float:
        return price("alicloud", item, "cn-hangzhou").cny

    by_hand = (2 * (80 + 200) * HOURS_PER_MONTH * p("disk:cloud_essd")  # two VMs, system + data disk, per GB-hour
               + HOURS_PER_MONTH * p("lb:instance") + a["publicTrafficGb"] * p("traffic:public")
               + a["cdnTrafficGb"] * p("cdn:traffic") + a["bucketGb"] * p("bucket:storage"))
    assert est.total == pytest.approx(by_hand, abs=0.011)
    assert sorted({line.item for line in est.unpriced}) == [
        "bucket:requests", "instance:ecs.g7.xlarge", "lb:ip-retention", "lb:lcu",
        "postgresql:instance", "postgresql:storage", "redis:instance"]


def test_alibaba_bucket_storage_is_sourced_in_hangzhou_only():
    # The OSS billing overview gives 0.12 CNY/GB-month by example, naming no region: cn-hangzhou only.
    assert price("alicloud", "bucket:storage", "cn-hangzhou").cny == 0.12
    elsewhere = price("alicloud", "bucket:storage", "cn-shanghai")
    assert elsewhere.cny is None and not elsewhere.source.verified
    assert price("alicloud", "bucket:requests", "cn-hangzhou").cny is None


def test_tencent_network_rows_are_free_by_the_vpc_billing_page():
    row = price("tencentcloud", "free:network", "ap-guangzhou")
    assert row.free and row.source.verified and "intlcloud-documents" in row.source.page


def test_tencent_ha_adds_the_sourced_clb_instance_fee():
    single = _estimate(_plan("dev", "tencentcloud"), "tencentcloud").total
    ha = _estimate(_plan("dev", "tencentcloud", "ha"), "tencentcloud").total
    # ha adds a second VM (its instance unpriced, its 50 + 50 GB CLOUD_PREMIUM priced) and the CLB's
    # instance fee; the traffic moves from the VM to the CLB at the same per-GB price.
    added = (HOURS_PER_MONTH * price("tencentcloud", "lb:instance", "ap-guangzhou").cny
             + (50 + 50) * HOURS_PER_MONTH * price("tencentcloud", "disk:CLOUD_PREMIUM", "ap-guangzhou").cny)
    assert ha - single == pytest.approx(added, abs=0.011)


@pytest.mark.parametrize("cloud, before, after", [("tencentcloud", "S5.MEDIUM4", "S5.LARGE8"), ("alicloud", "ecs.c7.large", "ecs.c7.xlarge")])
def test_instance_type_moves_the_estimate_by_the_table(cloud, before, after):
    region = "ap-guangzhou" if cloud == "tencentcloud" else "cn-hangzhou"
    a = _estimate(_plan("dev", cloud, instanceType=before), cloud, PRICED).total
    b = _estimate(_plan("dev", cloud, instanceType=after, vmMemoryGb=8), cloud, PRICED).total
    step = price(cloud, f"instance:{after}", region, PRICED).cny - price(cloud, f"instance:{before}", region, PRICED).cny
    assert b - a == pytest.approx(HOURS_PER_MONTH * step, abs=0.011)


def test_data_disk_size_moves_the_estimate_by_the_sourced_price():
    a = _estimate(_plan("dev", "tencentcloud", dataDiskSize=50), "tencentcloud").total
    b = _estimate(_plan("dev", "tencentcloud", dataDiskSize=250), "tencentcloud").total
    per_gb_hour = price("tencentcloud", "disk:CLOUD_PREMIUM", "ap-guangzhou").cny
    assert b - a == pytest.approx(200 * HOURS_PER_MONTH * per_gb_hour, abs=0.011)


def test_data_disk_size_on_alibaba_moves_by_the_sourced_price_and_is_unpriced_elsewhere():
    small, big = _plan("dev", "alicloud", dataDiskSize=50), _plan("dev", "alicloud", dataDiskSize=250)
    # cn-hangzhou: ESSD PL1 is sourced (block-storage-devices' worked example), per GB-hour.
    per_gb_hour = price("alicloud", "disk:cloud_essd", "cn-hangzhou").cny
    assert _estimate(big, "alicloud").total - _estimate(small, "alicloud").total == pytest.approx(
        200 * HOURS_PER_MONTH * per_gb_hour, abs=0.011)
    # Another region has no sourced disk price: the total does not move, the line says so.
    def there(result):
        return estimate(result.resources, cloud="alicloud", environment="dev", region="cn-shanghai")
    assert there(big).total == there(small).total
    assert any(line.item == "disk:cloud_essd" and line.quantity == 250 * HOURS_PER_MONTH for line in there(big).unpriced)


def test_topology_ha_adds_what_the_table_says():
    """ha adds a second VM, the load balancer, PostgreSQL and Redis; the traffic moves to the LB."""
    single = _estimate(_plan("prod", "tencentcloud"), "tencentcloud", PRICED).total
    ha = _estimate(_plan("prod", "tencentcloud", "ha"), "tencentcloud", PRICED).total

    def p(item: str) -> float:
        return price("tencentcloud", item, "ap-guangzhou", PRICED).cny

    added = (HOURS_PER_MONTH * (p("instance:S5.LARGE16") + p("lb:instance") + p("postgresql:instance") + p("redis:instance"))
             + (80 + 200) * HOURS_PER_MONTH * p("disk:CLOUD_SSD") + 100 * p("postgresql:storage"))
    assert ha - single == pytest.approx(added, abs=0.011)


def test_the_bandwidth_cap_bounds_the_traffic():
    result = _plan("dev", "tencentcloud", bandwidthMbps=1)
    est = _estimate(result, "tencentcloud", PRICED, assumptions={"publicTrafficGb": 10_000})
    (traffic,) = [line for line in est.lines if line.item == "traffic:public"]
    assert traffic.quantity == pytest.approx(1 * HOURS_PER_MONTH * 3600 / 8 / 1000)


def test_a_usage_assumption_moves_the_estimate_by_the_sourced_price():
    result = _plan("dev", "tencentcloud")
    a = _estimate(result, "tencentcloud").total
    b = _estimate(result, "tencentcloud", assumptions={"bucketGb": 105}).total
    assert b - a == pytest.approx(100 * 0.13, abs=0.011)


# --- settings -----------------------------------------------------------------------------------


def _dev_config(**extra) -> dict:
    from components.plan.stack_config import read_stack_config

    config, secret = read_stack_config(ROOT, "dev", extra)
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("xqfc:")}
    return raw, {k.split(":", 1)[1] for k in secret}


def test_cost_assumptions_refuse_unknown_keys_and_negative_numbers_naming_the_allowed_ones():
    raw, secret = _dev_config(costAssumptions=json.dumps({"publicTrafficGB": 3, "bucketGb": -1}))
    with pytest.raises(SettingsError) as err:
        from_mapping(raw, "dev", secret)
    text = str(err.value)
    assert "xqfc:costAssumptions" in text and "unknown key 'publicTrafficGB'" in text
    assert all(k in text for k in ASSUMPTION_DOCS) and "bucketGb must be a number >= 0" in text
    raw, secret = _dev_config(costAssumptions="[1]")
    with pytest.raises(SettingsError, match=r"costAssumptions.*must be an object"):
        from_mapping(raw, "dev", secret)
    raw, secret = _dev_config(monthlyBudgetCny="-5")
    with pytest.raises(SettingsError, match="monthlyBudgetCny"):
        from_mapping(raw, "dev", secret)


# --- make plan: cost.json and the budget -----------------------------------------------------------


def test_plan_writes_cost_json_and_prints_the_total(tmp_path, capsys):
    assert plan_main(["--stack", "prod", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "prod" / "cost.json").read_text())
    printed = capsys.readouterr().out
    assert f"total: {doc['total']:.2f} CNY/month" in printed
    assert doc["settings"]["dataDiskSize"] == 200 and doc["settings"]["instanceType"] == "S5.LARGE16"
    assert doc["total"] == round(sum(line["monthly"] or 0 for line in doc["lines"]), 2)
    assert not doc["complete"] and "xqfc-prod-host-vm: instance:S5.LARGE16" in doc["unpriced"]


@pytest.mark.parametrize("cloud, topology", [("ssh", "single"), ("alicloud", "ha")])
def test_plan_writes_cost_json_on_another_cloud(tmp_path, capsys, cloud, topology):
    assert plan_main(["--stack", "prod", "--cloud", cloud, "--set", f"topology={topology}", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / f"prod-{cloud}" / "cost.json").read_text())
    assert doc["cloud"] == cloud and doc["settings"]["topology"] == topology
    assert f"total: {doc['total']:.2f} CNY/month" in capsys.readouterr().out
    items = {line["item"] for line in doc["lines"]}
    if cloud == "ssh":
        assert items == {"traffic:public", "bucket:storage"}
    else:
        assert {"lb:instance", "postgresql:instance", "redis:instance"} <= items


def test_plan_over_budget_is_refused_with_the_numbers(tmp_path, capsys):
    assert plan_main(["--stack", "prod", "--out", str(tmp_path), "--set", "monthlyBudgetCny=20"]) == 2
    err = capsys.readouterr().err
    assert "invalid configuration for stack 'prod'" in err
    assert "xqfc:monthlyBudgetCny = 20: the estimate is 630.10 CNY/month" in err and "610.10 over the budget" in err
    assert "raise monthlyBudgetCny" in err
    assert not (tmp_path / "prod").exists()
    assert plan_main(["--stack", "prod", "--out", str(tmp_path), "--set", "monthlyBudgetCny=700"]) == 0


# --- the pull request's comment --------------------------------------------------------------------


def _doc(total: float, **settings) -> dict:
    return {"total": total, "settings": settings, "unpriced": []}


def test_cost_diff_names_the_stack_the_amount_and_the_setting(tmp_path):
    for side, size, total in (("base", 200, 34.1), ("head", 400, 120.1)):
        (tmp_path / side / "prod").mkdir(parents=True)
        (tmp_path / side / "prod" / "cost.json").write_text(json.dumps(_doc(total, dataDiskSize=size)))
        (tmp_path / side / "dev").mkdir(parents=True)
        (tmp_path / side / "dev" / "cost.json").write_text(json.dumps(_doc(0.66, dataDiskSize=50)))
    text = cost_diff.comment(cost_diff.load_plans(tmp_path / "base"), cost_diff.load_plans(tmp_path / "head"))
    assert "- prod: +86.00 CNY/month: dataDiskSize 200 → 400 (34.10 → 120.10)" in text
    assert "- dev: no change (0.66 CNY/month)" in text
    assert text.startswith(cost_diff.MARKER)


def test_cost_diff_without_a_base_estimate_says_so():
    assert cost_diff.stack_line("prod", None, _doc(34.1)) == "- prod: 34.10 CNY/month (no base estimate to compare)"
    assert "removed" in cost_diff.stack_line("prod", _doc(34.1), None)


def test_cost_diff_of_two_real_plans(tmp_path):
    assert plan_main(["--stack", "dev", "--out", str(tmp_path / "base")]) == 0
    assert plan_main(["--stack", "dev", "--out", str(tmp_path / "head"), "--set", 'costAssumptions={"bucketGb": 105}']) == 0
    text = cost_diff.comment(cost_diff.load_plans(tmp_path / "base"), cost_diff.load_plans(tmp_path / "head"))
    assert '- dev: +13.00 CNY/month: costAssumptions {} → {"bucketGb": 105}' in text


# --- the policy pack -----------------------------------------------------------------------------


def test_guardrail_refuses_a_stack_over_its_budget_with_the_plans_numbers():
    result = _plan("prod", "tencentcloud")
    config = dict(result.config)
    assert guardrails.monthly_budget(result.resources, config) == []  # no budget set
    config["xqfc:monthlyBudgetCny"] = "20"
    (message,) = guardrails.monthly_budget(result.resources, config)
    assert message.startswith("xqfc:monthlyBudgetCny = 20: the estimate is 630.10 CNY/month")
    config["xqfc:monthlyBudgetCny"] = "700"
    assert guardrails.monthly_budget(result.resources, config) == []


def test_guardrail_refuses_what_it_cannot_estimate_when_a_budget_is_set():
    result = _plan("dev", "tencentcloud")
    config = {**result.config, "xqfc:monthlyBudgetCny": "1000"}
    vm = next(r for r in result.resources if r.type == "tencentcloud:Instance/instance:Instance")
    unknown = [_R(r.type, r.name, {k: v for k, v in r.inputs.items() if k != "instanceType"}) if r is vm else r
               for r in result.resources]
    (message,) = guardrails.monthly_budget(unknown, config)
    assert "could not be made" in message and "instanceType" in message
    assert guardrails.monthly_budget(unknown, {**config, "xqfc:monthlyBudgetCny": "0"}) == []


def test_policy_pack_reads_the_budget_from_the_stack_file(tmp_path, monkeypatch):
    import importlib.util
    import sys

    from pulumi_policy import StackValidationArgs
    from pulumi_policy.policy import PolicyResource

    spec = importlib.util.spec_from_file_location("xqfc_policy_pack_costs", ROOT / "policy" / "__main__.py")
    pack = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = pack
    try:
        spec.loader.exec_module(pack)
        (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
        stack_file = (ROOT / "Pulumi.prod.yaml").read_text() + "  xqfc:monthlyBudgetCny: 20\n"
        (tmp_path / "Pulumi.prod.yaml").write_text(stack_file)
        monkeypatch.setattr(pack, "ROOT", Path(tmp_path))
        result = _plan("prod", "tencentcloud")
        resources = [PolicyResource(r.type, dict(r.inputs), f"urn:pulumi:prod::xqfc::{r.type}::{r.name}", r.name, None, None, None, [], {})
                     for r in result.resources]
        violations: list[str] = []
        pack.budget_policy().validate(StackValidationArgs(resources), lambda message, urn: violations.append(message))
        assert len(violations) == 1 and "630.10 CNY/month" in violations[0]
    finally:
        sys.modules.pop(spec.name, None)


def test_price_dataclass_rows_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRICES[0].cny = 1.0  # type: ignore[misc]
    assert isinstance(PRICES[0], Price)
