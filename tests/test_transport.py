"""numbers_core._transport against a real HTTP server on 127.0.0.1, under asyncio and trio.

The server is a plain threaded socket server (it runs the same whichever
event loop the client uses) whose behaviour is chosen by the request path,
and it records the bytes every request arrived as.
"""

from __future__ import annotations

import base64
import errno
import gzip
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import anyio
import httpx
import pytest
import respx
from numbers_core._http import DEFAULT_LIMITS, DEFAULT_TIMEOUT, HttpCore, Idempotency, RetryPolicy
from numbers_core._transport import (
    FastClient,
    Http11Transport,
    _headers,
    _pairs,
    _with_query,
    create_client,
    failure_text,
)
from numbers_core.errors import OutcomeUnknownError, ProviderError, TransportError, error_for_status

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "uvloop", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str | tuple[str, dict[str, bool]]:
    """The transport on uvloop too: a service's loop as often as not (uvicorn takes it where it is
    installed), with a ``create_connection`` of its own (before: every request failed on it)."""
    if request.param == "uvloop":
        pytest.importorskip("uvloop")
        return "asyncio", {"use_uvloop": True}
    return str(request.param)


_JSON = b'{"ok": true, "n": 1}'


def _response(
    body: bytes = _JSON, status: str = "200 OK", headers: tuple[str, ...] = (), length: bool = True
) -> bytes:
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", *headers]
    if length:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Server:
    """One listening socket; a thread per connection; behaviour by path."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[tuple[bytes, list[tuple[str, str]], bytes]] = []  # (request line, headers, body)
        self.connections = 0
        self.release = threading.Event()  # lets a stalled handler finish
        self.closed = threading.Event()  # set when a handler closes its connection on purpose
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                line, *lines = head.split(b"\r\n")
                headers = [tuple(part.strip() for part in raw.decode().split(":", 1)) for raw in lines]
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
                path = line.split(b" ")[1].decode()
                if path == "/stall-unread":
                    # Reads nothing more: the client's writes fill the socket buffers and then block.
                    self.release.wait(10)
                    return
                while len(buffer) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                body, buffer = buffer[:length], buffer[length:]
                self.requests.append((line, headers, body))  # type: ignore[arg-type]
                if not self._answer(conn, path, line, headers, body):  # type: ignore[arg-type]
                    return

    def _answer(
        self, conn: socket.socket, path: str, line: bytes, headers: list[tuple[str, str]], body: bytes
    ) -> bool:
        """Answer one request; False closes the connection."""
        route = path.split("?")[0]
        if line.startswith(b"HEAD "):
            conn.sendall(_response().removesuffix(_JSON))  # the head a GET would get, no body
        elif route == "/echo":
            seen = {"line": line.decode(), "headers": headers, "body": body.decode()}
            conn.sendall(_response(json.dumps(seen).encode()))
        elif route == "/json":
            conn.sendall(_response())
        elif route == "/chunked":
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                b"5;ext=1\r\n"
                + _JSON[:5]
                + b"\r\n"
                + f"{len(_JSON) - 5:x}\r\n".encode()
                + _JSON[5:]
                + b"\r\n0\r\nX-Trailer: yes\r\n\r\n"
            )
        elif route == "/gzip":
            conn.sendall(_response(gzip.compress(_JSON), headers=("Content-Encoding: gzip",)))
        elif route == "/until-close":
            conn.sendall(_response(length=False, headers=("Connection: close",)))
            return False
        elif route == "/interim":
            conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + _response())
        elif route == "/no-content":
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
        elif route == "/stall":
            self.release.wait(10)
            return False
        elif route == "/hang-up":
            return False
        elif route == "/short":
            conn.sendall(_response()[:-5])
            return False
        elif route == "/garbage":
            conn.sendall(b"SPDY/9 what\r\n\r\n")
            return False
        elif route == "/close-after":
            conn.sendall(_response())
            conn.shutdown(socket.SHUT_RDWR)
            self.closed.set()
            return False
        elif route == "/unasked":
            # A whole answer, then bytes nobody asked for on a connection left open.
            conn.sendall(_response() + b"HTTP/1.1 200 OK\r\n")
            self.closed.set()
        elif route == "/error":
            conn.sendall(_response(b'{"code": 20404}', status="404 Not Found"))
        else:
            conn.sendall(_response(b"{}", status="500 Internal Server Error"))
        return True

    def close(self) -> None:
        self.release.set()
        self.listener.close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def _client(**timeouts: float) -> FastClient:
    timeout = httpx.Timeout(5.0, **timeouts) if timeouts else DEFAULT_TIMEOUT
    return FastClient(timeout=timeout, limits=DEFAULT_LIMITS)


def _refused_port() -> int:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return int(port)


# -- success ------------------------------------------------------------------------------------


async def test_get_with_params_and_basic_auth(server: Server) -> None:
    async with _client() as client:
        params = {"PageSize": 30, "Beta": False, "Contains": "+1*"}
        response = await client.get(f"{server.url}/echo", params=params, auth=("AC1", "t0k"))
    assert response.status_code == 200
    assert response.http_version == "HTTP/1.1"
    assert response.reason_phrase == "OK"
    assert response.url == httpx.URL(f"{server.url}/echo?PageSize=30&Beta=false&Contains=%2B1%2A")
    seen = response.json()
    assert seen["line"] == "GET /echo?PageSize=30&Beta=false&Contains=%2B1%2A HTTP/1.1"
    headers = {name.lower(): value for name, value in seen["headers"]}
    assert headers["host"] == f"127.0.0.1:{server.port}"
    assert headers["authorization"] == "Basic " + base64.b64encode(b"AC1:t0k").decode()
    assert "content-length" not in headers
    assert response.request.headers["Authorization"] == headers["authorization"]
    assert response.elapsed.total_seconds() >= 0


async def test_post_form_and_json_bodies(server: Server) -> None:
    async with _client() as client:
        form = await client.post(f"{server.url}/echo", data={"PhoneNumber": "+14155550123", "Sms": True})
        as_json = await client.post(f"{server.url}/echo", json={"name": "é", "n": [1, 2]})
        empty = await client.post(f"{server.url}/echo")
    sent = form.json()
    assert sent["body"] == "PhoneNumber=%2B14155550123&Sms=true"
    assert ["Content-Type", "application/x-www-form-urlencoded"] in sent["headers"]
    assert form.request.content == b"PhoneNumber=%2B14155550123&Sms=true"
    sent = as_json.json()
    assert json.loads(sent["body"]) == {"name": "é", "n": [1, 2]}
    assert ["Content-Type", "application/json"] in sent["headers"]
    assert ["Content-Length", "0"] in empty.json()["headers"]


async def test_same_bytes_on_the_wire_as_httpx(server: Server) -> None:
    """The short path sends what httpx's own machinery would send, header for header."""
    calls: list[Callable[[httpx.AsyncClient], object]] = [
        lambda c: c.get(f"{server.url}/echo", params={"A": 1, "b": ["x", "y"]}, headers={"X-Id": "7"}),
        lambda c: c.post(f"{server.url}/echo", data={"PhoneNumber": "+14155550123"}, auth=("u", "p")),
        lambda c: c.request("PUT", f"{server.url}/echo", json={"k": None}, headers={"Accept": "text/plain"}),
        lambda c: c.delete(f"{server.url}/echo?x=1"),
    ]
    async with _client() as fast, httpx.AsyncClient(timeout=DEFAULT_TIMEOUT) as plain:
        for call in calls:
            ours = (await call(fast)).json()  # type: ignore[misc]
            theirs = (await call(plain)).json()  # type: ignore[misc]
            assert ours["line"] == theirs["line"]
            assert sorted(map(tuple, ours["headers"])) == sorted(map(tuple, theirs["headers"]))
            assert ours["body"] == theirs["body"]


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.test/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json",
        "http://127.0.0.1:8080/x/%2B1%20y/",
        "https://[::1]:8443/",
        "https://user@host.test/p#frag",
    ],
)
@pytest.mark.parametrize("params", [{"PhoneNumber": "+14155550123", "PageSize": 1000}, {"q": "a b&c=d/é*~"}])
def test_the_query_shortcut_builds_the_url_copy_with_builds(url: str, params: dict[str, object]) -> None:
    query = urlencode(_pairs(params))  # type: ignore[arg-type]
    fast, slow = _with_query(httpx.URL(url), query), httpx.URL(url).copy_with(query=query.encode())
    assert fast == slow
    assert (fast.raw_path, fast.query, fast.params, fast.netloc) == (
        slow.raw_path,
        slow.query,
        slow.params,
        slow.netloc,
    )
    assert str(fast) == str(slow)


