"""Checks of a certificate and key given as PEM (cloud ssh, tlsSource provided).

Run by the settings before any resource exists, so a wrong file is refused with the key it
came from. The messages describe the problem and never include any part of the PEM text.
"""
from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def certificate_problems(cert_pem: str, key_pem: str, names: list[str], now: dt.datetime | None = None) -> dict[str, str]:
    """Config key -> problem, for a leaf-first certificate chain and its private key."""
    now = now or dt.datetime.now(dt.UTC)
    problems: dict[str, str] = {}
    try:
        chain = x509.load_pem_x509_certificates(cert_pem.encode())
    except ValueError:
        chain = []
    if not chain:
        problems["tlsCertificatePem"] = "is not a PEM certificate chain (CERTIFICATE blocks, leaf first)"
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        key = None
        problems["tlsPrivateKeyPem"] = "is not an unencrypted PEM private key (PKCS#8 or traditional, RSA or EC)"
    if not chain:
        return problems
    leaf = chain[0]
    if key is not None and key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        problems["tlsPrivateKeyPem"] = "does not belong to the first certificate of tlsCertificatePem"
    if leaf.not_valid_after_utc <= now:
        problems["tlsCertificatePem"] = f"expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
    else:
        try:
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            covered = san.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            covered = []
        missing = [n for n in names if not any(_matches(pattern, n) for pattern in covered)]
        if missing:
            problems["tlsCertificatePem"] = f"does not cover {missing} (its names: {covered})"
    return problems


def not_after(cert_pem: str) -> str:
    """RFC 3339 expiry of the leaf."""
    leaf = x509.load_pem_x509_certificates(cert_pem.encode())[0]
    return leaf.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _matches(pattern: str, name: str) -> bool:
    # RFC 6125 6.4.3: a wildcard stands for exactly one left-most label.
    if pattern.startswith("*."):
        return name.count(".") == pattern.count(".") and name.split(".", 1)[1] == pattern[2:]
    return pattern == name
