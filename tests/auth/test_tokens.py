"""Token verification, including the cache of verified tokens."""

import time

import pytest

from app.auth import Role, TokenError, decode_token, issue_token

SECRET = "unit-test-secret-0123456789-abcdefgh"


def test_a_cached_token_still_expires() -> None:
    token = issue_token(SECRET, "7", Role.USER, ttl=1)
    assert decode_token(SECRET, token).sub == "7"
    assert decode_token(SECRET, token).sub == "7"  # served from the cache
    time.sleep(1.1)
    with pytest.raises(TokenError) as refused:
        decode_token(SECRET, token)
    assert refused.value.reason == "expired"


def test_a_token_cached_under_one_secret_is_refused_under_another() -> None:
    token = issue_token(SECRET, "8", Role.ADMIN, ttl=60)
    assert decode_token(SECRET, token).role is Role.ADMIN
    with pytest.raises(TokenError) as refused:
        decode_token("another-secret-0123456789-abcdefgh", token)
    assert refused.value.reason == "bad_signature"


def test_refusals_are_not_cached() -> None:
    with pytest.raises(TokenError):
        decode_token(SECRET, "not.a.token")
    with pytest.raises(TokenError):
        decode_token(SECRET, "not.a.token")
