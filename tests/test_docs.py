"""README stays true to the code: config table, outputs table, the two commands."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from components.outputs import CONTRACT
from components.plan.run import ROOT
from components.settings import TARGETS
from scripts.config_table import BEGIN, END, table

README = (ROOT / "README.md").read_text()


def test_config_table_matches_pulumi_yaml_and_stack_files():
    block = README.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
    assert block == table(), "README config table is stale: run scripts/config_table.py --write"


def test_outputs_table_matches_the_contract():
    rows = re.findall(r"^\| `([a-z_]+)` \| ((?:[^|\\]|\\\|)+?) \| (yes|no) \|", README, re.M)
    documented = [(n, t.replace("\\", ""), s == "yes") for n, t, s in rows]
    assert documented == [(o.name, o.type, o.secret) for o in CONTRACT]


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    assert "make plan STACK=prod" in README and "make check" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make check\b", ci, re.M)
    # `make check` is every suite: none of the test targets may fall out of it.
    dry = subprocess.run(["make", "-n", "check"], cwd=ROOT, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")})
    called = re.findall(r"^make(?:\[\d+\]:)? ?(?:-\S+ )*([a-z0-9-]+)$", dry.stdout, re.M)
    assert {"lint", "test", "test-slow", "mutation-ci", "e2e"} <= set(called), dry.stdout[:2000]


# --- every figure and path below is derived from the code that renders the real value -------

DOCS = {p.relative_to(ROOT).as_posix(): p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
STACKS = ("dev", "staging", "prod")
CONTAINER = "docker:index/container:Container"
DINGTALK = {"alertDingtalkWebhook": {"secure": ""}}


def _one(pattern: str, doc: str = "README.md") -> re.Match:
    found = list(re.finditer(pattern, DOCS[doc]))
    assert len(found) == 1, f"{doc}: expected one sentence matching {pattern!r}, found {len(found)}"
    return found[0]


def test_docs_run_python_from_the_projects_venv():
    # A bare `python -m components.plan` runs the system Python, which lacks the SDKs. The
    # backup tool is the exception: it runs on the VM under the host's python3 (stdlib + apt boto3).
    bare = [(doc, m.group(0)) for doc, text in DOCS.items()
            for m in re.finditer(r"(?<![\w/.-])python3? -m (?!venv\b|components\.backup\b)[\w.]+", text)]
    assert not bare, "use `.venv/bin/python -m ...` or `make plan`: " + repr(bare)


def test_repository_paths_named_in_docs_exist():
    prefixes = ("components/", "docs/", "scripts/", "tests/", "policy/", "examples/", "tools/", ".github/", ".ci/")
    missing = []
    for doc, text in DOCS.items():
        for path in re.findall(r"`([.\w/-]+)`", text):
            if path.startswith(prefixes) and "*" not in path and not (ROOT / path).exists():
                missing.append((doc, path))
    assert not missing


def _plan_paths() -> list[tuple[str, str]]:
    return [(doc, m.group(1)) for doc, text in DOCS.items() for m in re.finditer(r"`build/plan/([^`]*)`", text)]


def test_plan_folders_in_docs_are_the_ones_make_plan_writes():
    from components.plan.cli import plan_folder

    named = _plan_paths()
    assert named
    folders = {plan_folder("<stack>", None), plan_folder("<stack>", "<cloud>")}
    folders |= {plan_folder(s, c) for s in STACKS for c in (None, *TARGETS)}
    assert not [(doc, p) for doc, p in named if p.split("/", 1)[0] not in folders]
    # README's folder for `make plan ... CLOUD=`: what the Makefile passes, then plan_folder.
    m = _one(r"`make plan STACK=(\w+) CLOUD=(\w+)` \(writes `build/plan/([\w-]+)/`\)")
    # Under `make test` the parent's MAKELEVEL/MAKEFLAGS would add "Entering directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    dry = subprocess.run(["make", "-n", "plan", f"STACK={m[1]}", f"CLOUD={m[2]}"], cwd=ROOT, capture_output=True, text=True, env=env)
    argv = next(line for line in dry.stdout.splitlines() if "--stack" in line).split()
    stack, cloud = argv[argv.index("--stack") + 1], argv[argv.index("--cloud") + 1]
    assert m[3] == plan_folder(stack, cloud)


def test_artifact_paths_in_docs_are_files_a_plan_writes(plan_of):
    written = {name for s in STACKS for name in plan_of(s).artifacts}
    wrong = []
    for doc, path in _plan_paths():
        rest = path.split("/", 1)[1] if "/" in path else ""
        if rest.startswith("artifacts/") and rest != "artifacts/":
            inner = rest.removeprefix("artifacts/")
            if not any(name == inner or name.startswith(inner.rstrip("/") + "/") for name in written):
                wrong.append((doc, path))
    assert not wrong


def _monitoring_memory(result) -> dict[str, int]:
    prefix = f"xqfc-{result.stack}-host-monitoring-"
    return {r.name.removeprefix(prefix): r.inputs["memory"] for r in result.of_type(CONTAINER) if r.name.startswith(prefix)}


def _vm_gb(result) -> int:
    return int(result.config["xqfc:vmMemoryGb"])


def test_monitoring_memory_figures_are_the_plans(plan_of):
    from components.plan.run import run_stack

    totals = {s: sum(_monitoring_memory(plan_of(s)).values()) for s in STACKS}
    dingtalk = {s: sum(_monitoring_memory(run_stack(s, DINGTALK)).values()) - totals[s] for s in STACKS}
    gb = {s: _vm_gb(plan_of(s)) for s in STACKS}
    m = _one(r"(\d+) MiB on (\d+) GB \(dev\), (\d+) on (\d+) GB \(staging\), (\d+) on (\d+) GB \(prod\)[^;]*; plus (\d+)-(\d+) with DingTalk")
    assert [int(x) for x in m.groups()] == [totals["dev"], gb["dev"], totals["staging"], gb["staging"], totals["prod"], gb["prod"],
                                           min(dingtalk.values()), max(dingtalk.values())]
    m = _one(r"\(dev (\d+) MiB, staging (\d+), prod (\d+) with email/WeCom; DingTalk adds (\d+)-(\d+)\)", "docs/monitoring.md")
    assert [int(x) for x in m.groups()] == [totals["dev"], totals["staging"], totals["prod"], min(dingtalk.values()), max(dingtalk.values())]


def test_monitoring_memory_table_is_memory_budget():
    import dataclasses

    from components.render.monitoring import DingtalkReceiver, memory_budget
    from components.render.monitoring.budget import tier_limits
    from tests.monitoring_support import stack_spec

    text = DOCS["docs/monitoring.md"].split("## Memory budget per VM size", 1)[1].split("\n## ", 1)[0]
    header = re.search(r"^\| container \| (\d+) GB \(dev\) \| (\d+) GB \(staging\) \| (\d+) GB \(prod\) \|$", text, re.M)
    assert header
    sizes = [int(g) * 1024 for g in header.groups()]

    def budget(mib: int, logs: bool, ding: bool) -> dict[str, int]:
        spec = stack_spec("prod")
        receivers = dataclasses.replace(spec.receivers, dingtalk=DingtalkReceiver(webhook_url="https://x") if ding else None)
        return memory_budget(dataclasses.replace(spec, vm_memory_mib=mib, logs_enabled=logs, receivers=receivers,
                                                 thresholds=spec.thresholds))

    def safe(mib, logs, ding):
        try:
            return sum(budget(mib, logs, ding).values())
        except ValueError:  # over the quarter: memory_budget refuses it
            return None

    full = budget(sizes[1], False, True)
    rows = dict(re.findall(r"^\| ([a-z-]+)(?: \(with [^)]*\))? \| (\d+ \| \d+ \| \d+) \|$", text, re.M))
    expected_rows = {}
    for name in {*full, "loki", "promtail"}:
        # The tier's figure: on 4 GB logs do not fit the quarter (refused), the row still shows the tier.
        expected_rows[name] = " | ".join(str(tier_limits(mib)[name]) for mib in sizes)
    assert rows == expected_rows
    off = re.search(r"^\| \*\*total, logs off: without / with DingTalk\*\* \| (.+) \|$", text, re.M)
    assert off and off[1] == " | ".join(f"{safe(m, False, False)} / {safe(m, False, True)}" for m in sizes)
    on = re.search(r"^\| \*\*total, logs on: without / with DingTalk\*\* \| (.+) \|$", text, re.M)
    assert on
    cells = [c.strip() for c in on[1].split("|")]
    for cell, mib in zip(cells, sizes):
        # Summed from the tier: where it exceeds the quarter, memory_budget refuses it ("refused").
        tier = tier_limits(mib)
        with_ding = sum(tier.values())
        without = with_ding - tier["dingtalk-bridge"]
        assert re.sub(r"^\((.*), refused\)$", r"\1", cell) == f"{without} / {with_ding}"
    quarter = re.search(r"^\| quarter of the VM \(the ceiling\) \| (.+) \|$", text, re.M)
    from components.render.monitoring.budget import MAX_SHARE
    assert quarter and quarter[1] == " | ".join(str(int(m * MAX_SHARE)) for m in sizes)


def test_log_rotation_figure_is_the_containers_and_the_daemons(plan_of):
    opts = {json.dumps(r.inputs.get("logOpts"), sort_keys=True) for s in STACKS for r in plan_of(s).of_type(CONTAINER)}
    assert len(opts) == 1
    (only,) = [json.loads(o) for o in opts]
    size = re.fullmatch(r"(\d+)m", only["max-size"])
    # dockerd reads max-size with go-units FromHumanSize, decimal (moby
    # daemon/logger/jsonfilelog/jsonfilelog.go New): 20m = 20 MB, not MiB.
    figure = f"{size[1]} MB x {only['max-file']}"
    for doc in ("README.md", "docs/monitoring.md"):
        assert figure in DOCS[doc], doc
    daemon = json.loads(_daemon_json(plan_of("dev").artifacts["cloud-init.yaml"]))
    assert daemon["log-opts"] == only


def _daemon_json(cloud_init: str) -> str:
    doc = yaml.safe_load(cloud_init)
    (entry,) = [f for f in doc["write_files"] if f["path"].endswith("/docker/daemon.json")]
    return entry["content"]


def test_backup_alert_ages_and_interval_are_the_rendered_rules(plan_of):
    ages = {}
    for s in STACKS:
        rules = yaml.safe_load(plan_of(s).artifacts["monitoring/prometheus/rules/xqfc-alerts.yml"])
        (stale,) = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "BackupStale"]
        ages[s] = int(re.search(r"> (\d+)$", stale["expr"])[1]) // 3600
    m = _one(r"\(prod (\d+) h, staging (\d+) h, dev (\d+) h\)")
    assert [int(x) for x in m.groups()] == [ages["prod"], ages["staging"], ages["dev"]]
    m = _one(r"RPO: up to one backup interval \(prod (\d+) h\); a failing job pages after (\d+) h\.")
    from components.runtime.monitoring import schedule_interval_hours

    assert int(m[1]) == schedule_interval_hours(plan_of("prod").config["xqfc:backupSchedule"])
    assert int(m[2]) == ages["prod"]


def test_multipart_threshold_is_the_backup_jobs(plan_of):
    from components.backup import cli, store

    unit = plan_of("prod").artifacts["backup/systemd/xqfc-backup-postgres.service"]
    env = dict(re.findall(r'^Environment="?(XQFC_BACKUP_\w+)=([^"\n]*)"?$', unit, re.M))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        args = cli.build_parser().parse_args(["backup", "--bucket", "b", "--database", "d"])
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    threshold = args.multipart_threshold_mb * store.MB
    assert threshold % 2**20 == 0
    m = _one(r"multipart above (\d+) MiB", "docs/backups.md")
    assert int(m[1]) * 2**20 == threshold


_WORDS = {"four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def test_dashboard_count_is_the_provisioned_dashboards(plan_of):
    count = len([a for a in plan_of("prod").artifacts if a.startswith("monitoring/grafana/dashboards/")])
    for doc, pattern in (("README.md", r"Grafana \((\w+) dashboards\)"), ("docs/monitoring.md", r"Grafana shows (\w+) provisioned")):
        assert _WORDS[_one(pattern, doc)[1]] == count, doc


def _first_comparison(expr: str) -> float:
    return float(re.search(r"[<>]=? (\d+(?:\.\d+)?)", " ".join(expr.split()))[1])


def _matches(cell: str, rule: dict) -> bool:
    """A threshold cell ('10 %', '0.5 s', '14 d', '49 h', '3') against the rendered rule: the
    number its expression compares with, or its `for:` for an absence alert."""
    number, _, unit = cell.partition(" ")
    n = float(number)
    scale = {"%": (1, 0.01), "s": (1,), "d": (1, 86400), "h": (3600,), "": (1,)}[unit]
    if re.search(r"[<>]=? \d", rule["expr"]) and any(abs(_first_comparison(rule["expr"]) - n * k) < 1e-9 for k in scale):
        return True
    return unit in ("h", "d") and rule.get("for") == f"{number}{unit}"


def test_alert_table_is_the_rendered_rules(plan_of):
    text = DOCS["docs/monitoring.md"].split("## Alerts and thresholds per stack", 1)[1].split("\n## ", 1)[0]
    header = re.search(r"^\| alert \| severity \| condition \| for \| (\w+) \| (\w+) \| (\w+) \|$", text, re.M)
    assert header and set(header.groups()) == set(STACKS)
    rows = re.findall(r"^\| (\w+) \| (warning|critical) \| .*? \| ([\w-]+) \|([^|]*)\|([^|]*)\|([^|]*)\|$", text, re.M)
    rendered = {}
    for s in STACKS:
        doc = yaml.safe_load(plan_of(s).artifacts["monitoring/prometheus/rules/xqfc-alerts.yml"])
        rendered[s] = {(r["alert"], r["labels"]["severity"]): r for g in doc["groups"] for r in g["rules"] if "alert" in r}
    # The Watchdog is no condition: docs/monitoring.md describes it under "Dead man's switch".
    conditions = {k for k in rendered["prod"] if k[0] != "Watchdog"}
    assert {(a, sev) for a, sev, *_ in rows} == conditions, "the table lists every alert the plan renders"
    wrong = []
    for alert, severity, for_, *cells in rows:
        for stack, cell in zip(header.groups(), (c.strip() for c in cells)):
            rule = rendered[stack][(alert, severity)]
            if for_ == "-":
                ok_for = "for" not in rule or unit_for_cell(cell) == rule.get("for")
            elif re.fullmatch(r"\d+[smhd]", for_):
                ok_for = rule.get("for") == for_
            else:  # a named duration (targetDownFor): the stack columns are the `for:`
                ok_for = rule.get("for") == cell
                cell = ""
            if not ok_for or (cell and not _matches(cell, rule)):
                wrong.append((alert, severity, stack, cell, rule.get("for"), " ".join(rule["expr"].split())[-60:]))
    assert not wrong


def unit_for_cell(cell: str) -> str:
    number, _, unit = cell.partition(" ")
    return f"{number}{unit}"


def test_network_addresses_are_the_plans(plan_of):
    nets = {r.inputs["name"]: r.inputs["ipamConfigs"][0] for r in plan_of("prod").of_type("docker:index/network:Network")}
    m = _one(r"`xqfc-edge` ([\d./]+), `xqfc-data` ([\d./]+) \(internal:\nno route out\), `xqfc-monitoring` ([\d./]+)\.")
    assert list(m.groups()) == [nets["xqfc-edge"]["subnet"], nets["xqfc-data"]["subnet"], nets["xqfc-monitoring"]["subnet"]]
    conf = dict(line.split("=", 1) for line in plan_of("prod").artifacts["release/release.conf"].splitlines() if "=" in line)
    m = _one(r"edge network\n\(`([\d./]+)`\) hands out dynamic addresses from `([\d./]+)` only, and the colours\n"
             r"run at `APP_IP_BLUE=([\d.]+)` / `APP_IP_GREEN=([\d.]+)`", "docs/releases.md")
    assert list(m.groups()) == [nets["xqfc-edge"]["subnet"], nets["xqfc-edge"]["ipRange"], conf["APP_IP_BLUE"], conf["APP_IP_GREEN"]]
    m = _one(r"the monitoring\n\s*network \(([\d./]+)\)", "docs/nginx.md")
    assert m[1] == nets["xqfc-monitoring"]["subnet"]
    m = _one(r"then drains for (\d+) s before stopping the old colour")
    assert m[1] == conf["DRAIN_SECONDS"]


def test_hsts_per_stack_is_the_rendered_nginx_conf(plan_of):
    ages = {}
    for s in STACKS:
        ages[s] = re.search(r'Strict-Transport-Security "max-age=(\d+)(; includeSubDomains)?"', plan_of(s).artifacts["nginx/nginx.conf"])
    m = _one(r"HSTS `max-age` (\d+) s in dev, (\d+) day in staging, (\d+) years with `includeSubDomains` in\nprod", "docs/nginx.md")
    assert int(m[1]) == int(ages["dev"][1]) and not ages["dev"][2]
    assert int(m[2]) * 86400 == int(ages["staging"][1]) and not ages["staging"][2]
    assert int(m[3]) * 365 * 86400 == int(ages["prod"][1]) and ages["prod"][2]


def test_nginx_container_limit_is_the_plans(plan_of):
    # The docker provider's `memory` is in MiB (kreuzwerker/terraform-provider-docker
    # resource_docker_container_funcs.go: Memory = memory * 1024 * 1024).
    (edge,) = [r for r in plan_of("prod").of_type(CONTAINER) if r.name.endswith("-edge-container")]
    assert int(_one(r"read-only root and a (\d+) MiB limit", "docs/nginx.md")[1]) == edge.inputs["memory"]


def _lifecycle(result) -> tuple[int, int, int]:
    """(backups/ expiry days, non-current days, abort-incomplete days) as the plan registers them."""
    bucket = [r for r in result.resources if r.type in ("tencentcloud:Cos/bucket:Bucket", "alicloud:oss/bucket:Bucket")]
    (rules,) = [r.inputs["lifecycleRules"] for r in bucket]
    (backups,) = [r for r in rules if r.get("filterPrefix", r.get("prefix")) == "backups/"]
    (aborts,) = [r for r in rules if r is not backups]
    if "expiration" in backups:  # COS
        return (backups["expiration"]["days"], backups["nonCurrentExpiration"]["nonCurrentDays"],
                aborts["abortIncompleteMultipartUpload"]["daysAfterInitiation"])
    return (backups["expirations"][0]["days"], backups["noncurrentVersionExpirations"][0]["days"],
            aborts["abortMultipartUploads"][0]["days"])


def test_bucket_lifecycle_figures_are_the_plans(plan_of, cloud):
    for s in STACKS:
        result = plan_of(s, cloud)
        expiry, noncurrent, abort = _lifecycle(result)
        grace = expiry - int(result.config["xqfc:backupRetentionDays"])
        m = _one(r"`backups/` expires (\d+) days after\n  `backupRetentionDays` \(a backstop behind the backup job's own pruning; "
                 r"non-current versions\n  after (\d+) days, so a deleted backup can be recovered for a week\) and incomplete "
                 r"multipart uploads are aborted after a day\.")
        assert [int(m[1]), int(m[2]), 1] == [grace, noncurrent, abort]
        m = _one(r"(?s)expires objects under `backups/`\n(\d+) days after `backupRetentionDays`.*?\nnon-current versions after (\d+) days\)"
                 r".*?retention plus those (\d+)\ndays", "docs/backups.md")
        assert [int(x) for x in m.groups()] == [grace, noncurrent, grace]


def _rules(result) -> dict[tuple[str, str], dict]:
    doc = yaml.safe_load(result.artifacts["monitoring/prometheus/rules/xqfc-alerts.yml"])
    return {(r["alert"], r["labels"]["severity"]): r for g in doc["groups"] for r in g["rules"] if "alert" in r}


def test_readme_alert_summary_is_the_rendered_rules_and_routes(plan_of):
    prod = plan_of("prod")
    rules = _rules(prod)
    m = _one(r"certificate expiring \((\d+) d warning,\n(\d+) d critical\)")
    assert [int(x) for x in m.groups()] == [int(_first_comparison(rules[("CertificateExpiring", s)]["expr"])) for s in ("warning", "critical")]
    m = _one(r"restore drill older than (\d+) days\.")
    assert int(m[1]) * 86400 == _first_comparison(rules[("RestoreDrillStale", "warning")]["expr"])
    routes = {r["matchers"][0]: r["repeat_interval"] for r in yaml.safe_load(prod.artifacts["monitoring/alertmanager/alertmanager.yml"])["route"]["routes"]}
    m = _one(r"`critical` goes to every channel (hourly), `warning` to chat \(or email\) every (\d+) h\.")
    assert routes['severity="critical"'] == "1h" and routes['severity="warning"'] == f"{m[2]}h"


def test_dns_ttl_is_the_records(plan_of, cloud):
    ttls = {r.inputs["ttl"] for r in plan_of("prod", cloud).resources if "ttl" in r.inputs}
    assert len(ttls) == 1
    assert int(_one(r"TTL (\d+)\): the apex A record")[1]) == ttls.pop()


def test_loki_limits_are_the_rendered_config(plan_of):
    for s in ("staging", "prod"):
        result = plan_of(s)
        loki = yaml.safe_load(result.artifacts["monitoring/loki/loki.yml"])
        m = _one(r"Ingestion is limited \((\d+) MB/s, burst (\d+) MB\)", "docs/monitoring.md")
        assert [int(m[1]), int(m[2])] == [loki["limits_config"]["ingestion_rate_mb"], loki["limits_config"]["ingestion_burst_size_mb"]]
        words = {"a quarter": 4, "an eighth": 8, "a sixteenth": 16}
        m = _one(r"the query results cache is (an? \w+) of Loki's memory limit", "docs/monitoring.md")
        cache = loki["query_range"]["results_cache"]["cache"]["embedded_cache"]["max_size_mb"]
        assert cache * words[m[1]] == _monitoring_memory(result)["loki"]


def test_per_stack_settings_tables_are_the_stacks_config(plan_of):
    """Rows `| `key` | type | dev | staging | prod |` of the docs' per-stack tables: each value is
    the one the stack runs with (stack file over Pulumi.yaml default)."""
    config = {s: plan_of(s).config for s in STACKS}
    checked, wrong = 0, []
    for doc, text in DOCS.items():
        for key, *cells in re.findall(r"^\| `(\w+)` \| [^|]+ \|([^|]*)\|([^|]*)\|([^|]*)\|$", text, re.M):
            if f"xqfc:{key}" not in config["dev"] or doc == "README.md":  # README's table is generated (test above)
                continue
            previous = None
            for stack, cell in zip(STACKS, (c.strip() for c in cells)):
                if cell.startswith("same,"):
                    continue
                value = previous if cell == "same" else cell.strip("`")
                previous = value
                checked += 1
                if value != config[stack][f"xqfc:{key}"]:
                    wrong.append((doc, key, stack, value, config[stack][f"xqfc:{key}"]))
    assert checked > 20 and not wrong


def _collected(*paths: str) -> int:
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *paths],
                         cwd=ROOT, capture_output=True, text=True, timeout=300).stdout
    return int(re.search(r"^(\d+) tests? collected", out, re.M)[1])


def test_test_counts_in_docs_are_what_pytest_collects():
    monitoring = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_monitoring_*.py"))
    assert int(_one(r"(\d+) tests in about \d+ s on 2 cores", "docs/monitoring.md")[1]) == _collected(*monitoring)
    assert int(_one(r"`tests/test_runtime_logs\.py`: (\d+) tests", "docs/monitoring.md")[1]) == _collected("tests/test_runtime_logs.py")


def test_switch_sizes_match_the_stacks_memory(plan_of):
    m = _one(r"sized like the Tencent\nstacks: \dc(\d+)g dev, \dc(\d+)g staging, \dc(\d+)g prod\)", "docs/clouds.md")
    assert [int(x) for x in m.groups()] == [int(plan_of(s).config["xqfc:vmMemoryGb"]) for s in STACKS]


def test_defaults_named_in_readme_are_the_programs(plan_of):
    dev = plan_of("dev")
    assert _one(r"the app runs as `appUser` \(([\d:]+)\)")[1] == dev.config["xqfc:appUser"]
    assert _one(r"`certificateRenewDays` \((\d+)\) days remain")[1] == dev.config["xqfc:certificateRenewDays"]
    # PRs run `make coverage` (.github/workflows/pr.yml), which fails under the Makefile's COV_MIN.
    assert "run: make coverage" in (ROOT / ".github" / "workflows" / "pr.yml").read_text()
    cov_min = re.search(r"^COV_MIN \?= (\d+)$", (ROOT / "Makefile").read_text(), re.M)[1]
    assert _one(r"the tests with coverage \((\d+) % minimum\)")[1] == cov_min


def test_readme_bad_config_example_is_what_the_command_prints(tmp_path):
    import shlex

    m = re.search(r"```text\n\$ \.venv/bin/python -m (components\.plan [^\n]+)\n(.*?)```", DOCS["README.md"], re.S)
    assert m
    result = subprocess.run([sys.executable, "-m", *shlex.split(m[1]), "--out", str(tmp_path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == m[2]


def test_rest_of_the_vm_is_the_plans_container_limits(plan_of):
    m = _one(r"Redis\n`redisMaxmemoryMb` \+ max\((\d+), half\) headroom, nginx (\d+);", "docs/monitoring.md")
    floor, nginx = int(m[1]), int(m[2])
    for s in STACKS:
        result = plan_of(s)
        limits = {r.name.removeprefix(f"xqfc-{s}-host-"): r.inputs.get("memory") for r in result.of_type(CONTAINER)}
        maxmemory = int(result.config["xqfc:redisMaxmemoryMb"])
        assert limits["redis-container"] == maxmemory + max(floor, maxmemory // 2), s
        assert limits["postgres-container"] == int(result.config["xqfc:postgresMemoryMb"]), s
        assert limits["edge-container"] == nginx, s


def test_services_memory_share_is_the_settings_limit():
    from components.plan.stack_config import read_stack_config
    from components.settings import SettingsError, from_mapping

    percent = int(_one(r"settings refuse app \+ PostgreSQL \+\nRedis above (\d+) % of `vmMemoryGb`", "docs/monitoring.md")[1])
    config, secret = read_stack_config(ROOT, "staging")
    raw = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("xqfc:")}
    secrets = {k.split(":", 1)[1] for k in secret}
    budget = int(raw["vmMemoryGb"]) * 1024 * percent // 100
    others = int(raw["appMemoryMb"]) + int(raw["redisMaxmemoryMb"])
    from_mapping({**raw, "postgresMemoryMb": str(budget - others)}, "staging", secrets)  # at the limit: accepted
    with pytest.raises(SettingsError) as refused:
        from_mapping({**raw, "postgresMemoryMb": str(budget - others + 1)}, "staging", secrets)
    assert "vmMemoryGb" in str(refused.value)


def _release_setting(result, name: str) -> str:
    """What release.sh runs with on the VM: release.conf's value, else the script's own default."""
    conf = dict(line.split("=", 1) for line in result.artifacts["release/release.conf"].splitlines() if "=" in line)
    if name in conf:
        return conf[name]
    defaults = set(re.findall(rf"\$\{{{name}:-([^}}]*)\}}", (ROOT / "scripts" / "release.sh").read_text()))
    assert len(defaults) == 1, (name, defaults)
    return defaults.pop()


def test_release_figures_are_what_the_script_runs_with(plan_of):
    prod = plan_of("prod")
    lines = re.findall(r"last (\d+) log lines", DOCS["docs/releases.md"])
    assert lines and set(lines) == {_release_setting(prod, "LOG_LINES")}
    m = _one(r"`upstream app \{ server <ip>:<port>; keepalive (\d+); \}`", "docs/releases.md")
    assert m[1] == _release_setting(prod, "UPSTREAM_KEEPALIVE")


def _pins() -> dict[str, str]:
    return dict(re.findall(r"^([\w.-]+)==([\w.]+)$", (ROOT / "requirements.txt").read_text(), re.M))


def test_provider_versions_in_docs_are_the_pinned_sdks():
    pins = _pins()
    # The Python SDK of a provider pins its plugin: the same version (pulumi's resource plugin
    # is installed at the SDK's version).
    for m in re.finditer(r"pulumi plugin install resource (\w+) v([\d.]+)", "\n".join(DOCS.values())):
        package = {"tencentcloud": "tencentcloud-iac-pulumi", "acme": "pulumiverse-acme"}[m[1]]
        assert m[2] == pins[package], m[0]
    named = list(re.finditer(r"(pulumi-docker|pulumi-command|pulumi-random|pulumiverse-acme)`? ([\d]+\.[\d.]+\d)", "\n".join(DOCS.values())))
    assert len(named) >= 4
    for m in named:
        assert m[2] == pins[m[1]], m[0]
