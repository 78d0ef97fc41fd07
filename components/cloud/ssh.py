"""An existing host (cloud: ssh): the platform on a server the user already has.

No cloud resource is made. The host is given by address and reached as `deployUser` over
SSH; object storage is any S3-compatible bucket with keys from secret config; the site
certificate is either the user's (PEM secrets, checked by the settings) or ACME DNS-01
through the lego provider of the user's DNS host. No DNS record or CDN is managed: the
user points the domain at the host. The result is the same neutral `Foundation`, so the
runtime and the outputs contract do not change (docs/existing-host.md).
"""
from __future__ import annotations

import pulumi

from components import pem
from components.cloud.acme import AcmeArgs, AcmeCertificate
from components.foundation import Certificate, Foundation, Host, ObjectStore
from components.render.host_readiness import existing_host_ready
from components.settings import PROJECT, Settings


def split_address(entry: str) -> tuple[str, int]:
    """`host`, `host:port` or `[v6]:port` -> (host, port)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 22
    host, _, port = entry.partition(":")
    return host, int(port) if port else 22


class ExistingHostFoundation(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:ssh:Foundation", name, None, opts)
        s = settings
        config = pulumi.Config(PROJECT)
        address, port = split_address(s.ssh_hosts[0])
        host = Host(
            "primary", pulumi.Output.from_input(address), pulumi.Output.from_input(address), s.deploy_user, port,
            resource=None, ready_check=existing_host_ready(s.deploy_user, s.data_mount_path, s.docker_root),
        )
        if s.tls_source == "provided":
            cert_pem = config.require_secret("tlsCertificatePem")
            certificate = Certificate(
                names=s.site_names,
                # The chain is public; only the key stays secret.
                certificate_pem=pulumi.Output.unsecret(cert_pem),
                private_key_pem=config.require_secret("tlsPrivateKeyPem"),
                not_after=pulumi.Output.unsecret(cert_pem.apply(pem.not_after)),
                cdn_certificate_id=None,
            )
        else:
            self.tls = AcmeCertificate(
                f"{name}-tls",
                AcmeArgs(s.site_names, s.acme_dns_provider, s.acme_server_url, s.certificate_email, s.certificate_renew_days),
                pulumi.ResourceOptions(parent=self),
            )
            certificate = Certificate(
                names=s.site_names,
                certificate_pem=self.tls.fullchain_pem,
                private_key_pem=self.tls.private_key_pem,
                not_after=self.tls.certificate.certificate_not_after,
                cdn_certificate_id=None,
            )
        self.foundation = Foundation(
            cloud="ssh",
            hosts=[host],
            storage=ObjectStore(
                pulumi.Output.from_input(s.s3_bucket), s.s3_endpoint, s.s3_region,
                access_key_id=config.require_secret("s3AccessKeyId"),
                secret_access_key=config.require_secret("s3SecretAccessKey"),
            ),
            certificate=certificate,
            dns_names=[],
            cdn_domain=None,
        )
        self.register_outputs({"host": address})
