"""Failures that are nobody's request: a bug in a handler, a client that leaves mid-body.
The client hears an OpenAI-style error where there is one to hear, and the connection and
the server stay usable."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from support.serving import RunningServer

from promptcraft.server.errors import AnswerFailures
from promptcraft.server.run import bind_socket


async def _fail(request: Request) -> PlainTextResponse:
    raise RuntimeError("a bug")


async def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


@pytest.fixture
def failing_app_port() -> Iterator[int]:
    """A loopback server of an app with a failing route, behind the server's AnswerFailures
    (no server route fails on purpose, so the middleware is checked on its own)."""
    app = Starlette(
        routes=[Route("/fail", _fail), Route("/ok", _ok)],
        middleware=[Middleware(AnswerFailures)],
    )
    sock = bind_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_an_internal_error_is_a_500_and_the_connection_stays_open(failing_app_port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", failing_app_port, timeout=30)
    try:
        connection.request("GET", "/fail")
        failed = connection.getresponse()
        body = failed.read()
        assert failed.status == 500
        assert b'"code":"internal_error"' in body
        # The same connection (keep-alive) answers the next request; starlette's own
        # handler for Exception re-raises, and uvicorn then closed it.
        connection.request("GET", "/ok")
        after = connection.getresponse()
        assert (after.status, after.read()) == (200, b"ok")
    finally:
        connection.close()


def test_a_client_that_leaves_mid_body_is_not_an_internal_error(server: RunningServer) -> None:
    host, port = server.root_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"model": '
        )
    deadline = time.monotonic() + 60
    while "client left during POST /v1/completions" not in server.log():
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    assert "internal error" not in server.log()
