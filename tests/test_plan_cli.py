"""`make plan`'s command, as a user runs it: files written, tree printed, bad config refused."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from components.plan.cli import main as plan_main
from components.plan.run import ROOT, run_stack
from components.plan.stack_config import OFFLINE_SECRET


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


# --- misuse and files the Pulumi CLI would refuse: one line naming the flag or file, exit 2 ---

def _one_line_error(result, *names: str) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0]
    return lines[0]


def test_set_without_equals_names_the_flag(tmp_path):
    _one_line_error(plan("--stack", "dev", "--set", "instanceType", out=tmp_path), "--set", "instanceType", "KEY=VALUE")


@pytest.mark.parametrize("flag, value, allowed", [("--stack", "qa", "prod"), ("--cloud", "aws", "alicloud")])
def test_unknown_stack_or_cloud_names_the_flag_and_the_choices(tmp_path, flag, value, allowed):
    _one_line_error(plan(flag, value, out=tmp_path), flag, value, allowed)


def test_a_folder_that_is_not_a_plan_is_never_emptied(tmp_path):
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "notes.txt").write_text("mine")
    _one_line_error(plan("--stack", "dev", out=tmp_path), "--out")
    assert (tmp_path / "dev" / "notes.txt").read_text() == "mine"


def test_a_second_plan_removes_the_first_ones_stale_files(tmp_path):
    assert plan("--stack", "dev", out=tmp_path).returncode == 0
    stale = [tmp_path / "dev" / "artifacts" / "old.conf", tmp_path / "dev" / "stale.json"]
    for path in stale:
        path.write_text("from an earlier run")
    assert plan("--stack", "dev", out=tmp_path).returncode == 0
    assert not [p for p in stale if p.exists()]
    assert (tmp_path / "dev" / "resources.json").is_file()


def _project_copy(tmp_path: Path, stack_text: str | None = None, project_text: str | None = None) -> Path:
    """A project root with the real program and Pulumi.yaml, and one stack file `dev`."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "__main__.py", root / "__main__.py")
    (root / "Pulumi.yaml").write_text(project_text if project_text is not None else (ROOT / "Pulumi.yaml").read_text())
    (root / "Pulumi.dev.yaml").write_text(stack_text if stack_text is not None else (ROOT / "Pulumi.dev.yaml").read_text())
    return root


def _main(root: Path, tmp_path: Path, capsys, *args: str):
    code = plan_main(["--stack", "dev", "--out", str(tmp_path / "out"), *args], root=root)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess([], code, out, err)


DEV = (ROOT / "Pulumi.dev.yaml").read_text()


@pytest.mark.parametrize("bad, problem", [
    # yaml.v3: "found character that cannot start any token"
    (DEV.replace("\n  xqfc:environment:", "\n\txqfc:environment:", 1), "cannot start any token"),
    # yaml.v3: `mapping key "xqfc:environment" already defined at line N`
    (DEV + "  xqfc:environment: prod\n", "already defined"),
], ids=["tab-indent", "duplicate-key"])
def test_a_stack_file_the_pulumi_cli_refuses_is_refused_in_one_line(tmp_path, capsys, bad, problem):
    assert "xqfc:environment:" in DEV
    root = _project_copy(tmp_path, stack_text=bad)
    line = _one_line_error(_main(root, tmp_path, capsys), "Pulumi.dev.yaml", problem)
    assert re.search(r"Pulumi\.dev\.yaml:\d+:\d+", line)


def test_a_tab_after_the_indent_is_refused_as_the_cli_words_it(tmp_path, capsys):
    # pulumi v3.274.1 `pulumi config` on this file: "yaml: line 4: found a tab character that
    # violates indentation"
    bad = DEV.replace("\n  xqfc:region:", "\n \txqfc:region:", 1)
    assert bad != DEV
    root = _project_copy(tmp_path, stack_text=bad)
    line = _one_line_error(_main(root, tmp_path, capsys), "Pulumi.dev.yaml:4:", "violates indentation")
    assert "\t" not in line


@pytest.mark.parametrize("tabbed, region", [
    # pulumi v3.274.1 `pulumi config` accepts both (yaml.v3, like libyaml, allows a tab as a
    # separator inside a line); PyYAML's pure-Python scanner refuses both.
    ("  xqfc:region:\tap-guangzhou", "ap-guangzhou"),
    ("  xqfc:region: ap-\tguangzhou", "ap-\tguangzhou"),
], ids=["tab-after-colon", "tab-in-value"])
def test_a_tab_the_cli_accepts_is_accepted(tmp_path, tabbed, region):
    import yaml

    from components.plan.stack_config import read_stack_config

    assert yaml.__with_libyaml__, "the pinned PyYAML wheel ships libyaml; without it tabs are refused that the CLI accepts"
    assert "  xqfc:region: ap-guangzhou\n" in DEV
    root = _project_copy(tmp_path, stack_text=DEV.replace("  xqfc:region: ap-guangzhou", tabbed, 1))
    config, _ = read_stack_config(root, "dev")
    assert config["xqfc:region"] == region


def test_a_stack_file_rewritten_between_two_reads_is_read_again(tmp_path):
    from components.plan.stack_config import read_stack_config

    root = _project_copy(tmp_path)
    assert read_stack_config(root, "dev")[0]["xqfc:environment"] == "dev"
    (root / "Pulumi.dev.yaml").write_text(DEV.replace("xqfc:environment: dev", "xqfc:environment: staging", 1))
    assert read_stack_config(root, "dev")[0]["xqfc:environment"] == "staging"


def test_a_duplicate_key_in_pulumi_yaml_is_refused_in_one_line(tmp_path, capsys):
    project = (ROOT / "Pulumi.yaml").read_text().replace("\nconfig:\n", "\nname: other\nconfig:\n", 1)
    root = _project_copy(tmp_path, project_text=project)
    _one_line_error(_main(root, tmp_path, capsys), "Pulumi.yaml", "already defined")


SECRET_ENV = [
    # pulumi config set --secret appSecretEnv '{"SMS_API_KEY": "...", ...}' (README): one encrypted JSON string
    "  xqfc:appSecretEnv:\n    secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBB\n",
    # pulumi config set --secret --path appSecretEnv.SMS_API_KEY ...: an object with encrypted leaves
    "  xqfc:appSecretEnv:\n    SMS_API_KEY:\n      secure: v1:AAAAAAAAAAAAAAAA:CCCCCCCCCCCCCCCC\n",
]


@pytest.mark.parametrize("entry", SECRET_ENV, ids=["object-secret", "path-secret"])
def test_app_secret_env_set_as_readme_says_plans_offline(tmp_path, capsys, entry):
    root = _project_copy(tmp_path, stack_text=DEV + entry)
    result = _main(root, tmp_path, capsys)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # The app's env file carries the variables, and stays secret in the plan.
    resources = json.loads((tmp_path / "out" / "dev" / "resources.json").read_text())
    env_files = [r for r in resources if r["name"].endswith("-app-env")]
    assert env_files and all(r["inputs"]["stdin"] == "[secret]" for r in env_files)
    if "SMS_API_KEY" in entry:
        # The variable the operator named reaches the env file, its value a placeholder.
        (env,) = [r for r in run_stack("dev", root=root).resources if r.name.endswith("-app-env")]
        assert f"SMS_API_KEY={OFFLINE_SECRET}" in env.secret_inputs["stdin"].splitlines()