def test_the_headers_shortcut_builds_what_the_constructor_builds() -> None:
    pairs = [
        (b"Content-Type", b"application/json; charset=utf-8"),
        (b"Set-Cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"X-Caf\xc3\xa9", b"caf\xc3\xa9"),
        (b"Date", b""),
    ]
    fast = _headers([(name, name.lower(), value) for name, value in pairs])
    slow = httpx.Headers(pairs)
    assert fast == slow
    assert fast.raw == slow.raw
    assert fast.multi_items() == slow.multi_items()
    assert fast.get_list("SET-COOKIE") == slow.get_list("set-cookie") == ["a=1", "b=2"]
    assert fast.encoding == slow.encoding == "utf-8"
    # What httpx.Response and httpx.Request do with a Headers object they are given.
    response = httpx.Response(200, headers=fast)
    assert response.headers.raw == slow.raw
    response.headers["X-Extra"] = "1"
    assert "x-extra" not in fast


async def test_keep_alive_reuses_one_connection(server: Server) -> None:
    async with _client() as client:
        for _ in range(5):
            assert (await client.get(f"{server.url}/json")).json() == {"ok": True, "n": 1}
    assert server.connections == 1


@pytest.mark.parametrize("path", ["/chunked", "/gzip", "/until-close", "/interim"])
async def test_body_framings(server: Server, path: str) -> None:
    async with _client() as client:
        response = await client.get(f"{server.url}{path}")
        again = await client.get(f"{server.url}/json")
    assert response.json() == {"ok": True, "n": 1}
    assert response.status_code == 200
    assert again.json() == {"ok": True, "n": 1}
    # Only a body that ran to the connection's end costs a second connection.
    assert server.connections == (2 if path == "/until-close" else 1)


async def test_no_content_and_head_have_no_body(server: Server) -> None:
    async with _client() as client:
        empty = await client.get(f"{server.url}/no-content")
        head = await client.head(f"{server.url}/json")
        after = await client.get(f"{server.url}/json")
    assert (empty.status_code, empty.content) == (204, b"")
    assert (head.status_code, head.content) == (200, b"")
    assert after.json() == {"ok": True, "n": 1}
    assert server.connections == 1


async def test_a_connection_the_server_closed_is_not_reused(server: Server) -> None:
    async with _client() as client:
        assert (await client.get(f"{server.url}/close-after")).status_code == 200
        await anyio.to_thread.run_sync(server.closed.wait, 5)
        assert (await client.get(f"{server.url}/json")).json() == {"ok": True, "n": 1}
    assert server.connections == 2


async def test_a_connection_with_unasked_bytes_is_not_reused(server: Server) -> None:
    async with _client() as client:
        assert (await client.get(f"{server.url}/unasked")).json() == {"ok": True, "n": 1}
        await anyio.to_thread.run_sync(server.closed.wait, 5)
        await anyio.sleep(0.05)  # the event loop may read them meanwhile, or not: either way
        assert (await client.get(f"{server.url}/json")).json() == {"ok": True, "n": 1}
    assert server.connections == 2


async def test_trace_marks_the_moment_the_request_goes_out(server: Server) -> None:
    events: list[str] = []

    async def trace(event: str, info: object) -> None:
        events.append(event)

    async with _client() as client:
        request = client.build_request("GET", f"{server.url}/json", extensions={"trace": trace})
        await client.send(request)
    assert events == ["http11.send_request_headers.started"]


async def test_requests_httpx_builds_go_through_the_same_transport(server: Server) -> None:
    """Cookies, streamed bodies and redirects take httpx's own path, over Http11Transport."""

    async def body() -> AsyncIterator[bytes]:
        yield b"streamed="
        yield b"yes"

    async with _client() as client:
        client.cookies.set("session", "abc")
        response = await client.post(f"{server.url}/echo", content=body())
    seen = response.json()
    assert seen["body"] == "streamed=yes"
    headers = {name.lower(): value for name, value in seen["headers"]}
    assert headers["cookie"] == "session=abc"
    assert headers["content-length"] == "12"
    assert "transfer-encoding" not in headers


async def test_a_plain_client_over_the_transport(server: Server) -> None:
    async with httpx.AsyncClient(transport=Http11Transport()) as client:
        response = await client.get(f"{server.url}/gzip")
        assert response.json() == {"ok": True, "n": 1}
        assert (await client.get(f"{server.url}/error")).status_code == 404
    assert server.connections == 1


# -- failures -----------------------------------------------------------------------------------


async def test_connection_refused_is_connect_error() -> None:
    async with _client() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{_refused_port()}/json")


async def test_connect_timeout() -> None:
    # A listener whose accept queue is full drops further connection attempts: connect() hangs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        async with _client(connect=0.2) as client:
            with pytest.raises(httpx.ConnectTimeout):
                await client.get(f"http://127.0.0.1:{port}/json")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_read_timeout(server: Server) -> None:
    async with _client(read=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{server.url}/stall")
        server.release.set()
        # The timed-out connection was dropped; the next request gets a fresh one.
        assert (await client.get(f"{server.url}/json")).status_code == 200
    assert server.connections == 2


async def test_write_timeout(server: Server) -> None:
    # Far more than the socket buffers hold, to a server that reads nothing more.
    huge = b"x" * (64 * 1024 * 1024)
    async with _client(write=0.2) as client:
        with pytest.raises(httpx.WriteTimeout):
            await client.post(f"{server.url}/stall-unread", content=huge)


async def test_pool_timeout(server: Server) -> None:
    client = FastClient(timeout=httpx.Timeout(5.0, pool=0.2), limits=httpx.Limits(max_connections=1))
    hung_up: list[BaseException] = []

    async def occupy() -> None:
        try:
            await client.get(f"{server.url}/stall")
        except httpx.RemoteProtocolError as exc:  # the stalled request ends with a hang-up
            hung_up.append(exc)

    async with client, anyio.create_task_group() as tg:
        tg.start_soon(occupy)
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(httpx.PoolTimeout):
            await client.get(f"{server.url}/json")
        server.release.set()
    assert len(hung_up) == 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/hang-up", "without sending a response"),
        ("/short", "complete message body"),
        ("/garbage", "malformed status line"),
    ],
)
async def test_broken_answers_are_remote_protocol_errors(server: Server, path: str, message: str) -> None:
    async with _client() as client:
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            await client.get(f"{server.url}{path}")


