"""What makes the offline plan fast must leave its output and its callers unchanged."""
from __future__ import annotations

import gc
import subprocess
import sys

import pytest
import yaml

from components.plan.gc_policy import plan_gc
from components.plan.run import ROOT, run_stack
from components.render.monitoring import _yaml as monitoring_yaml
from components.settings import CLOUDS


def test_plan_gc_turns_the_collector_off_and_back_on():
    assert gc.isenabled()
    with plan_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_plan_gc_restores_the_callers_setting_when_the_plan_fails():
    with pytest.raises(SystemExit), plan_gc():
        raise SystemExit(2)
    assert gc.isenabled()
    gc.disable()
    try:
        with plan_gc():
            pass
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_the_cli_runs_under_the_policy_from_before_the_sdk_imports(tmp_path):
    # The policy has to be set before `import pulumi` to cover the imports' allocations too; the
    # collector comes back on after it, and the heap is frozen for the exit.
    probe = (
        "import gc, runpy, sys\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pulumi' and not seen:\n"
        "            seen.append(gc.isenabled())\n"
        "sys.meta_path.insert(0, Watch())\n"
        f"sys.argv = ['plan', '--stack', 'dev', '--out', {str(tmp_path)!r}]\n"
        "try:\n"
        "    runpy.run_module('components.plan', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(seen[0], gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.splitlines()[-1] == "False True True", out.stderr


def test_bench_plan_compares_like_with_like(tmp_path, monkeypatch):
    from scripts import bench_plan

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = bench_plan.child_env(tmp_path)
    # Both arms read and write one bytecode cache, as a checkout's __pycache__ after its first run.
    assert env["PYTHONPYCACHEPREFIX"] == str(tmp_path) and "PYTHONDONTWRITEBYTECODE" not in env
    args = bench_plan.plan_args("prod", "ssh", ["topology=single", "cdnEnabled=false"], tmp_path)
    assert args[args.index("--cloud") + 1] == "ssh"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--set"] == ["topology=single", "cdnEnabled=false"]
    # The bare arm runs under the plan's collector policy: run it and read the policy back.
    cmd = bench_plan.bare_command(["json"])
    cmd[2] += "\nprint(gc.isenabled(), gc.get_freeze_count() > 0)"
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "False True"



@pytest.mark.parametrize("cloud", [*CLOUDS, "ssh"])
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_monitoring_files_are_the_bytes_pyyaml_safe_dump_writes(plan_of, stack, cloud):
    files = {n: t for n, t in plan_of(stack, cloud).artifacts.items() if n.startswith("monitoring/") and n.endswith((".yml", ".yaml"))}
    assert len(files) >= 6, sorted(files)  # dev has no loki/promtail
    for name, text in files.items():
        data = yaml.safe_load(text)
        # The file is this data as the monitoring dumper writes it, and PyYAML's own emitter
        # writes the very same bytes for it.
        assert monitoring_yaml.dump(data) == text, name
        assert yaml.safe_dump(data, **monitoring_yaml.OPTIONS) == text, name


def test_monitoring_dumper_matches_pyyaml_where_emitters_could_differ():
    data = {
        "中文": "告警: 磁盘 90%",  # allow_unicode: written as is, not escaped
        "multi": "line one\nline two\n",
        "quoted": ["yes", "0644", "", " lead", "trail ", "a: b", "#x", "*", "~", "null", "1e3"],
        "long": "word " * 400,
        # A long double-quoted script: where libyaml folds lines differently from PyYAML at a
        # width it reaches (why cloud-init keeps PyYAML's emitter).
        "script": "#!/bin/sh\n" + 'echo "x" \\\n' * 20 + "apt-get install " + "pkg=1.0~noble " * 120 + "\n",
        "nested": [{"a": [1, 2.5, True, None]}, []],
        "empty": {},
    }
    assert monitoring_yaml.dump(data) == yaml.safe_dump(data, **monitoring_yaml.OPTIONS)


def test_each_hosts_cloud_init_is_rendered_once_per_plan(monkeypatch):
    import components.platform as platform

    rendered: list[str] = []
    real = platform.render_cloud_init

    def counting(spec):
        rendered.append(spec.hostname)
        return real(spec)

    monkeypatch.setattr(platform, "render_cloud_init", counting)
    result = run_stack("prod")
    # Asked for by the instance and by Foundation.user_data (the artifact), rendered once.
    assert rendered == ["xqfc-prod"]
    assert result.artifacts["cloud-init.yaml"].startswith("#cloud-config\nhostname: xqfc-prod\n")
