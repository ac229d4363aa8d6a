"""HS256 JWTs via PyJWT with the algorithm pinned.

Pinning `algorithms=["HS256"]` is what rejects `alg: none` and algorithm-confusion tokens;
`exp`, `iat`, `sub` and `role` are required so a token missing any of them is malformed.
"""

from __future__ import annotations

import time

import jwt

from app.auth.identity import Identity, Role

ALGORITHM = "HS256"


class TokenError(Exception):
    """A token that must be refused; `reason` feeds the auth-failure metric."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def issue_token(secret: str, sub: str, role: Role | str, ttl: float) -> str:
    now = int(time.time())
    claims = {"sub": str(sub), "role": Role(role).value, "iat": now, "exp": now + int(ttl)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Identity:
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
    return Identity(sub=claims["sub"], role=role)
