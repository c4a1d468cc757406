"""Every answer of the local app in the one error shape, over real HTTP: the app as scripts/dev
serves it (uvicorn, functions.app:app), sent requests byte for byte over a raw socket, as a
careless or hostile client would.

Some malformed requests never reach the app: uvicorn's HTTP parser (h11) refuses them with its
own 400 text/plain "Invalid HTTP request received." and the app is not called. Those are the
server's, outside the app; the tests check that they are indeed refused before the app (uvicorn
writes an access-log line, naming the client's port, for every answer the app gives, and none
for those), and that everything that does reach the app is answered in the shape.
"""

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass

import httpx
import pytest

from devtools.dynamodb_local import ROOT
from devtools.processes import free_port, stop_process, wait_until
from tests.hostile.support import API, error_shape_problems

pytestmark = pytest.mark.e2e

ALLOWED_ORIGIN = "http://localhost:3000"


@dataclass
class LocalApp:
    port: int
    log: object  # the server's output: access log and warnings

    def access_logged(self, client_port: int) -> bool:
        """Whether the app answered a request from that client port (uvicorn's access log)."""
        return f"127.0.0.1:{client_port} - " in self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def local_app(tmp_path_factory):
    log = tmp_path_factory.mktemp("local-app") / "uvicorn.log"
    port = free_port()
    env = dict(
        os.environ,
        SESSION_STORE="memory",
        ORCHESTRATOR_URL=f"http://127.0.0.1:{free_port()}",  # none: no test here reaches it
        CORS_ORIGINS=f'["{ALLOWED_ORIGIN}"]',
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "functions.app:app",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200,
            30, "the local app", server,
        )  # fmt: skip
        yield LocalApp(port, log)
    finally:
        stop_process(server)


@dataclass
class Answer:
    client_port: int
    status: int
    headers: dict[str, str]
    content: bytes

    def json(self):
        return json.loads(self.content)


def send_raw(app: LocalApp, request: bytes) -> Answer:
    """Send `request` as is and read one answer (its Content-Length, or until the server closes
    the connection)."""
    with socket.create_connection(("127.0.0.1", app.port), timeout=15) as sock:
        client_port = sock.getsockname()[1]
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"the connection closed without an answer: {data!r}"
            data += chunk
        head, _, content = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", -1))
        while length < 0 or len(content) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            content += chunk
    return Answer(client_port, int(status_line.split()[1]), headers, content)


def request(method: str, target: bytes, *headers: bytes, body: bytes = b"") -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def preflight(origin: str, method: str) -> bytes:
    return request(
        "OPTIONS", f"{API}/chat".encode(), f"Origin: {origin}".encode(),
        f"Access-Control-Request-Method: {method}".encode(),
        b"Access-Control-Request-Headers: content-type,x-user-id", b"Connection: close",
    )  # fmt: skip


def post(target: bytes, *headers: bytes, body: bytes) -> bytes:
    return request(
        "POST", target, b"Content-Type: application/json", b"X-User-Id: alice", *headers,
        body=body,
    )  # fmt: skip


class _Case:
    def __init__(self, raw: bytes, status: int, code: str):
        self.raw, self.status, self.code = raw, status, code


