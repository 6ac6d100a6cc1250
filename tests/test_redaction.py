"""Redaction: every form of a secret goes, and no ordinary word is touched."""

from __future__ import annotations

import pytest
from numbers_core._redaction import redact, secret_forms


@pytest.mark.parametrize("secret", ["x", "t", "ok", "Secret", "a1"])
def test_a_short_secret_never_mangles_words(secret: str) -> None:
    text = "max_attempts: Input should be a valid number; cannot connect; okay; Secrets"
    assert redact(text, secret_forms([secret])) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token=x&page=2", "token=***&page=2"),
        ('{"auth_token": "x"}', '{"auth_token": "***"}'),
        ("x", "***"),
        ("Basic x", "Basic ***"),
    ],
)
def test_a_short_secret_standing_alone_is_redacted(text: str, expected: str) -> None:
    assert redact(text, secret_forms(["x"])) == expected


def test_a_long_secret_is_redacted_even_inside_other_text() -> None:
    secret = "0123456789abcdef0123456789abcdef"
    forms = secret_forms([secret, "short"])
    assert redact(f"prefix{secret}suffix", forms) == "prefix***suffix"
    assert redact(f"token={secret.upper()}", forms) == f"token={secret.upper()}"  # another string


def test_every_spelling_of_a_secret_is_redacted() -> None:
    secret = "Canary/Secret+77=?& long enough"
    forms = secret_forms([secret])
    for spelling in (
        "Canary%2FSecret%2B77%3D%3F%26%20long%20enough",
        "Canary%2FSecret%2B77%3D%3F%26+long+enough",
    ):
        assert redact(f"url?token={spelling}", forms) == "url?token=***"


def test_nothing_to_redact_leaves_the_text_as_it_is() -> None:
    assert redact("anything", secret_forms([])) == "anything"
    assert redact("anything", secret_forms([""])) == "anything"
