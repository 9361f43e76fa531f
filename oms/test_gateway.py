"""localstripe, the test gateway ``make run`` and the tests use when no Stripe key is set.

``python -m oms.test_gateway --port P`` serves localstripe's app bound to 127.0.0.1 only (the
``localstripe`` command listens on every interface) and from scratch (it never reloads the
state the package pickles to /tmp). :func:`start` runs it as a child process and waits until it
answers; :func:`register_webhook` asks it to send its signed webhooks to our endpoint.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

TEST_API_KEY = "sk_test_localstripe"
TEST_PUBLISHABLE_KEY = "pk_test_localstripe"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(port: int | None = None, *, timeout: float = 30.0) -> tuple[subprocess.Popen, str]:
    """Start the test gateway on ``port`` (a free one when None or taken); (process, base URL)."""
    if port is None or not _port_is_free(port):
        port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "oms.test_gateway", "--port", str(port)],
                               cwd=Path(__file__).resolve().parent.parent, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1).close()
            return process, url
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe (the test gateway) did not start") from None
            time.sleep(0.2)


def register_webhook(base_url: str, *, webhook_url: str, secret: str, name: str = "oms") -> None:
    """Have localstripe sign and send its events to ``webhook_url``."""
    data = urllib.parse.urlencode({"url": webhook_url, "secret": secret}).encode()
    urllib.request.urlopen(urllib.request.Request(f"{base_url}/_config/webhooks/{name}", data=data), timeout=10).close()


def flush(base_url: str) -> None:
    """Empty localstripe (``DELETE /_config/data``)."""
    urllib.request.urlopen(urllib.request.Request(f"{base_url}/_config/data", method="DELETE"), timeout=10).close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args(argv)
    from aiohttp import web
    from localstripe.server import app

    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
