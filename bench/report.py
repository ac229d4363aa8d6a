"""Tables printed to the terminal and appended, as Markdown, to bench/RESULTS.md."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from bench.machine import MachineFacts

DEFAULT_RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def cell(value: object) -> str:
    """Numbers rounded for reading: 3 significant digits, thousands separated."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


@dataclass(slots=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *values: object) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{self.title}: {len(values)} values for {len(self.columns)} columns")
        self.rows.append(list(values))

    def markdown(self) -> str:
        lines = [f"#### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(" --- " for _ in self.columns) + "|")
        lines.extend("| " + " | ".join(cell(v) for v in row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


@dataclass(slots=True)
class Outcome:
    """One benchmark's tables plus its verdict against the issue's target."""

    name: str
    tables: list[Table]
    target: str
    verdict: str

    def markdown(self) -> str:
        body = "\n".join(table.markdown() for table in self.tables)
        return f"{body}\n**Target:** {self.target}  \n**Where it stands:** {self.verdict}\n"


def section(facts: MachineFacts, scale: str, outcomes: list[Outcome]) -> str:
    names = ", ".join(outcome.name for outcome in outcomes)
    parts = [f"## {names} — scale `{scale}`", "", facts.line(), ""]
    for outcome in outcomes:
        parts.extend([f"### {outcome.name}", "", outcome.markdown()])
    return "\n".join(parts)


def append_results(path: Path, text: str) -> None:
    """Append-only: earlier runs stay as the history that later runs are compared with."""
    if not path.exists():
        path.write_text(
            "# Voxhub benchmark results\n\nEach section is one `python -m bench` run, newest "
            "last. Ratios compare systems measured in the same run on the same machine.\n\n"
        )
    with path.open("a") as handle:
        handle.write(text.rstrip() + "\n\n")
