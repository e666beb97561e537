"""Lifecycle day arithmetic and rule matching as plain values (gateway/domain/lifecycle.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.domain.lifecycle import Filter, LifecycleConfig, Rule, Transition, due, rank


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_due_is_the_day_boundary_after_the_start_plus_the_days():
    # the S3 user guide's example: created 2014-01-15 10:30 UTC, Days 3 -> 2014-01-19 00:00 UTC
    assert due(ts(2014, 1, 15, 10, 30), 3) == ts(2014, 1, 19)
    assert due(ts(2014, 1, 15), 1) == ts(2014, 1, 17)  # a start on a boundary still waits for the next
    assert due(ts(2014, 1, 15, 23, 59), 0) == ts(2014, 1, 16)


def test_a_short_day_scales_the_same_rule():
    assert due(101.0, 1, day=2.0) == 104.0
    assert due(100.0, 0, day=2.0) == 102.0


def test_filters_need_every_part():
    both = Filter(shape="and", prefix="logs/", tags=(("a", "1"), ("b", "2")), size_gt=10, size_lt=100)
    assert both.matches("logs/x", 50, {"a": "1", "b": "2", "c": "3"})
    assert not both.matches("logs/x", 50, {"a": "1"})
    assert not both.matches("logs/x", 10, {"a": "1", "b": "2"})  # strictly greater than
    assert not both.matches("logs/x", 100, {"a": "1", "b": "2"})  # strictly less than
    assert not both.matches("other", 50, {"a": "1", "b": "2"})
    assert Filter().matches("anything", 0, None)


def test_the_coldest_due_transition_wins_and_the_waterfall_only_goes_down():
    rule = Rule(
        id="r",
        enabled=True,
        transitions=(Transition("STANDARD_IA", days=30), Transition("GLACIER", days=90)),
    )
    start = ts(2030, 1, 1, 12)
    assert rule.transition_due(start, 86400, ts(2030, 1, 20)) is None
    assert rule.transition_due(start, 86400, ts(2030, 2, 1)) == "STANDARD_IA"
    assert rule.transition_due(start, 86400, ts(2030, 4, 2)) == "GLACIER"
    assert rank("GLACIER") > rank("STANDARD_IA") > rank("STANDARD") == rank("REDUCED_REDUNDANCY")
    assert rank("OUTPOSTS") == -1


def test_expiry_is_the_earliest_enabled_rule_and_survives_json():
    config = LifecycleConfig(
        (
            Rule(id="slow", enabled=True, expiration_days=30),
            Rule(id="off", enabled=False, expiration_days=1),
            Rule(id="fast", enabled=True, filter=Filter(shape="prefix", prefix="tmp/"), expiration_days=2),
        )
    )
    again = LifecycleConfig.from_json(config.to_json())
    assert again == config
    start = ts(2030, 1, 1, 12)
    assert again.expiration("tmp/a", 1, None, start, 86400).rule_id == "fast"
    assert again.expiration("keep", 1, None, start, 86400).when == ts(2030, 2, 1)
