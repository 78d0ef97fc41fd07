"""Process pipelines: producer | compressor -> file (hashed on the way), file -> decompressor | consumer.

Everything streams: a dump is never held in memory, and never written uncompressed to disk.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO

from .manifest import CHUNK


class PipelineError(RuntimeError):
    pass


@dataclass(frozen=True)
class Codec:
    name: str
    suffix: str
    compress: tuple[str, ...]  # empty: store as is
    decompress: tuple[str, ...]
    test: tuple[str, ...]  # integrity check of a whole file, () when the format has none


def codec(name: str, level: int = 3) -> Codec:
    if name == "zstd":
        # -T0: all cores; zstd writes a content checksum by default, which `zstd -t` checks.
        return Codec("zstd", ".zst", ("zstd", "-q", "-c", "-T0", f"-{level}"),
                     ("zstd", "-q", "-d", "-c"), ("zstd", "-q", "-t"))
    if name == "gzip":
        return Codec("gzip", ".gz", ("gzip", "-c", f"-{min(max(level, 1), 9)}"),
                     ("gzip", "-d", "-c"), ("gzip", "-t"))
    if name == "none":
        return Codec("none", "", (), (), ())
    raise ValueError(f"unknown compression {name!r} (zstd, gzip, none)")


def require_binaries(argvs: Sequence[Sequence[str]]) -> None:
    for argv in argvs:
        if argv and shutil.which(argv[0]) is None:
            raise PipelineError(f"{argv[0]} not found on PATH")


def _stderr_text(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode(errors="replace").strip()[-2000:]


def _stdout(proc: subprocess.Popen[bytes]) -> IO[bytes]:
    # Started with stdout=PIPE, so never None; the stubs can't tell which stdout= it had.
    if proc.stdout is None:
        raise PipelineError(f"{proc.args!r} has no stdout pipe")
    return proc.stdout


class _Stages:
    """Processes of one pipeline: each stage's stderr goes to a temp file (a full pipe would
    deadlock), failures are reported per stage, and nothing outlives the pipeline."""

    def __init__(self, stack: ExitStack):
        self.stack = stack
        self.procs: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []
        stack.callback(self._reap)

    def start(self, argv: Sequence[str], stdin: IO[bytes] | int, stdout: int) -> subprocess.Popen[bytes]:
        err = self.stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed by the stack
        proc = subprocess.Popen(list(argv), stdin=stdin, stdout=stdout, stderr=err)
        self.procs.append((argv[0], proc, err))
        return proc

    def wait_all(self) -> None:
        failures = []
        for label, proc, err in self.procs:
            code = proc.wait()
            if code != 0:
                failures.append(f"{label} exited {code}: {_stderr_text(err)}")
        if failures:
            raise PipelineError("; ".join(failures))

    def _reap(self) -> None:
        for _, proc, _err in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def produce_to_file(producer: Sequence[str] | None, source_path: str | None, codec_: Codec,
                    out_path: str) -> tuple[str, int]:
    """Run `producer` (or read `source_path`) through the codec into `out_path`.

    Returns (sha256, size) of what was written. Any stage failing raises, naming the stage.
    """
    require_binaries([producer or (), codec_.compress])
    with ExitStack() as stack:
        stages = _Stages(stack)
        upstream: IO[bytes] | None = stack.enter_context(open(source_path, "rb")) if source_path else None
        if producer:
            upstream = _stdout(stages.start(producer, subprocess.DEVNULL, subprocess.PIPE))
        if upstream is None:
            raise PipelineError("nothing to read: neither a producer nor a source path")
        if codec_.compress:
            compressor = stages.start(codec_.compress, upstream, subprocess.PIPE)
            if producer:
                upstream.close()  # the compressor owns it now, so SIGPIPE can reach the producer
            upstream = _stdout(compressor)
        digest = hashlib.sha256()
        size = 0
        with open(out_path, "wb") as out:
            while chunk := upstream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        stages.wait_all()
        return digest.hexdigest(), size


def file_to_consumer(in_path: str, codec_: Codec, consumer: Sequence[str]) -> None:
    """Decompress `in_path` into the stdin of `consumer` (e.g. pg_restore)."""
    require_binaries([codec_.decompress, consumer])
    with ExitStack() as stack:
        stages = _Stages(stack)
        upstream: IO[bytes] = stack.enter_context(open(in_path, "rb"))
        if codec_.decompress:
            upstream = _stdout(stages.start(codec_.decompress, upstream, subprocess.PIPE))
        stages.start(consumer, upstream, subprocess.DEVNULL)
        if codec_.decompress:
            upstream.close()
        stages.wait_all()


def check_integrity(path: str, codec_: Codec) -> None:
    """The compressor's own integrity check (zstd frame checksum, gzip CRC)."""
    if not codec_.test:
        return
    require_binaries([codec_.test])
    result = subprocess.run([*codec_.test, path], check=False, capture_output=True)
    if result.returncode != 0:
        raise PipelineError(f"{path} fails {codec_.test[0]} integrity test: "
                            f"{result.stderr.decode(errors='replace').strip()}")