async def test_header_injection_is_refused(server: Server) -> None:
    async with _client() as client:
        with pytest.raises(httpx.LocalProtocolError):
            await client.get(f"{server.url}/json", headers={"X-Id": "1\r\nX-Evil: 1"})
    assert server.requests == []


async def test_a_closed_transport_refuses_requests(server: Server) -> None:
    client = _client()
    assert (await client.get(f"{server.url}/json")).status_code == 200
    await client.aclose()
    with pytest.raises(RuntimeError):  # httpx's own refusal of a closed client
        await client.get(f"{server.url}/json")
    transport = Http11Transport()
    await transport.aclose()
    with pytest.raises(httpx.ConnectError):
        await transport.handle_async_request(httpx.Request("GET", f"{server.url}/json"))


# -- TLS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(  # noqa: S603 - openssl with fixed arguments
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(65536)
                    conn.sendall(_response())
            except (OSError, ssl.SSLError):
                continue  # the client refused our certificate

    threading.Thread(target=serve, daemon=True).start()
    yield port
    listener.close()


async def test_tls_certificates_are_verified(tls_server: int) -> None:
    async with _client() as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(f"https://127.0.0.1:{tls_server}/json")


async def test_tls_with_a_trusted_certificate(tls_server: int, certificate: tuple[Path, Path]) -> None:
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    async with httpx.AsyncClient(transport=Http11Transport(ssl_context=trusted)) as client:
        for host in ("127.0.0.1", "localhost"):
            response = await client.get(f"https://{host}:{tls_server}/json")
            assert response.json() == {"ok": True, "n": 1}


