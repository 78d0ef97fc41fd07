"""Secrets an offline plan assumes set when the stack file lacks them.

README ("Secrets") has the operator set these with `pulumi config set --secret` next to the
plain key that needs them; the stack files in this repository cannot carry their ciphertext.
Without them every plan of staging and prod warned on stderr about each one (the program's
warnings in components/runtime/access.py and monitoring.py). A plan instead runs with a
placeholder and names them on its last lines, so the plan shows what `pulumi up` does once
README's steps are done, and the reader still learns what to set.
"""
from __future__ import annotations

# plain key the stack sets -> the secret it needs (the conditions of the program's warnings)
COMPANION_SECRETS: dict[str, str] = {
    "registryServer": "registryPassword",
    "alertSmtpUser": "alertSmtpPassword",
    "alertWecomCorpId": "alertWecomApiSecret",
}


def assumed_secrets(config: dict[str, str], project: str) -> list[str]:
    """Secret keys (bare) to plan with a placeholder: needed by a set key, absent from the config."""
    return [
        secret for plain, secret in COMPANION_SECRETS.items()
        if config.get(f"{project}:{plain}") and f"{project}:{secret}" not in config
    ]
