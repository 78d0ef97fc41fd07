"""How problems are reported: one line each, naming the key, the value and what is allowed.

A value that looks like key material or a token is never echoed, whatever key it was set
under: a private key pasted into the wrong setting must not land in a terminal or a CI log.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from components.settings.base import PROJECT


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


MISSING: Any = _Missing()
_MISSING = MISSING
HIDDEN = "(hidden: looks like a key or secret)"

# PEM armour (RFC 7468) or an OpenSSH private key body, in any key.
_PEM = re.compile(r"-----BEGIN|PRIVATE KEY|b3BlbnNzaC1rZXktdjE")
# A long run of base64/base64url or hex: tokens, API secrets, key bodies. 32 characters is
# 192 bits of base64 or 128 of hex, shorter than any key or token we know and longer than
# any word, path segment or host label a setting holds. An image digest is exempt: it is public.
_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{32,}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _is_token(word: str) -> bool:
    # Long words of letters only are words (or hyphenated names), not secrets.
    return not word.replace("-", "").replace("_", "").isalpha()


def looks_secret(text: str) -> bool:
    if _PEM.search(text):
        return True
    return any(_is_token(t) for t in _TOKEN.findall(_DIGEST.sub("", text)))


def _mask(text: str) -> str:
    """Secret-looking runs replaced by HIDDEN; digests and ordinary words kept."""
    if _PEM.search(text):
        return _PEM.split(text, maxsplit=1)[0] + HIDDEN
    parts = re.split(f"({_DIGEST.pattern})", text)
    return "".join(p if _DIGEST.fullmatch(p) else _TOKEN.sub(lambda m: HIDDEN if _is_token(m.group(0)) else m.group(0), p) for p in parts)


def redact(value: Any) -> Any:
    """The value with anything secret-looking replaced, containers walked."""
    if isinstance(value, str):
        return HIDDEN if looks_secret(value) else value
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    return value


def qualified(key: str) -> str:
    """`xqfc:key`, or the key as written when it is in another namespace (`xqcf:domain`)."""
    return key if ":" in key else f"{PROJECT}:{key}"


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    message: str

    def __str__(self) -> str:
        shown = "(missing)" if self.value is MISSING else json.dumps(redact(self.value), default=str)
        return f"{qualified(self.key)} = {shown}: {_mask(self.message)}"


class SettingsError(Exception):
    """The stack's configuration is invalid; the message lists every problem."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = problems
        lines = [f"invalid configuration for stack '{stack}' ({len(problems)} problem(s)):"]
        lines += [f"  - {p}" for p in problems]
        lines.append("Fix them with `pulumi config set <key> <value>` or in Pulumi.<stack>.yaml.")
        super().__init__("\n".join(lines))
