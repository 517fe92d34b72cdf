"""Serving the dashboards: a threaded WSGI server on 127.0.0.1 that the CLI and the tests start and stop.

Belongs here: `DashboardServer` (binds at once, so port 0 gives a free port the caller can read; runs in the
calling thread or a background one; `shutdown()` stops it within a second) over `dashboards.app.create_app()`.
Werkzeug's threaded server is enough for a loopback service; for a shared deployment, run
`dashboards.server:wsgi_app()` under any WSGI server (the app holds no per-process state that matters).
"""

from __future__ import annotations

import threading
import time

from werkzeug.serving import make_server

from dashboards.app import create_app


def wsgi_app():
    return create_app().server


class DashboardServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        started = time.perf_counter()
        self.app = create_app()
        self.httpd = make_server(host, port, self.app.server, threaded=True)
        self.host, self.port = self.httpd.server_address[:2]
        self.start_seconds = time.perf_counter() - started
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> DashboardServer:
        self._thread = threading.Thread(target=self.serve_forever, name="dashboards", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.app._levelup_releases.close()  # noqa: SLF001
        if self._thread is not None:
            self._thread.join(timeout=5)
