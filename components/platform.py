"""The whole platform of one stack: the cloud foundation and what runs on it."""
from __future__ import annotations

import functools
from operator import itemgetter
from typing import Any

import pulumi

from components.cloud import build_foundation
from components.render.cloud_init import CloudInitSpec, render_cloud_init
from components.runtime.containers import SUBNETS
from components.runtime.host import HostRuntime, HostRuntimeArgs
from components.runtime.monitoring import NODE_EXPORTER_PORT
from components.settings import Secrets, Settings


def cloud_init_spec(s: Settings, hostname: str | None = None) -> CloudInitSpec:
    return CloudInitSpec(
        hostname=hostname or s.host_name(0),
        deploy_user=s.deploy_user,
        ssh_public_keys=(s.ssh_public_key,),
        admin_cidrs=tuple(s.admin_cidrs),
        docker_apt_mirror=s.docker_apt_mirror,
        docker_registry_mirror=s.docker_registry_mirror,
        data_disk_device=s.data_disk_device,
        data_mount_path=s.data_mount_path,
        metrics_sources=(SUBNETS["monitoring"], *((s.vpc_cidr,) if s.is_ha else ())),
        metrics_port=NODE_EXPORTER_PORT,
    )


class Platform(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, secrets: Secrets, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:platform:Platform", name, None, opts)
        self.settings = settings
        # Each host's user data names it: cloud-init sets the OS hostname from it on every boot,
        # so one shared user data would give every host the first one's name. Cached: the first
        # host's is asked for twice (its instance and Foundation.user_data), and it is the
        # largest document a plan renders.
        @functools.cache
        def user_data(hostname: str) -> str:
            return render_cloud_init(cloud_init_spec(settings, hostname))

        self.foundation = build_foundation(f"{name}", settings, user_data, pulumi.ResourceOptions(parent=self))
        # One runtime per app host. The first keeps the single-VM names (and carries monitoring
        # and backups); each later host releases only after the one before it (rolling).
        self.runtimes: list[HostRuntime] = []
        for i, host in enumerate(self.foundation.hosts):
            previous = (self.runtimes[-1].app.release,) if self.runtimes else ()
            # One SECRET_KEY for every host: a session signed on one host must verify on the next.
            shared_key = self.runtimes[0].app.secret_key_value if self.runtimes else None
            self.runtimes.append(HostRuntime(
                f"{name}-host" if i == 0 else f"{name}-host{i + 1}",
                HostRuntimeArgs(settings, secrets, self.foundation, public_url=self.site_url, host=host, primary=i == 0,
                                release_after=previous, app_secret_key=shared_key),
                pulumi.ResourceOptions(parent=self),
            ))
        self.runtime = self.runtimes[0]
        self.register_outputs({"public_ip": self.foundation.primary_host.public_ip})

    @property
    def site_url(self) -> str:
        return self.settings.site_url

    def artifacts(self) -> dict[str, Any]:
        """Rendered files worth showing in an offline plan, by file name (secret ones masked)."""
        from components.runtime.app import release_conf
        from components.runtime.monitoring import HOST_DIR as MON_DIR

        rt = self.runtime
        mon, backups = rt.monitoring, rt.backups
        if mon is None or backups is None:  # HostRuntime gives both to the primary host, this one
            raise RuntimeError("the primary host's runtime has no monitoring or backups")
        files: dict[str, Any] = {
            **({"cloud-init.yaml": self.foundation.user_data} if self.foundation.user_data is not None else {}),
            "nginx/nginx.conf": rt.edge.config,
            **({"postgres/postgresql.conf": rt.postgres.config} if rt.postgres else {}),
            "release/release.conf": release_conf(self.settings),
        }
        for spec in mon.files_spec:
            files[f"monitoring/{spec.path.removeprefix(MON_DIR + '/')}"] = spec.content
        files.update({f"backup/systemd/{k}": backups.units.apply(itemgetter(k)) for k in backups.unit_names})
        return files

    def contract_values(self) -> dict[str, Any]:
        s, f = self.settings, self.foundation
        host = f.primary_host
        mon = self.runtime.monitoring
        if mon is None:  # HostRuntime gives it to the primary host, self.runtime
            raise RuntimeError("the primary host's runtime has no monitoring")
        return {
            "environment": s.environment,
            "cloud": f.cloud,
            "region": f.region,
            "public_ip": host.public_ip,
            "ssh_endpoint": host.ssh_endpoint,
            "domain": s.domain,
            "dns_names": f.dns_names,
            "site_url": self.site_url,
            "bucket_name": f.storage.bucket,
            "bucket_endpoint": f.storage.s3_endpoint,
            "bucket_region": f.storage.region,
            "cdn_domain": f.cdn_domain,
            "grafana_url": mon.grafana_url,
            "grafana_admin_password": mon.grafana_password.result,
        }
