"""The outputs contract as others see it: the generated doc, and a consumer program under mocks."""
from __future__ import annotations

import ast
import re
import runpy
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.outputs import CONTRACT, CONTRACT_VERSION
from components.plan.run import ROOT
from scripts.outputs_table import DOC, document

CONSUMER = ROOT / "examples" / "consumer" / "__main__.py"


# --- docs/outputs.md ----------------------------------------------------------------------


def test_outputs_doc_is_generated_from_the_contract():
    assert DOC.read_text() == document(), "docs/outputs.md is stale: run .venv/bin/python -m scripts.outputs_table --write"


def test_outputs_doc_table_lists_the_contract_names_types_and_secrecy():
    text = DOC.read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \| ((?:[^|\\]|\\\|)+?) \| (yes|no) \|", text, re.M)
    assert [(n, t.replace("\\|", "|"), s == "yes") for n, t, s in rows] == [(o.name, o.type, o.secret) for o in CONTRACT]
    assert f"**{CONTRACT_VERSION}**" in text


# --- the consumer example, run under mocks -------------------------------------------------


class PlatformMocks(pulumi.runtime.Mocks):
    """Only a StackReference to the platform exists in the consumer; it returns `outputs`."""

    def __init__(self, outputs: dict[str, Any]):
        self.outputs = outputs
        self.references: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ != "pulumi:pulumi:StackReference":
            raise AssertionError(f"the consumer created {args.typ}")
        self.references.append(args.inputs.get("name", args.name))
        return args.name, {"name": args.name, "outputs": self.outputs, "secretOutputNames": []}

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise AssertionError(f"unexpected invoke {args.token}")


def run_consumer(outputs: dict[str, Any], config: dict[str, str] | None = None, stack: str = "prod"):
    mocks = PlatformMocks(outputs)
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(mocks, project="xqfc-consumer-example", stack=stack, preview=False, organization="acme")
    runtime_config.set_all_config({f"xqfc-consumer-example:{k}": v for k, v in (config or {}).items()}, [])
    exported: dict[str, Any] = {}

    async def program() -> None:
        runpy.run_path(str(CONSUMER), run_name="__main__")
        for name, value in dict(runtime_settings.get_root_resource().outputs).items():  # type: ignore[union-attr]
            exported[name] = await pulumi.Output.from_input(value).future()

    _sync_await(run_pulumi_func(program))
    return mocks, exported


@pytest.fixture(scope="module")
def platform_outputs():
    """What `pulumi stack output` of prod holds, from the real program's offline plan."""
    from tests.conftest import _plan

    return {k: v.value for k, v in _plan("prod", "tencentcloud").outputs.items()}


def test_consumer_reads_the_configured_platform_stack(platform_outputs):
    mocks, _ = run_consumer(platform_outputs, {"platformOrg": "other-org", "platformStack": "staging"})
    assert mocks.references == ["other-org/xqfc/staging"]
    mocks, _ = run_consumer(platform_outputs, stack="prod")
    assert mocks.references == ["acme/xqfc/prod"]  # defaults: this stack's org and name


def test_consumer_derives_its_values_from_the_platform_outputs(platform_outputs):
    _, out = run_consumer(platform_outputs)
    assert out["platform_environment"] == "prod"
    assert out["health_check_url"] == platform_outputs["site_url"] + "/healthz"
    assert out["uploads_location"].startswith(platform_outputs["bucket_endpoint"] + "/" + platform_outputs["bucket_name"])
    assert out["uploads_region"] == platform_outputs["bucket_region"]


def _names_read_by_the_consumer() -> set[str]:
    tree = ast.parse(CONSUMER.read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("require_output", "get_output", "get_output_details")
        and node.args and isinstance(node.args[0], ast.Constant)
    }


def test_consumer_uses_only_contract_names(platform_outputs):
    read = _names_read_by_the_consumer()
    contract = {o.name for o in CONTRACT}
    assert read and read <= contract
    # And it needs nothing beyond them: only those outputs present is enough ...
    _, out = run_consumer({k: v for k, v in platform_outputs.items() if k in read})
    assert out["health_check_url"].endswith("/healthz")
    # ... while each of them is really required.
    missing = sorted(read - {"contract_version"})[0]
    with pytest.raises(KeyError, match=missing):
        run_consumer({k: v for k, v in platform_outputs.items() if k != missing})


@pytest.mark.parametrize("version, ok", [(CONTRACT_VERSION, True), ("1.7.2", True), ("2.0.0", False), ("0.9.0", False)])
def test_consumer_honours_the_contract_major(platform_outputs, version, ok):
    outputs = {**platform_outputs, "contract_version": version}
    if ok:
        _, out = run_consumer(outputs)
        assert out["health_check_url"]
    else:
        with pytest.raises(ValueError, match=f"contract {re.escape(version)} is not major"):
            run_consumer(outputs)


def test_the_consumer_supports_the_current_contract_major():
    source = CONSUMER.read_text()
    (major,) = re.findall(r"^SUPPORTED_MAJOR = (\d+)$", source, re.M)
    assert int(major) == int(CONTRACT_VERSION.split(".")[0])
