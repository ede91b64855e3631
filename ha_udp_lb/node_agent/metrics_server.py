"""`GET /metrics` on the node's own address: the agent's latest Prometheus text, served from a thread
so that a slow scraper never holds a turn. The agent serves it itself rather than through Debian's
node_exporter: one process less to install and keep alive on a minimal host, the text exactly as fresh
as the agent's last report, and a scrape that fails exactly when the agent is gone (`up == 0`)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import report

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsServer:
    def __init__(self, address: str, port: int) -> None:
        self.address, self.port = address, port
        self.text = b""
        self.server: ThreadingHTTPServer | None = None
        self.refused = ""

    def publish(self, text: str) -> None:
        """The text the next scrape gets; the server starts on the first call (again, until it binds)."""
        self.text = text.encode()
        if self.server is None:
            self._start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def _start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 5  # a client that sends nothing is dropped, not held on to with a thread

            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404, "only /metrics is served here")
                    return
                body = owner.text
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # a scrape every few seconds is not news

        try:
            self.server = ThreadingHTTPServer((self.address, self.port), Handler)
        except OSError as refused:
            if str(refused) != self.refused:  # said once, tried again at every report
                self.refused = str(refused)
                report.log(f"metrics not served on {self.address}:{self.port} yet: {refused}")
            return
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True).start()
        report.log(f"metrics served on http://{self.address}:{self.port}/metrics")
