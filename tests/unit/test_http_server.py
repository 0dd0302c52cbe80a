"""The embedded waitress server stops cleanly, even when its wake-up pipe is already gone."""

import os
import time
from urllib.request import urlopen

from bot.http import HttpServer


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_serves_then_stops():
    server = HttpServer(hello, port=0).start()
    with urlopen(server.url, timeout=5) as response:
        assert response.read() == b"hello"
    server.stop()
    assert not server._thread.is_alive()


def test_stops_within_the_poll_timeout_when_the_wake_up_pipe_is_closed():
    server = HttpServer(hello, port=0).start()
    os.close(server._server.trigger.trigger)  # what a stray close of a reused descriptor does
    started = time.monotonic()
    server.stop()
    assert not server._thread.is_alive()
    assert time.monotonic() - started < 5  # the loop's own 1-second poll timeout ended it
