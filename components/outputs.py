"""The stack outputs contract other teams consume (`pulumi stack output`, StackReference).

Every output is declared here once, with its type, whether it is secret and what it means;
`export_contract` refuses to export anything more or less, and README's table is this list.
Bump CONTRACT_VERSION by semantic versioning: a removed or retyped output is a major change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pulumi

CONTRACT_VERSION = "1.1.0"


@dataclass(frozen=True)
class OutputSpec:
    name: str
    type: str
    secret: bool
    description: str


CONTRACT: tuple[OutputSpec, ...] = (
    OutputSpec("contract_version", "string", False, "Semantic version of this outputs contract."),
    OutputSpec("environment", "string", False, "dev, staging or prod."),
    OutputSpec("cloud", "string", False, "tencentcloud, alicloud, or ssh (an existing host)."),
    OutputSpec("region", "string", False, "Cloud region of the stack (empty on ssh)."),
    OutputSpec("public_ip", "string", False, "Public IPv4 address of the web host."),
    OutputSpec("ssh_endpoint", "string", False, "user@host:port for operators (admin networks only)."),
    OutputSpec("domain", "string", False, "The site's apex name for this stack."),
    OutputSpec("dns_names", "list[string]", False, "Every DNS name the stack manages (empty on ssh: the user's DNS)."),
    OutputSpec("site_url", "string", False, "Public HTTPS URL of the site."),
    OutputSpec("bucket_name", "string", False, "Object storage bucket (static assets, backups)."),
    OutputSpec("bucket_endpoint", "string", False, "S3-compatible endpoint URL of the bucket."),
    OutputSpec("bucket_region", "string", False, "Region to sign S3-compatible requests with."),
    OutputSpec("cdn_domain", "string|null", False, "CDN CNAME target, or null when the CDN is off."),
    OutputSpec("grafana_url", "string", False, "Where Grafana is reached (public URL, or the SSH tunnel to use)."),
    OutputSpec("grafana_admin_password", "string", True, "Grafana admin password (generated)."),
)


def contract_names() -> list[str]:
    return [o.name for o in CONTRACT]


def export_contract(values: Mapping[str, Any]) -> None:
    expected = set(contract_names())
    given = set(values) | {"contract_version"}
    if given != expected:
        raise ValueError(f"outputs differ from the contract: missing {sorted(expected - given)}, extra {sorted(given - expected)}")
    merged = {"contract_version": CONTRACT_VERSION, **values}
    for spec in CONTRACT:
        value = merged[spec.name]
        pulumi.export(spec.name, pulumi.Output.secret(value) if spec.secret else value)