# -- failures in the user's words ---------------------------------------------------------------

# What a dependency's error would show: class names, errno tuples, addresses as Python tuples.
_DEPENDENCY_WORDS = re.compile(r"Errno|[A-Z][a-z]+(Error|Timeout)\b|httpx|httpcore|\('")


def _any_client(kind: str, **timeouts: float) -> httpx.AsyncClient:
    if kind == "fast":
        return _client(**timeouts)
    return httpx.AsyncClient(timeout=httpx.Timeout(5.0, **timeouts))  # httpx's own transport (httpcore)


async def _failure_of(client: httpx.AsyncClient, url: str) -> str:
    async with client:
        request = client.build_request("GET", url)
        with pytest.raises(httpx.HTTPError) as caught:
            await client.send(request)
    text = failure_text(caught.value, request)
    assert not _DEPENDENCY_WORDS.search(text), text
    return text


@pytest.mark.parametrize("kind", ["fast", "httpx"])
async def test_failures_are_told_in_the_users_words(server: Server, kind: str) -> None:
    where = f"127.0.0.1:{server.port}"
    refused = _refused_port()
    assert (
        await _failure_of(_any_client(kind), f"http://127.0.0.1:{refused}/json")
        == f"cannot connect to 127.0.0.1:{refused} (connection refused)"
    )
    for path in ("/hang-up", "/short"):
        assert (
            await _failure_of(_any_client(kind), f"{server.url}{path}")
            == f"the connection closed before the answer came from {where}"
        )
    assert (
        await _failure_of(_any_client(kind), f"{server.url}/garbage")
        == f"{where} answered something that is not HTTP"
    )
    assert (
        await _failure_of(_any_client(kind, read=0.2), f"{server.url}/stall")
        == f"no answer from {where} within 0.2 s"
    )


