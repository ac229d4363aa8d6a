"""Benchmark-side helpers shared by the WebSocket benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.wsload.pool import ClientPool, split

MB = 1024 * 1024


@dataclass(slots=True)
class Opened:
    opened: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    workers: Counter[str] = field(default_factory=Counter)

    def split_text(self) -> str:
        """Sockets per server worker, e.g. `2,510 / 2,490`: both workers must carry load."""
        return " / ".join(f"{count:,}" for _, count in self.workers.most_common())


def open_across(
    pool: ClientPool, url: str, dialect: str, total: int, *, concurrency: int = 100
) -> Opened:
    """Open `total` sockets spread evenly over the pool's processes."""
    shares = split(total, len(pool))
    results = pool.call_all(
        "open",
        timeout=60 + total / 50,
        per_client=[{"count": share} for share in shares],
        url=url,
        dialect=dialect,
        concurrency=concurrency,
        timeout_each=15,
    )
    summary = Opened()
    for result in results:
        summary.opened += result["opened"]
        summary.failed += result["failed"]
        summary.errors.update(result["errors"])
        summary.workers.update(result["workers"])
    return summary


def require_all_open(opened: Opened, wanted: int, what: str) -> None:
    if opened.opened < wanted:
        raise RuntimeError(
            f"{what}: only {opened.opened} of {wanted} sockets opened; errors: "
            f"{dict(opened.errors.most_common(3))}"
        )
