"""A plan a reviewer can trust: `make plan` run as a user runs it, twice, for every stack and
cloud. Same input, same bytes; quiet stderr; each container's image shown; the rendered
alertmanager.yml readable, with only its secret values masked, and accepted by the real amtool."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.plan.mocks import MASK, MOCK_KEY
from components.plan.run import MASKED_SECRET, ROOT, run_stack
from components.plan.stack_config import OFFLINE_SECRET
from components.settings import TARGETS
from tests.monitoring_support import run

STACKS = ("dev", "staging", "prod")
ALERTMANAGER = Path("artifacts/monitoring/alertmanager/alertmanager.yml")


def _start(stack: str, cloud: str, out: Path) -> subprocess.Popen:
    # The home cloud runs without --cloud: the command README gives.
    cloud_args = [] if cloud == "tencentcloud" else ["--cloud", cloud]
    return subprocess.Popen(
        [sys.executable, "-m", "components.plan", "--stack", stack, *cloud_args, "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


_RUNS: dict[tuple[str, str], tuple] = {}


@pytest.fixture(params=[(s, c) for c in TARGETS for s in STACKS], ids=lambda p: f"{p[0]}-{p[1]}")
def twice(request, tmp_path_factory):
    """Two plans of one stack, run at the same time into two folders (cached per session)."""
    if request.param not in _RUNS:
        stack, cloud = request.param
        base = tmp_path_factory.mktemp(f"plan-{stack}-{cloud}")
        procs = [_start(stack, cloud, base / str(i)) for i in (1, 2)]
        results = [(*p.communicate(timeout=300), p.returncode) for p in procs]
        name = stack if cloud == "tencentcloud" else f"{stack}-{cloud}"
        _RUNS[request.param] = (results, [base / str(i) / name for i in (1, 2)])
    return _RUNS[request.param]


def test_two_plans_of_a_stack_are_byte_identical(twice):
    (first, second), (a, b) = twice
    assert first[2] == 0 and second[2] == 0, first[1] + second[1]
    # The last line names the output folder, which differs on purpose.
    assert first[0].splitlines()[:-1] == second[0].splitlines()[:-1]
    files_a, files_b = _files(a), _files(b)
    assert list(files_a) == list(files_b)
    differing = [name for name in files_a if files_a[name] != files_b[name]]
    assert not differing


def test_a_plan_writes_nothing_to_stderr(twice):
    (first, _), _ = twice
    assert first[2] == 0
    assert first[1] == ""


def test_every_container_shows_the_image_it_runs(twice):
    (first, _), (a, _) = twice
    resources = json.loads((a / "resources.json").read_text())
    pulled = {r["inputs"]["name"] for r in resources if r["type"] == "docker:index/remoteImage:RemoteImage"}
    containers = [r for r in resources if r["type"] == "docker:index/container:Container"]
    assert containers
    for c in containers:
        # The image reference the stack pinned, not an unknown id: it is one of the pulled images.
        assert c["inputs"]["image"] in pulled, c["name"]
        assert f"{c['name']}  (docker:index/container:Container)  image {c['inputs']['image']}" in first[0]


def test_rendered_alertmanager_is_readable_with_only_secrets_masked_and_amtool_accepts_it(twice):
    _, (a, _) = twice
    path = a / ALERTMANAGER
    text = path.read_text()
    assert text.strip() != MASK, "alertmanager.yml is masked whole: its routes cannot be reviewed"
    doc = yaml.safe_load(text)
    assert doc["route"]["routes"]
    for receiver in doc["receivers"]:
        for email in receiver.get("email_configs", []):
            if "auth_username" in email:
                assert email["auth_password"] == MASKED_SECRET
        for wecom in receiver.get("wechat_configs", []):
            assert wecom["api_secret"] == MASKED_SECRET
    result = run("amtool", "check-config", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_placeholder_or_mock_secret_in_any_written_file(twice):
    _, (a, _) = twice
    for name, data in _files(a).items():
        text = data.decode()
        assert OFFLINE_SECRET not in text, name
        assert MOCK_KEY not in text and "mock-writer-secret" not in text, name


def test_dingtalk_webhook_set_as_a_secret_plans_offline_with_its_token_masked():
    result = run_stack("prod", {"alertDingtalkWebhook": {"secure": ""}, "alertDingtalkSecret": {"secure": ""}})
    bridge = yaml.safe_load(result.artifacts["monitoring/dingtalk/config.yml"])
    target = bridge["targets"]["xqfc"]
    assert target["url"].startswith("https://") and target["url"].endswith(f"access_token={MASKED_SECRET}")
    assert target["secret"] == MASKED_SECRET


def test_a_real_secret_value_masks_the_whole_file():
    # The e2e run hands real values: the plan cannot tell them apart, so the file is hidden whole.
    result = run_stack("staging", {"alertSmtpPassword": {"secure": "hunter2-real"}})
    assert result.artifacts["monitoring/alertmanager/alertmanager.yml"] == MASK + "\n"
