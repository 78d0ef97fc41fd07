"""Run the whole program (`__main__.py`) for one stack under mocks and collect the result."""
from __future__ import annotations

import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.plan.mocks import MASK, CloudMocks, RecordingMonitor, Registration
from components.plan.stack_config import OFFLINE_SECRET, is_offline_placeholder, project_name, read_stack_config

ROOT = Path(__file__).resolve().parents[2]
# Stands for each secret value inside a rendered file a plan shows. Plain letters and a hyphen
# keep every format valid where the value sits (a YAML scalar, a URL, an env file), so the file
# can still be checked by its own tool (amtool check-config).
MASKED_SECRET = "masked-secret"


@dataclass
class StackOutput:
    value: Any
    secret: bool


@dataclass
class PlanResult:
    stack: str
    resources: list[Registration]
    outputs: dict[str, StackOutput]
    artifacts: dict[str, str]
    invokes: list[str]
    # The merged `namespace:key` config the program ran with (stack file, defaults, overrides).
    config: dict[str, str]

    def of_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str) -> Registration:
        found = self.of_type(type_token)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_token}, found {len(found)}")
        return found[0]

    def by_name(self, name: str) -> Registration:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def by_urn(self, urn: str) -> Registration:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)


async def _resolve(value: Any) -> StackOutput:
    out = pulumi.Output.from_input(value)
    return StackOutput(await out.future(), await out.is_secret())


def shown_artifact(rendered: StackOutput, offline: bool) -> str:
    """A rendered file as a plan shows it. A file holding secrets (alertmanager.yml with SMTP
    credentials) shows with each secret value masked when every secret the run was given is an
    offline placeholder; given a real secret value (an e2e run), it is masked whole."""
    if not rendered.secret:
        return rendered.value
    if not offline:
        return MASK + "\n"
    return rendered.value.replace(OFFLINE_SECRET, MASKED_SECRET)


def run_stack(stack: str, overrides: dict[str, Any] | None = None, root: Path = ROOT, mocks: CloudMocks | None = None) -> PlanResult:
    """Raises pulumi.RunError with the settings message when the config is invalid."""
    config, secret_keys = read_stack_config(root, stack, overrides)
    offline = all(is_offline_placeholder(config[k]) for k in secret_keys)
    mocks = mocks or CloudMocks()
    monitor = RecordingMonitor(mocks)
    # A previous run in this process leaves its root stack behind; each run needs its own.
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]  # typed non-Optional, but None is how the SDK starts: no root yet
    pulumi.runtime.set_mocks(mocks, project=project_name(root), stack=stack, preview=False, monitor=monitor)
    runtime_config.set_all_config(config, secret_keys)
    runtime_settings.SETTINGS.rpc_manager.clear()

    collected: dict[str, Any] = {}

    async def program() -> None:
        namespace = runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        stack_resource = runtime_settings.get_root_resource()
        for name, value in dict(stack_resource.outputs).items():  # type: ignore[union-attr]  # the Stack __main__.py just ran, never None
            collected.setdefault("outputs", {})[name] = await _resolve(value)
        platform = namespace.get("platform")
        artifacts = platform.artifacts() if platform is not None else {}
        resolved = {k: await _resolve(v) for k, v in artifacts.items()}
        collected["artifacts"] = {k: shown_artifact(r, offline) for k, r in resolved.items()}

    _sync_await(run_pulumi_func(program))
    return PlanResult(
        stack, list(monitor.registrations), collected.get("outputs", {}), collected.get("artifacts", {}), list(mocks.calls), config
    )


def home_cloud(stack: str, root: Path = ROOT) -> str:
    """The cloud a stack file runs on without overrides."""
    config, _ = read_stack_config(root, stack)
    return config[f"{project_name(root)}:cloud"]


def run_stack_on(stack: str, cloud: str, overrides: dict[str, Any] | None = None, root: Path = ROOT) -> PlanResult:
    """Run `stack` moved onto `cloud` with the example switch overrides, then `overrides`."""
    from components.plan.switch import switch_overrides

    return run_stack(stack, {**switch_overrides(stack, cloud, home_cloud(stack, root)), **(overrides or {})}, root)
