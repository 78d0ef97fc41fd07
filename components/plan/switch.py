"""What a stack restates to move to another cloud, as the offline plan applies it (`--cloud`).

The stack files are written for Tencent Cloud. Only their keys whose values belong to one
cloud (region, zone, instance type, disk types) need an equivalent on another cloud; every
other key, and every cloud-dependent key a stack leaves unset, carries over unchanged
(docs/clouds.md). Sizes match the Tencent stacks': 2c4g dev, 4c8g staging, 4c16g prod.
"""
from __future__ import annotations

SWITCH: dict[str, dict[str, dict[str, object]]] = {
    "alicloud": {
        "dev": {"region": "cn-hangzhou", "zone": "cn-hangzhou-h", "instanceType": "ecs.c7.large"},
        "staging": {"region": "cn-hangzhou", "zone": "cn-hangzhou-h", "instanceType": "ecs.c7.xlarge"},
        "prod": {
            "region": "cn-hangzhou",
            "zone": "cn-hangzhou-i",
            "secondaryZone": "cn-hangzhou-j",
            "instanceType": "ecs.g7.xlarge",
            "systemDiskType": "cloud_essd",
            "dataDiskType": "cloud_essd",
        },
    },
}


# An existing host (docs/existing-host.md): the same stacks on a server given by address, with
# backups in an S3-compatible bucket. Secret values are placeholders offline, as in a stack
# file's `secure:` entries; the certificate comes by ACME through the DNS host's lego provider.
_EXISTING_HOST: dict[str, object] = {
    "cloud": "ssh",
    "sshHosts": ["203.0.113.50"],
    "s3Endpoint": "https://s3.example.net",
    "s3Bucket": "xqfc-backups",
    "s3AccessKeyId": {"secure": ""},
    "s3SecretAccessKey": {"secure": ""},
    "acmeDnsProvider": "cloudflare",
    "topology": "single",
    "cdnEnabled": "false",
}
SWITCH["ssh"] = {stack: dict(_EXISTING_HOST) for stack in ("dev", "staging", "prod")}


def switch_overrides(stack: str, cloud: str, home_cloud: str) -> dict[str, object]:
    """Config overrides that move `stack` (written for `home_cloud`) onto `cloud`."""
    if cloud == home_cloud:
        return {}
    try:
        return {"cloud": cloud, **SWITCH[cloud][stack]}
    except KeyError:
        raise ValueError(f"no example overrides to move stack {stack!r} to {cloud!r}; pass them with --set") from None
