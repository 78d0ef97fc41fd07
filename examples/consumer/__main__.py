"""Another team's program using the platform: reads its outputs through a StackReference.

It depends on the platform only through the outputs contract (docs/outputs.md): the names in
USED and the major of `contract_version`, refused when it is not the one this code was
written for, so a breaking change on the platform stops this program at preview instead of
letting it misread a renamed or retyped output.
"""
from __future__ import annotations

import pulumi

SUPPORTED_MAJOR = 1
USED = ("contract_version", "environment", "site_url", "bucket_name", "bucket_endpoint", "bucket_region")


def supported(version: str) -> str:
    major = str(version).split(".", 1)[0]
    if not major.isdigit() or int(major) != SUPPORTED_MAJOR:
        raise ValueError(
            f"platform outputs contract {version} is not major {SUPPORTED_MAJOR}; "
            "read the platform's changelog and update this program"
        )
    return version


config = pulumi.Config()
org = config.get("platformOrg") or pulumi.get_organization()
stack = config.get("platformStack") or pulumi.get_stack()
platform = pulumi.StackReference(f"{org}/xqfc/{stack}")

version = platform.require_output("contract_version").apply(supported)
site_url = platform.require_output("site_url")
bucket = pulumi.Output.all(
    version,
    platform.require_output("bucket_endpoint"),
    platform.require_output("bucket_name"),
    platform.require_output("bucket_region"),
).apply(lambda a: {"endpoint": a[1], "name": a[2], "region": a[3]})

pulumi.export("platform_environment", platform.require_output("environment"))
pulumi.export("health_check_url", pulumi.Output.all(version, site_url).apply(lambda a: f"{a[1]}/healthz"))
pulumi.export("uploads_location", bucket.apply(lambda b: f"{b['endpoint']}/{b['name']}/uploads/"))
pulumi.export("uploads_region", bucket.apply(lambda b: b["region"]))
