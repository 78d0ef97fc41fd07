"""The bucket: upload with proof, list backups, download, delete. Any S3-compatible store
(Tencent COS, Alibaba OSS, MinIO, moto)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from .manifest import CHUNK, sha256_stream
from .naming import MANIFEST_NAME, split_key

MB = 1024 * 1024


class VerifyError(RuntimeError):
    pass


@dataclass(frozen=True)
class StoreSettings:
    bucket: str
    endpoint_url: str | None
    region: str | None
    addressing_style: Literal["virtual", "path", "auto"] = "virtual"  # OSS accepts only virtual-hosted; moto on an IP needs path
    multipart_threshold_mb: int = 64
    multipart_chunk_mb: int = 16
    readback: bool = True


@dataclass(frozen=True)
class BackupEntry:
    ts: str
    files: frozenset[str]

    @property
    def complete(self) -> bool:
        """The manifest is uploaded last, after the data is verified: it is the commit mark."""
        return MANIFEST_NAME in self.files


class ChecksumOptions(TypedDict, total=False):
    request_checksum_calculation: Literal["when_supported", "when_required"]
    response_checksum_validation: Literal["when_supported", "when_required"]


def checksum_options() -> ChecksumOptions:
    """botocore >= 1.36 adds CRC checksums by default, which COS and OSS reject or ignore; we
    verify with our own sha256 instead. Older botocore (the hosts' apt python3-boto3: Debian 12
    1.26, Ubuntu 24.04 1.34) adds none and refuses the options ("unexpected keyword argument"),
    so they are passed only where botocore knows them."""
    options: ChecksumOptions = {}
    if "request_checksum_calculation" in Config.OPTION_DEFAULTS:
        options["request_checksum_calculation"] = "when_required"
    if "response_checksum_validation" in Config.OPTION_DEFAULTS:
        options["response_checksum_validation"] = "when_required"
    return options


class Store:
    def __init__(self, settings: StoreSettings):
        self.settings = settings
        self.bucket = settings.bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            config=Config(
                s3={"addressing_style": settings.addressing_style},
                retries={"max_attempts": 5, "mode": "standard"},
                **checksum_options(),
            ),
        )
        self.transfer = TransferConfig(
            multipart_threshold=settings.multipart_threshold_mb * MB,
            multipart_chunksize=settings.multipart_chunk_mb * MB,
            max_concurrency=4,
        )

    def upload_verified(self, path: str, key: str, sha256: str, size: int) -> None:
        """Upload, then prove the stored object is ours: size, our sha256 metadata, and (unless
        disabled) a full re-read. The ETag of a multipart upload is not an MD5 of the data, so
        it proves nothing here."""
        self.client.upload_file(path, self.bucket, key, Config=self.transfer,
                                ExtraArgs={"Metadata": {"sha256": sha256}})
        self.verify(key, sha256, size, readback=self.settings.readback)

    def verify(self, key: str, sha256: str, size: int, readback: bool) -> None:
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        if head["ContentLength"] != size:
            raise VerifyError(f"{key}: stored size {head['ContentLength']} != local {size}")
        stored_sha = head.get("Metadata", {}).get("sha256")
        if stored_sha != sha256:
            raise VerifyError(f"{key}: stored sha256 metadata {stored_sha!r} != {sha256}")
        if readback:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            got_sha, got_size = sha256_stream(body)
            if (got_sha, got_size) != (sha256, size):
                raise VerifyError(f"{key}: re-read gives sha256 {got_sha} / {got_size} bytes")

    def put_text(self, key: str, text: str) -> None:
        data = text.encode()
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data,
                               ContentType="application/json")
        got = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        if got != data:
            raise VerifyError(f"{key}: re-read differs from what was written")

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def download(self, key: str, path: str) -> None:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        with open(path, "wb") as out:
            while chunk := body.read(CHUNK):
                out.write(chunk)

    def exists_with_size(self, key: str, size: int) -> bool:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError:
            return False
        return head["ContentLength"] == size

    def list_backups(self, series: str) -> list[BackupEntry]:
        """Backups under `series`, oldest first, grouped by the timestamp in their keys."""
        groups: dict[str, set[str]] = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=series):
            for obj in page.get("Contents", []):
                parsed = split_key(series, obj["Key"])
                if parsed:
                    groups.setdefault(parsed[0], set()).add(parsed[1])
        return [BackupEntry(ts, frozenset(files)) for ts, files in sorted(groups.items())]

    def delete_backup(self, series: str, entry: BackupEntry) -> None:
        keys = [{"Key": f"{series}{entry.ts}/{name}"} for name in sorted(entry.files)]
        # The manifest goes first so a half-deleted backup is never mistaken for a complete one.
        keys.sort(key=lambda k: not k["Key"].endswith(MANIFEST_NAME))
        for key in keys:
            self.client.delete_object(Bucket=self.bucket, Key=key["Key"])
