"""Download a backup and prove it intact before anything else looks at it."""
from __future__ import annotations

import logging
import os

from .manifest import Manifest, sha256_file
from .pipeline import check_integrity, codec
from .publish import latest_complete
from .store import Store, VerifyError

log = logging.getLogger("xqfc.backup")


def fetch_verified(store: Store, root: str, kind: str, name: str, timestamp: str | None,
                   work_dir: str) -> tuple[Manifest, str]:
    """(manifest, local path) of a backup whose size, sha256 and compression frames all match
    its manifest. Raises VerifyError otherwise; the caller has touched nothing yet."""
    _, manifest = latest_complete(store, root, kind, name, timestamp)
    path = os.path.join(work_dir, manifest.file_name)
    log.info("downloading %s", manifest.object_key)
    store.download(manifest.object_key, path)
    sha, size = sha256_file(path)
    if size != manifest.size:
        raise VerifyError(f"{manifest.object_key}: {size} bytes, manifest says {manifest.size}"
                          " (truncated or replaced object)")
    if sha != manifest.sha256:
        raise VerifyError(f"{manifest.object_key}: sha256 {sha} != manifest {manifest.sha256}"
                          " (corrupted object)")
    check_integrity(path, codec(manifest.compression))
    log.info("verified %s (%d bytes, sha256 %s)", manifest.object_key, size, sha)
    return manifest, path
