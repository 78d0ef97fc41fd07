"""nginx at the edge: the only container that publishes ports (80 and 443).

Its config, certificate and key are files on the host, bind-mounted read-only; a change
rewrites the files and sends a graceful reload (`nginx -t` first), so in-flight requests
finish and the container is never replaced for a config or certificate change. The app
upstream is a separate file the release script owns (components/runtime/app.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
from pulumi_command import remote

from components.foundation import Certificate
from components.render.nginx import NginxSpec, UpstreamTarget, render_nginx_conf
from components.render.cpu_budget import cpu_limit
from components.runtime.containers import Hardening, RuntimeNetworks, attach, hardened, healthcheck, remote_image
from components.runtime import stopping
from components.runtime.files import CONFIG_ROOT, FileSpec, RemoteFiles, files_options
from components.settings import Settings

HOST_DIR = f"{CONFIG_ROOT}/nginx"
CONF_DIR = "/etc/xqfc-nginx"  # where the container sees HOST_DIR
UPSTREAM_HOST_FILE = f"{HOST_DIR}/upstream/app.conf"
CONTAINER = "xqfc-nginx"
HSTS_MAX_AGE = {"dev": 300, "staging": 86400, "prod": 63072000}


def nginx_spec(s: Settings, monitoring_subnet: str) -> NginxSpec:
    return NginxSpec(
        domain=s.domain,
        cert_path=f"{CONF_DIR}/certs/fullchain.pem",
        key_path=f"{CONF_DIR}/certs/privkey.pem",
        upstream_include=f"{CONF_DIR}/upstream/app.conf",
        static_root="/srv/static",
        grafana_public=s.grafana_public,
        grafana_upstream=UpstreamTarget("grafana", 3000),
        status_allow=(monitoring_subnet,),
        client_max_body_size=f"{s.client_max_body_mb}m",
        # A short HSTS outside prod, so a broken certificate on dev can be walked back.
        hsts_max_age_s=HSTS_MAX_AGE[s.environment],
        hsts_include_subdomains=s.is_prod,
        canonical_www=s.cdn_enabled,
        health_path=s.app_health_path,
    )


@dataclass(frozen=True)
class EdgeArgs:
    settings: Settings
    image: str
    certificate: Certificate
    networks: RuntimeNetworks
    monitoring_subnet: str
    connection: remote.ConnectionArgs
    depends_on: list[pulumi.Resource]


class EdgeProxy(pulumi.ComponentResource):
    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:runtime:EdgeProxy", name, None, opts)
        s = args.settings
        self.config = render_nginx_conf(nginx_spec(s, args.monitoring_subnet))
        self.files = RemoteFiles(
            f"{name}-files",
            args.connection,
            [
                FileSpec(f"{HOST_DIR}/nginx.conf", self.config),
                FileSpec(f"{HOST_DIR}/certs/fullchain.pem", args.certificate.certificate_pem),
                # nginx's master (root, CAP_DAC_OVERRIDE kept) reads it; other host users cannot.
                FileSpec(f"{HOST_DIR}/certs/privkey.pem", pulumi.Output.secret(args.certificate.private_key_pem), mode="0600"),
            ],
            files_options(self, opts),
        )
        image = remote_image(f"{name}-image", args.image, pulumi.ResourceOptions(parent=self))
        self.container = docker.Container(
            f"{name}-container",
            name=CONTAINER,
            image=image.image_id,
            command=["nginx", "-c", f"{CONF_DIR}/nginx.conf", "-g", "daemon off;"],
            ports=[docker.ContainerPortArgs(internal=80, external=80), docker.ContainerPortArgs(internal=443, external=443)],
            networks_advanced=attach((args.networks.edge, ["nginx"]), (args.networks.monitoring, ["nginx"])),
            volumes=[
                docker.ContainerVolumeArgs(host_path=HOST_DIR, container_path=CONF_DIR, read_only=True),
                docker.ContainerVolumeArgs(host_path=f"{s.data_mount_path}/static", container_path="/srv/static", read_only=True),
            ],
            healthcheck=healthcheck(["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8081/stub_status || exit 1"]),
            wait=True,
            # Old workers finish their requests before the container goes.
            stop_signal="SIGQUIT",
            stop_timeout=stopping.NGINX_S,
            **hardened(Hardening(
                memory_mb=256,
                cpus=cpu_limit("nginx", s.vm_cpu_count),
                cap_add=("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"),
                # bandit B108 is a false positive here: a tmpfs mount or work dir inside a container/unit, not a temp file created here
                tmpfs={"/var/cache/nginx": "rw,nosuid,size=256m", "/var/run": "rw,nosuid,size=1m", "/tmp": "rw,noexec,nosuid,size=64m"},  # nosec B108
            )),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.files.commands, *args.depends_on]),
        )
        self.reload = remote.Command(
            f"{name}-reload",
            connection=args.connection, add_previous_output_in_env=False,
            create=f"docker exec {CONTAINER} nginx -t -q -c {CONF_DIR}/nginx.conf && docker exec {CONTAINER} nginx -s reload -c {CONF_DIR}/nginx.conf",
            triggers=[pulumi.Output.unsecret(self.files.digest)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.container]),
        )
        self.register_outputs({})
