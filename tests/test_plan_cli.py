"""`make plan`'s command, as a user runs it: files written, tree printed, bad config refused."""
from __future__ import annotations

import json
import subprocess
import sys

from components.plan.run import ROOT


def plan(*args: str, out) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "components.plan", "--out", str(out), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def test_plan_writes_resources_outputs_and_artifacts(tmp_path):
    result = plan("--stack", "prod", out=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "prod"
    resources = json.loads((out / "resources.json").read_text())
    assert isinstance(resources, list) and resources
    assert all(set(r) == {"type", "name", "parent", "inputs"} for r in resources)
    names = {r["name"] for r in resources}
    assert all(r["parent"] is None or r["parent"] in names for r in resources)
    assert any(r["type"] == "tencentcloud:Instance/instance:Instance" for r in resources)
    outputs = json.loads((out / "outputs.json").read_text())
    assert outputs["environment"] == "prod" and outputs["bucket_name"].startswith("xqfc-prod-")
    assert (out / "artifacts" / "cloud-init.yaml").read_text().startswith("#cloud-config")
    assert "xqfc-prod-host-vm" in result.stdout and f"{len(resources)} resources" in result.stdout


def test_plan_of_bad_config_exits_nonzero_with_only_the_settings_error(tmp_path):
    result = plan("--stack", "prod", "--set", "deletionProtection=false", "--set", "zone=ap-mars-1", out=tmp_path)
    assert result.returncode == 2
    assert "xqfc:deletionProtection" in result.stderr and "xqfc:zone" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "prod").exists()


def test_plan_moves_a_stack_to_alibaba_cloud(tmp_path):
    result = plan("--stack", "prod", "--cloud", "alicloud", out=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "prod-alicloud"
    resources = json.loads((out / "resources.json").read_text())
    types = {r["type"] for r in resources}
    assert "alicloud:ecs/instance:Instance" in types
    assert not [t for t in types if t.startswith("tencentcloud:")]
    outputs = json.loads((out / "outputs.json").read_text())
    assert outputs["cloud"] == "alicloud" and outputs["region"].startswith("cn-")
    assert outputs["bucket_endpoint"].endswith(".aliyuncs.com")


def test_plan_refuses_a_cloud_it_does_not_know(tmp_path):
    result = plan("--stack", "prod", "--cloud", "aws", out=tmp_path)
    assert result.returncode == 2 and "alicloud" in result.stderr
