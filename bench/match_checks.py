"""Judging a match run from what every client saw, on the machine's one wall clock.

A room's formation time is bounded by the first `match_found` either member received. Every
match must answer a distinct `find_match` its user sent before that time: one join answered
twice is a user in two rooms at once. Both members must report the room, name each other and
hold opposite roles. A partner whose socket was closed more than `grace` seconds before the
room formed was a ghost the matcher should have dropped.

Clients re-join the moment they are matched, so a double booking that forms after the user's
next `find_match` looks like an ordinary re-match: the count is a lower bound.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

MatchEvent = tuple[str, str, str, str, float]  # user, partner, room, role, received at


@dataclass(slots=True)
class Verdict:
    rooms: int = 0
    double_rooms: int = 0
    self_matches: int = 0
    ghost_matches: int = 0
    inconsistent_rooms: int = 0
    one_sided_rooms: int = 0
    close_races: int = 0  # a member closed within `grace` of the match: allowed, reported
    examples: list[str] = field(default_factory=list)

    @property
    def violations(self) -> int:
        return (
            self.double_rooms
            + self.self_matches
            + self.ghost_matches
            + self.inconsistent_rooms
            + self.one_sided_rooms
        )

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


def judge(
    joins: list[tuple[str, float]],
    matches: list[MatchEvent],
    closed: dict[str, float],
    grace: float,
) -> Verdict:
    verdict = Verdict()
    rooms: dict[str, list[MatchEvent]] = defaultdict(list)
    for event in matches:
        rooms[event[2]].append(event)
    verdict.rooms = len(rooms)
    formed = {room: min(e[4] for e in events) for room, events in rooms.items()}
    for room, events in rooms.items():
        _check_room(verdict, room, events, formed[room], closed, grace)
    _check_joins(verdict, joins, rooms, formed)
    return verdict


def _check_room(verdict, room, events, formed_at, closed, grace) -> None:
    for user, partner, _, _, _ in events:
        if user == partner:
            verdict.self_matches += 1
            verdict.note(f"self-match {user} in {room}")
        gone = closed.get(partner)
        if gone is not None and formed_at - gone > grace:
            verdict.ghost_matches += 1
            verdict.note(f"{user} matched {partner} {formed_at - gone:.2f} s after it closed")
    if len(events) > 2:
        verdict.inconsistent_rooms += 1
        verdict.note(f"room {room} reported by {len(events)} sockets")
    elif len(events) == 2:
        (a, pa, _, ra, _), (b, pb, _, rb, _) = events
        if pa != b or pb != a or {ra, rb} != {"caller", "callee"}:
            verdict.inconsistent_rooms += 1
            verdict.note(f"room {room}: {a}->{pa} ({ra}) vs {b}->{pb} ({rb})")
    else:
        user, partner = events[0][0], events[0][1]
        if partner in closed or user in closed:
            verdict.close_races += 1
        else:
            verdict.one_sided_rooms += 1
            verdict.note(f"room {room}: {partner} never heard of it ({user} did)")


def _check_joins(verdict, joins, rooms, formed) -> None:
    sent: dict[str, list[float]] = defaultdict(list)
    for user, at in joins:
        sent[user].append(at)
    answered: dict[str, list[float]] = defaultdict(list)
    for room, events in rooms.items():
        for user in {event[0] for event in events}:
            answered[user].append(formed[room])
    for user, times in answered.items():
        available = sorted(sent.get(user, ()))
        used = 0
        for at in sorted(times):
            # Each match consumes the earliest join sent before it; none left → two rooms.
            if used < len(available) and available[used] <= at:
                used += 1
            else:
                verdict.double_rooms += 1
                verdict.note(f"{user}: a match at {at:.3f} answers no outstanding find_match")
