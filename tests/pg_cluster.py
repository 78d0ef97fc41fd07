"""A throwaway PostgreSQL cluster on 127.0.0.1 (Debian's server binaries), for tests and the
backup benchmark. Runs as `postgres` when we are root, since the server refuses to run as root."""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bindir() -> str:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: run `make tools`")
    return found[-1].rsplit("/", 1)[0]


class TempCluster:
    def __init__(self, bindir: str | None = None):
        self.bindir = bindir or _bindir()
        self.port = free_port()
        self.base = tempfile.mkdtemp(prefix="xqfc-pg-")
        self.data = os.path.join(self.base, "data")
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *argv: str) -> None:
        subprocess.run([*self.as_user, *argv], check=True, capture_output=True)

    def start(self) -> TempCluster:
        self._run(f"{self.bindir}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        opts = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-o", opts, "-w",
                  "-l", os.path.join(self.base, "log"), "start")
        return self

    def stop(self) -> None:
        try:
            self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def tool(self, name: str) -> str:
        """Command prefix for a client tool pointed at this cluster."""
        return f"{name} -h 127.0.0.1 -p {self.port} -U postgres"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-X", "-A", "-t",
             "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
            check=True, capture_output=True, text=True)
        return result.stdout.strip()
