"""How many new sockets a worker lets in per second.

A reconnect storm (a pod removed, a deploy, an nginx reload) brings every client back at
once. Admitting them all at once would make every handshake slow and time some out; a token
bucket admits `CONNECT_RATE` per second (bursts up to one second's worth) and tells the rest,
before the upgrade, when to come back: 503 with `Retry-After`. Clients that back off with
jitter then arrive spread over the next seconds.
"""

from __future__ import annotations

import time
from collections import Counter

RETRY_AFTER_SECONDS = 1


class Admission:
    def __init__(self, per_second: int) -> None:
        self.rate = float(per_second)
        self.tokens = float(per_second)
        self.updated = time.monotonic()

    def admit(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class AddressSockets:
    """Open sockets per client address on this worker: one address cannot take the worker's
    MAX_CONNECTIONS for itself. Checked before the upgrade, counted while the socket lives."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._open: Counter[str] = Counter()

    def full(self, address: str) -> bool:
        return self._open[address] >= self.per_address

    def opened(self, address: str) -> None:
        self._open[address] += 1

    def closed(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]