@pytest.mark.parametrize("kind", ["fast", "httpx"])
async def test_an_untrusted_certificate_is_told_as_such(tls_server: int, kind: str) -> None:
    text = await _failure_of(_any_client(kind), f"https://127.0.0.1:{tls_server}/json")
    assert text == (
        f"cannot connect securely to 127.0.0.1:{tls_server}: its certificate is not trusted "
        "(self-signed certificate)"
    )


def _raised(error: httpx.HTTPError, *causes: BaseException) -> httpx.HTTPError:
    """``error`` as raised from each of ``causes`` in turn (the last one first)."""
    current: BaseException = error
    for cause in causes:
        current.__cause__ = cause
        current = cause
    return error


_REQUEST = httpx.Request(
    "GET",
    "https://api.example.test/x",
    extensions={"timeout": httpx.Timeout(30.0, connect=10.0, pool=5.0).as_dict()},
)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            _raised(httpx.ConnectError("x"), socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
            "cannot find the host api.example.test (no such name)",
        ),
        (
            _raised(httpx.ConnectError("x"), socket.gaierror(socket.EAI_AGAIN, "Temporary failure")),
            "cannot find the host api.example.test (the name lookup failed for now: try again)",
        ),
        (
            _raised(httpx.ConnectError("x"), ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version")),
            "cannot connect securely to api.example.test:443 (TLS: handshake failed)",
        ),
        (
            _raised(httpx.ConnectError("x"), OSError(errno.ENETUNREACH, "Network is unreachable")),
            "cannot connect to api.example.test:443 (network unreachable)",
        ),
        (
            # Python 3.11's asyncio, every address of the host refused.
            _raised(
                httpx.ConnectError("x"),
                OSError(
                    "Multiple exceptions: [Errno 111] Connect call failed ('::1', 443, 0, 0), "
                    "[Errno 111] Connect call failed ('127.0.0.1', 443)"
                ),
            ),
            "cannot connect to api.example.test:443 (connection refused)",
        ),
        (httpx.ConnectError("All connection attempts failed"), "cannot connect to api.example.test:443"),
        (httpx.ConnectTimeout("x"), "cannot connect to api.example.test:443 (no reply within 10 s)"),
        (
            httpx.PoolTimeout("x"),
            "no free connection to api.example.test:443 within 5 s (too many requests at once)",
        ),
        (httpx.WriteTimeout("x"), "sending the request to api.example.test:443 did not finish within 30 s"),
        (
            _raised(httpx.ReadError("x"), ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")),
            "the connection was reset before the answer came from api.example.test:443",
        ),
        (httpx.ReadError(""), "the connection was lost before the answer came from api.example.test:443"),
        (httpx.WriteError(""), "the connection to api.example.test:443 was lost while sending the request"),
        (httpx.ProxyError("x"), "the proxy could not reach api.example.test:443"),
        (
            httpx.DecodingError("x"),
            "the answer from api.example.test:443 does not decode as its Content-Encoding says",
        ),
        (httpx.HTTPError("x"), "the exchange with api.example.test:443 failed"),
    ],
)
def test_every_kind_of_failure_has_its_words(error: httpx.HTTPError, expected: str) -> None:
    text = failure_text(error, _REQUEST)
    assert text == expected
    assert not _DEPENDENCY_WORDS.search(text), text


