"""Config in, Settings out: field rules first, then the cross-field checks, one report of all problems."""
from __future__ import annotations

import json
from typing import Any, Mapping, get_args, get_origin

from pydantic import ValidationError

from components.settings import backups, monitoring, network, placement, services, topology
from components.settings.base import PROJECT, Context
from components.settings.errors import MISSING, Problem, SettingsError
from components.settings.model import Settings
from components.settings.secrets import SECRET_KEYS

# Order of the report: where it runs, then what it is made of, then what it keeps.
CHECKS = [
    network.existing_host, network.cloud_only,
    placement.region_and_zone, placement.disk_types, placement.tencent_app_id_cloud,
    network.subnet_in_vpc, *topology.CHECKS,
    network.domain_in_zone, network.ssh_not_open_to_the_world,
    placement.prod_deletion_protection, backups.prod_retention,
    *services.CHECKS, *monitoring.CHECKS,
    backups.local_copies_within_retention, placement.mount_is_not_device,
    *network.LATE_CHECKS, *monitoring.LATE_CHECKS,
]


def _list_fields() -> set[str]:
    out = set()
    for name, field in Settings.model_fields.items():
        ann = field.annotation
        if get_origin(ann) is list or any(get_origin(a) is list for a in get_args(ann)):
            out.add(field.alias or name)
    return out


def _optional_fields() -> set[str]:
    return {f.alias or n for n, f in Settings.model_fields.items() if not f.is_required() and f.default is None}


def _problems_from(err: ValidationError, raw: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for e in err.errors():
        key = str(e["loc"][0]) if e["loc"] else "(config)"
        if e["type"] == "missing":
            problems.append(Problem(key, MISSING, "is required"))
        elif e["type"] == "extra_forbidden":
            problems.append(Problem(key, raw.get(key), "is not a known setting (typo?); see the config table in README"))
        else:
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(Problem(key, raw.get(key, e.get("input")), msg))
    return problems


def _cross_checks(s: Settings, raw_keys: set[str] = frozenset(), secret_values: Mapping[str, Any] | None = None) -> list[Problem]:
    """Rules that involve more than one key or depend on the environment."""
    ctx = Context(frozenset(raw_keys), dict(secret_values or {}))
    return [p for check in CHECKS for p in check(s, ctx)]


def from_mapping(raw: Mapping[str, Any], stack: str, secret_keys: set[str] | None = None) -> Settings:
    """Validate a mapping of camelCase keys (strings as Pulumi config holds them, or typed).

    `secret_keys` names the keys whose values are encrypted in the stack's config.
    """
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key in SECRET_KEYS:
        if key in raw and key not in (secret_keys or set()):
            problems.append(Problem(key, "(hidden)", f"must be set as a secret: pulumi config set --secret {key} ..."))
    raw_keys = set(raw)
    secret_values = {k: v for k, v in raw.items() if k in SECRET_KEYS}
    raw = {k: v for k, v in raw.items() if k not in SECRET_KEYS}
    lists = _list_fields()
    optional = _optional_fields()
    for key, value in raw.items():
        if value == "" and key in optional:
            # Pulumi.yaml declares optional strings with default "" (a key without a default is required).
            continue
        if key in lists and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                problems.append(Problem(key, value, "must be a list, e.g. pulumi config set --path 'adminCidrs[0]' 203.0.113.7/32"))
                continue
        values[key] = value
    try:
        settings = Settings.model_validate(values)
    except ValidationError as err:
        raise SettingsError(stack, problems + _problems_from(err, values)) from None
    problems += _cross_checks(settings, raw_keys, secret_values)
    if problems:
        raise SettingsError(stack, problems)
    return settings


def project_config() -> tuple[dict[str, Any], set[str]]:
    """The project's own config keys (`xqfc:*`) as the Pulumi runtime holds them, and which are secret."""
    from pulumi.runtime import config as rc

    merged = {**rc.get_config_env(), **rc.CONFIG.get()}
    out, secret = {}, set()
    for k, v in merged.items():
        ns, _, key = k.partition(":")
        if ns == PROJECT:
            # Older engines send `project:config:key`.
            key = key.removeprefix("config:")
            out[key] = v
            if rc.is_config_secret(k) or k in rc.get_config_secret_keys_env():
                secret.add(key)
    return out, secret


def load() -> Settings:
    import pulumi

    raw, secret = project_config()
    return from_mapping(raw, pulumi.get_stack(), secret)
