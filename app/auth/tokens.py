"""HS256 JWTs via PyJWT with the algorithm pinned.

Pinning `algorithms=["HS256"]` is what rejects `alg: none` and algorithm-confusion tokens;
`exp`, `iat`, `sub` and `role` are required so a token missing any of them is malformed.
Every token gets a `jti`, the id a revocation names (`app/auth/revocation.py`); tokens issued
before jti existed verify still, but only their expiry ends them. A refresh token carries
`typ: refresh` and is refused where an access token is expected, and the other way round.
"""

from __future__ import annotations

import time
import uuid
from functools import lru_cache
from typing import Final, Literal

import jwt

from app.auth.identity import Identity, Role

ALGORITHM = "HS256"
TokenKind = Literal["access", "refresh"]
ACCESS: Final = "access"
REFRESH: Final = "refresh"


class TokenError(Exception):
    """A token that must be refused; `reason` feeds the auth-failure metric."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def issue_token(
    secret: str, sub: str, role: Role | str, ttl: float, *, kind: TokenKind = ACCESS
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(sub),
        "role": Role(role).value,
        "iat": now,
        "exp": now + int(ttl),
        "jti": uuid.uuid4().hex,
    }
    if kind == REFRESH:
        claims["typ"] = REFRESH
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str, *, kind: TokenKind = ACCESS) -> Identity:
    """Verify a token. Verified tokens are cached by their exact text (signature included), so
    a client's repeated requests skip the HMAC and JSON work; expiry is checked on every call.
    Revocation is not: it needs Redis (`Revocations.is_revoked`)."""
    identity, expires_at, token_kind = _verify(secret, token)
    if token_kind != kind:
        raise TokenError(
            "wrong_kind", f"not an {kind} token" if kind == ACCESS else "invalid token"
        )
    if time.time() >= expires_at:
        raise TokenError("expired", "token expired")
    return identity


@lru_cache(maxsize=16384)
def _verify(secret: str, token: str) -> tuple[Identity, float, str]:
    """Refusals raise and so are never cached: a bad token is checked afresh every time."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("expired", "token expired") from None
    except jwt.InvalidSignatureError:
        raise TokenError("bad_signature", "invalid token") from None
    except jwt.InvalidAlgorithmError:
        raise TokenError("bad_algorithm", "invalid token") from None
    except jwt.InvalidTokenError:
        raise TokenError("malformed", "invalid token") from None
    try:
        role = Role(claims["role"])
    except ValueError:
        raise TokenError("malformed", "invalid token") from None
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise TokenError("malformed", "invalid token")
    expires_at = float(claims["exp"])
    token_id = claims.get("jti")
    kind = claims.get("typ", ACCESS)
    if not isinstance(token_id, str | None) or kind not in (ACCESS, REFRESH):
        raise TokenError("malformed", "invalid token")
    identity = Identity(sub=claims["sub"], role=role, expires_at=expires_at, token_id=token_id)
    return identity, expires_at, kind
