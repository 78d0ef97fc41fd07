"""prometheus.yml and blackbox.yml, checked by promtool, the blackbox exporter, and a live Prometheus."""
from __future__ import annotations

import glob
import json
import urllib.request
from pathlib import Path

import pytest
import yaml

from components.render.monitoring import (
    alerts,
    prometheus_args,
    render_blackbox,
    render_prometheus,
)
from components.render.monitoring.rules import WATCHDOG
from tests.monitoring_support import STACKS, mount_prometheus, run, stack_spec
from tests.tools import free_port, require_tool, serving


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_accepts_config_and_loads_the_real_rule_file(stack, tmp_path):
    spec = mount_prometheus(stack_spec(stack), tmp_path)
    config = yaml.safe_load(Path(spec.config_dir, "prometheus.yml").read_text())

    # promtool passes silently when a rule glob matches nothing, so prove the match first.
    matched = [m for pattern in config["rule_files"] for m in glob.glob(pattern)]
    assert matched == [spec.rules_file]

    result = run("promtool", "check", "config", f"{spec.config_dir}/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert f"Checking {spec.rules_file}" in out
    assert f"SUCCESS: {len(alerts(spec)) + 1} rules found" in out  # + the Watchdog


def test_a_rule_glob_matching_nothing_is_what_the_glob_check_catches(tmp_path):
    # Negative control: the reason the test above globs by itself.
    spec = mount_prometheus(stack_spec("dev"), tmp_path)
    Path(spec.rules_file).unlink()
    assert run("promtool", "check", "config", f"{spec.config_dir}/prometheus.yml").returncode == 0
    assert glob.glob(spec.rule_files_glob) == []


def test_promtool_check_rules(tmp_path):
    spec = mount_prometheus(stack_spec("prod"), tmp_path)
    result = run("promtool", "check", "rules", spec.rules_file)
    assert result.returncode == 0, result.stdout + result.stderr


def _jobs(spec) -> dict[str, dict]:
    return {job["job_name"]: job for job in yaml.safe_load(render_prometheus(spec))["scrape_configs"]}


def test_scrape_jobs_reach_every_exporter_by_container_name():
    spec = stack_spec("prod")
    jobs = _jobs(spec)
    expected = {
        "prometheus": "prometheus:9090", "alertmanager": "alertmanager:9093", "node": "node-exporter:9100",
        "cadvisor": "cadvisor:8080", "postgres": "postgres-exporter:9187", "redis": "redis-exporter:9121",
        "nginx": "nginx-exporter:9113", "app": "app:8000", "blackbox-exporter": "blackbox-exporter:9115",
    }
    for job, target in expected.items():
        assert jobs[job]["static_configs"][0]["targets"] == [target], job
        assert jobs[job]["static_configs"][0]["labels"]["host"] == spec.host
    assert jobs["app"]["metrics_path"] == "/metrics"
    config = yaml.safe_load(render_prometheus(spec))
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    assert config["global"]["external_labels"] == {"environment": "prod"}


def _relabelled(job: dict) -> dict[str, str]:
    """Apply the job's replace-relabelling to its one target, the way Prometheus does."""
    labels = {"__address__": job["static_configs"][0]["targets"][0]}
    for step in job["relabel_configs"]:
        source = ";".join(labels.get(name, "") for name in step.get("source_labels", []))
        labels[step["target_label"]] = step.get("replacement", "$1").replace("$1", source)
    return labels


def test_probes_go_through_the_blackbox_exporter_with_modules_it_defines():
    spec = stack_spec("prod")
    jobs = _jobs(spec)
    modules = yaml.safe_load(render_blackbox(spec))["modules"]
    http, tls = jobs["blackbox-http"], jobs["blackbox-tls"]
    assert http["params"]["module"] == ["http_2xx"] and "http_2xx" in modules
    assert tls["params"]["module"] == ["tls_connect"] and "tls_connect" in modules
    http_labels = _relabelled(http)
    assert http_labels == {"__address__": "blackbox-exporter:9115", "__param_target": spec.public_url,
                           "instance": spec.public_url}
    assert _relabelled(tls)["__param_target"] == "www.xqfc.example:443"
    assert http["metrics_path"] == tls["metrics_path"] == "/probe"


def test_plain_http_site_has_no_certificate_probe():
    jobs = _jobs(stack_spec("dev", public_url="http://dev.xqfc.example/"))
    assert "blackbox-http" in jobs and "blackbox-tls" not in jobs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_blackbox_exporter_accepts_its_config(stack, tmp_path):
    config = tmp_path / "blackbox.yml"
    config.write_text(render_blackbox(stack_spec(stack)))
    result = run("prometheus-blackbox-exporter", f"--config.file={config}", "--config.check")
    assert result.returncode == 0, result.stdout + result.stderr



def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=2) as response:
        return json.load(response)


@pytest.fixture
def live_prometheus(tmp_path):
    """The real Prometheus server, started with the rendered command line on loopback."""
    spec = mount_prometheus(stack_spec("prod"), tmp_path / "root")
    port = free_port()
    args = [*prometheus_args(spec, data_dir=str(tmp_path / "data")), f"--web.listen-address=127.0.0.1:{port}"]
    base = f"http://127.0.0.1:{port}"
    with serving([require_tool("prometheus"), *args], f"{base}/-/ready", tmp_path / "prometheus.log"):
        yield spec, base


def test_live_prometheus_loads_every_rule_and_the_retention(live_prometheus):
    spec, base = live_prometheus
    groups = _get_json(f"{base}/api/v1/rules")["data"]["groups"]
    loaded = sorted(rule["name"] for group in groups for rule in group["rules"])
    assert loaded == sorted([a.name for a in alerts(spec)] + [WATCHDOG])
    flags = _get_json(f"{base}/api/v1/status/flags")["data"]
    assert flags["storage.tsdb.retention.time"] == "30d"
    assert flags["web.enable-lifecycle"] == "true"
