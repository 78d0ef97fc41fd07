"""Config in, Settings out: field rules first, then the cross-field checks, one report of all problems."""
from __future__ import annotations

import functools
import json
from typing import AbstractSet, Any, Mapping, get_args, get_origin

from pydantic import ValidationError

from components.settings import backups, costs, monitoring, network, placement, services, topology
from components.settings.base import PROJECT, Context
from components.settings.errors import MISSING, Problem, SettingsError
from components.settings.model import Settings
from components.settings.namespaces import foreign_key_problems
from components.settings.secrets import SECRET_KEYS

# Order of the report: where it runs, then what it is made of, then what it keeps.
CHECKS = [
    placement.environment_is_the_stack, network.existing_host, network.cloud_only,
    placement.region_and_zone, placement.disk_types, placement.tencent_app_id_cloud, placement.cloud_api,
    placement.cpus_of_the_vm,
    network.subnet_in_vpc, *topology.CHECKS, network.no_docker_overlap,
    network.domain_in_zone, network.ssh_not_open_to_the_world,
    placement.prod_deletion_protection, backups.prod_retention,
    *services.CHECKS, *monitoring.CHECKS,
    backups.local_copies_within_retention, placement.mount_is_not_device,
    *network.LATE_CHECKS, *monitoring.LATE_CHECKS, *costs.CHECKS,
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


class _SkipCheck(Exception):
    """A check read a key whose own value was refused: its verdict would be about a placeholder."""


class _Guard:
    """Settings as a check sees them: reading a refused field skips the check."""

    def __init__(self, settings: Settings, failed: frozenset[str]):
        self._settings, self._failed = settings, failed

    def __getattr__(self, name: str) -> Any:
        if name in self._failed:
            raise _SkipCheck(name)
        attr = getattr(type(self._settings), name, None)
        if isinstance(attr, property):
            return attr.fget(self)  # type: ignore[misc]  # derived values read through the guard too
        if callable(attr) and not name.startswith("model_"):
            return functools.partial(attr, self)
        return getattr(self._settings, name)


# Stand-ins for required keys whose value was refused, so the other keys can still be checked
# together; the guard keeps any check from reading them.
_PLACEHOLDERS = {"environment": "dev", "domain": "placeholder.invalid", "adminCidrs": ["192.0.2.1/32"], "appImage": "placeholder:0"}


def _cross_checks(s: Settings, raw_keys: AbstractSet[str] = frozenset(), secret_values: Mapping[str, Any] | None = None,
                  stack: str = "", failed: frozenset[str] = frozenset()) -> list[Problem]:
    """Rules that involve more than one key or depend on the environment, skipping any that read a refused key."""
    ctx = Context(stack, frozenset(raw_keys), dict(secret_values or {}))
    guarded: Any = _Guard(s, failed) if failed else s
    problems: list[Problem] = []
    for check in CHECKS:
        try:
            problems += check(guarded, ctx)
        except _SkipCheck:
            continue
    return problems


def _partial(values: dict[str, Any], refused: set[str]) -> tuple[Settings | None, frozenset[str]]:
    """The settings with refused keys at their defaults (placeholders if required), and their field names."""
    by_alias = {f.alias or n: n for n, f in Settings.model_fields.items()}
    rest = {k: v for k, v in values.items() if k not in refused and k in by_alias}
    rest.update({k: v for k, v in _PLACEHOLDERS.items() if k in refused})
    try:
        return Settings.model_validate(rest), frozenset(by_alias[k] for k in refused if k in by_alias)
    except ValidationError:
        return None, frozenset()


def from_mapping(raw: Mapping[str, Any], stack: str, secret_keys: set[str] | None = None,
                 foreign: Mapping[str, Any] | None = None) -> Settings:
    """Validate a mapping of camelCase keys (strings as Pulumi config holds them, or typed).

    `secret_keys` names the keys whose values are encrypted in the stack's config; `foreign`
    holds the stack's config outside our namespace (`namespace:key` -> value).
    """
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key in SECRET_KEYS:
        if key in raw and key not in (secret_keys or set()):
            problems.append(Problem(key, "(hidden)", f"must be set as a secret: pulumi config set --secret {key} ..."))
    problems += foreign_key_problems(foreign or {}, {f.alias or n for n, f in Settings.model_fields.items()} | set(SECRET_KEYS), foreign)
    raw_keys = set(raw)
    secret_values = {k: v for k, v in raw.items() if k in SECRET_KEYS}
    raw = {k: v for k, v in raw.items() if k not in SECRET_KEYS}
    lists = _list_fields()
    optional = _optional_fields()
    refused: set[str] = set()
    for key, value in raw.items():
        if value == "" and key in optional:
            # Pulumi.yaml declares optional strings with default "" (a key without a default is required).
            continue
        if key in lists and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                problems.append(Problem(key, value, "must be a list, e.g. pulumi config set --path 'adminCidrs[0]' 203.0.113.7/32"))
                refused.add(key)
                continue
        values[key] = value
    failed: frozenset[str] = frozenset()
    try:
        settings: Settings | None = Settings.model_validate(values)
        if refused:
            settings, failed = _partial(values, refused)
    except ValidationError as err:
        problems += _problems_from(err, values)
        refused |= {str(e["loc"][0]) for e in err.errors() if e["loc"]}
        # Field errors don't hide the rest: the cross checks run on the keys that did validate.
        settings, failed = _partial(values, refused)
    if settings is not None:
        problems += _cross_checks(settings, raw_keys, secret_values, stack, failed)
    if problems or settings is None:
        raise SettingsError(stack, problems)
    return settings


def namespaced_config() -> tuple[dict[str, Any], set[str]]:
    """Every config key of the stack, `namespace:key` -> value, as the Pulumi runtime holds it, and which are secret."""
    from pulumi.runtime import config as rc

    merged = {**rc.get_config_env(), **rc.CONFIG.get()}
    secret = {k for k in merged if rc.is_config_secret(k) or k in rc.get_config_secret_keys_env()}
    return merged, secret


def project_config() -> tuple[dict[str, Any], set[str]]:
    """The project's own config keys (`xqfc:*`) as the Pulumi runtime holds them, and which are secret."""
    merged, secret_full = namespaced_config()
    out, secret = {}, set()
    for k, v in merged.items():
        ns, _, key = k.partition(":")
        if ns == PROJECT:
            # Older engines send `project:config:key`.
            key = key.removeprefix("config:")
            out[key] = v
            if k in secret_full:
                secret.add(key)
    return out, secret


def load() -> Settings:
    import pulumi

    raw, secret = project_config()
    merged, _ = namespaced_config()
    foreign = {k: v for k, v in merged.items() if k.partition(":")[0] != PROJECT}
    return from_mapping(raw, pulumi.get_stack(), secret, foreign)
