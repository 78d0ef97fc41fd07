"""Loki and Promtail configs, checked structurally: no Loki or Promtail binary runs here.

Neither is packaged for Debian (its `loki` package is an unrelated genetics tool) or on
PyPI/npm, and downloading release binaries is out of bounds, so these tests hold the rendered
YAML against what the Loki 3.x sources and documentation say, as read for this change:

- Loki `cmd/loki/loki-local-config.yaml` (grafana/loki): single binary with `common.path_prefix`,
  `common.storage.filesystem.{chunks,rules}_directory`, `replication_factor: 1`, ring
  `kvstore.store: inmemory`, schema `store: tsdb`, `object_store: filesystem`, `schema: v13`,
  `index: {prefix: index_, period: 24h}`.
- Loki `pkg/compactor/config.go`: the compactor's yaml keys, and `Validate()` refusing
  `retention_enabled` without `delete_request_store` ("compactor.delete-request-store should be
  configured when retention is enabled"); docs operations/storage/retention: retention is
  applied per daily index table, `limits_config.retention_period`.
- Loki `pkg/validation/limits.go`: the `limits_config` yaml keys.
- Loki `pkg/loki/config_wrapper.go` applyPathPrefixDefaults: WAL and compactor dirs default
  under `common.path_prefix`, so every path Loki writes lies on its volume.
- Promtail docs send-data/promtail/configuration.md: `docker_sd_configs` (`host`,
  `refresh_interval`, `filters`), the `__meta_docker_container_name` /
  `__meta_docker_container_log_stream` meta labels, names with a leading '/', and the
  example relabeling `regex: '/(.*)'` into `container`; logs are read through the Docker API.
- Promtail stages docs (match, json, template, labels) and `clients/pkg/logentry/stages/template.go`:
  extracted values reach templates as strings, sprig functions are available, and an empty
  result removes the key (so a line without `status` gets no `status_class` label).
"""
from __future__ import annotations

import dataclasses
import json
import re
import subprocess

import pytest
import yaml

from components.render.monitoring import (
    LOKI_DIR,
    MonitoringSpec,
    PROMTAIL_DIR,
    memory_budget,
    render_loki,
    render_promtail,
)
from components.render.monitoring.logs import NGINX_CONTAINER, retention_hours
from components.render.nginx import NginxSpec, render_nginx_conf
from components.settings.monitoring import LOGS_MIN_VM_GB
from tests.monitoring_support import STACK_MEMORY, STACKS, stack_spec
from tests.test_workflows import venv_tool

# Keys Loki 3.x accepts in the blocks we write (from the sources listed above); a typo or a
# key of another major version fails here instead of at the container's start.
LOKI_KEYS = {
    "": {"auth_enabled", "server", "common", "schema_config", "compactor", "limits_config", "query_range",
         "analytics", "storage_config", "ingester", "ruler"},
    "server": {"http_listen_port", "grpc_listen_port", "http_listen_address", "log_level", "log_format"},
    "common": {"instance_addr", "path_prefix", "storage", "replication_factor", "ring", "persist_tokens"},
    "compactor": {"working_directory", "compaction_interval", "apply_retention_interval", "retention_enabled",
                  "retention_delete_delay", "retention_delete_worker_count", "retention_table_timeout",
                  "delete_request_store", "delete_request_store_key_prefix", "delete_request_cancel_period",
                  "delete_batch_size", "delete_max_interval", "max_compaction_parallelism", "upload_parallelism"},
    "limits_config": {"ingestion_rate_strategy", "ingestion_rate_mb", "ingestion_burst_size_mb", "max_line_size",
                      "reject_old_samples", "reject_old_samples_max_age", "max_streams_per_user",
                      "max_global_streams_per_user", "per_stream_rate_limit", "per_stream_rate_limit_burst",
                      "max_query_series", "max_query_parallelism", "max_query_lookback", "max_query_length",
                      "retention_period", "retention_stream", "max_entries_limit_per_query", "query_timeout"},
}
PROMTAIL_TOP = {"server", "positions", "clients", "scrape_configs", "limits_config", "target_config"}
PROMTAIL_SCRAPE = {"job_name", "docker_sd_configs", "static_configs", "relabel_configs", "pipeline_stages"}
DOCKER_SD = {"host", "port", "host_networking_host", "filters", "refresh_interval", "tls_config", "proxy_url"}
RELABEL = {"source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"}
STAGES = {"json", "template", "labels", "match", "regex", "timestamp", "output", "drop", "static_labels", "docker", "cri"}


