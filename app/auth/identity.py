"""Who is calling: the subject and role carried by a verified JWT."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Account ids are BIGINTs: a bigger id from a client names nobody and is refused as a bad
# request before it reaches the database. Kept here, not imported from app.db, so that identity
# depends on no storage (tests/auth checks it equals app.db.sql.MAX_ID).
MAX_USER_ID = 2**63 - 1


class Role(StrEnum):
    USER = "user"
    ANON = "anon"
    SERVICE = "service"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Identity:
    sub: str
    role: Role
    # When the token that proved this identity expires (epoch seconds); None when unknown.
    # Credentials handed out on the strength of the token (TURN) must not outlive it.
    expires_at: float | None = field(default=None, compare=False)
    # The token's `jti`: what a revocation names (None for tokens issued before jti existed).
    token_id: str | None = field(default=None, compare=False)

    @property
    def privileged(self) -> bool:
        """Service and admin tokens act for any user (a bot backend, a payment webhook)."""
        return self.role in (Role.SERVICE, Role.ADMIN)

    @property
    def user_id(self) -> int | None:
        """The numeric account id of a registered user; None for anon and service subjects."""
        if self.role is Role.USER and self.sub.isdigit():
            return int(self.sub)
        return None

    def may_act_for(self, user_id: int) -> bool:
        return self.privileged or self.user_id == user_id
