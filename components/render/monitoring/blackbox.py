"""blackbox.yml: how the public URL and its certificate are probed."""
from __future__ import annotations

from ._yaml import dump
from .spec import MonitoringSpec


def render_blackbox(spec: MonitoringSpec) -> str:
    http: dict = {
        "preferred_ip_protocol": "ip4",
        "follow_redirects": True,
        "valid_status_codes": [],  # empty means any 2xx
    }
    if spec.public_is_https:
        # An expired or wrong certificate must fail the probe, not be silently accepted.
        http["fail_if_not_ssl"] = True
    modules = {
        "http_2xx": {"prober": "http", "timeout": "10s", "http": http},
        "tls_connect": {
            "prober": "tcp",
            "timeout": "10s",
            "tcp": {"preferred_ip_protocol": "ip4", "tls": True, "tls_config": {"server_name": spec.public_host}},
        },
    }
    return dump({"modules": modules})
