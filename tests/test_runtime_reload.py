"""Config reloads that keep every container's restart policy (components/runtime/reloading.py).

The reload script runs for real under /bin/sh against a scripted `docker` on PATH, which
records each call and plays the container states a reload meets: running, stopped (a crash
after a `docker stop`, or a container that was down during the apply), restarting, and an
endpoint that refuses. The real engine, images and services run it in `make e2e`.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from components.runtime.reloading import ENDPOINT_TRIES, HTTP, RELOADS, RESTART, SIGNAL, reload_script

COMMAND = "command:remote:Command"
ROOT = Path(__file__).resolve().parent.parent
# `docker kill` (any signal) and `docker stop` mark a container manually stopped (moby
# daemon/kill.go killWithSignal); the only place a stop is meant is the release's old colour,
# which is removed right after (scripts/release.sh).
MANUAL_STOP = re.compile(r'(\bdocker|"\$DOCKER")\s+(-\S+\s+)*(container\s+)?(kill|stop)\b')

FAKE_DOCKER = r"""#!/bin/sh
# A scripted docker: states come from $STATES/<name> (one state per call to inspect, the last
# one repeats); exec answers from $STATES/<name>.exec (exit codes, one per call).
echo "$*" >>"$CALLS"
case $1 in
  inspect)
    name=$4
    f=$STATES/$name
    state=$(head -n1 "$f")
    if [ "$(wc -l <"$f")" -gt 1 ]; then sed -i 1d "$f"; fi
    echo "$state" ;;
  exec)
    f=$STATES/$2.exec
    code=0
    if [ -f "$f" ]; then
      code=$(head -n1 "$f")
      if [ "$(wc -l <"$f")" -gt 1 ]; then sed -i 1d "$f"; fi
    fi
    case $code in
      0) ;;
      1) echo "wget: can't connect to remote host (127.0.0.1): Connection refused" >&2 ;;
      *) echo "wget: server returned error: HTTP/1.1 500 Internal Server Error" >&2; code=1 ;;
    esac
    exit "$code" ;;
  logs) echo "level=error msg=\"Error loading config\"" ;;
