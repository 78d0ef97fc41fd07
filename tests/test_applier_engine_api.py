"""The e2e applier creates containers through the Engine API, as the provider does, so a health
check's `test` arrives exactly as given (exec form included; issue 22's host-busybox probes)."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import pytest

from components.plan.run import run_stack
from components.runtime.health import HOST_BUSYBOX, PROBE_BUSYBOX
from tests.e2e.applier import ApplyError, Host, create_body, go_duration_ns

CONTAINER = "docker:index/container:Container"


@functools.cache
def with_bridge():
    # prod with a DingTalk robot: the bridge runs only where one is configured.
    return run_stack("prod", {"alertDingtalkWebhook": {"secure": ""}, "alertDingtalkSecret": {"secure": ""}})


def test_go_durations_parse_as_time_parse_duration():
    assert go_duration_ns("30s") == 30 * 10**9
    assert go_duration_ns("1m0s") == 60 * 10**9
    assert go_duration_ns("2m30s") == 150 * 10**9
    assert go_duration_ns("500ms") == 5 * 10**8
    with pytest.raises(ApplyError):
        go_duration_ns("30 s")


@pytest.mark.parametrize("role", ["redis-exporter", "nginx-exporter", "dingtalk-bridge", "promtail"])
def test_a_host_busybox_probe_is_created_exec_form_with_its_read_only_bind(role):
    i = next(r.inputs for r in with_bridge().of_type(CONTAINER) if r.inputs["name"] == f"xqfc-{role}")
    body, _ = create_body(i)
    assert body["Healthcheck"]["Test"] == i["healthcheck"]["tests"]
    assert body["Healthcheck"]["Test"][:2] == ["CMD", PROBE_BUSYBOX]
    assert body["Healthcheck"]["Interval"] == 30 * 10**9 and body["Healthcheck"]["Retries"] == 3
    assert f"{HOST_BUSYBOX}:{PROBE_BUSYBOX}:ro" in body["HostConfig"]["Binds"]
    assert body["HostConfig"]["ReadonlyRootfs"] is True and body["HostConfig"]["CapDrop"] == i["capabilities"]["drops"]
    assert body["HostConfig"]["NanoCpus"] == round(float(i["cpus"]) * 1e9)
    assert body["HostConfig"]["Memory"] == i["memory"] * 1024 * 1024


def test_every_planned_container_has_a_body(plan_of):
    for r in plan_of("prod").of_type(CONTAINER):
        body, _ = create_body(r.inputs)
        assert body["Image"] == r.inputs["image"], r.name


FAKE_DIAL_STDIO = '''#!{python}
import json, sys
assert sys.argv[1:] == ["system", "dial-stdio"], sys.argv
rd = sys.stdin.buffer
head = b""
while not head.endswith(b"\\r\\n\\r\\n"):
    head += rd.read(1)
length = int([l.split(b":")[1] for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length")][0])
body = rd.read(length)
open({record!r}, "wb").write(head.split(b"\\r\\n")[0] + b"\\n" + body)
out = json.dumps({{"Id": "c0ffee", "Warnings": []}}).encode()
sys.stdout.buffer.write(b"HTTP/1.1 201 Created\\r\\nContent-Type: application/json\\r\\nContent-Length: "
                        + str(len(out)).encode() + b"\\r\\n\\r\\n" + out)
sys.stdout.buffer.flush()
'''


def test_create_posts_the_body_over_dial_stdio(tmp_path: Path):
    record = tmp_path / "request"
    fake = tmp_path / "docker"
    fake.write_text(FAKE_DIAL_STDIO.format(python=sys.executable, record=str(record)))
    fake.chmod(0o755)
    host = Host("203.0.113.1", 22, "deploy", "/dev/null", tmp_path, env={"PATH": "/usr/bin:/bin"})
    body = {"Image": "sha256:x", "Healthcheck": {"Test": ["CMD", PROBE_BUSYBOX, "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9121/health"]}}
    assert host.create_container("xqfc-redis-exporter", body) == "c0ffee"
    line, sent = record.read_bytes().split(b"\n", 1)
    assert line == b"POST /containers/create?name=xqfc-redis-exporter HTTP/1.1"
    assert json.loads(sent) == body
