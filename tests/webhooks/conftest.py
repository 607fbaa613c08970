"""A webhook receiver on 127.0.0.1 (http.server in a thread) and the endpoints that point at it."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.services import endpoint_create


class Receiver:
    """Records every POST (path, headers, raw body) and answers `status`."""

    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def json(self, index: int = -1) -> dict:
        return json.loads(self.requests[index]["body"])

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (a receiver that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def celery_pools_reset():
    """Forget the broker connections a test closed (the worker fixture closes its pools when it
    stops, and a closed pool is not opened again)."""
    from kombu import pools

    from config.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def fresh_celery_pools():
    celery_pools_reset()
    yield
    celery_pools_reset()


def endpoint_for(store, url: str, events=("customer_card.stamped",)):
    """An endpoint of `store` and its secret."""
    return endpoint_create(store=store, data={"url": url, "events": list(events)})
