"""A stack's configuration as the Pulumi CLI would hand it to the program, without the CLI.

The SDK does not apply Pulumi.yaml defaults (the CLI does), so they are merged here under the
stack file's values. Encrypted (`secure:`) values cannot be decrypted offline: they become a
placeholder that is still marked secret, so the program treats them exactly as it would the
real value.

The files are read as strictly as the CLI reads them: it parses Pulumi.yaml and
Pulumi.<stack>.yaml with gopkg.in/yaml.v3 (pulumi/pulumi sdk/go/common/encoding/marshal.go,
yamlMarshaler.Unmarshal), which refuses a tab indent and a key given twice in one mapping.
yaml.v3 is a Go port of libyaml, so the files are parsed with libyaml (PyYAML's CSafeLoader):
it accepts and refuses the same tabs as the CLI, in the CLI's words ("found character that cannot
start any token" for a tab indent; a tab inside a value or after a colon is accepted, which
PyYAML's pure-Python scanner refuses). libyaml, like PyYAML, silently keeps the last of duplicate
keys, so duplicates are refused here by hand. Each file's text is parsed once per process.
"""
from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import yaml

OFFLINE_SECRET = "offline-placeholder-secret"
# A placeholder must pass the program's own checks on the value it stands for: a top-level
# `secure:` value of these keys is read as an object or a URL (components/settings.py
# SECRET_KEYS, read_secrets; render/monitoring/alertmanager.py validate_receivers).
OFFLINE_SHAPED: dict[str, str] = {
    "appSecretEnv": "{}",
    "alertDingtalkWebhook": f"https://oapi.dingtalk.com/robot/send?access_token={OFFLINE_SECRET}",
    "alertHeartbeatUrl": f"https://hc-ping.com/{OFFLINE_SECRET}",
}


class StackConfigError(ValueError):
    """A stack or project file the Pulumi CLI would refuse; the message names the file."""


# The pure-Python loader only where PyYAML was built without libyaml: it is slower and refuses a
# few tabs the CLI accepts (tests/test_plan_cli.py checks that the pinned wheel has libyaml).
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]  # a base chosen at run time (libyaml or not)
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping key {key!r} already defined at line {seen[key]}", key_node.start_mark
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml_file(path: Path) -> Any:
    """Parse one of the project's Pulumi files, or raise StackConfigError naming it."""
    # A copy: callers may change what they get without changing the next caller's.
    return copy.deepcopy(_parse(path.name, path.read_text()))


@functools.lru_cache(maxsize=64)
def _parse(name: str, text: str) -> Any:
    # Keyed by the text, not the path: a file rewritten between two reads is parsed again.
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise StackConfigError(f"{name}{where}: invalid YAML: {err.problem or err.context}") from None
    except yaml.YAMLError as err:
        raise StackConfigError(f"{name}: invalid YAML: {' '.join(str(err).split())}") from None


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _has_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _offline(value: Any) -> Any:
    """An object holding `secure:` leaves (`pulumi config set --secret --path`), each leaf a placeholder.
    The CLI hands such a key to the program as one JSON object, and the whole key is secret
    (pulumi/pulumi sdk/go/common/resource/config/object.go: object.Secure, MarshalString)."""
    if _is_secure(value):
        return OFFLINE_SECRET
    if isinstance(value, dict):
        return {k: _offline(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_offline(v) for v in value]
    return value


def offline_placeholder(key: str) -> str:
    """What an encrypted value of `key` (`namespace:key` or bare) stands as offline."""
    return OFFLINE_SHAPED.get(key.rsplit(":", 1)[-1], OFFLINE_SECRET)


def is_offline_placeholder(value: str) -> bool:
    """True when a secret config value holds no real secret: only offline placeholders."""
    if value == OFFLINE_SECRET or value in OFFLINE_SHAPED.values():
        return True
    try:
        parsed = json.loads(value)
    except ValueError:
        return False

    def leaves(v: Any) -> list:
        if isinstance(v, dict):
            return [x for item in v.values() for x in leaves(item)]
        if isinstance(v, list):
            return [x for item in v for x in leaves(item)]
        return [v]

    return isinstance(parsed, (dict, list)) and all(leaf == OFFLINE_SECRET for leaf in leaves(parsed))


def project_name(root: Path) -> str:
    return load_yaml_file(root / "Pulumi.yaml")["name"]


def read_stack_config(
    root: Path, stack: str, overrides: dict[str, Any] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Return (config as `namespace:key` -> string, secret keys) for one stack."""
    project = load_yaml_file(root / "Pulumi.yaml")
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
        raise StackConfigError(f"no stack file {stack_file.name}; stacks: {', '.join(list_stacks(root))}")
    stack_doc = load_yaml_file(stack_file) or {}
    if not isinstance(stack_doc, dict) or not isinstance(stack_doc.get("config") or {}, dict):
        raise StackConfigError(f"{stack_file.name}: expected a mapping with a `config:` mapping")
    for key, value in (stack_doc.get("config") or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        if _is_secure(value):
            config[full] = offline_placeholder(full)
            secret_keys.append(full)
        elif _has_secure(value):
            config[full] = _as_config_string(_offline(value))
            secret_keys.append(full)
        else:
            config[full] = _as_config_string(value)

    for key, value in (overrides or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        if value is None:
            config.pop(full, None)
        elif _is_secure(value):
            # A secret setting, like a stack file's `secure:` entry: its value when given
            # (the e2e run), else the offline placeholder.
            config[full] = _as_config_string(value["secure"]) if value["secure"] else offline_placeholder(full)
            secret_keys.append(full)
        else:
            config[full] = _as_config_string(value)
    return config, secret_keys


def list_stacks(root: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
