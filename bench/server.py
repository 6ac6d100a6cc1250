"""The bench's Twilio stand-in: one aiohttp server on 127.0.0.1, in its own process.

``python -m bench.server [PORT] [--latency SECONDS]`` prints ``PORT <n>`` once it
listens and serves until its stdin closes (so it cannot outlive the bench that
started it) or it gets SIGTERM/SIGINT. With ``--latency``, every API answer
waits that long, as an emulator's ``--latency`` does, and nothing else: the
floor a machine puts under a client's loop at that latency. Every client gets
the same canned bodies:

- ``GET  …/AvailablePhoneNumbers/<CC>/<Type>.json``: 30 available numbers;
- ``POST …/IncomingPhoneNumbers[/<Type>].json``: 201, the number asked for, created now;
- ``GET  …/IncomingPhoneNumbers[/<Type>].json``: a page of 1,000 owned numbers (eight
  distinct pages in turn), or
  with ``PhoneNumber=…`` (a look-up before buying) an empty page; for the large account,
  ``Page=<n>`` of 100 pages of 1,000 numbers, each linked to the next, every number distinct.

Requests without an Authorization header get Twilio's 401, so every client
pays for its authentication as it would against the real API. ``GET
/_bench/requests`` answers how many API requests were served so far, ``GET
/_bench/cpu`` the server's CPU seconds so far.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import os
import signal
import stat
import sys
import threading
import time
from urllib.parse import parse_qs

from aiohttp import web

from .payloads import LARGE_ACCOUNT_SID, Payloads

# The headers Twilio sends on every response, so that clients parse a realistic header block.
_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Twilio-Concurrent-Requests": "1",
    "Twilio-Request-Duration": "0.041",
    "Twilio-Request-Id": "RQ0123456789abcdef0123456789abcdef",
    "X-Api-Domain": "api.twilio.com",
    "X-Home-Region": "us1",
    "X-Powered-By": "AT-5000",
    "X-Shenanigans": "none",
    "Strict-Transport-Security": "max-age=31536000",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type, If-Match, If-Modified-Since",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Expose-Headers": "ETag",
}
_UNAUTHORIZED = (
    b'{"code": 20003, "message": "Authenticate", '
    b'"more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}'
)


def _not_found(path: str) -> web.Response:
    body = (
        f'{{"code": 20404, "message": "The requested resource {path} was not found", '
        f'"more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}}'
    )
    return web.Response(status=404, text=body, headers=_HEADERS)


def make_handler(payloads: Payloads, latency: float):  # type: ignore[no-untyped-def]
    served = listed = 0

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        nonlocal served
        if request.path == "/_bench/requests":
            # How many API requests were served so far: the bench's requests-per-operation count.
            return web.Response(text=str(served))
        if request.path == "/_bench/cpu":
            # Its own CPU seconds so far: what a row's requests cost the server.
            return web.Response(text=repr(time.process_time()))
        served += 1
        if latency:
            await asyncio.sleep(latency)
        if "Authorization" not in request.headers:
            return web.Response(status=401, body=_UNAUTHORIZED, headers=_HEADERS)
        path = request.path
        if request.method == "GET" and "/AvailablePhoneNumbers/" in path:
            return web.Response(body=payloads.search, headers=_HEADERS)
        if "/IncomingPhoneNumbers" in path and path.count("/") <= 6:
            if request.method == "POST":
                form = parse_qs((await request.read()).decode())
                number = form.get("PhoneNumber", ["+18089255327"])[0]
                now = email.utils.formatdate(usegmt=False).replace("-0000", "+0000")
                return web.Response(status=201, body=payloads.purchase(number, now), headers=_HEADERS)
            if request.method == "GET":
                # Looking a number up (PhoneNumber=…) finds nothing: every number is for sale.
                if "PhoneNumber" in request.query:
                    return web.Response(body=payloads.empty_page, headers=_HEADERS)
                if LARGE_ACCOUNT_SID in path:
                    page = int(request.query.get("Page", "0"))
                    if 0 <= page < len(payloads.large_pages):
                        return web.Response(body=payloads.large_pages[page], headers=_HEADERS)
                    return _not_found(path)
                nonlocal listed
                listed += 1
                return web.Response(body=payloads.pages[listed % len(payloads.pages)], headers=_HEADERS)
        return _not_found(path)

    return handle


async def serve(port: int, latency: float) -> None:
    server = web.Server(make_handler(Payloads(), latency), access_log=None)
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"PORT {bound}", flush=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode):
        # Started through a pipe: EOF on it means the bench that started us is gone.
        threading.Thread(target=_wait_for_eof, args=(loop, stop), daemon=True).start()
    await stop.wait()
    await runner.cleanup()


def _wait_for_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    while sys.stdin.buffer.read1(65536):
        pass
    loop.call_soon_threadsafe(stop.set)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int, nargs="?", default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every API answer waits")
    arguments = parser.parse_args()
    loop_factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(arguments.port, arguments.latency))


if __name__ == "__main__":
    main()
