"""The log pipeline as the whole program registers it: Loki and Promtail only with logsEnabled,
unpublished, limited to the memory budget, and the whole monitoring budget inside its share."""
from __future__ import annotations

import pytest
import yaml
from pulumi.errors import RunError

from components.render.monitoring import MonitoringSpec, memory_budget
from components.render.monitoring.budget import MAX_SHARE
from tests.test_runtime import COMMAND, VOLUME, containers


def logs_on(plan) -> bool:
    return str(plan.config.get("xqfc:logsEnabled", "false")).lower() == "true"


def vm_mib(plan) -> int:
    return int(plan.config.get("xqfc:vmMemoryGb", 4)) * 1024


def budget(plan) -> dict[str, int]:
    # The budget depends on the VM size, logsEnabled and DingTalk (no stack file sets DingTalk).
    spec = MonitoringSpec(environment=plan.stack, domain="x.example", public_url="https://x.example/",
                          vm_memory_mib=vm_mib(plan), logs_enabled=logs_on(plan))
    return memory_budget(spec)


def test_stack_files_turn_logs_on_where_the_vm_has_room(plan):
    assert logs_on(plan) is {"dev": False, "staging": True, "prod": True}[plan.stack]


def test_loki_and_promtail_run_only_with_logs_enabled(plan):
    names = set(containers(plan))
    assert ({"xqfc-loki", "xqfc-promtail"} <= names) is logs_on(plan)
    assert ("xqfc-loki" in names or "xqfc-promtail" in names) is logs_on(plan)


def test_monitoring_memory_limits_are_the_budget_and_fit_the_vm_share(plan):
    expected = budget(plan)
    running = containers(plan)
    for role, mib in expected.items():
        assert running[f"xqfc-{role}"].inputs["memory"] == mib, role
    assert sum(running[f"xqfc-{r}"].inputs["memory"] for r in expected) <= vm_mib(plan) * MAX_SHARE


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_log_containers_publish_nothing_and_see_only_what_they_need(plan_of, stack, cloud):
    c = containers(plan_of(stack, cloud))
    loki, promtail = c["xqfc-loki"].inputs, c["xqfc-promtail"].inputs
    for i in (loki, promtail):
        assert not i.get("ports") and i["readOnly"] is True
        assert [n["name"] for n in i["networksAdvanced"]] == ["xqfc-monitoring"]
    assert loki["user"] == "10001:10001"
    loki_mounts = {v["containerPath"]: v for v in loki["volumes"]}
    assert loki_mounts["/loki"]["volumeName"] == "xqfc-loki"
    assert loki_mounts["/etc/loki"]["hostPath"] == "/srv/xqfc/monitoring/loki" and loki_mounts["/etc/loki"]["readOnly"]
    mounts = {v["containerPath"]: v for v in promtail["volumes"]}
    assert mounts["/var/run/docker.sock"]["hostPath"] == "/var/run/docker.sock" and mounts["/var/run/docker.sock"]["readOnly"]
    assert mounts["/etc/promtail"]["readOnly"] and mounts["/promtail"]["volumeName"] == "xqfc-promtail"
    # docker_sd reads logs through the API: no host log directory is mounted.
    assert not any(v.get("hostPath", "").endswith("/containers") for v in promtail["volumes"])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_log_volumes_protected_in_prod(plan_of, stack, cloud):
    plan = plan_of(stack, cloud)
    prod = stack == "prod"
    vols = {r.inputs["name"]: r for r in plan.of_type(VOLUME)}
    for name in ("xqfc-loki", "xqfc-promtail"):
        assert vols[name].protect is prod and vols[name].retain_on_delete is prod, name


def test_configs_datasource_and_reload_follow_logs_enabled(plan):
    a = plan.artifacts
    on = logs_on(plan)
    assert ("monitoring/loki/loki.yml" in a) is on and ("monitoring/promtail/promtail.yml" in a) is on
    datasources = yaml.safe_load(a["monitoring/grafana/provisioning/datasources/prometheus.yml"])["datasources"]
    assert ("loki" in {d["type"] for d in datasources}) is on
    (reload,) = [r for r in plan.of_type(COMMAND) if r.name.endswith("-monitoring-reload")]
    create = reload.inputs["create"]
    assert ("signal_reload xqfc-promtail HUP" in create and "restart xqfc-loki" in create) is on
    if on:
        promtail = yaml.safe_load(a["monitoring/promtail/promtail.yml"])
        relabels = promtail["scrape_configs"][0]["relabel_configs"]
        assert {"target_label": "environment", "replacement": plan.stack} in relabels
        loki = yaml.safe_load(a["monitoring/loki/loki.yml"])
        retention = plan.config.get("xqfc:prometheusRetention", "15d")
        assert loki["limits_config"]["retention_period"] == f"{int(retention[:-1]) * 24}h"


def test_staging_can_turn_logs_off(plan_of):
    names = set(containers(plan_of("staging", logsEnabled="false")))
    assert "xqfc-prometheus" in names and not names & {"xqfc-loki", "xqfc-promtail"}


def test_logs_on_a_4gb_vm_is_a_settings_error(plan_of):
    with pytest.raises(RunError, match=r"logsEnabled.*vmMemoryGb >= 8"):
        plan_of("dev", logsEnabled="true")
