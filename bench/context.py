"""What every benchmark receives: the shared stack, the chosen scale and same-run results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench.stack import Stack

SCALES = ("smoke", "moderate", "full")

T = TypeVar("T")


@dataclass(slots=True)
class RunContext:
    stack: Stack
    scale: str
    # Results one benchmark leaves for another in the same run (fanout-peer reuses fanout's
    # Voxhub sweep instead of measuring it twice).
    shared: dict[str, Any] = field(default_factory=dict)

    def pick(self, sizes: dict[str, T]) -> T:
        return sizes[self.scale]
