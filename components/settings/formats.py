"""Value formats several concerns share: pure checks that raise ValueError naming what is allowed."""
from __future__ import annotations

import ipaddress
import re
from typing import overload

# Every pattern here is anchored with \A...\Z or used with fullmatch: `$` also matches before a
# trailing newline, so `re.match("^...$", "value\n")` lets the newline through into files.
DOMAIN_RE = re.compile(r"\A(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z")
_URL_RE = re.compile(r"(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]+))?(?P<path>/[^\s]*)?")


def url_parts(v: str, schemes: tuple[str, ...] = ("https",)) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path) of a URL whose host can be a host and whose port is 1-65535."""
    m = _URL_RE.fullmatch(v)
    if not m or m["scheme"] not in schemes:
        raise ValueError(f"must be an {' or '.join(s + '://' for s in schemes)} URL")
    problem = host_problem(m["host"])
    if problem:
        raise ValueError(f"{problem}; the URL must name a host, e.g. https://mirrors.example.com/docker-ce")
    port = m["port"]
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValueError(f"port {port} is not a TCP port (1-65535)")
    if ".." in (m["path"] or "").split("/"):
        raise ValueError("path must not climb with '..'")
    return m["scheme"], m["host"], int(port) if port else None, m["path"] or ""


@overload
def https_url(v: str) -> str: ...
@overload
def https_url(v: str | None) -> str | None: ...
def https_url(v: str | None) -> str | None:
    if v:
        url_parts(v)
    return v.rstrip("/") if v else v


@overload
def private_cidr(v: str) -> str: ...
@overload
def private_cidr(v: str | None) -> str | None: ...
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


# --- hosts and ports ------------------------------------------------------------------------
# RFC 1123 host names (labels of letters, digits and inner hyphens), or an IPv4/IPv6 address.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME_RE = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(\.{_LABEL})*")


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an IP address can't be the one host a key names (None: it can). Loopback stays allowed:
    the e2e host and an S3 service on the same machine are reached there."""
    if address.is_unspecified:
        return f"{address} is the unspecified address (any interface), not a host"
    if address.is_multicast:
        return f"{address} is a multicast group address, not a host"
    if address == ipaddress.IPv4Address("255.255.255.255"):
        return f"{address} is the limited broadcast address, not a host"
    return None


def host_problem(host: str) -> str | None:
    """Why `host` (a DNS name, an IPv4 address or an [IPv6] address) can't be a host; None if it can."""
    bracketed = host.startswith("[") and host.endswith("]")
    try:
        address = ipaddress.ip_address(host[1:-1] if bracketed else host)
    except ValueError:
        if not bracketed and HOSTNAME_RE.fullmatch(host) and not host.replace(".", "").isdigit():
            return None
        return f"{host!r} is not a host name or IP address"
    if (address.version == 6) != bracketed:
        return f"{host!r} is not a host name or IP address (IPv6 goes in brackets: [2001:db8::5])"
    return address_problem(address)


def is_host(host: str) -> bool:
    return host_problem(host) is None


def split_host_port(v: str) -> tuple[str, str]:
    """("host", "port") of `host[:port]`, `[v6]:port`; a bare IPv6 address has no port."""
    if v.startswith("["):
        host, _, rest = v.partition("]")
        return (host + "]", rest[1:]) if rest.startswith(":") else (v, "")
    if v.count(":") == 1:
        host, _, port = v.partition(":")
        return host, port
    return v, ""


def host_port(v: str, *, port_required: bool, example: str) -> tuple[str, int | None]:
    """`host[:port]` with a valid host (IPv6 in brackets) and a TCP port 1-65535."""
    host, port = split_host_port(v)
    problem = host_problem(host)
    if problem:
        raise ValueError(f"{problem}; use host{':port' if port_required else '[:port]'}, e.g. {example}")
    if not port:
        if port_required:
            raise ValueError(f"must be host:port, e.g. {example}")
        return host, None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"port {port!r} is not a TCP port (1-65535); e.g. {example}")
    return host, int(port)


# --- image references -----------------------------------------------------------------------
# The reference grammar of Docker and every OCI registry client (github.com/distribution/
# reference, regexp.go): [domain[:port]/]path-components[:tag][@digest], names <= 255 chars.
_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
IMAGE_RE = re.compile(rf"(?P<name>{_NAME})(?::(?P<tag>[\w][\w.-]{{0,127}}))?(?:@(?P<digest>sha256:[0-9a-f]{{64}}))?", re.ASCII)
DIGEST_RE = re.compile(r"@sha256:[0-9a-f]{64}\Z")
NAME_MAX = 255


def image(v: str) -> str:
    m = IMAGE_RE.fullmatch(v)
    if not m or len(m["name"]) > NAME_MAX:
        raise ValueError("must be an image reference such as registry/repo:tag or repo@sha256:<64 hex> "
                         "(lower-case path components separated by '/', a tag of letters, digits, '_', '.', '-')")
    if not m["tag"] and not m["digest"]:
        # No tag means `latest`: a new push would not change the reference, so no release would run.
        raise ValueError("must name a tag (or a digest): repo:1.2.3; without one Docker pulls `latest`")
    if m["tag"] == "latest":
        raise ValueError("`latest` moves under the stack: name a version tag such as repo:1.2.3 (prod: also @sha256:<digest>)")
    return v


def image_registry(v: str) -> str:
    """The registry an image is pulled from, as Docker decides it (docker.io without a domain)."""
    first, slash, _ = v.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        return first
    return "docker.io"


# --- email ----------------------------------------------------------------------------------
EMAIL_RE = re.compile(r"[^@\s,]+@[^@\s,]+\.[a-z]{2,63}")


def climbs(path: str) -> bool:
    """True when a path has a '..' component (it may leave the folder it names)."""
    return ".." in path.split("/")


def control_free(v: str) -> bool:
    return not any(ord(c) < 32 or ord(c) == 127 for c in v)
