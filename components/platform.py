"""The whole platform of one stack: the cloud foundation and what runs on it."""
from __future__ import annotations

from typing import Any

import pulumi

from components.cloud import build_foundation
from components.render.cloud_init import CloudInitSpec, render_cloud_init
from components.settings import Settings


def cloud_init_spec(s: Settings) -> CloudInitSpec:
    return CloudInitSpec(
        hostname=f"xqfc-{s.environment}",
        deploy_user=s.deploy_user,
        ssh_public_keys=(s.ssh_public_key,),
        admin_cidrs=tuple(s.admin_cidrs),
        docker_apt_mirror=s.docker_apt_mirror,
        docker_registry_mirror=s.docker_registry_mirror,
        data_disk_device=s.data_disk_device,
        data_mount_path=s.data_mount_path,
    )


class Platform(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:platform:Platform", name, None, opts)
        self.settings = settings
        self.user_data = render_cloud_init(cloud_init_spec(settings))
        self.foundation = build_foundation(f"{name}", settings, self.user_data, pulumi.ResourceOptions(parent=self))
        self.register_outputs({"public_ip": self.foundation.primary_host.public_ip})

    def artifacts(self) -> dict[str, str]:
        """Rendered files worth showing in an offline plan, by file name."""
        return {"cloud-init.yaml": self.user_data}

    def contract_values(self) -> dict[str, Any]:
        s, f = self.settings, self.foundation
        host = f.primary_host
        return {
            "environment": s.environment,
            "cloud": f.cloud,
            "region": s.region,
            "public_ip": host.public_ip,
            "ssh_endpoint": host.ssh_endpoint,
            "domain": s.domain,
            "dns_names": f.dns_names,
            "site_url": f"https://{s.www_domain if s.cdn_enabled else s.domain}",
            "bucket_name": f.storage.bucket,
            "bucket_endpoint": f.storage.s3_endpoint,
            "bucket_region": f.storage.region,
            "cdn_domain": f.cdn_domain,
        }
