"""Shared fixtures of the monitoring tests: one spec per stack, and running the real tools."""
from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from components.render.monitoring import (
    AlertThresholds,
    DingtalkReceiver,
    EmailReceiver,
    MonitoringSpec,
    Receivers,
    WecomReceiver,
    prometheus_files,
)
from tests.tools import require_tool

EMAIL = EmailReceiver(
    to="ops@xqfc.example", from_address="alertmanager@xqfc.example", smarthost="smtp.exmail.qq.com:465",
    username="alertmanager@xqfc.example", password="test-smtp-password",
)
WECOM = WecomReceiver(corp_id="ww0123456789abcdef", agent_id="1000002", api_secret="test-wecom-secret", to_party="2")
DINGTALK = DingtalkReceiver(
    webhook_url="https://oapi.dingtalk.com/robot/send?access_token=test-token", sign_secret="SECtest",
)

# The three stacks as the lead's settings will build them: sizes and receivers differ.
STACK_RECEIVERS = {
    "dev": Receivers(),
    "staging": Receivers(email=EMAIL),
    "prod": Receivers(email=EMAIL, wecom=WECOM, dingtalk=DINGTALK),
}
STACK_MEMORY = {"dev": 4096, "staging": 8192, "prod": 16384}
STACKS = tuple(STACK_RECEIVERS)


def stack_spec(environment: str, **overrides) -> MonitoringSpec:
    domain = "xqfc.example" if environment == "prod" else f"{environment}.xqfc.example"
    spec = MonitoringSpec(
        environment=environment,
        domain=domain,
        public_url=f"https://www.{domain}/",
        vm_memory_mib=STACK_MEMORY[environment],
        thresholds=AlertThresholds.for_environment(environment),
        receivers=STACK_RECEIVERS[environment],
        retention={"dev": "7d", "staging": "15d", "prod": "30d"}[environment],
    )
    return dataclasses.replace(spec, **overrides)


def mount_prometheus(spec: MonitoringSpec, root: Path) -> MonitoringSpec:
    """Write the Prometheus files under root exactly as the container sees them under /.

    Only config_dir moves (a spec field), so every path inside the rendered files is the one
    the renderer itself chose.
    """
    moved = dataclasses.replace(spec, config_dir=str(root) + spec.config_dir)
    for path, text in prometheus_files(moved).items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
    return moved


def run(tool: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool(tool), *args], check=False, capture_output=True, text=True, timeout=timeout)
