"""A stack's configuration as the Pulumi CLI would hand it to the program, without the CLI.

The SDK does not apply Pulumi.yaml defaults (the CLI does), so they are merged here under the
stack file's values. Encrypted (`secure:`) values cannot be decrypted offline: they become a
placeholder that is still marked secret, so the program treats them exactly as it would the
real value.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

OFFLINE_SECRET = "offline-placeholder-secret"


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def project_name(root: Path) -> str:
    return yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]


def read_stack_config(
    root: Path, stack: str, overrides: dict[str, Any] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Return (config as `namespace:key` -> string, secret keys) for one stack."""
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    name = project["name"]
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, decl in (project.get("config") or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        if isinstance(decl, dict) and "default" in decl:
            config[full] = _as_config_string(decl["default"])
        elif isinstance(decl, dict) and "value" in decl:
            config[full] = _as_config_string(decl["value"])

    stack_file = root / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise FileNotFoundError(f"no stack file {stack_file.name}; stacks: {', '.join(list_stacks(root))}")
    stack_doc = yaml.safe_load(stack_file.read_text()) or {}
    for key, value in (stack_doc.get("config") or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full] = OFFLINE_SECRET
            secret_keys.append(full)
        else:
            config[full] = _as_config_string(value)

    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        if value is None:
            config.pop(full, None)
        elif isinstance(value, dict) and set(value) == {"secure"}:
            # A secret setting, like a stack file's `secure:` entry: its value when given
            # (the e2e run), else the offline placeholder.
            config[full] = _as_config_string(value["secure"]) if value["secure"] else OFFLINE_SECRET
            secret_keys.append(full)
        else:
            config[full] = _as_config_string(value)
    return config, secret_keys


def list_stacks(root: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
