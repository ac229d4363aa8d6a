"""Telegram Mini App `initData` verification, exactly as Telegram documents it.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app:
secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token); the data-check string is every
field but `hash`, as `key=value`, sorted by key, joined by newlines; its HMAC_SHA256 under
secret_key, in hex, must equal `hash`. `auth_date` bounds how long a signed string is valid.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qsl


class InitDataError(ValueError):
    """initData that must be refused; `reason` feeds the auth-failure metric."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The `hash` Telegram would attach to `fields` (used to verify, and by tests)."""
    message = data_check_string(fields).encode()
    return hmac.new(_secret_key(bot_token), message, hashlib.sha256).hexdigest()


def verify_init_data(
    init_data: str, bot_token: str, max_age: float, now: float | None = None
) -> dict[str, Any]:
    """The verified Telegram `user` object; raises InitDataError otherwise."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        raise InitDataError("malformed", "init_data is not a query string") from None
    received = fields.get("hash", "")
    if not received or not hmac.compare_digest(sign(fields, bot_token), received):
        raise InitDataError("bad_signature", "init_data signature is invalid")
    try:
        auth_date = int(fields["auth_date"])
        user = json.loads(fields["user"])
    except (KeyError, ValueError):
        raise InitDataError("malformed", "init_data lacks auth_date or user") from None
    if (now if now is not None else time.time()) - auth_date > max_age:
        raise InitDataError("expired", "init_data is too old; reopen the Mini App")
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise InitDataError("malformed", "init_data user has no id")
    return user