CLOSE = b"Connection: close"
# What reaches the app, and what it must answer: the status and the error code.
SEEN_BY_THE_APP = {
    # uvicorn decodes a percent-encoded path as UTF-8 with U+FFFD for what is not: the app
    # sees /session/\ufffd, no session of that id exists.
    "invalid UTF-8 (%FF) in an API path": _Case(
        request("GET", f"{API}/session/%FF%FE".encode(), b"X-User-Id: alice", CLOSE),
        404, "not_found",
    ),  # fmt: skip
    "invalid UTF-8 (%C0%AF, overlong '/') in a page path": _Case(
        request("GET", b"/%C0%AF..%C0%AFetc%C0%AFpasswd", CLOSE), 404, "not_found"
    ),
    "invalid UTF-8 (%FF) in an unknown API path": _Case(
        request("POST", f"{API}/%FF".encode(), CLOSE), 404, "not_found"
    ),
    "invalid UTF-8 (%FF) in the query": _Case(
        request("GET", f"{API}/session/x/messages?cursor=%FF".encode(), CLOSE),
        404, "not_found",
    ),  # fmt: skip
    "Content-Length shorter than the body": _Case(
        post(f"{API}/session".encode(), b"Content-Length: 1", CLOSE, body=b"{}"),
        400, "invalid_request",
    ),  # fmt: skip
    "Content-Length past the limit, a small body sent": _Case(
        # No Connection: close and no more bytes: the app must not wait for what never comes.
        post(f"{API}/session".encode(), b"Content-Length: 100000", body=b"{}"),
        413, "payload_too_large",
    ),  # fmt: skip
    "Content-Length of 20 digits": _Case(
        post(f"{API}/chat".encode(), b"Content-Length: 99999999999999999999", body=b"{}"),
        413, "payload_too_large",
    ),  # fmt: skip
}


@pytest.mark.parametrize("case", list(SEEN_BY_THE_APP.values()), ids=list(SEEN_BY_THE_APP))
def test_what_reaches_the_app_is_answered_in_the_error_shape(local_app, case):
    answer = send_raw(local_app, case.raw)

    assert answer.status == case.status, answer
    assert not error_shape_problems(answer), (error_shape_problems(answer), answer)
    assert answer.json()["error"]["code"] == case.code
    assert local_app.access_logged(answer.client_port)


def test_a_refused_preflight_still_grants_nothing(local_app):
    answer = send_raw(local_app, preflight("http://evil.example", "POST"))
    assert answer.status == 400
    assert "access-control-allow-origin" not in answer.headers
    assert answer.content == b"Disallowed CORS origin"


def test_an_allowed_preflight_is_unchanged(local_app):
    answer = send_raw(local_app, preflight(ALLOWED_ORIGIN, "POST"))
    assert answer.status == 200
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(
    "range_header", [b"Range: bytes=999999-", b"Range: lines=1-2", b"Range: bytes=5-1"]
)
def test_the_page_is_served_whole_whatever_range_is_asked(local_app, range_header):
    """Starlette would answer these 416 or 400 in text/plain; the page ignores Range."""
    whole = httpx.get(f"http://127.0.0.1:{local_app.port}/", timeout=10)
    answer = send_raw(local_app, request("GET", b"/", range_header, CLOSE))
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.content == whole.content


# What uvicorn's parser refuses before calling the app: the server's 400, not the app's.
REFUSED_BY_THE_SERVER = {
    "a raw 0xFF byte in the path": request("GET", f"{API}/session/\xff".encode("latin-1"), CLOSE),
    "a raw 0xFF byte in the query": request("GET", b"/?q=\xff", CLOSE),
    "Content-Length not a number": post(b"/api/dashboard/session", b"Content-Length: abc",
                                        CLOSE, body=b"{}"),
    "Content-Length negative": post(b"/api/dashboard/session", b"Content-Length: -1", CLOSE,
                                    body=b"{}"),
    "Content-Length with a sign": post(b"/api/dashboard/session", b"Content-Length: +2", CLOSE,
                                       body=b"{}"),
    "two different Content-Lengths": post(b"/api/dashboard/session", b"Content-Length: 2",
                                          b"Content-Length: 3", CLOSE, body=b"{}"),
    "a Transfer-Encoding other than chunked": post(b"/api/dashboard/session",
                                                   b"Transfer-Encoding: gzip", CLOSE, body=b"{}"),
    "HTTP/1.1 without Host": b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n",
}  # fmt: skip


@pytest.mark.parametrize(
    "raw", list(REFUSED_BY_THE_SERVER.values()), ids=list(REFUSED_BY_THE_SERVER)
)
def test_what_the_server_refuses_never_reaches_the_app(local_app, raw):
    answer = send_raw(local_app, raw)

    assert answer.status == 400
    assert not local_app.access_logged(answer.client_port)
    assert answer.headers["content-type"].startswith("text/plain")  # uvicorn's, not the app's
