"""One lifecycle for the sandbox's HTTP servers (storage, forge): TLS, a serving thread, a clean stop.

Google's endpoints and the forges learners use are HTTPS only, so every sandbox server speaks
TLS with the sandbox's own CA (`DIR/ca.pem`, see `tls.py`): a client that works here trusts a
CA the way it would trust Google's or GitHub's, never through `verify=False`. Each server
runs in a daemon thread that polls for shutdown often, so a sandbox stops within a moment.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable


class TlsServer(ThreadingHTTPServer):
    """A threaded HTTP server whose handshake happens in the request's thread, not the accept loop."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def hang_up(self) -> None:
        """Close every connection still open (kept alive between requests): a client sees the server
        went away and opens a new connection, as it would to a restarted server, instead of being
        answered by a stopped one."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            return  # a client that does not trust the CA, or hung up during the handshake
        super().handle_error(request, client_address)


class Served:
    """A server running in its own thread on `host:port`; `stop()` ends it and frees the port."""

    def __init__(self, httpd: TlsServer, thread: threading.Thread) -> None:
        self.httpd = httpd
        self.thread = thread

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.thread.join(timeout=5)
        self.httpd.server_close()


def serve(
    name: str,
    handler: Callable[..., BaseHTTPRequestHandler],
    tls_root: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    before: Callable[[int], None] | None = None,
) -> Served:
    """Serve `handler` over HTTPS with the sandbox's certificate (made on first use) on `host:port`.

    `before(port)` runs once the port is bound and before the first request is accepted (to record
    URLs that depend on the port). The thread is named `sandbox-{name}-{port}`, for stack dumps.
    """
    from wizard.sandbox.tls import ensure_tls

    httpd = TlsServer((host, port), handler)
    try:
        httpd.socket = (
            ensure_tls(tls_root)
            .server_context()
            .wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        )
        bound = int(httpd.server_address[1])
        if before is not None:
            before(bound)
    except BaseException:
        httpd.server_close()
        raise
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox-{name}-{bound}", daemon=True
    )
    thread.start()
    return Served(httpd, thread)
