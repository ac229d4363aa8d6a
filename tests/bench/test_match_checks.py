"""The match benchmark's judge must catch each kind of violation it reports as zero."""

from __future__ import annotations

from bench.match_checks import judge

GRACE = 1.0


def room(a: str, b: str, name: str, at: float) -> list[tuple[str, str, str, str, float]]:
    return [(a, b, name, "caller", at), (b, a, name, "callee", at + 0.001)]


def test_a_clean_run_has_no_violation() -> None:
    joins = [("a", 1.0), ("b", 1.1), ("a", 2.0), ("b", 2.0)]
    verdict = judge(joins, room("a", "b", "r1", 1.2), {}, GRACE)
    assert verdict.rooms == 1 and verdict.violations == 0


def test_one_join_answered_by_two_rooms_is_a_double_booking() -> None:
    joins = [("a", 1.0), ("b", 1.0), ("c", 1.0), ("a", 3.0)]
    matches = room("a", "b", "r1", 1.2) + room("a", "c", "r2", 1.3)
    verdict = judge(joins, matches, {}, GRACE)
    assert verdict.double_rooms == 1 and verdict.violations == 1


def test_self_match_inconsistent_and_one_sided_rooms_are_caught() -> None:
    joins = [(u, 1.0) for u in "abcdef"]
    matches = [
        ("a", "a", "self", "caller", 1.5),
        ("b", "c", "mixed", "caller", 1.5),
        ("c", "b", "mixed", "caller", 1.5),  # both callers
        ("d", "e", "lonely", "caller", 1.5),  # e, still connected, never heard of it
    ]
    verdict = judge(joins, matches, {}, GRACE)
    assert verdict.self_matches == 1
    assert verdict.inconsistent_rooms == 1
    assert verdict.one_sided_rooms == 2  # "self" has one report too
    assert verdict.violations == 4


def test_a_partner_closed_long_before_is_a_ghost_but_a_close_race_is_allowed() -> None:
    joins = [("a", 1.0), ("b", 1.0), ("c", 1.0), ("d", 1.0)]
    matches = [("a", "b", "ghost", "caller", 5.0), ("c", "d", "race", "caller", 2.2)]
    verdict = judge(joins, matches, {"b": 2.0, "d": 2.0}, GRACE)
    assert verdict.ghost_matches == 1
    assert verdict.close_races == 2 and verdict.one_sided_rooms == 0
    assert verdict.violations == 1
