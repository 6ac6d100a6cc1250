"""Session tokens (numbers_core._auth): single flight, renewal ahead of expiry, one retry on a 401."""

from __future__ import annotations

import base64
import json

import anyio
import anyio.lowlevel
import httpx
import pytest
from numbers_core import _auth
from numbers_core._auth import Token, TokenAuth, jwt_expiry
from numbers_core.errors import AuthenticationError

pytestmark = pytest.mark.anyio

NOW = 1_800_000_000.0


def jwt(claims: object) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [NOW]
    monkeypatch.setattr(_auth, "_now", lambda: now[0])
    return now


class Issuer:
    """Hands out tokens one after the other, each valid for ``lifetime`` seconds from the clock."""

    def __init__(self, clock: list[float], lifetime: float | None = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.issued: list[str] = []
        self.gate: anyio.Event | None = None

    async def __call__(self) -> Token:
        if self.gate is not None:
            await self.gate.wait()
        await anyio.lowlevel.checkpoint()  # let every waiting request pile up behind this flight
        value = f"token-{len(self.issued) + 1}"
        self.issued.append(value)
        expires = None if self.lifetime is None else self.clock[0] + self.lifetime
        return Token(value, expires)


def client(auth: TokenAuth, accepted: set[str] | None = None) -> tuple[httpx.AsyncClient, list[str]]:
    """A client whose server accepts the tokens in ``accepted`` (every token when None)."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("X-Auth-Token", "")
        seen.append(token)
        if accepted is not None and token not in accepted:
            return httpx.Response(401, json={"message": "invalid credentials"})
        return httpx.Response(200, json={"ok": True})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth), seen


def token_auth(issuer: Issuer, **kwargs: float) -> TokenAuth:
    return TokenAuth(issuer, header="X-Auth-Token", prefix="", **kwargs)


async def test_200_concurrent_requests_over_an_expired_token_log_in_once(clock: list[float]) -> None:
    issuer = Issuer(clock)
    auth = token_auth(issuer)
    http, seen = client(auth)
    async with http:
        await http.get("https://carrier.test/first")
        clock[0] += 3600  # the token has expired
        statuses: list[int] = []

        async def call(i: int) -> None:
            statuses.append((await http.get(f"https://carrier.test/{i}")).status_code)

        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(call, i)
    assert statuses == [200] * 200
    assert issuer.issued == ["token-1", "token-2"]
    assert auth.fetches == 2
    assert set(seen[1:]) == {"token-2"}


async def test_a_token_is_renewed_ahead_of_its_expiry(clock: list[float]) -> None:
    issuer = Issuer(clock)
    http, seen = client(token_auth(issuer, ahead=60))
    async with http:
        await http.get("https://carrier.test/a")
        clock[0] += 3600 - 61
        await http.get("https://carrier.test/b")
        clock[0] += 2  # 59 s before expiry: inside the margin
        await http.get("https://carrier.test/c")
    assert seen == ["token-1", "token-1", "token-2"]


async def test_a_short_lived_token_is_renewed_at_half_its_life_not_on_every_request(
    clock: list[float],
) -> None:
    issuer = Issuer(clock, lifetime=30)
    http, seen = client(token_auth(issuer, ahead=60))
    async with http:
        await http.get("https://carrier.test/a")
        clock[0] += 14
        await http.get("https://carrier.test/b")
        clock[0] += 2
        await http.get("https://carrier.test/c")
    assert seen == ["token-1", "token-1", "token-2"]


async def test_a_token_without_expiry_is_kept(clock: list[float]) -> None:
    issuer = Issuer(clock, lifetime=None)
    http, seen = client(token_auth(issuer))
    async with http:
        for _ in range(3):
            clock[0] += 10 * 86400
            await http.get("https://carrier.test/a")
    assert seen == ["token-1"] * 3


async def test_a_401_logs_in_again_and_sends_the_request_once_more(clock: list[float]) -> None:
    issuer = Issuer(clock)
    http, seen = client(token_auth(issuer), accepted={"token-2"})
    async with http:
        response = await http.get("https://carrier.test/a")
    assert response.status_code == 200
    assert seen == ["token-1", "token-2"]


async def test_a_second_401_is_the_answer_not_a_loop(clock: list[float]) -> None:
    issuer = Issuer(clock)
    http, seen = client(token_auth(issuer), accepted=set())
    async with http:
        response = await http.get("https://carrier.test/a")
    assert response.status_code == 401
    assert seen == ["token-1", "token-2"]


async def test_concurrent_401s_on_one_token_log_in_once(clock: list[float]) -> None:
    issuer = Issuer(clock)
    auth = token_auth(issuer)
    http, _ = client(auth, accepted={"token-2"})
    async with http:
        await auth.token()  # token-1, which the server no longer takes
        statuses: list[int] = []

        async def call() -> None:
            statuses.append((await http.get("https://carrier.test/a")).status_code)

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(call)
    assert statuses == [200] * 50
    assert issuer.issued == ["token-1", "token-2"]


async def test_a_failed_login_fails_the_requests_that_waited_for_it_without_more_logins(
    clock: list[float],
) -> None:
    attempts = 0

    async def refuse() -> Token:
        nonlocal attempts
        attempts += 1
        await anyio.lowlevel.checkpoint()
        raise AuthenticationError("invalid credentials", provider="carrier", status_code=401)

    http, seen = client(TokenAuth(refuse, header="X-Auth-Token", prefix=""))
    errors: list[BaseException] = []

    async def call() -> None:
        try:
            await http.get("https://carrier.test/a")
        except AuthenticationError as exc:
            errors.append(exc)

    async with http, anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(call)
    assert attempts == 1
    assert len(errors) == 20
    assert len({id(error) for error in errors}) == 20  # a copy each, not one shared traceback
    assert seen == []
    # A later request tries again: the failure is not remembered for ever.
    async with client(TokenAuth(refuse, header="X-Auth-Token", prefix=""))[0] as again:
        with pytest.raises(AuthenticationError):
            await again.get("https://carrier.test/b")
    assert attempts == 2


async def test_a_cancelled_login_lets_the_next_request_log_in(clock: list[float]) -> None:
    issuer = Issuer(clock)
    issuer.gate = anyio.Event()
    auth = token_auth(issuer)
    with anyio.move_on_after(0.05):
        await auth.token()  # cancelled while waiting at the gate
    issuer.gate.set()
    assert await auth.token() == "token-1"
    assert auth.fetches == 2


def test_a_sync_client_is_refused() -> None:
    auth = TokenAuth(Issuer([NOW]), header="X-Auth-Token", prefix="")
    with (
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200)), auth=auth) as sync,
        pytest.raises(RuntimeError, match="AsyncClient"),
    ):
        sync.get("https://carrier.test/a")


def test_the_token_is_not_in_its_repr() -> None:
    token = Token("s3cr3t-session", NOW)
    assert "s3cr3t" not in repr(token)
    assert "s3cr3t" not in repr(TokenAuth(Issuer([NOW])))


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (jwt({"exp": 1_900_000_000}), 1_900_000_000.0),
        (jwt({"exp": 1_900_000_000.5}), 1_900_000_000.5),
        (jwt({"exp": 0}), None),  # never expires
        (jwt({"sub": "me"}), None),
        (jwt({"exp": "soon"}), None),
        (jwt({"exp": True}), None),
        (jwt([1, 2]), None),
        ("not-a-jwt", None),
        ("a.%%%.c", None),
        ("a.bm90IGpzb24.c", None),  # "not json"
        ("0123456789abcdef0123456789abcdef", None),  # a pre-JWT token: 32 hex digits
    ],
)
def test_jwt_expiry(token: str, expected: float | None) -> None:
    assert jwt_expiry(token) == expected
