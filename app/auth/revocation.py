"""Revoked tokens, by `jti`, shared by every worker through Redis.

A revoked token's key lives until the token would have expired anyway (then the signature
check refuses it by itself), so the list never outgrows the tokens still alive. Every use of
a token checks it: one EXISTS, no per-worker cache, so a log-out holds on every worker at once.
A refresh token is spent by revoking it (`spend`): SET NX makes that atomic across workers, so
two concurrent refreshes with one token cannot both succeed.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis

from app.auth.identity import Identity
from app.errors import DomainError

log = logging.getLogger("voxhub.auth")

KEY_PREFIX = "voxhub:revoked:"


class Revocations:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _ttl_ms(identity: Identity) -> int:
        if identity.expires_at is None:
            return 1
        return max(1, int((identity.expires_at - time.time()) * 1000) + 1000)

    async def spend(self, identity: Identity) -> bool:
        """Revoke the token; False when it already was (a second use of a one-time token)."""
        if identity.token_id is None:
            return False
        key = KEY_PREFIX + identity.token_id
        try:
            return bool(await self.redis.set(key, "1", nx=True, px=self._ttl_ms(identity)))
        except Exception as exc:  # a revocation that did not happen must not look done
            log.warning("revocation list unavailable: %s", exc)
            raise DomainError(
                503, "temporarily unavailable; retry shortly", headers={"Retry-After": "5"}
            ) from None

    async def revoke(self, identity: Identity) -> None:
        await self.spend(identity)

    async def is_revoked(self, identity: Identity) -> bool:
        """Checked on every use. While Redis is down the check is skipped (logged): refusing
        every Bearer request in an outage would take the whole API down with Redis."""
        if identity.token_id is None:
            return False
        try:
            return bool(await self.redis.exists(KEY_PREFIX + identity.token_id))
        except Exception as exc:
            log.warning("revocation list unavailable, token accepted: %s", exc)
            return False