async def test_the_cores_errors_carry_those_words(server: Server) -> None:
    refused = _refused_port()
    core = HttpCore(
        "test",
        base_url=f"http://127.0.0.1:{refused}",
        error_mapper=_mapper,
        retry=RetryPolicy(attempts=1),
    )
    try:
        with pytest.raises(TransportError) as raised:
            await core.request("GET", "/numbers", idempotency=Idempotency.SAFE, operation="list")
    finally:
        await core.aclose()
    assert str(raised.value) == f"test: list: cannot connect to 127.0.0.1:{refused} (connection refused)"
    core = HttpCore("test", base_url=server.url, error_mapper=_mapper)
    try:
        with pytest.raises(OutcomeUnknownError) as unknown:
            await core.request("POST", "/hang-up", idempotency=Idempotency.UNSAFE, operation="purchase")
    finally:
        await core.aclose()
    assert str(unknown.value) == (
        f"test: purchase: the connection closed before the answer came from 127.0.0.1:{server.port}; "
        "the request may or may not have taken effect"
    )


# -- choosing the client ------------------------------------------------------------------------


async def test_create_client_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    fast = create_client(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)
    mock = httpx.MockTransport(lambda request: httpx.Response(200))
    mocked = create_client(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS, transport=mock)
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:3128")
    proxied = create_client(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)
    try:
        assert type(fast) is FastClient
        assert fast.timeout == DEFAULT_TIMEOUT
        # A mock transport, and proxies from the environment, need httpx's own client.
        assert type(mocked) is httpx.AsyncClient
        assert (await mocked.get("https://example.test/")).status_code == 200
        assert type(proxied) is httpx.AsyncClient
        assert proxied.trust_env
    finally:
        for client in (fast, mocked, proxied):
            await client.aclose()


@pytest.mark.parametrize("using", ["httpcore", "httpx"])
async def test_respx_still_answers_the_cores_requests(using: str) -> None:
    """Tests (ours and our users') mock httpx with respx: the core's client must go through it."""
    core = HttpCore("test", base_url="https://api.example.test", error_mapper=_mapper)
    try:
        with respx.mock(using=using) as mock:
            mock.get("https://api.example.test/numbers").respond(json={"mocked": True})
            body = await core.request_json("GET", "numbers", idempotency=Idempotency.SAFE, operation="r")
        assert body == {"mocked": True}
        assert type(core._get_client()) is httpx.AsyncClient
    finally:
        await core.aclose()
    unmocked = create_client(timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)
    assert type(unmocked) is FastClient
    await unmocked.aclose()


def _mapper(response: httpx.Response) -> ProviderError:
    return error_for_status(response.status_code, provider="test", message="error")


async def test_the_core_uses_it_and_keeps_its_error_semantics(server: Server) -> None:
    core = HttpCore("test", base_url=server.url, error_mapper=_mapper, auth=httpx.BasicAuth("u", "p"))
    try:
        assert type(core._get_client()) is FastClient
        body = await core.request_json("GET", "/json", idempotency=Idempotency.SAFE, operation="read")
        assert body == {"ok": True, "n": 1}
        # A lost answer to a purchase is an unknown outcome, not a retry.
        with pytest.raises(OutcomeUnknownError):
            await core.request("POST", "/hang-up", idempotency=Idempotency.UNSAFE, operation="purchase")
    finally:
        await core.aclose()
    assert len([line for line, _, _ in server.requests if line.startswith(b"POST")]) == 1


async def test_a_refused_purchase_is_retried_as_never_sent() -> None:
    core = HttpCore(
        "test",
        base_url=f"http://127.0.0.1:{_refused_port()}",
        error_mapper=_mapper,
        retry=RetryPolicy(attempts=2, initial_wait=0.0, max_wait=0.0),
    )
    try:
        with pytest.raises(TransportError) as raised:
            await core.request("POST", "/buy", idempotency=Idempotency.UNSAFE, operation="purchase")
    finally:
        await core.aclose()
    assert not isinstance(raised.value, OutcomeUnknownError)
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


async def test_a_user_client_always_wins(server: Server) -> None:
    async with httpx.AsyncClient() as mine:
        core = HttpCore("test", base_url=server.url, error_mapper=_mapper, http_client=mine)
        assert core._get_client() is mine
        assert (await core.request_json("GET", "/json", idempotency=Idempotency.SAFE, operation="r"))["ok"]
        await core.aclose()
        assert not mine.is_closed
