"""The readiness gates' check that the host's busybox is statically linked
(components/render/host_readiness.py static_busybox): run by a real shell and python3 on ELF
files built here to the ELF specification (Program Header: PT_INTERP = 3 names the dynamic
loader; only a dynamically linked file has one), and cross-checked with binutils' readelf on
this machine's own binaries."""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from components.render.host_readiness import BUSYBOX_PROBLEM, cloud_init_ready, existing_host_ready, static_busybox

PT_LOAD, PT_INTERP = 1, 3


def elf(path: Path, bits: int, order: str, segments: list[int]) -> Path:
    """A minimal ELF file: the identification, the header fields the check reads, and program headers."""
    e = "<" if order == "little" else ">"
    ident = b"\x7fELF" + bytes([2 if bits == 64 else 1, 1 if order == "little" else 2, 1]) + bytes(9)
    if bits == 64:
        ph_size, header = 56, 64
        head = ident + struct.pack(e + "HHIQQQIHHHHHH", 2, 62, 1, 0, header, 0, 0, header, ph_size, len(segments), 0, 0, 0)
        phs = b"".join(struct.pack(e + "IIQQQQQQ", t, 5, 0, 0, 0, 0, 0, 0) for t in segments)
    else:
        ph_size, header = 32, 52
        head = ident + struct.pack(e + "HHIIIIIHHHHHH", 2, 3, 1, 0, header, 0, 0, header, ph_size, len(segments), 0, 0, 0)
        phs = b"".join(struct.pack(e + "IIIIIIII", t, 0, 0, 0, 0, 0, 5, 0) for t in segments)
    path.write_bytes(head + phs)
    path.chmod(0o755)
    return path


def passes(path: Path) -> bool:
    return subprocess.run(["sh", "-c", static_busybox(str(path))], capture_output=True).returncode == 0


@pytest.mark.parametrize("bits", [64, 32])
@pytest.mark.parametrize("order", ["little", "big"])
def test_static_passes_and_dynamic_fails(tmp_path, bits, order):
    assert passes(elf(tmp_path / "static", bits, order, [PT_LOAD, PT_LOAD]))
    assert not passes(elf(tmp_path / "dynamic", bits, order, [PT_LOAD, PT_INTERP, PT_LOAD]))


def test_missing_not_executable_or_not_elf_fails(tmp_path):
    assert not passes(tmp_path / "absent")
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho busybox\n")
    script.chmod(0o755)
    assert not passes(script)
    plain = elf(tmp_path / "plain", 64, "little", [PT_LOAD])
    plain.chmod(0o644)
    assert not passes(plain)


def test_agrees_with_readelf_on_this_machines_binaries():
    readelf = shutil.which("readelf")
    if readelf is None:
        pytest.skip("binutils' readelf is not installed: the synthetic ELF tests above still run")
    checked = {"static": 0, "dynamic": 0}
    elves = [p for p in sorted(Path("/usr/bin").iterdir()) if p.is_file() and not p.is_symlink()
             and p.open("rb").read(4) == b"\x7fELF"]
    # A sample, and busybox itself wherever it is installed (static on this machine: busybox-static).
    for f in [*elves[::max(1, len(elves) // 40)], *(p for p in (Path("/usr/bin/busybox"),) if p.exists())]:
        headers = subprocess.run([readelf, "-lW", str(f)], capture_output=True, text=True).stdout
        dynamic = any(line.split()[:1] == ["INTERP"] for line in headers.splitlines())
        assert passes(f) is not dynamic, f
        checked["dynamic" if dynamic else "static"] += 1
    assert checked["dynamic"] > 10, checked


def test_both_gates_refuse_a_host_without_it_and_say_how_to_fix_it():
    assert static_busybox() in cloud_init_ready() and BUSYBOX_PROBLEM in cloud_init_ready().replace("'", "")
    gate = existing_host_ready("deploy", "/data", "/var/lib/docker")
    assert static_busybox() in gate and "apt-get install busybox-static" in gate
