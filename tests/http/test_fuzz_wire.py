"""The core's own HTTP/1.1 client against malformed answers from a real server on 127.0.0.1.

Seeded byte-level mutations of well-formed responses (status lines, 1xx and 3xx
among them, headers, a Date out of any sane skew, a Content-Encoding the body
does not have, framing, chunking, bodies nested too deep), each sent on its own
connection, which the server then closes. Whatever arrives, a request returns a
response or raises a ``NumbersError``: no ``httpx`` error, ``ValueError``,
``IndexError`` or ``RecursionError`` escapes, and every request ends (the server
closes, the client's timeouts are short). A purchase is answered a 2xx, refused
with a 4xx, or its outcome is unknown: nothing else reads as "not bought".
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from numbers_core._http import HttpCore, Idempotency, RetryPolicy
from numbers_core.errors import NumbersError, OutcomeUnknownError, ProviderError, error_for_status
from scripted_server import ScriptedServer

pytestmark = pytest.mark.anyio

CASES = 250

GOOD = [
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"items": []}',
    b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n',
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n",
    b'HTTP/1.1 201 Created\r\nContent-Encoding: gzip\r\nContent-Length: 13\r\n\r\n{"items": []}',
    b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nDate: Fri, 31 Dec 9999 23:59:59 GMT\r\nContent-Length: 2\r\n\r\n{}",
    b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"[" * 100_000,
]

NASTY = [
    b"\r\n",
    b"\n",
    b"\x00",
    b"HTTP/1.1 ",
    b"HTTP/9.9 200 OK\r\n",
    b"Content-Length: -1\r\n",
    b"Content-Length: 99999999999999999999\r\n",
    b"Content-Length: 5\r\nContent-Length: 7\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"Content-Encoding: gzip\r\n",
    b"Content-Encoding: deflate\r\n",
    b"Date: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
    b"Date: Mon, 01 Jan 0001 00:00:00 GMT\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 302 Found\r\n",
    b"HTTP/1.1 303 See Other\r\n",
    b"[" * 2000,
    b"ffffffffffffffff\r\n",
    b"zz\r\n",
    b": no name\r\n",
    b"X-" + b"a" * 70_000 + b": b\r\n",
    b"\xff\xfe",
    b" folded\r\n",
]


def _mutated(rng: random.Random) -> bytes:
    data = bytearray(rng.choice(GOOD))
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        at = rng.randrange(len(data) + 1)
        if roll < 0.3:
            data[at:at] = rng.choice(NASTY)
        elif roll < 0.5 and data:
            del data[at : at + rng.randint(1, 8)]
        elif roll < 0.7 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif roll < 0.85:
            del data[at:]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    return bytes(data)


def _behaviour(
    answers: dict[int, bytes], lock: threading.Lock
) -> Callable[[socket.socket, threading.Event], bool]:
    served = [0]

    def behave(conn: socket.socket, stop: threading.Event) -> bool:
        with lock:
            answer = answers.get(served[0], b"")
            served[0] += 1
        conn.sendall(answer)
        return False  # closed after every answer: the next case gets a fresh connection

    return behave


@contextlib.asynccontextmanager
async def _answering(
    serve: Callable[..., ScriptedServer], seed: str
) -> AsyncIterator[tuple[HttpCore, dict[int, bytes]]]:
    """A core, and the mutated answers (by case) the server gives its requests in turn."""
    rng = random.Random(seed)
    answers = {case: _mutated(rng) for case in range(CASES)}
    server = serve(_behaviour(answers, threading.Lock()))
    async with HttpCore(
        "test",
        base_url=server.url,
        error_mapper=lambda r: error_for_status(r.status_code, provider="test", message="error"),
        timeout=httpx.Timeout(0.5, connect=1.0),
        retry=RetryPolicy(attempts=1, deadline=2.0),
    ) as core:
        yield core, answers


async def test_malformed_answers_end_in_the_error_tree(serve: Callable[..., ScriptedServer]) -> None:
    outcomes: dict[str, int] = {}
    async with _answering(serve, "wire") as (core, answers):
        for case in answers:
            try:
                response = await core.request(
                    "GET", "numbers", idempotency=Idempotency.SAFE, operation="list"
                )
                core.decode_json(response)
                outcome = f"HTTP {response.status_code}"
            except ProviderError as exc:
                outcome = f"HTTP {exc.status_code}"
            except NumbersError as exc:
                outcome = type(exc).__name__
            except BaseException as exc:  # anything else is the defect this test is for
                pytest.fail(
                    f"case {case} ({answers[case][:80]!r}): {type(exc).__name__} escaped: {exc!r}"[:600]
                )
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    # The mutations really varied: some answers still read, most broke in several ways.
    assert any(outcome.startswith("HTTP") for outcome in outcomes), outcomes
    assert {"ProtocolError", "TransportError"} <= outcomes.keys(), outcomes


async def test_a_purchase_is_bought_refused_or_unknown_whatever_the_answer(
    serve: Callable[..., ScriptedServer],
) -> None:
    outcomes: dict[str, int] = {}
    async with _answering(serve, "wire purchase") as (core, answers):
        for case in answers:
            try:
                response = await core.request(
                    "POST",
                    "numbers",
                    idempotency=Idempotency.UNSAFE,
                    operation="purchase",
                    number="+14155550100",
                )
                status: int | None = response.status_code
                outcome = "bought"
            except OutcomeUnknownError:
                status, outcome = None, "unknown"
            except ProviderError as exc:
                status, outcome = exc.status_code, "refused"
            except BaseException as exc:  # a ProtocolError, a plain TransportError: read as "not bought"
                pytest.fail(
                    f"case {case} ({answers[case][:80]!r}): {type(exc).__name__} for a purchase: {exc!r}"[
                        :600
                    ]
                )
            # A 2xx is returned, and only a 4xx is a refusal, which says that nothing was bought.
            expected = {"bought": range(200, 300), "refused": range(400, 500)}.get(outcome)
            assert expected is None or status in expected, f"case {case} ({answers[case][:80]!r}): {status}"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes.keys() == {"bought", "refused", "unknown"}, outcomes
