"""Time-limited TURN credentials in coturn's REST-API scheme (`use-auth-secret`).

coturn shares one secret with Voxhub and checks, without asking anyone, that a username
`<expiry>:<name>` carries the password `base64(HMAC-SHA1(secret, username))` and that `<expiry>`
(epoch seconds) is still ahead. So a credential cannot be stretched (the expiry is signed), is
bound to the identity named in it (coturn logs and quotas see who relays), and needs no state
here nor in coturn: a leaked one is worth at most TURN_TTL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from prometheus_client import Counter

# kind: "user" (time-limited, for a caller), "media" (time-limited, for a media worker's own
# allocations), "static" (TURN_USERNAME/TURN_PASSWORD, the same pair for everybody).
credentials_issued = Counter(
    "voxhub_turn_credentials_issued_total", "TURN credentials handed out, by kind", ["kind"]
)


@dataclass(frozen=True, slots=True)
class TurnCredential:
    username: str
    password: str
    expires_at: int  # epoch seconds, the `<expiry>` part of the username


def turn_password(secret: str, username: str) -> str:
    """coturn's REST-API password for `username`: base64 of its HMAC-SHA1 under the secret."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def turn_credential(
    secret: str,
    name: str,
    ttl: float,
    *,
    not_after: float | None = None,
    now: float | None = None,
) -> TurnCredential:
    """A credential for `name`, valid `ttl` seconds from `now` and never past `not_after` (the
    caller's token expiry): a TURN allocation must not outlive the proof of who asked for it.
    The expiry is rounded down, so the credential ends at or before both bounds."""
    start = time.time() if now is None else now
    end = start + ttl
    if not_after is not None:
        end = min(end, not_after)
    expires_at = int(end)
    username = f"{expires_at}:{name}"
    return TurnCredential(username, turn_password(secret, username), expires_at)