def logs_spec(stack: str, **overrides) -> MonitoringSpec:
    """The stack with logs on, on the smallest VM the settings let logs run on (logs_need_memory:
    vmMemoryGb >= LOGS_MIN_VM_GB); dev's own 4 GB VM refuses logs."""
    memory = max(STACK_MEMORY[stack], LOGS_MIN_VM_GB * 1024)
    return stack_spec(stack, logs_enabled=True, **{"vm_memory_mib": memory, **overrides})


def loki(stack: str, **overrides) -> dict:
    return yaml.safe_load(render_loki(logs_spec(stack, **overrides)))


def promtail(stack: str, **overrides) -> dict:
    return yaml.safe_load(render_promtail(logs_spec(stack, **overrides)))


@pytest.mark.parametrize("stack", STACKS)
def test_loki_uses_only_documented_keys(stack):
    config = loki(stack)
    for block, allowed in LOKI_KEYS.items():
        keys = set(config if block == "" else config[block])
        assert keys <= allowed, (block, keys - allowed)


@pytest.mark.parametrize("stack", STACKS)
def test_loki_is_a_single_binary_on_its_volume(stack):
    config = loki(stack)
    assert config["auth_enabled"] is False
    assert config["server"]["http_listen_port"] == 3100
    common = config["common"]
    assert common["replication_factor"] == 1 and common["ring"]["kvstore"]["store"] == "inmemory"
    assert common["path_prefix"] == LOKI_DIR
    (schema,) = config["schema_config"]["configs"]
    assert (schema["store"], schema["schema"], schema["object_store"]) == ("tsdb", "v13", "filesystem")
    # TSDB needs daily index tables.
    assert schema["index"]["period"] == "24h"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(schema["from"]))
    # Every directory Loki writes must be on the xqfc-loki volume (the rest of the filesystem
    # is read-only in the container).
    paths = [v for v in _leaves(config) if isinstance(v, str) and v.startswith("/")]
    assert paths and all(p == LOKI_DIR or p.startswith(LOKI_DIR + "/") for p in paths), paths
    assert config["analytics"]["reporting_enabled"] is False


@pytest.mark.parametrize(("stack", "hours"), [("dev", 7 * 24), ("staging", 15 * 24), ("prod", 30 * 24)])
def test_loki_retention_follows_the_stacks_retention_through_the_compactor(stack, hours):
    config = loki(stack)
    compactor = config["compactor"]
    assert compactor["retention_enabled"] is True
    # Loki's Validate(): retention without a delete request store refuses to start; the store
    # must be one the schema actually uses.
    stores = {c["object_store"] for c in config["schema_config"]["configs"]}
    assert compactor["delete_request_store"] in stores
    assert compactor["working_directory"].startswith(LOKI_DIR + "/")
    assert config["limits_config"]["retention_period"] == f"{hours}h"


def test_retention_under_a_day_or_malformed_is_refused():
    assert retention_hours("2w") == 336 and retention_hours("1y") == 8760
    for bad in ("12h", "15", "15m", "0d"):
        with pytest.raises(ValueError, match="retention"):
            render_loki(logs_spec("staging", retention=bad))


@pytest.mark.parametrize("stack", STACKS)
def test_loki_ingestion_is_bounded_and_its_cache_fits_its_memory(stack):
    spec = logs_spec(stack)
    config = yaml.safe_load(render_loki(spec))
    limits = config["limits_config"]
    assert 0 < limits["ingestion_rate_mb"] <= limits["ingestion_burst_size_mb"] <= 16
    cache = config["query_range"]["results_cache"]["cache"]["embedded_cache"]
    assert cache["max_size_mb"] * 4 <= memory_budget(spec)["loki"]


def test_promtail_uses_only_documented_keys():
    config = promtail("prod")
    assert set(config) <= PROMTAIL_TOP
    for scrape in config["scrape_configs"]:
        assert set(scrape) <= PROMTAIL_SCRAPE
        for sd in scrape["docker_sd_configs"]:
            assert set(sd) <= DOCKER_SD
        for rule in scrape["relabel_configs"]:
            assert set(rule) <= RELABEL and rule.get("action", "replace") in ("replace", "keep", "drop")
        for stage in _stages(scrape["pipeline_stages"]):
            assert len(stage) == 1 and set(stage) <= STAGES, stage


def test_promtail_reads_the_docker_socket_and_pushes_to_loki():
    config = promtail("staging")
    (scrape,) = config["scrape_configs"]
    (sd,) = scrape["docker_sd_configs"]
    assert sd["host"] == "unix:///var/run/docker.sock"
    (client,) = config["clients"]
    assert client["url"] == "http://loki:3100/loki/api/v1/push"
    # Positions survive a container replacement only on the volume.
    assert config["positions"]["filename"].startswith(PROMTAIL_DIR + "/")


