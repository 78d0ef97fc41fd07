"""A stand-in for the FastAPI app: answers with its version, echoes the proxy headers it saw,
and serves /health with a chosen status. Runs in a thread (make_server) or as a process
(python standin_app.py ...) started by the fake docker. Binds 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TEXT_BODY = ("Listing: three-bedroom flat near the county school, south-facing. " * 200).encode()


def make_server(version: str, health_status: int = 200, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keepalive from nginx's upstream pool
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus nginx's
        # delayed ACK adds 40 ms to every response (uvicorn sets it too).
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-App-Version", version)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/health":
                body = json.dumps({"status": "ok" if health_status == 200 else "failing",
                                   "version": version}).encode()
                self._send(health_status, body, "application/json")
            elif url.path == "/text":
                self._send(200, TEXT_BODY, "text/plain; charset=utf-8")
            else:
                if url.path == "/slow":
                    time.sleep(int(parse_qs(url.query).get("ms", ["300"])[0]) / 1000)
                body = json.dumps({"version": version, "path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}})
                self._send(200, body.encode(), "application/json")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    # Graceful stop like uvicorn on SIGTERM: shutdown() then server_close() joins handlers.
    server.daemon_threads = False
    server.block_on_close = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--health-status", type=int, default=200)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = make_server(args.version, args.health_status, args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever(poll_interval=0.05)
    server.server_close()


if __name__ == "__main__":
    main()
