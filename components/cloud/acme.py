"""The site certificate, the same way on every cloud: ACME (Let's Encrypt) with DNS-01.

Each adapter names its DNS service's lego provider (`tencentcloud` for DNSPod, `alidns`);
the challenge record is written and removed through that cloud's DNS API with the same
credentials the cloud provider reads from the environment, so no new secret exists anywhere.
`pulumi up` re-issues the certificate once fewer than `renew_days` remain (docs/tls.md), and
the adapters upload the result to their own certificate service for the CDN.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumiverse_acme as acme


@dataclass(frozen=True)
class AcmeArgs:
    names: list[str]  # the first is the common name, the rest subject alternative names
    dns_provider: str  # lego DNS provider name
    server_url: str
    email: str | None
    renew_days: int


class AcmeCertificate(pulumi.ComponentResource):
    """An ACME account and one certificate covering every site name."""

    def __init__(self, name: str, args: AcmeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("xqfc:tls:AcmeCertificate", name, None, opts)
        self.provider = acme.Provider(f"{name}-provider", server_url=args.server_url, opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=self.provider)
        # The provider generates the account key and keeps it (secret) in state.
        self.account = acme.Registration(
            f"{name}-account",
            account_key_algorithm="ECDSA",
            account_key_ecdsa_curve="P384",
            email_address=args.email,
            opts=child,
        )
        self.certificate = acme.Certificate(
            f"{name}-cert",
            account_key_pem=self.account.account_key_pem,
            common_name=args.names[0],
            subject_alternative_names=args.names[1:],
            # RSA: what every CDN certificate upload accepts; ECDSA support varies by product.
            key_type="2048",
            dns_challenges=[acme.CertificateDnsChallengeArgs(provider=args.dns_provider)],
            min_days_remaining=args.renew_days,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(additional_secret_outputs=["privateKeyPem"])),
        )
        # nginx and the CDNs want the leaf followed by its issuer in one PEM.
        self.fullchain_pem = pulumi.Output.concat(self.certificate.certificate_pem, self.certificate.issuer_pem)
        self.private_key_pem: pulumi.Output[str] = pulumi.Output.secret(self.certificate.private_key_pem)
        self.register_outputs({"not_after": self.certificate.certificate_not_after})
