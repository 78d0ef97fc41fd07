"""Nothing outside components/cloud/ imports a cloud SDK: the rest sees only `Foundation`."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from components.plan.run import ROOT

CLOUD_SDKS = ("tencentcloud_iac_pulumi", "pulumi_alicloud")
ALLOWED = ROOT / "components" / "cloud"
SKIP_DIRS = {".venv", "venv", "build", ".git", "__pycache__", "node_modules"}


def sdk_imports(source: str, filename: str = "<source>") -> list[str]:
    """Cloud SDK modules a Python source imports (also `importlib.import_module("...")`)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in CLOUD_SDKS]
    return found


def python_files_outside_cloud() -> list[Path]:
    files = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if SKIP_DIRS & set(rel.parts) or path.is_relative_to(ALLOWED):
            continue
        files.append(path)
    return files


def test_the_scan_covers_the_program():
    files = {p.relative_to(ROOT).as_posix() for p in python_files_outside_cloud()}
    assert {"__main__.py", "components/platform.py", "components/foundation.py", "tests/test_boundaries.py"} <= files
    assert not any(f.startswith("components/cloud/") for f in files)


@pytest.mark.parametrize(
    "source",
    [
        "import pulumi_alicloud",
        "import pulumi_alicloud as ali",
        "from pulumi_alicloud import ecs",
        "from pulumi_alicloud.ecs import Instance",
        "import os, tencentcloud_iac_pulumi.cdn",
        "def f():\n    from tencentcloud_iac_pulumi import cos\n",
        "import importlib\nimportlib.import_module('pulumi_alicloud')",
    ],
)
def test_the_checker_sees_every_form_of_import(source):
    assert sdk_imports(source)


def test_the_checker_ignores_neutral_imports():
    assert sdk_imports("import pulumi\nfrom components.cloud import build_foundation\nimport pulumiverse_acme") == []


def test_no_cloud_sdk_import_outside_components_cloud():
    offenders = {
        str(p.relative_to(ROOT)): names
        for p in python_files_outside_cloud()
        if (names := sdk_imports(p.read_text(), str(p)))
    }
    assert offenders == {}, f"cloud SDKs imported outside components/cloud/: {offenders}"