esac
exit 0
"""


def run_script(tmp_path: Path, roles: list[str], states: dict[str, list[str]],
               exec_codes: dict[str, list[int]] | None = None) -> tuple[subprocess.CompletedProcess, list[str]]:
    bin_dir, state_dir = tmp_path / "bin", tmp_path / "states"
    bin_dir.mkdir()
    state_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    (bin_dir / "sleep").write_text("#!/bin/sh\nexit 0\n")  # no real waiting in a unit test
    (bin_dir / "sleep").chmod(0o755)
    for name, seq in states.items():
        (state_dir / name).write_text("\n".join(seq) + "\n")
    for name, codes in (exec_codes or {}).items():
        (state_dir / f"{name}.exec").write_text("\n".join(map(str, codes)) + "\n")
    calls = tmp_path / "calls"
    calls.touch()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STATES": str(state_dir), "CALLS": str(calls)}
    r = subprocess.run(["/bin/sh", "-c", reload_script(roles)], env=env, capture_output=True, text=True, timeout=60)
    return r, calls.read_text().splitlines()


ALL = ["prometheus", "alertmanager", "blackbox-exporter", "grafana", "promtail", "loki"]
RUNNING = {RELOADS[r].container: ["running"] for r in ALL}


def test_the_reload_never_uses_the_kill_api():
    script = reload_script(ALL)
    assert not MANUAL_STOP.search(script), MANUAL_STOP.search(script)


def test_running_services_reload_from_inside_their_container(tmp_path):
    r, calls = run_script(tmp_path, ALL, RUNNING)
    assert r.returncode == 0, r.stderr
    assert "exec xqfc-prometheus wget -qO- --post-data= http://127.0.0.1:9090/-/reload" in calls
    assert "exec xqfc-alertmanager wget -qO- --post-data= http://127.0.0.1:9093/-/reload" in calls
    assert "exec xqfc-blackbox-exporter wget -qO- --post-data= http://127.0.0.1:9115/-/reload" in calls
    assert "exec xqfc-promtail sh -c kill -HUP 1" in calls
    assert "restart xqfc-grafana" in calls and "restart xqfc-loki" in calls
    assert not [c for c in calls if c.split()[0] in ("kill", "stop", "start")], calls


def test_a_stopped_container_is_started_with_the_new_files_not_signalled(tmp_path):
    # Down during the apply (stopped by an operator, or by an old `docker kill` reload): the
    # apply brings it back, and a start reads the new config.
    r, calls = run_script(tmp_path, ["prometheus", "alertmanager"],
                          {"xqfc-prometheus": ["exited"], "xqfc-alertmanager": ["running"]})
    assert r.returncode == 0, r.stderr
    assert "start xqfc-prometheus" in calls
    assert not [c for c in calls if c.startswith("exec xqfc-prometheus")], calls
    assert "xqfc-prometheus was exited: started" in r.stderr
    assert "exec xqfc-alertmanager wget -qO- --post-data= http://127.0.0.1:9093/-/reload" in calls


def test_a_restarting_container_is_waited_for(tmp_path):
    r, calls = run_script(tmp_path, ["alertmanager"], {"xqfc-alertmanager": ["restarting", "restarting", "running"]})
    assert r.returncode == 0, r.stderr
    assert calls.count("inspect -f {{.State.Status}} xqfc-alertmanager") == 3
    assert calls[-1].startswith("exec xqfc-alertmanager wget")


def test_an_endpoint_that_is_not_up_yet_is_retried(tmp_path):
    r, calls = run_script(tmp_path, ["prometheus"], RUNNING, {"xqfc-prometheus": [1, 1, 0]})
    assert r.returncode == 0, r.stderr
    assert len([c for c in calls if c.startswith("exec xqfc-prometheus")]) == 3


def test_an_endpoint_that_never_answers_fails_the_apply(tmp_path):
    r, calls = run_script(tmp_path, ["prometheus"], RUNNING, {"xqfc-prometheus": [1]})
    assert r.returncode != 0 and "Connection refused" in r.stderr
    assert len([c for c in calls if c.startswith("exec xqfc-prometheus")]) == ENDPOINT_TRIES


def test_a_refused_config_fails_the_apply_at_once_with_the_services_log(tmp_path):
    r, calls = run_script(tmp_path, ["prometheus", "alertmanager"], RUNNING, {"xqfc-prometheus": [2]})
    assert r.returncode != 0
    assert len([c for c in calls if c.startswith("exec xqfc-prometheus")]) == 1
    assert "xqfc-prometheus: POST http://127.0.0.1:9090/-/reload failed" in r.stderr
    assert "500 Internal Server Error" in r.stderr and "Error loading config" in r.stderr
    # Nothing after the refused one is reloaded: the apply stops at the first refusal.
    assert not [c for c in calls if "xqfc-alertmanager" in c], calls


def test_a_container_that_never_settles_fails_the_apply(tmp_path):
    r, _ = run_script(tmp_path, ["alertmanager"], {"xqfc-alertmanager": ["paused"]})
    assert r.returncode != 0 and "xqfc-alertmanager is still paused" in r.stderr


def test_every_reload_is_sourced_and_known():
    for role, r in RELOADS.items():
        assert r.container == f"xqfc-{role}" and r.how in (HTTP, SIGNAL, RESTART) and r.source, role
        assert (r.how == HTTP) is r.target.startswith("http://127.0.0.1:"), role


def test_prometheus_has_the_lifecycle_endpoint_its_reload_needs(plan):
    (prom,) = [r for r in plan.of_type("docker:index/container:Container") if r.inputs["name"] == "xqfc-prometheus"]
    assert "--web.enable-lifecycle" in prom.inputs["command"]


def test_no_command_of_the_program_marks_a_container_manually_stopped(plan):
    for r in plan.of_type(COMMAND):
        for key in ("create", "update", "delete"):
            text = r.inputs.get(key)
            if isinstance(text, str):
                assert not MANUAL_STOP.search(text), (r.name, key, MANUAL_STOP.search(text))


@pytest.mark.parametrize("path", ["scripts/release.sh"])
def test_the_release_stops_only_what_it_removes_next(path):
    # A reboot between the stop and the rm leaves the old colour stopped and marked, so it stays
    # down, as it should: nginx already points at the new colour, and the next release removes
    # it as stale ("removing stale").
    text = (ROOT / path).read_text()
    stops = [m.start() for m in re.finditer(r'"\$DOCKER" stop\b', text)]
    assert stops, "the release stops the old colour before removing it"
    for at in stops:
        following = text[at:at + 300]
        assert "remove_container" in following, following
    assert not re.search(r'"\$DOCKER" (kill|restart)\b', text)


def test_each_reload_uses_only_what_the_upstream_image_has():
    # The image contracts (components/runtime/image_contracts.py) list the binaries each upstream
    # image has on PATH; tests/e2e/test_images.py holds the local images to them.
    from components.runtime.image_contracts import CONTRACTS

    needs = {HTTP: "wget", SIGNAL: "sh"}
    for role, r in RELOADS.items():
        if r.how in needs:
            contract = CONTRACTS[f"{role.replace('-', '_')}_image"]
            assert needs[r.how] in contract.health_binaries, (role, contract.health_binaries)


def test_the_reload_script_is_clean_posix_sh(tmp_path):
    # It runs under the deploy user's login shell over SSH (pulumi-command): POSIX sh only.
    from tests.tools import require_tool

    script = tmp_path / "reload.sh"
    script.write_text(reload_script(ALL))
    result = subprocess.run([require_tool("shellcheck"), "-s", "sh", "-S", "style", str(script)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
