"""Value formats several concerns share: pure checks that raise ValueError naming what is allowed."""
from __future__ import annotations

import ipaddress
import re

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
IMAGE_RE = re.compile(r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*(:[A-Za-z0-9._-]{1,128})?(@sha256:[0-9a-f]{64})?$")
DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}$")


def https_url(v: str | None) -> str | None:
    if v and not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s]*)?", v):
        raise ValueError("must be an https:// URL")
    return v.rstrip("/") if v else v


def private_cidr(v: str | None) -> str | None:
    if v is None:
        return v
    try:
        net = ipaddress.ip_network(v, strict=True)
    except ValueError as e:
        raise ValueError(f"not a valid CIDR block ({e})") from None
    if not net.is_private or net.version != 4:
        raise ValueError("must be a private IPv4 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)")
    if not 16 <= net.prefixlen <= 28:
        raise ValueError("prefix length must be between /16 and /28")
    return v


def image(v: str) -> str:
    if not IMAGE_RE.match(v):
        raise ValueError("must be an image reference such as registry/repo:tag or repo@sha256:<64 hex>")
    return v
