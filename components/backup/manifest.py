"""The manifest: what a backup is, and the checksum a restore must match before it starts."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

# 2: PostgreSQL manifests carry `tables` and `sample_rows`, the statistics taken in the dump's
# own snapshot. 1 is still read (restore works; the drill falls back to the live database).
SCHEMA_VERSION = 2
READABLE_SCHEMAS = (1, 2)
CHUNK = 1024 * 1024


# The backup tool writing a manifest; bumped with the manifest schema.
TOOL_VERSION = "2"


@dataclass(frozen=True)
class Manifest:
    kind: str  # "postgres" | "redis"
    name: str  # database name or Redis instance name
    timestamp: str  # naming.TS_FORMAT, same as in the key
    created_at: str  # ISO 8601 UTC
    object_key: str
    file_name: str
    format: str  # "pg_dump-custom" | "redis-rdb"
    compression: str  # "zstd" | "gzip" | "none"
    size: int  # bytes of the stored (compressed) object
    sha256: str  # of the stored (compressed) object
    server_version: str
    tool_version: str
    duration_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)
    # {"public.listing": {"rows": 3000, "sample_md5": "..."}} in the dump's snapshot; None when
    # not recorded (Redis, or a schema-1 manifest).
    tables: dict[str, dict[str, Any]] | None = None
    sample_rows: int | None = None  # rows the sample_md5 values cover
    schema: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Manifest:
        data = json.loads(text)
        if data.get("schema") not in READABLE_SCHEMAS:
            raise ValueError(f"unsupported manifest schema {data.get('schema')!r}")
        return cls(**data)


class Readable(Protocol):
    """A file opened "rb", or botocore's StreamingBody (an S3 object's Body), which is no file."""

    def read(self, size: int, /) -> bytes: ...


def sha256_stream(stream: Readable) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def sha256_file(path: str) -> tuple[str, int]:
    with open(path, "rb") as handle:
        return sha256_stream(handle)
