"""Between the Telnyx adapter and its emulator in the wire tests: records requests, scripts answers."""

from __future__ import annotations

from collections.abc import Callable

import httpx

__all__ = ["Wire"]

Script = Callable[[httpx.Request], httpx.Response | None]


class Wire(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        #: answers to give instead of the emulator's, in order: None lets the request through
        self.script: list[Script] = []
        #: what to do with the emulator's next answers (after it acted), in order
        self.after: list[Callable[[httpx.Response], httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.script:
            scripted = self.script.pop(0)(request)
            if scripted is not None:
                return scripted
        response = await self.inner.handle_async_request(request)
        if self.after:
            await response.aread()
            return self.after.pop(0)(response)
        return response

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == f"/v2/{path}"]
