"""Config outside `xqfc:`: a misspelt namespace, or cloud credentials in a stack file, is refused.

The program reads only `xqfc:*`, so `xqcf:domain` or `xqfc-dev:domain` would be silently ignored
and the stack would run on the default. Cloud credentials come only from the environment
(README, docs/clouds.md): the clouds' providers would otherwise pick them up from the stack file.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from components.settings.base import PROJECT
from components.settings.errors import Problem

# The providers' credential config keys (tencentcloud_iac_pulumi 0.2.3 and pulumi_alicloud 4.0.0,
# config/vars.py: secretId/secretKey/securityToken read TENCENTCLOUD_SECRET_ID/_SECRET_KEY/
# _SECURITY_TOKEN when unset; accessKey/secretKey/securityToken on Alibaba).
CREDENTIAL_KEYS: dict[str, str] = {
    "tencentcloud:secretId": "TENCENTCLOUD_SECRET_ID",
    "tencentcloud:secretKey": "TENCENTCLOUD_SECRET_KEY",
    "tencentcloud:securityToken": "TENCENTCLOUD_SECURITY_TOKEN",
    "alicloud:accessKey": "ALICLOUD_ACCESS_KEY",
    "alicloud:secretKey": "ALICLOUD_SECRET_KEY",
    "alicloud:securityToken": "ALICLOUD_SECURITY_TOKEN",
}
# Provider keys that share a name with one of ours (same config/vars.py files): they are the
# provider's own, not a misplaced setting.
PROVIDER_OWN_KEYS: frozenset[str] = frozenset({"tencentcloud:region", "tencentcloud:domain", "tencentcloud:profile", "alicloud:region", "alicloud:profile"})


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, with a transposition counting as one edit."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def looks_like_ours(namespace: str) -> bool:
    ns = namespace.lower()
    return ns != PROJECT and (ns.startswith(PROJECT) or _distance(ns, PROJECT) <= 2)


def foreign_key_problems(keys: Iterable[str], known: set[str], values: Mapping[str, Any] | None = None) -> list[Problem]:
    """Problems of `namespace:key` entries outside our namespace; `known` is our own keys."""
    p: list[Problem] = []
    for full in sorted(keys):
        ns, sep, key = full.partition(":")
        if not sep or ns == PROJECT:
            continue
        if full in CREDENTIAL_KEYS:
            p.append(Problem(full, "(hidden)", f"cloud credentials come only from the environment ({CREDENTIAL_KEYS[full]}), never "
                             f"from a stack file, encrypted or not: pulumi config rm {full}"))
        elif looks_like_ours(ns):
            hint = f"{PROJECT}:{key}" if key in known else f"a {PROJECT}: key (README config table)"
            p.append(Problem(full, (values or {}).get(full), f"namespace {ns!r} is not {PROJECT!r}, so the program would ignore it; "
                             f"did you mean {hint}?"))
        elif key in known and full not in PROVIDER_OWN_KEYS:
            p.append(Problem(full, (values or {}).get(full), f"{key} is a setting of {PROJECT}, not of {ns}; the program would ignore it: "
                             f"set {PROJECT}:{key}"))
    return p
