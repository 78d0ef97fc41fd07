"""Per-stack thresholds, spec validation, and the memory budget per VM size."""
from __future__ import annotations

import dataclasses

import pytest
import yaml

from components.render.monitoring import (
    AlertThresholds,
    MonitoringSpec,
    Receivers,
    alerts,
    default_logs_enabled,
    memory_budget,
    render_alert_rules,
)
from tests.monitoring_support import DINGTALK, stack_spec

# Direction in which each threshold is stricter (pages earlier).
LOWER_IS_STRICTER = {"error_rate_ratio", "latency_p95_seconds", "cpu_percent", "memory_percent",
                     "disk_warning_percent", "pg_connections_percent", "redis_memory_percent",
                     "backup_max_age_hours", "container_restarts_15m"}


def test_prod_is_stricter_than_staging_and_staging_than_dev():
    dev, staging, prod = (AlertThresholds.for_environment(e) for e in ("dev", "staging", "prod"))
    for name in LOWER_IS_STRICTER:
        assert getattr(prod, name) <= getattr(staging, name) <= getattr(dev, name), name
    assert any(getattr(prod, n) < getattr(dev, n) for n in LOWER_IS_STRICTER)
    assert prod.target_down_for == "1m" and dev.target_down_for == "5m"


def test_thresholds_reach_the_rendered_rules():
    def exprs(stack):
        return {(r["alert"], r["labels"]["severity"]): r["expr"]
                for g in yaml.safe_load(render_alert_rules(stack_spec(stack)))["groups"] for r in g["rules"]}
    dev, prod = exprs("dev"), exprs("prod")
    assert dev.keys() == prod.keys()
    assert dev[("HostHighCpu", "warning")].endswith("> 95")
    assert prod[("HostHighCpu", "warning")].endswith("> 80")
    assert "> 180000" in dev[("BackupStale", "critical")]  # 50 h
    assert "> 93600" in prod[("BackupStale", "critical")]  # 26 h


def test_spec_without_thresholds_takes_its_stacks_defaults():
    spec = MonitoringSpec(environment="prod", domain="x.example", public_url="https://x.example/", vm_memory_mib=8192)
    assert spec.thresholds == AlertThresholds.for_environment("prod")


def test_restore_drill_allows_eight_days_everywhere():
    for stack in ("dev", "staging", "prod"):
        drill = next(a for a in alerts(stack_spec(stack)) if a.name == "RestoreDrillStale")
        assert drill.expr.endswith(f"> {8 * 86400}")


def test_unknown_environment_and_bad_url_are_refused():
    with pytest.raises(ValueError, match="qa"):
        AlertThresholds.for_environment("qa")
    with pytest.raises(ValueError, match="public_url"):
        MonitoringSpec(environment="dev", domain="x.example", public_url="x.example", vm_memory_mib=4096)
    with pytest.raises(ValueError, match="mount point"):
        stack_spec("dev", data_mountpoint="/data|.*")


@pytest.mark.parametrize("vm", [4096, 8192, 16384])
def test_budget_fits_a_quarter_of_the_vm(vm):
    spec = stack_spec("prod", vm_memory_mib=vm, logs_enabled=default_logs_enabled(vm))
    budget = memory_budget(spec)
    assert sum(budget.values()) <= vm // 4
    assert all(isinstance(v, int) and v >= 16 for v in budget.values())


def test_budget_names_every_monitoring_container_the_config_talks_to():
    spec = stack_spec("prod", logs_enabled=True)
    budget = memory_budget(spec)
    hosts = {getattr(spec.targets, f.name).split(":")[0] for f in dataclasses.fields(spec.targets)}
    assert hosts - {"app"} == set(budget) - {"promtail"}


def test_logs_are_off_by_default_on_4gb_and_optional_containers_follow_the_spec():
    assert default_logs_enabled(4096) is False and default_logs_enabled(8192) is True
    dev = memory_budget(stack_spec("dev"))
    assert "loki" not in dev and "promtail" not in dev and "dingtalk-bridge" not in dev
    with_logs = memory_budget(stack_spec("dev", vm_memory_mib=8192, logs_enabled=True, receivers=Receivers(dingtalk=DINGTALK)))
    assert {"loki", "promtail", "dingtalk-bridge"} <= set(with_logs)
    # Grafana's 512 MiB floor (10.1 on) leaves no room for logs on 4 GB: refused, as settings refuse it.
    with pytest.raises(ValueError, match="logsEnabled=false"):
        memory_budget(stack_spec("dev", logs_enabled=True))


def test_bigger_vms_never_get_smaller_limits():
    def budget(vm):
        return memory_budget(stack_spec("prod", vm_memory_mib=vm, logs_enabled=vm >= 8192))
    small, medium, large = budget(4096), budget(8192), budget(16384)
    for name in small:
        assert small[name] <= medium[name] <= large[name], name
    assert large["prometheus"] > small["prometheus"]