def relabel(rules: list[dict], meta: dict[str, str]) -> dict[str, str] | None:
    """Prometheus relabeling as documented (regex anchored at both ends, default action
    replace, default regex (.*), default replacement $1); None when the target is dropped."""
    labels = dict(meta)
    for rule in rules:
        value = rule.get("separator", ";").join(labels.get(s, "") for s in rule.get("source_labels", []))
        m = re.fullmatch(rule.get("regex", "(.*)"), value)
        action = rule.get("action", "replace")
        if action == "keep" and not m:
            return None
        if action == "drop" and m:
            return None
        if action == "replace" and m:
            groups = (m.group(0), *(g or "" for g in m.groups()))
            result = re.sub(r"\$\{?(\d+)\}?", lambda ref, groups=groups: groups[int(ref.group(1))] if int(ref.group(1)) < len(groups) else "",
                            rule.get("replacement", "$1"))
            if result:
                labels[rule["target_label"]] = result
            else:
                labels.pop(rule["target_label"], None)
    return {k: v for k, v in labels.items() if not k.startswith("__")}


@pytest.mark.parametrize("stack", STACKS)
def test_relabeling_names_the_container_and_the_stack(stack):
    spec = logs_spec(stack, host=f"xqfc-{stack}")
    (scrape,) = yaml.safe_load(render_promtail(spec))["scrape_configs"]
    labels = relabel(scrape["relabel_configs"], {
        "__meta_docker_container_name": "/xqfc-nginx", "__meta_docker_container_log_stream": "stdout",
        "__meta_docker_container_id": "f" * 64,
    })
    assert labels == {"container": "xqfc-nginx", "stream": "stdout", "environment": stack, "host": f"xqfc-{stack}"}
    # Only the platform's containers; anything started by hand stays out of Loki.
    assert relabel(scrape["relabel_configs"], {"__meta_docker_container_name": "/scratch"}) is None


def test_nginx_pipeline_parses_fields_nginx_writes_and_labels_only_the_status_class():
    (scrape,) = promtail("prod")["scrape_configs"]
    (match,) = [s["match"] for s in scrape["pipeline_stages"] if "match" in s]
    selector = dict(re.findall(r'(\w+)="([^"]*)"', match["selector"]))
    assert selector["container"] == NGINX_CONTAINER
    # The selector may only name labels the relabeling produces.
    produced = {r["target_label"] for r in scrape["relabel_configs"] if "target_label" in r}
    assert set(selector) <= produced
    stages = {next(iter(s)): next(iter(s.values())) for s in match["stages"]}
    # nginx's own log_format: one JSON object per line with these fields.
    conf = render_nginx_conf(NginxSpec(domain="xqfc.example", cert_path="/c", key_path="/k"))
    fmt = re.search(r"log_format json escape=json (.*?);", conf, re.S).group(1)
    line = "".join(re.findall(r"'([^']*)'", fmt))
    sample = json.loads(re.sub(r"\$\w+", "0", line))
    assert set(stages["json"]["expressions"].values()) <= set(sample)
    assert {"status", "request_time"} <= set(stages["json"]["expressions"])
    # Labels are indexed: only the bounded status class, never exact codes or timings.
    assert set(stages["labels"]) == {"status_class"} and stages["template"]["source"] == "status_class"
    assert ".status" in stages["template"]["template"]


@pytest.mark.parametrize("render", [render_loki, render_promtail], ids=["loki", "promtail"])
def test_rendered_yaml_passes_yamllint(render, tmp_path):
    out = tmp_path / "config.yml"
    out.write_text(render(logs_spec("prod")))
    # The package's dumper writes PyYAML's block style: lists flush with their key.
    config = ("{extends: default, rules: {document-start: disable, line-length: {max: 160},"
              " indentation: {spaces: 2, indent-sequences: consistent}}}")
    result = subprocess.run([venv_tool("yamllint"), "-s", "-d", config, str(out)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout


def test_budget_with_logs_fits_every_stack_size():
    for stack in STACKS:
        for logs in (False, True):
            spec = logs_spec(stack) if logs else dataclasses.replace(stack_spec(stack), logs_enabled=False)
            budget = memory_budget(spec)
            assert ("loki" in budget) is logs and ("promtail" in budget) is logs
            assert sum(budget.values()) <= spec.vm_memory_mib // 4


def _leaves(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _leaves(v)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v)
    else:
        yield node


def _stages(stages: list[dict]):
    for stage in stages:
        yield stage
        if "match" in stage:
            yield from _stages(stage["match"]["stages"])
